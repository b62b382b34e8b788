"""Login sessions: a random token in the browser's cookie, only its SHA-256 in the database.

Whoever reads the database (a backup, a copied data directory) finds no token that would log them in.
Kept in the registry database, so a login made through one app process is valid in every other one
sharing the data directory. A session belongs to a user row: removing the user ends it even where
`end_all` was forgotten, and a changed role counts from the next request on.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from pathlib import Path
from typing import Callable

from assistant.accounts import USERS_SCHEMA, AccountError, User, normalise_username
from indexing.database import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
)
"""


class Sessions:
    def __init__(self, path: Path, lifetime_seconds: float, now: Callable[[], float] = time.time):
        self._db = open_database(path, USERS_SCHEMA + ";" + _SCHEMA)
        self._lock = threading.Lock()
        self.lifetime_seconds = lifetime_seconds
        self._now = now

    def create(self, user: User) -> str:
        """A new session for a user that exists; returns the token (shown once, to the browser)."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._lock:
            inserted = self._db.execute(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at) "
                "SELECT ?, username, ?, ? FROM users WHERE username = ?",
                (_hash(token), now, now + self.lifetime_seconds, user.username),
            ).rowcount
        if not inserted:
            raise AccountError(f"Einen Benutzer „{user.username}“ gibt es nicht.")
        return token

    def lookup(self, token: str | None) -> User | None:
        """The session's user, or None when the token is unknown, expired or its user was removed."""
        if not token:
            return None
        now = self._now()
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            row = self._db.execute(
                "SELECT u.username, u.role, u.created_at FROM sessions s JOIN users u ON u.username = s.username "
                "WHERE s.token_hash = ?",
                (_hash(token),),
            ).fetchone()
        return User(*row) if row else None

    def end(self, token: str | None) -> None:
        if not token:
            return
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def end_all(self, username: str) -> int:
        """End every session of a user (removed, or password changed); returns how many there were."""
        with self._lock:
            return self._db.execute(
                "DELETE FROM sessions WHERE username = ?", (normalise_username(username),)
            ).rowcount


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
