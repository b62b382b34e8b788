"""The audit log: who uploaded, deleted or changed what, and when.

Staff share the document collection, so a missing case study must be traceable to a person. Kept in
the registry database, so entries from every app process sharing the data directory land in one log.
Callers record names and actions only, never passwords or tokens.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from indexing.database import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str


class AuditLog:
    def __init__(self, path: Path):
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def record(self, actor: str, action: str, target: str, detail: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(timespec="seconds"), actor, action, target, detail),
            )

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        """The newest `limit` entries, newest first."""
        rows = self._db.execute(
            "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry(*row) for row in rows.fetchall()]
