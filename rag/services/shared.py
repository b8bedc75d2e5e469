"""What every session and request of a server shares: one `Services` per process."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from index.indexer import Indexer
from index.store import ChunkStore
from index.uploads import UploadFolder
from rag import factory
from rag.services.answering import Answering
from rag.services.chats import ChatStore, ChatStoreError
from rag.services.library import Library
from rag.settings import Settings

log = logging.getLogger(__name__)


class Services:
    """Answering, the store, the uploaded files, the library and the saved chats.

    `create_store`: the store is created empty when missing (a server that accepts uploads)."""

    def __init__(self, settings: Settings, create_store: bool = False) -> None:
        self.settings = settings
        self.answering = Answering(settings)
        self._create_store = create_store
        self._store: ChunkStore | None = None
        self._chats: ChatStore | None = None
        self._chats_lock = threading.Lock()

    def store(self) -> ChunkStore:
        with self.answering.opening:
            if self._store is None:
                self._store = factory.store(self.settings, create=self._create_store)
            return self._store

    @cached_property
    def indexer(self) -> Indexer:
        """The one door for writing into the shared store (uploads, removals, re-reads)."""
        return factory.indexer(self.settings, open_store=self.store)

    def uploads(self) -> UploadFolder:
        return UploadFolder(self.settings.store_dir / "uploads")

    def library(self) -> Library:
        return Library(self.store(), self.uploads())

    def chats(self) -> ChatStore | None:
        """The saved chats' database; None while it cannot be opened (tried again next time)."""
        with self._chats_lock:
            if self._chats is None:
                try:
                    self._chats = ChatStore.from_settings(self.settings)
                except ChatStoreError as error:
                    log.warning("saved chats: %s", error)
            return self._chats
