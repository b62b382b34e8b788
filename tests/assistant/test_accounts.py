"""Accounts and the login brake, on a real SQLite file, with a cheap argon2 hasher so tests stay fast."""

import hashlib
import sqlite3

import pytest
from argon2 import PasswordHasher

from assistant.accounts import PARTNER, STAFF, AccountError, Accounts, LoginGuard, User

PASSWORD = "Klimaneutral2035!"


def cheap_hasher(**params) -> PasswordHasher:
    return PasswordHasher(**{"time_cost": 1, "memory_cost": 8, "parallelism": 1, **params})


class CountingHasher(PasswordHasher):
    def __init__(self):
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash, password):
        self.verified.append(hash)
        return super().verify(hash, password)


@pytest.fixture
def accounts(settings) -> Accounts:
    return Accounts(settings.registry_path, hasher=cheap_hasher())


def stored_hash(settings, username: str) -> str:
    with sqlite3.connect(settings.registry_path) as db:
        return db.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]


def test_password_is_kept_only_as_an_argon2_hash_that_verifies(settings, accounts):
    user = accounts.add("anna", PASSWORD, STAFF)

    assert user == User("anna", STAFF, user.created_at) and user.is_staff
    password_hash = stored_hash(settings, "anna")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    assert PasswordHasher().verify(password_hash, PASSWORD)
    with sqlite3.connect(settings.registry_path) as db:
        dump = "\n".join(db.iterdump())
    assert PASSWORD not in dump
    assert accounts.all() == [user]
    assert not hasattr(accounts.all()[0], "password_hash")


def test_authenticate_accepts_the_right_password_only(accounts):
    accounts.add("anna", PASSWORD, STAFF)
    accounts.add("bernd", "partnerpasswort", PARTNER)

    assert accounts.authenticate("anna", PASSWORD).role == STAFF
    assert accounts.authenticate(" Anna ", PASSWORD).username == "anna"  # names ignore case and blanks
    assert accounts.authenticate("bernd", "partnerpasswort").role == PARTNER
    assert accounts.authenticate("anna", PASSWORD + "x") is None
    assert accounts.authenticate("anna", "partnerpasswort") is None
    assert accounts.authenticate("anna", "") is None
    assert accounts.authenticate("niemand", PASSWORD) is None


def test_unknown_user_costs_a_verify_too(settings):
    hasher = CountingHasher()
    accounts = Accounts(settings.registry_path, hasher=hasher)
    accounts.add("anna", PASSWORD, STAFF)

    assert accounts.authenticate("niemand", PASSWORD) is None
    assert accounts.authenticate("kein name!", PASSWORD) is None
    assert len(hasher.verified) == 2
    assert all(h.startswith("$argon2id$") and h != stored_hash(settings, "anna") for h in hasher.verified)


def test_login_rehashes_when_the_hasher_parameters_changed(settings):
    Accounts(settings.registry_path, hasher=cheap_hasher()).add("anna", PASSWORD, STAFF)
    old_hash = stored_hash(settings, "anna")
    stronger = cheap_hasher(time_cost=2, memory_cost=16)
    accounts = Accounts(settings.registry_path, hasher=stronger)
    assert stronger.check_needs_rehash(old_hash)

    assert accounts.authenticate("anna", "falsches passwort") is None
    assert stored_hash(settings, "anna") == old_hash  # a wrong password changes nothing

    assert accounts.authenticate("anna", PASSWORD) is not None
    new_hash = stored_hash(settings, "anna")
    assert new_hash != old_hash and "m=16,t=2,p=1" in new_hash
    assert not stronger.check_needs_rehash(new_hash)
    assert accounts.authenticate("anna", PASSWORD) is not None
    assert stored_hash(settings, "anna") == new_hash  # no rehash when nothing changed


@pytest.mark.parametrize("username, password, role, message", [
    ("anna", PASSWORD, "admin", "Unbekannte Rolle"),
    ("", PASSWORD, STAFF, "Benutzername"),
    ("   ", PASSWORD, STAFF, "Benutzername"),
    ("anna schmidt", PASSWORD, STAFF, "Benutzername"),
    ("anna/schmidt", PASSWORD, STAFF, "Benutzername"),
    ("a" * 65, PASSWORD, STAFF, "Benutzername"),
    ("anna", "zu kurz12", STAFF, "mindestens 10 Zeichen"),
])
def test_invalid_input_is_refused_with_a_german_message(accounts, username, password, role, message):
    with pytest.raises(AccountError, match=message):
        accounts.add(username, password, role)
    assert accounts.all() == []


def test_duplicate_user_is_refused_also_in_other_case(accounts):
    accounts.add("anna", PASSWORD, STAFF)
    with pytest.raises(AccountError, match="gibt es schon"):
        accounts.add("Anna", "anderes passwort", PARTNER)
    assert [(u.username, u.role) for u in accounts.all()] == [("anna", STAFF)]
    assert accounts.authenticate("anna", PASSWORD) is not None


def test_allowed_usernames(accounts):
    for name in ("jörg.müller@stadt-duesseldorf.de", "a", "x_1-2", "b" * 64):
        accounts.add(name, PASSWORD, PARTNER)
    assert len(accounts.all()) == 4
    assert issubclass(AccountError, ValueError)


def test_set_password_replaces_the_old_one(accounts):
    accounts.add("anna", PASSWORD, STAFF)
    accounts.set_password("anna", "neues passwort 2")
    assert accounts.authenticate("anna", PASSWORD) is None
    assert accounts.authenticate("anna", "neues passwort 2") is not None
    with pytest.raises(AccountError, match="mindestens 10 Zeichen"):
        accounts.set_password("anna", "kurz")
    with pytest.raises(AccountError, match="gibt es nicht"):
        accounts.set_password("niemand", "neues passwort 2")


def test_remove_and_has_staff(accounts):
    assert not accounts.has_staff()
    accounts.add("bernd", PASSWORD, PARTNER)
    assert not accounts.has_staff()
    accounts.add("anna", PASSWORD, STAFF)
    assert accounts.has_staff()

    assert accounts.remove("Anna") is True
    assert accounts.remove("anna") is False
    assert not accounts.has_staff()
    assert accounts.authenticate("anna", PASSWORD) is None
    assert [u.username for u in accounts.all()] == ["bernd"]


# --- login brake ---------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_sixth_attempt_is_blocked_and_other_keys_are_not(settings):
    clock = Clock()
    guard = LoginGuard(settings.registry_path, attempts=5, window_seconds=900, now=clock)
    key = LoginGuard.key("anna", "192.0.2.7")

    for _ in range(5):
        assert guard.allowed(key)
        guard.failed(key)
        clock.now += 1
    assert not guard.allowed(key)
    assert guard.retry_after(key) == pytest.approx(900 - 5)
    assert guard.allowed(LoginGuard.key("anna", "192.0.2.8"))
    assert guard.allowed(LoginGuard.key("bernd", "192.0.2.7"))
    assert LoginGuard.key("Anna ", "192.0.2.7") == key


def test_success_resets_the_count(settings):
    guard = LoginGuard(settings.registry_path, attempts=5, now=Clock())
    key = LoginGuard.key("anna", "192.0.2.7")
    for _ in range(4):
        guard.failed(key)
    guard.succeeded(key)
    for _ in range(4):
        guard.failed(key)
    assert guard.allowed(key)
    guard.failed(key)
    assert not guard.allowed(key)


def test_failures_expire_after_the_window(settings):
    clock = Clock()
    guard = LoginGuard(settings.registry_path, attempts=5, window_seconds=900, now=clock)
    key = LoginGuard.key("anna", "192.0.2.7")
    guard.failed(key)
    clock.now += 100
    for _ in range(4):
        guard.failed(key)
    assert not guard.allowed(key)

    clock.now += 799  # the first failure is 899 s old
    assert not guard.allowed(key)
    clock.now += 1  # 900 s: the first failure drops out
    assert guard.allowed(key) and guard.retry_after(key) == 0


def test_processes_share_the_count_and_keys_are_not_stored_in_clear(settings):
    clock = Clock()
    first = LoginGuard(settings.registry_path, attempts=5, now=clock)
    second = LoginGuard(settings.registry_path, attempts=5, now=clock)
    key = LoginGuard.key("anna", "192.0.2.7")
    for guard in (first, second, first, second, first):
        guard.failed(key)
    assert not second.allowed(key) and not first.allowed(key)

    with sqlite3.connect(settings.registry_path) as db:
        stored = [row[0] for row in db.execute("SELECT key_hash FROM login_failures")]
    assert stored == [hashlib.sha256(key.encode()).hexdigest()] * 5
    assert not any("192.0.2.7" in s or "anna" in s for s in stored)

    second.succeeded(key)
    assert first.allowed(key)
