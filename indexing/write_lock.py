"""One writer of documents at a time, across threads and processes sharing a data directory.

The lock is an flock on a file next to the registry. The operating system frees it when its holder dies,
even by SIGKILL, so whoever holds it knows that a write still marked as begun was interrupted.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class WriteLock:
    def __init__(self, path: Path):
        self.path = path
        # flock alone does not order threads of one process that share nothing else.
        self._threads = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for the lock and hold it for the block; not re-entrant."""
        with self._threads:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # closing releases the flock
