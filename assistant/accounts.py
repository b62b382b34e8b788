"""User accounts with roles, and a brake on guessing passwords.

Staff upload and delete documents; partners only ask, and need an account only where the chat is
protected. Passwords are kept as argon2id hashes and never stored or logged in clear. Accounts and
failed logins live in the registry database, so every app process sharing the data directory sees
the same users and counts the same failures.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from indexing.database import open_database

log = logging.getLogger(__name__)

STAFF = "staff"
PARTNER = "partner"
ROLES = (STAFF, PARTNER)
ROLE_LABELS = {STAFF: "Team", PARTNER: "Partner"}

MIN_PASSWORD_CHARS = 10
_USERNAME = re.compile(r"[\w.@-]{1,64}")  # \w: letters (umlauts too), digits and _

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username       TEXT PRIMARY KEY,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
)
"""

_LOGIN_FAILURES_SCHEMA = """
CREATE TABLE IF NOT EXISTS login_failures (
    key_hash  TEXT NOT NULL,
    at        REAL NOT NULL
)
"""


class AccountError(ValueError):
    """A user cannot be added or changed; the message is German and meant for the operator."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    created_at: str

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF


def normalise_username(username: str) -> str:
    """Usernames are compared without surrounding blanks and case, so 'Anna' and 'anna ' are one user."""
    return username.strip().lower()


class Accounts:
    def __init__(self, path: Path, hasher: PasswordHasher | None = None):
        self._db = open_database(path)
        self._lock = threading.Lock()
        self._db.execute(USERS_SCHEMA)
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def add(self, username: str, password: str, role: str) -> User:
        if role not in ROLES:
            raise AccountError(f"Unbekannte Rolle „{role}“; erlaubt sind: {', '.join(ROLES)}.")
        name = self._valid_username(username)
        _check_password(password)
        user = User(name, role, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        password_hash = self._hasher.hash(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (user.username, user.role, password_hash, user.created_at),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"Den Benutzer „{name}“ gibt es schon.") from None
        return user

    def set_password(self, username: str, password: str) -> None:
        """Replace the password; the caller ends the user's sessions (`Sessions.end_all`)."""
        _check_password(password)
        password_hash = self._hasher.hash(password)
        with self._lock:
            changed = self._db.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, normalise_username(username))
            ).rowcount
        if not changed:
            raise AccountError(f"Einen Benutzer „{username.strip()}“ gibt es nicht.")

    def remove(self, username: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM users WHERE username = ?", (normalise_username(username),)).rowcount > 0

    def get(self, username: str) -> User | None:
        row = self._db.execute(
            "SELECT username, role, created_at FROM users WHERE username = ?", (normalise_username(username),)
        ).fetchone()
        return User(*row) if row else None

    def all(self) -> list[User]:
        rows = self._db.execute("SELECT username, role, created_at FROM users ORDER BY username")
        return [User(*row) for row in rows.fetchall()]

    def has_staff(self) -> bool:
        return self._db.execute("SELECT 1 FROM users WHERE role = ? LIMIT 1", (STAFF,)).fetchone() is not None

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right, else None; an unknown name costs as much time as a known one."""
        row = self._db.execute(
            "SELECT username, role, created_at, password_hash FROM users WHERE username = ?",
            (normalise_username(username),),
        ).fetchone()
        if row is None:
            self._verify(self._dummy(), password)
            return None
        *fields, password_hash = row
        if not self._verify(password_hash, password):
            return None
        if self._hasher.check_needs_rehash(password_hash):
            with self._lock:
                self._db.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                    (self._hasher.hash(password), fields[0], password_hash),
                )
        return User(*fields)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False
        except InvalidHashError:
            log.warning("Ein gespeicherter Passwort-Hash ist unlesbar; die Anmeldung wird abgelehnt.")
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    @staticmethod
    def _valid_username(username: str) -> str:
        name = normalise_username(username)
        if not _USERNAME.fullmatch(name):
            raise AccountError(
                "Der Benutzername muss 1 bis 64 Zeichen lang sein und darf nur Buchstaben, Ziffern "
                "und . _ - @ enthalten."
            )
        return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD_CHARS} Zeichen lang sein.")


class LoginGuard:
    """At most `attempts` failed logins per key (username + client address) within `window_seconds`.

    Keys are stored only as SHA-256 hashes, so the table holds no addresses or names.
    """

    def __init__(self, path: Path, attempts: int = 5, window_seconds: float = 900,
                 now: Callable[[], float] = time.time):
        self._db = open_database(path)
        self._lock = threading.Lock()
        self._db.execute(_LOGIN_FAILURES_SCHEMA)
        self._db.execute("CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key_hash, at)")
        self.attempts = attempts
        self.window_seconds = window_seconds
        self._now = now

    @staticmethod
    def key(username: str, address: str) -> str:
        return f"{normalise_username(username)}|{address}"

    def allowed(self, key: str) -> bool:
        return len(self._recent_failures(key)) < self.attempts

    def retry_after(self, key: str) -> float:
        """Seconds until the next attempt is allowed; 0 when it is allowed now."""
        failures = self._recent_failures(key)
        if len(failures) < self.attempts:
            return 0.0
        return max(0.0, failures[-self.attempts] + self.window_seconds - self._now())

    def failed(self, key: str) -> None:
        now = self._now()
        with self._lock:
            self._db.execute("DELETE FROM login_failures WHERE at <= ?", (now - self.window_seconds,))
            self._db.execute("INSERT INTO login_failures (key_hash, at) VALUES (?, ?)", (_hash_key(key), now))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM login_failures WHERE key_hash = ?", (_hash_key(key),))

    def _recent_failures(self, key: str) -> list[float]:
        rows = self._db.execute(
            "SELECT at FROM login_failures WHERE key_hash = ? AND at > ? ORDER BY at",
            (_hash_key(key), self._now() - self.window_seconds),
        )
        return [at for (at,) in rows.fetchall()]


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
