"""Login sessions on a real SQLite file; a fake clock expires them without waiting."""

import hashlib
import sqlite3

import pytest
from argon2 import PasswordHasher

from assistant.accounts import PARTNER, STAFF, AccountError, Accounts, User
from assistant.sessions import Sessions

HOUR = 3600.0


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(settings) -> Accounts:
    accounts = Accounts(settings.registry_path, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts.add("anna", "Klimaneutral2035!", STAFF)
    accounts.add("bernd", "partnerpasswort", PARTNER)
    return accounts


@pytest.fixture
def sessions(settings, clock, accounts) -> Sessions:
    return Sessions(settings.registry_path, lifetime_seconds=8 * HOUR, now=clock)


def session_rows(settings) -> list[tuple]:
    with sqlite3.connect(settings.registry_path) as db:
        return db.execute("SELECT token_hash, username, created_at, expires_at FROM sessions").fetchall()


def test_a_token_finds_its_user(sessions, accounts):
    anna = accounts.get("anna")
    token = sessions.create(anna)
    other = sessions.create(anna)

    assert len(token) >= 43 and token != other
    assert sessions.lookup(token) == anna
    assert sessions.lookup(other) == anna
    assert sessions.lookup(token + "x") is None
    assert sessions.lookup("") is None and sessions.lookup(None) is None


def test_only_a_sha256_of_the_token_is_stored(settings, sessions, accounts):
    token = sessions.create(accounts.get("anna"))

    [(token_hash, username, created_at, expires_at)] = session_rows(settings)
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert username == "anna" and expires_at - created_at == 8 * HOUR
    with sqlite3.connect(settings.registry_path) as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump


def test_sessions_expire_after_their_lifetime_and_are_deleted(settings, sessions, accounts, clock):
    token = sessions.create(accounts.get("anna"))
    clock.now += 4 * HOUR
    later = sessions.create(accounts.get("bernd"))

    clock.now += 4 * HOUR - 1
    assert sessions.lookup(token) is not None
    clock.now += 1
    assert sessions.lookup(token) is None
    assert [row[1] for row in session_rows(settings)] == ["bernd"]  # the expired row is gone
    assert sessions.lookup(later).username == "bernd"


def test_end_and_end_all(sessions, accounts):
    anna_1 = sessions.create(accounts.get("anna"))
    anna_2 = sessions.create(accounts.get("anna"))
    bernd = sessions.create(accounts.get("bernd"))

    sessions.end(anna_1)
    assert sessions.lookup(anna_1) is None and sessions.lookup(anna_2) is not None
    anna_3 = sessions.create(accounts.get("anna"))

    assert sessions.end_all("Anna") == 2
    assert sessions.lookup(anna_2) is None and sessions.lookup(anna_3) is None
    assert sessions.lookup(bernd).username == "bernd"
    assert sessions.end_all("anna") == 0


def test_two_processes_see_each_others_sessions(settings, accounts, clock):
    first = Sessions(settings.registry_path, lifetime_seconds=HOUR, now=clock)
    second = Sessions(settings.registry_path, lifetime_seconds=HOUR, now=clock)

    token = first.create(accounts.get("anna"))
    assert second.lookup(token).username == "anna"
    second.end(token)
    assert first.lookup(token) is None

    token = second.create(accounts.get("bernd"))
    first.end_all("bernd")
    assert second.lookup(token) is None


def test_removed_user_loses_the_session_and_unknown_user_gets_none(sessions, accounts):
    token = sessions.create(accounts.get("bernd"))
    accounts.remove("bernd")
    assert sessions.lookup(token) is None

    with pytest.raises(AccountError, match="gibt es nicht"):
        sessions.create(User("niemand", STAFF, "2025-01-01T00:00:00+00:00"))
