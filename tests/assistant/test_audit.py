"""The audit log on a real SQLite file, as several app processes would share it."""

import re

from assistant.audit import AuditEntry, AuditLog


def test_entries_come_back_newest_first_with_utc_time(settings):
    log = AuditLog(settings.registry_path)
    log.record("anna", "document.upload", "druckluft-notiz", "druckluft-notiz.txt, 3 Abschnitte")
    log.record("anna", "document.delete", "baeckerei-abwaerme")
    log.record("cli", "user.add", "bernd", "partner")

    entries = log.recent()
    assert [(e.actor, e.action, e.target, e.detail) for e in entries] == [
        ("cli", "user.add", "bernd", "partner"),
        ("anna", "document.delete", "baeckerei-abwaerme", ""),
        ("anna", "document.upload", "druckluft-notiz", "druckluft-notiz.txt, 3 Abschnitte"),
    ]
    assert entries[0].id > entries[1].id > entries[2].id
    assert all(isinstance(e, AuditEntry) for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", e.at) for e in entries)


def test_limit(settings):
    log = AuditLog(settings.registry_path)
    for n in range(5):
        log.record("anna", "document.delete", f"doc-{n}")
    assert [e.target for e in log.recent(limit=2)] == ["doc-4", "doc-3"]
    assert len(log.recent()) == 5


def test_two_processes_write_one_log(settings):
    first, second = AuditLog(settings.registry_path), AuditLog(settings.registry_path)
    first.record("anna", "document.upload", "a")
    second.record("bernd", "login", "bernd")
    first.record("anna", "document.delete", "a")

    assert [e.action for e in second.recent()] == ["document.delete", "login", "document.upload"]
    assert first.recent() == second.recent()
