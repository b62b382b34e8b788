"""Answer feedback: partners mark an answer helpful, not helpful, or citing the wrong source.

Staff read it to find weak answers and misleading documents; `counts` gives the overall picture.
Kept in the registry database, so feedback from every app process sharing the data directory lands
in one place. The answer and its sources are stored as shown, since the index may change later.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from indexing.database import open_database

HELPFUL = "helpful"
NOT_HELPFUL = "not_helpful"
WRONG_SOURCE = "wrong_source"
RATINGS = (HELPFUL, NOT_HELPFUL, WRONG_SOURCE)
RATING_LABELS = {HELPFUL: "Hilfreich", NOT_HELPFUL: "Nicht hilfreich", WRONG_SOURCE: "Falsche Quelle"}

MAX_COMMENT_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    question     TEXT NOT NULL,
    answer_text  TEXT NOT NULL,
    sources      TEXT NOT NULL,
    rating       TEXT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    user         TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Feedback:
    id: int
    at: str
    question: str
    answer_text: str
    sources: tuple[str, ...]
    rating: str
    comment: str
    user: str

    @property
    def label(self) -> str:
        return RATING_LABELS.get(self.rating, self.rating)


class FeedbackStore:
    def __init__(self, path: Path):
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def record(self, question: str, answer_text: str, sources: list[str], rating: str,
               comment: str = "", user: str = "") -> int:
        """Store one rating; returns its id. Refuses an unknown rating or an overlong comment."""
        if rating not in RATINGS:
            raise ValueError(f"Unbekannte Bewertung „{rating}“; erlaubt sind: {', '.join(RATINGS)}.")
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"Der Kommentar darf höchstens {MAX_COMMENT_CHARS} Zeichen lang sein.")
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO feedback (at, question, answer_text, sources, rating, comment, user) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(timespec="seconds"), question, answer_text,
                 json.dumps(list(sources), ensure_ascii=False), rating, comment, user),
            )
            return cursor.lastrowid

    def recent(self, limit: int = 200) -> list[Feedback]:
        """The newest `limit` ratings, newest first."""
        rows = self._db.execute(
            "SELECT id, at, question, answer_text, sources, rating, comment, user FROM feedback "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [Feedback(i, at, q, a, tuple(json.loads(s)), r, c, u) for i, at, q, a, s, r, c, u in rows.fetchall()]

    def counts(self) -> dict[str, int]:
        """How often each rating was given, every rating present (0 if never)."""
        counts = dict.fromkeys(RATINGS, 0)
        for rating, n in self._db.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall():
            counts[rating] = n
        return counts
