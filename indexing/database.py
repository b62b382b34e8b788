"""The one SQLite database under the data directory that registry, keyword index, facts, accounts,
sessions, feedback, audit log and the unanswered queue share, opened the same way everywhere.

WAL lets readers go on while one process writes; the busy timeout makes a second app process wait for
a writer instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30


def open_database(path: Path, schema: str = "") -> sqlite3.Connection:
    """A connection usable from every thread (callers serialise writes with their own lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    connection.execute("PRAGMA journal_mode=WAL")
    if schema:
        connection.executescript(schema)
    return connection
