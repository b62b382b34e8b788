"""The unanswered-questions queue: what partners asked that the documents could not answer.

Staff read it to see which case studies the pact is missing. Kept in the registry database, so every
app process sharing the data directory writes to the same queue.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from indexing.database import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    question  TEXT NOT NULL,
    closest   TEXT NOT NULL DEFAULT '',
    asked_at  TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class UnansweredQuestion:
    id: int
    question: str
    closest: str
    asked_at: str


class UnansweredQueue:
    def __init__(self, path: Path):
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def record(self, question: str, closest: list[str]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO unanswered (question, closest, asked_at) VALUES (?, ?, ?)",
                (question, "; ".join(closest), datetime.now(timezone.utc).isoformat(timespec="seconds")),
            )

    def all(self) -> list[UnansweredQuestion]:
        rows = self._db.execute("SELECT id, question, closest, asked_at FROM unanswered ORDER BY id DESC")
        return [UnansweredQuestion(*row) for row in rows.fetchall()]
