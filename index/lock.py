"""One writer at a time: an advisory lock file beside the embedded store."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from index.store import LOCK_FILE, StoreError, ensure_folder


@contextmanager
def write_lock(store_dir: Path) -> Iterator[None]:
    ensure_folder(store_dir)
    path = store_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text().strip() or "another process"
            raise StoreError(
                f"the store at {store_dir} is locked by {holder} (another `rag index` is "
                "writing to it); wait for it to finish, or stop it"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}".encode())
        yield
    finally:
        os.close(fd)


def store_write_lock(store_dir: Path, server: bool) -> AbstractContextManager[None]:
    """The write lock of an embedded store; a Chroma server orders its writers itself."""
    return nullcontext() if server else write_lock(store_dir)
