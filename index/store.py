"""The Chroma store: one collection of chunks per index, one of documents beside it.

Crash safety: a document is written chunks first, its document record last. A document counts
as indexed only when its record exists and exactly `n_chunks` chunks carry its content hash,
so a run killed at any moment leaves nothing the next run mistakes for done.

Server mode (an HttpClient): every call is retried with exponential backoff while the server is
unreachable, for up to `retry_s` seconds. Chunk ids are deterministic and chunks are upserted, so
repeating a write whose answer was lost never duplicates anything.
"""

from __future__ import annotations

import json
import logging
import shutil
import ssl
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from llama_index.core.schema import TextNode
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from index.documents import SourceDocument
from index.layout import Layout

log = logging.getLogger(__name__)

WRITE_BATCH = 256
READ_PAGE = 5_000  # rows per read (see `_get_all`)
GENERATION = "generation"  # metadata key of the change token (see `version`)
LOCK_FILE = "write.lock"  # beside an embedded store: one writer at a time (index/lock.py)
CHROMA_FILE = "chroma.sqlite3"  # an embedded store's database; its vectors are in folders by id
TOKEN_HEADERS = ("Authorization", "X-Chroma-Token")
T = TypeVar("T")
Written = tuple[SourceDocument, list[TextNode], list[list[float]]]  # a document, chunks, vectors


class StoreError(RuntimeError):
    """A store problem a person can act on; the message says what to do."""


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    content_hash: str
    n_chunks: int
    path: str
    metadata: dict[str, str]
    layout: Layout = field(default_factory=Layout)
    indexed_at: str = ""  # ISO time, UTC; "" in a store written before it was recorded


def open_client(
    store_dir: Path | None = None,
    url: str | None = None,
    token: str | None = None,
    *,
    token_header: str = "Authorization",
    ca_file: Path | None = None,
    timeout_s: float = 30.0,
):
    """An embedded PersistentClient in `store_dir`, or an HttpClient when `url` is given."""
    import chromadb
    from chromadb.config import Settings

    if url:
        return _http_client(url, token, token_header, ca_file, timeout_s)
    assert store_dir is not None
    ensure_folder(store_dir)
    try:
        return chromadb.PersistentClient(
            path=str(store_dir), settings=Settings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as error:
        full = "disk is full" in str(error)  # not damaged: rebuilding would only lose the index
        todo = "free some space on its disk" if full else "rebuild it with `rag index --rebuild`"
        raise StoreError(f"the store at {store_dir} cannot be opened ({error}); {todo}") from None


def ensure_folder(store_dir: Path) -> None:
    """Create the embedded store's folder, or say why it cannot be (a file there, no rights)."""
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"the store at {store_dir} cannot be created ({error.strerror}); "
            "set RAG_STORE_DIR to a folder you can write to"
        ) from None


def _http_client(
    url: str, token: str | None, token_header: str, ca_file: Path | None, timeout_s: float
):
    """A client for the Chroma server at `url` (https means TLS), checked before it is used.

    chromadb 1.5.9 builds its HTTP session without any timeout (a silent server would hang every
    call forever), so the server is probed with a short timeout first, and the session gets one.
    The probe asks who the token belongs to, so a refused token is reported as such.
    """
    import chromadb
    import httpx
    from chromadb.config import Settings

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise StoreError(f"the Chroma URL {url!r} is not valid; write it like http://host:8000")
    if token_header not in TOKEN_HEADERS:
        raise StoreError(f"the token header {token_header!r} must be one of {TOKEN_HEADERS}")
    base = url.rstrip("/")
    verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
    headers = {}
    if token:
        headers[token_header] = f"Bearer {token}" if token_header == "Authorization" else token
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
    try:
        answer = httpx.get(
            f"{base}/api/v2/auth/identity", headers=headers, timeout=timeout, verify=verify
        )
    except httpx.HTTPError as error:
        hint = (
            "set RAG_CHROMA_CA_FILE for a self-signed certificate"
            if "CERTIFICATE" in str(error)
            else "start it (`chroma run --path DIR --host HOST --port PORT`) or fix RAG_CHROMA_URL"
        )
        raise StoreError(
            f"cannot reach the Chroma server at {url} ({type(error).__name__}: {error}); {hint}"
        ) from None
    if answer.status_code in (401, 403):
        code = answer.status_code
        raise StoreError(f"the Chroma server at {url} refused the token (HTTP {code})")
    if answer.status_code != 200:
        raise StoreError(
            f"{url} answered HTTP {answer.status_code} to /api/v2/auth/identity: "
            "is it a Chroma server (1.x)?"
        )
    auth = {
        "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
        "chroma_client_auth_credentials": token,
        "chroma_auth_token_transport_header": token_header,
    }
    settings = Settings(
        anonymized_telemetry=False,
        allow_reset=False,
        chroma_server_ssl_verify=str(ca_file) if ca_file else None,
        **(auth if token else {}),
    )
    try:
        # A full URL as host keeps any path prefix (a reverse proxy serving Chroma under /chroma).
        client = chromadb.HttpClient(host=base, ssl=parsed.scheme == "https", settings=settings)
    except Exception as error:
        raise StoreError(f"the Chroma server at {url} cannot be used: {error}") from None
    client._server._session.timeout = timeout
    return client


def _transient(error: Exception) -> bool:
    """The server is gone or did not answer: worth retrying (never true for an embedded store)."""
    import httpx

    return isinstance(error, httpx.TransportError)


def _location(client: Any) -> str:
    settings = client.get_settings()
    if settings.chroma_api_impl == "chromadb.api.fastapi.FastAPI":
        return f"the Chroma server at {settings.chroma_server_host}"
    return f"the store at {settings.persist_directory}"


class ChunkStore:
    """Chunks and document records in two collections; `retry_s` bounds waiting for a server."""

    def __init__(
        self, client: Any, name: str = "corpus", create: bool = True, retry_s: float = 60.0
    ) -> None:
        self.client = client
        self.name = name
        self.retry_s = retry_s
        self.location = _location(client)
        get = client.get_or_create_collection if create else client.get_collection
        try:
            options = {"metadata": {"hnsw:space": "cosine"}} if create else {}
            self.chunks = self._call(get, name, embedding_function=None, **options)
            self.docs = self._call(get, documents_collection(name), embedding_function=None)
        except StoreError:
            raise
        except Exception as error:
            if not create:
                raise StoreError(
                    f"no index named {name!r} in {self.location}; build it with `rag index`"
                ) from None
            raise StoreError(
                f"{self.location} cannot be used ({error}); try `rag index --rebuild`"
            ) from None

    def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call the store, retrying with exponential backoff while the server is unreachable."""
        retrying = Retrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_delay(self.retry_s),
            wait=wait_exponential(multiplier=0.25, max=8.0),
            before_sleep=lambda state: log.warning(
                "%s is unreachable (%s); retrying", self.location, state.outcome.exception()
            ),
            reraise=True,
        )
        try:
            return retrying(fn, *args, **kwargs)
        except Exception as error:
            if not _transient(error):
                raise
            raise StoreError(
                f"lost {self.location} ({type(error).__name__}: {error}) and it did not "
                f"come back within {self.retry_s:.0f} s; start it again and rerun the "
                "command (`rag index` resumes where it stopped)"
            ) from None

    @cached_property
    def batch_size(self) -> int:
        """Chunks per write: ours, or the server's limit if that is smaller."""
        return min(WRITE_BATCH, self._call(self.client.get_max_batch_size))

    # --- reading -------------------------------------------------------------------------
    def _get_all(self, collection: Any, **options: Any) -> dict[str, list]:
        """`collection.get` in pages: one get of more than about 32k rows fails inside Chroma
        (SQLite's "too many SQL variables"), e.g. BM25 and re-indexing at 100k chunks."""
        found: dict[str, list] = {"ids": [], "documents": [], "metadatas": []}
        while True:
            page = self._call(collection.get, limit=READ_PAGE, offset=len(found["ids"]), **options)
            for key, values in found.items():
                values.extend(page.get(key) or [])
            if len(page["ids"]) < READ_PAGE:
                return found

    def documents(self) -> dict[str, StoredDocument]:
        found = self._get_all(self.docs, include=["metadatas"])
        return {
            doc_id: stored_document(doc_id, meta)
            for doc_id, meta in zip(found["ids"], found["metadatas"], strict=True)
        }

    def document(self, doc_id: str) -> StoredDocument | None:
        found = self._call(self.docs.get, ids=[doc_id], include=["metadatas"])
        return stored_document(doc_id, found["metadatas"][0]) if found["ids"] else None

    def version(self) -> str:
        """Changes whenever a document is added, changed or removed, by any process.

        A token in the documents collection's metadata, replaced before and after every change
        (`_touch`): one small read, where hashing every document record took 350 ms at 3,700
        documents. A store written before the token existed reads as "".
        """
        collection = self._call(self.client.get_collection, self.docs.name)
        return (collection.metadata or {}).get(GENERATION, "")

    def chunk_count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return self._call(self.chunks.count)
        return len(self._call(self.chunks.get, where={"doc_id": doc_id}, include=[])["ids"])

    def complete(self, docs: Mapping[str, StoredDocument], where: dict | None = None) -> set[str]:
        """Ids of those documents whose stored chunks are exactly their record's (not a run
        killed mid-document, no chunk of another version), from one read of chunk metadata."""
        found = self._get_all(self.chunks, where=where, include=["metadatas"])["metadatas"]
        chunks = Counter(m["doc_id"] for m in found)
        versions = Counter((m["doc_id"], m["content_hash"]) for m in found)
        return {
            doc_id
            for doc_id, doc in docs.items()
            if chunks[doc_id] == versions[doc_id, doc.content_hash] == doc.n_chunks
        }

    def is_complete(self, doc: StoredDocument) -> bool:
        return doc.doc_id in self.complete({doc.doc_id: doc}, where={"doc_id": doc.doc_id})

    def source_text(self, doc_id: str) -> str | None:
        found = self._call(self.docs.get, ids=[doc_id], include=["documents"])
        return found["documents"][0] if found["ids"] else None

    def nodes(self, where: dict | None = None) -> list[TextNode]:
        """Every chunk as a llama-index node (for BM25 and neighbour lookups)."""
        found = self._get_all(self.chunks, where=where, include=["documents", "metadatas"])
        return [
            to_node(i, text, meta)
            for i, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        ]

    def query(
        self, embedding: Sequence[float], k: int, where: dict | None = None
    ) -> list[tuple[TextNode, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first.

        Chroma returns fewer than `k` when the collection (or the filter) holds fewer, so no
        count is asked first: one round trip to a server instead of two.
        """
        if k <= 0:
            return []
        found = self._call(
            self.chunks.query,
            query_embeddings=[list(embedding)],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (to_node(i, text, meta), 1.0 - dist)
            for i, text, meta, dist in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]

    # --- writing -------------------------------------------------------------------------
    def _touch(self) -> None:
        self._call(self.docs.modify, metadata={GENERATION: uuid.uuid4().hex})

    def remove(self, doc_id: str) -> None:
        self._touch()
        self._call(self.docs.delete, ids=[doc_id])
        self._call(self.chunks.delete, where={"doc_id": doc_id})

    def replace(
        self, doc: SourceDocument, nodes: list[TextNode], embeddings: list[list[float]]
    ) -> None:
        """Swap a document's chunks for new ones; the document record is written last."""
        self.replace_many([(doc, nodes, embeddings)])

    def replace_many(self, written: Sequence[Written]) -> None:
        """Swap several documents' chunks for new ones in a few large calls (a big first build
        is mostly per-call cost, one document at a time); the records are written last.

        Upserts, not adds: a batch repeated after a lost answer overwrites itself.
        """
        ids = [doc.doc_id for doc, _, _ in written]
        self._touch()
        for batch in _batches(ids, self.batch_size):
            self._call(self.docs.delete, ids=batch)
            self._call(self.chunks.delete, where={"doc_id": {"$in": batch}})
        rows = [row for _, nodes, vectors in written for row in zip(nodes, vectors, strict=True)]
        for batch in _batches(rows, self.batch_size):
            self._call(
                self.chunks.upsert,
                ids=[n.node_id for n, _ in batch],
                documents=[n.text for n, _ in batch],
                metadatas=[n.metadata for n, _ in batch],
                embeddings=[e for _, e in batch],
            )
        for batch in _batches(list(written), self.batch_size):
            self._call(
                self.docs.upsert,
                ids=[doc.doc_id for doc, _, _ in batch],
                documents=[doc.text for doc, _, _ in batch],
                metadatas=[document_record(doc, len(nodes)) for doc, nodes, _ in batch],
                embeddings=[[0.0]] * len(batch),
            )
        self._touch()

    def drop_orphans(self) -> int:
        """Delete chunks of documents that have no record (a run killed mid-document)."""
        known = set(self._call(self.docs.get, include=[])["ids"])
        found = self._get_all(self.chunks, include=["metadatas"])
        orphans = {m["doc_id"] for m in found["metadatas"]} - known
        for doc_id in orphans:
            self._call(self.chunks.delete, where={"doc_id": doc_id})
        if orphans:
            self._touch()
        return len(orphans)

    def drop(self) -> None:
        """Delete this index, its chunks and document records; other indexes in the store stay.
        (An embedded store that cannot be opened is deleted with `drop_embedded`.)"""
        for collection in (self.chunks.name, self.docs.name):
            self._call(self.client.delete_collection, collection)


def documents_collection(name: str) -> str:
    """The collection of document records beside the chunks of index `name`."""
    return f"{name}-documents"


def drop_embedded(store_dir: Path) -> None:
    """Delete every index of an embedded store, even one too damaged to open: Chroma's database
    and vector folders. The write lock, and files others keep there (saved chats), stay."""
    if not store_dir.is_dir():
        return
    for child in store_dir.iterdir():
        if child.name.startswith(CHROMA_FILE):  # with its journal files
            child.unlink()
        elif child.is_dir() and _is_uuid(child.name):
            shutil.rmtree(child)


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def stored_document(doc_id: str, meta: dict[str, Any]) -> StoredDocument:
    """A document record read back (`document_record` wrote it)."""
    return StoredDocument(
        doc_id,
        meta["content_hash"],
        int(meta["n_chunks"]),
        meta["path"],
        json.loads(meta["metadata"]),
        Layout.from_json(meta.get("layout")),
        meta.get("indexed_at", ""),
    )


def document_record(doc: SourceDocument, n_chunks: int) -> dict[str, Any]:
    """The metadata of a document's record: what `documents()` reads back."""
    return {
        "content_hash": doc.content_hash,
        "n_chunks": n_chunks,
        "path": str(doc.path),
        "metadata": json.dumps(doc.metadata),
        "layout": doc.layout.to_json(),
        "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def to_node(chunk_id: str, text: str, meta: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=chunk_id,
        text=text,
        metadata=dict(meta),
        start_char_idx=int(meta["start"]),
        end_char_idx=int(meta["end"]),
    )


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
