"""Backup → restore into another data directory gives the same cited answers, the logins and feedback,
the uploaded files, and a clean check; a non-empty data directory is only replaced with --force."""

from __future__ import annotations

import tarfile
import uuid
from dataclasses import replace

import pytest

from assistant.backup import BackupError, backup, restore
from assistant.cli import main
from assistant.service import Klimawissen
from indexing.consistency import inspect

QUESTIONS = [
    "Wie viel Erdgas spart die Großbäckerei?",
    "Wann wird Düsseldorf klimaneutral?",
    "Wie viele Leckagen fand der Metallbetrieb?",
    "Um wie viel sank der Gasverbrauch im Autohaus?",
]
HEAT_PUMP = "# Wärmepumpe im Autohaus\n\nDas Autohaus heizt mit einer Wärmepumpe. Der Gasverbrauch sank um 80 Prozent.\n"


def answers(service: Klimawissen) -> list[tuple]:
    """Each question's answer text with its citations (document, page, passage)."""
    result = []
    for question in QUESTIONS:
        answer = service.ask(question)
        result.append((answer.text, [(c.passage.doc_id, c.passage.page, c.passage.text) for c in answer.citations]))
    return result


def filled(settings, embedder, corpus) -> Klimawissen:
    """A data directory with ingested files, an upload, a login, feedback and an audit trail."""
    service = Klimawissen(settings, embedder=embedder)
    service.ingest([corpus])
    service.upload([("waermepumpe.md", HEAT_PUMP.encode())], actor="anna")
    service.accounts.add("anna", "ein langes Passwort 42", "staff")
    service.feedback.record(QUESTIONS[0], "140 MWh", ["baeckerei-abwaerme"], "helpful", "passt")
    return service


@pytest.fixture
def original(settings, fake_embedder, tiny_corpus) -> Klimawissen:
    return filled(settings.replace(min_relevance=0.0), fake_embedder, tiny_corpus)


def test_restore_into_a_new_data_dir_answers_the_same_and_checks_clean(original, fake_embedder, tmp_path):
    archive = backup(original.settings, tmp_path / "sicherung.tar.gz").archive
    copy_settings = original.settings.replace(data_dir=tmp_path / "neu")

    chunks = restore(copy_settings, archive)

    copy = Klimawissen(copy_settings, embedder=fake_embedder)
    assert chunks == original.store.count() == copy.store.count()
    assert inspect(copy.pipeline).ok
    assert answers(copy) == answers(original)
    assert all(cited for _, cited in answers(copy))
    moved_upload = str(copy.uploads_dir.resolve() / "waermepumpe.md")
    assert copy.documents() == [
        replace(r, source_path=moved_upload) if r.doc_id == "waermepumpe" else r for r in original.documents()
    ]
    assert copy.document_file("waermepumpe").read_text(encoding="utf-8") == HEAT_PUMP
    assert copy.accounts.authenticate("anna", "ein langes Passwort 42") is not None
    assert [f.comment for f in copy.feedback.recent()] == ["passt"]
    assert [e.action for e in copy.audit.recent()] == [e.action for e in original.audit.recent()]
    assert copy.measure_facts() == original.measure_facts()


def test_the_archive_holds_database_chunks_and_uploads_but_no_staging(original, tmp_path):
    (original.uploads_dir / ".staging" / "halb").mkdir(parents=True)
    (original.uploads_dir / ".staging" / "halb" / "x.pdf").write_bytes(b"%PDF halb")

    summary = backup(original.settings, tmp_path)

    assert summary.archive.parent == tmp_path and summary.archive.name.endswith(".tar.gz")
    assert (summary.documents, summary.uploads, summary.vector_source) == (4, 1, "eingebetteter Chroma-Index")
    with tarfile.open(summary.archive) as archive:
        names = set(archive.getnames())
    assert {"manifest.json", "registry.sqlite3", "chunks.jsonl", "documents/waermepumpe.md"} <= names
    assert not any(".staging" in name for name in names)
    assert not list(tmp_path.glob("*.partial"))


def test_restore_refuses_a_non_empty_data_dir_unless_forced(original, fake_embedder, tmp_path):
    archive = backup(original.settings, tmp_path / "sicherung.tar.gz").archive
    target = original.settings.replace(data_dir=tmp_path / "belegt")
    target.data_dir.mkdir()
    (target.data_dir / "alt.txt").write_text("bisheriger Inhalt")
    (target.data_dir / "models").mkdir()

    with pytest.raises(BackupError, match="nicht leer.*--force"):
        restore(target, archive)
    assert (target.data_dir / "alt.txt").exists()

    restore(target, archive, force=True)

    assert not (target.data_dir / "alt.txt").exists() and (target.data_dir / "models").is_dir()
    assert inspect(Klimawissen(target, embedder=fake_embedder).pipeline).ok


def test_a_damaged_archive_is_refused_with_a_message(settings, tmp_path):
    broken = tmp_path / "kaputt.tar.gz"
    broken.write_bytes(b"keine Sicherung")

    with pytest.raises(BackupError, match="keine lesbare Klimawissen-Sicherung"):
        restore(settings, broken)


@pytest.mark.chroma_server
def test_a_backup_from_a_chroma_server_carries_its_vectors(settings, fake_embedder, tiny_corpus, chroma_server, tmp_path):
    server_settings = settings.replace(chroma_url=chroma_server, collection=f"test-{uuid.uuid4().hex[:12]}",
                                       min_relevance=0.0)
    original = filled(server_settings, fake_embedder, tiny_corpus)

    summary = backup(server_settings, tmp_path / "sicherung.tar.gz")

    assert summary.vector_source == f"Chroma-Server {chroma_server}" and summary.chunks == original.store.count()
    embedded = server_settings.replace(chroma_url="", data_dir=tmp_path / "eingebettet")
    restore(embedded, summary.archive)
    copy = Klimawissen(embedded, embedder=fake_embedder)
    assert inspect(copy.pipeline).ok
    assert answers(copy) == answers(original)
    with pytest.raises(BackupError, match="Sammlung .* auf dem Chroma-Server"):
        restore(server_settings.replace(data_dir=tmp_path / "leer"), summary.archive)


def test_the_commands_back_up_and_restore(settings, gemma, tiny_corpus, tmp_path, monkeypatch, capsys):
    Klimawissen(settings, embedder=gemma).ingest([tiny_corpus])
    monkeypatch.setenv("KLIMAWISSEN_DATA_DIR", str(settings.data_dir))

    assert main(["backup", str(tmp_path / "sicherung.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert "Sicherung geschrieben" in out and "3 Dokumente, 6 Abschnitte" in out

    assert main(["restore", str(tmp_path / "sicherung.tar.gz")]) == 1
    assert "ist nicht leer" in capsys.readouterr().err

    monkeypatch.setenv("KLIMAWISSEN_DATA_DIR", str(tmp_path / "neu"))
    assert main(["restore", str(tmp_path / "sicherung.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert "Wiederhergestellt" in out and "Alles in Ordnung" in out
