"""`inspect` and `repair` on deliberately broken stores: orphans in Chroma and the keyword index, doubled
keyword rows, interrupted writes, chunks lost from Chroma, facts without a document; and `klimawissen
check` on them."""

from __future__ import annotations

import pytest
from llama_index.core.schema import TextNode

from assistant.cli import main
from assistant.service import Klimawissen
from indexing.consistency import (
    INTERRUPTED, KEYWORD_MISMATCH, MISSING_CHUNKS, ORPHAN_CHUNKS, ORPHAN_FACTS, ORPHAN_KEYWORD, counts_agree, inspect,
    repair,
)
from indexing.facts import Fact
from indexing.registry import INDEXING, READY

QUESTION = "Wie viel Erdgas spart die Großbäckerei mit der Abwärme der Backöfen?"
NEW_DOCUMENT = "---\nid: neu\ntitle: Neues Fallbeispiel\nlanguage: de\n---\n# Neu\nEine Spedition stellt auf E-Lkw um.\n"


@pytest.fixture
def service(settings, fake_embedder, tiny_corpus) -> Klimawissen:
    service = Klimawissen(settings.replace(min_relevance=0.0), embedder=fake_embedder)
    service.ingest([tiny_corpus])
    return service


def record_fields(path, doc_id: str) -> dict:
    return dict(title=doc_id, source_path=str(path), file_type="md", content_hash="x", pipeline="p",
                chunk_count=1, metadata={"doc_id": doc_id})


def stray_chunk(service: Klimawissen, doc_id: str, version: str) -> str:
    """A chunk in Chroma of a version no registry row publishes, matching QUESTION better than any other."""
    metadata = {"doc_id": doc_id, "version": version, "title": "Reste", "language": "de"}
    node = TextNode(id_=f"{doc_id}::00000@{version}", text=QUESTION, metadata=metadata)
    service.store.add([node], [service.embedder.get_text_embedding(QUESTION)])
    service.keyword.add([node])
    return node.id_


def break_everything(service: Klimawissen, tmp_path) -> None:
    live = service.registry.live_versions()
    stray_chunk(service, "geist", "v0")
    stray_chunk(service, "baeckerei-abwaerme", "alt")
    service.keyword.add([TextNode(id_="verloren::00000@v1", text="Druckluft", metadata={"doc_id": "verloren"})])
    service.keyword.add(service.store.nodes("klimapakt-ziele", live["klimapakt-ziele"])[:1])
    service.store.delete_chunks(sorted(service.store.chunk_ids("druckluft-notiz")))
    (tmp_path / "neu.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    service.registry.begin_write("neu", "v1", **record_fields(tmp_path / "neu.md", "neu"))
    service.registry.begin_write("weg", "v1", **record_fields(tmp_path / "weg.md", "weg"))
    service.registry.begin_write("baeckerei-abwaerme", "v2", **record_fields(tmp_path / "egal.md", "egal"))
    service.fact_store.replace("weg-fakten", [Fact("weg-fakten", "investment_eur", 1000.0)])


def test_a_freshly_ingested_index_is_consistent(service):
    report = inspect(service.pipeline)

    assert report.ok and report.problems == []
    assert report.documents == 3
    assert report.chunks == report.keyword_rows == sum(d.chunk_count for d in service.documents()) == 6
    assert report.embedder == "test-hashing/256"


def _damages(service, tmp_path):
    """Each problem `inspect` knows, made alone."""
    live = service.registry.live_versions()
    (tmp_path / "neu.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    return {
        ORPHAN_CHUNKS: lambda: service.store.add(  # in Chroma only: a write killed before its keyword rows
            [TextNode(id_="geist::00000@v0", text=QUESTION, metadata={"doc_id": "geist", "version": "v0", "language": "de"})],
            [service.embedder.get_text_embedding(QUESTION)]),
        ORPHAN_KEYWORD: lambda: service.keyword.add([TextNode(id_="verloren::00000@v1", text="Druckluft", metadata={"doc_id": "verloren"})]),
        KEYWORD_MISMATCH: lambda: service.keyword.add(service.store.nodes("klimapakt-ziele", live["klimapakt-ziele"])[:1]),
        MISSING_CHUNKS: lambda: service.store.delete_chunks(sorted(service.store.chunk_ids("druckluft-notiz"))[:1]),
        INTERRUPTED: lambda: service.registry.begin_write("neu", "v1", **record_fields(tmp_path / "neu.md", "neu")),
        ORPHAN_FACTS: lambda: service.fact_store.replace("weg-fakten", [Fact("weg-fakten", "investment_eur", 1000.0)]),
    }


@pytest.mark.parametrize("kind", [ORPHAN_CHUNKS, ORPHAN_KEYWORD, KEYWORD_MISMATCH, MISSING_CHUNKS, INTERRUPTED, ORPHAN_FACTS])
def test_the_start_check_by_counts_fails_on_each_problem_alone(service, tmp_path, kind):
    assert counts_agree(service.pipeline)
    _damages(service, tmp_path)[kind]()
    assert {p.kind for p in inspect(service.pipeline).problems} >= {kind}
    assert not counts_agree(service.pipeline)
    repair(service.pipeline)
    assert counts_agree(service.pipeline)


def test_inspect_names_every_injected_problem(service, tmp_path):
    break_everything(service, tmp_path)

    report = inspect(service.pipeline)

    assert {(p.doc_id, p.kind) for p in report.problems} == {
        ("geist", ORPHAN_CHUNKS), ("baeckerei-abwaerme", ORPHAN_CHUNKS),
        ("geist", ORPHAN_KEYWORD), ("baeckerei-abwaerme", ORPHAN_KEYWORD), ("verloren", ORPHAN_KEYWORD),
        ("druckluft-notiz", ORPHAN_KEYWORD), ("druckluft-notiz", MISSING_CHUNKS),
        ("klimapakt-ziele", KEYWORD_MISMATCH),
        ("neu", INTERRUPTED), ("weg", INTERRUPTED), ("baeckerei-abwaerme", INTERRUPTED),
        ("weg-fakten", ORPHAN_FACTS),
    }
    messages = {(p.doc_id, p.kind): p.message for p in report.problems}
    assert "noch nicht verfügbar" in messages[("neu", INTERRUPTED)]
    assert "bisherigen Fassung" in messages[("baeckerei-abwaerme", INTERRUPTED)]
    assert "0 von 1 Abschnitten" in messages[("druckluft-notiz", MISSING_CHUNKS)]
    assert "1 doppelt" in messages[("klimapakt-ziele", KEYWORD_MISMATCH)]


def test_retrieval_serves_only_published_versions(service, tmp_path):
    break_everything(service, tmp_path)

    passages = service.retrieve(QUESTION).passages

    assert passages and passages[0].doc_id == "baeckerei-abwaerme"
    live = service.registry.live_versions()
    assert all(p.metadata["version"] == live[p.doc_id] for p in passages)
    assert "geist" not in {p.doc_id for p in passages}


def test_chunks_written_straight_into_the_store_without_a_version_are_served(service):
    """As the benchmark fills its stores: no registry rows, no versions."""
    node = TextNode(id_="direkt::00000", text=QUESTION, metadata={"doc_id": "direkt", "title": "Direkt", "language": "de"})
    service.store.add([node], [service.embedder.get_text_embedding(QUESTION)])
    service.keyword.add([node])

    assert service.retrieve(QUESTION).passages[0].chunk_id == "direkt::00000"


def test_repair_leaves_four_agreeing_stores(service, tmp_path):
    break_everything(service, tmp_path)

    result = repair(service.pipeline)

    assert result.report.ok, result.report.problems
    text = "\n".join(result.actions)
    assert "„weg“" in text and "entfernt" in text
    assert f"„neu“ (neu) aus der Datei {tmp_path / 'neu.md'} neu aufgenommen (1 Abschnitte)" in text
    records = {d.doc_id: d for d in service.documents()}
    assert set(records) == {"baeckerei-abwaerme", "druckluft-notiz", "klimapakt-ziele", "neu"}
    assert all(r.status == READY and not r.pending_version for r in records.values())
    assert service.store.count("druckluft-notiz") == records["druckluft-notiz"].chunk_count == 1
    assert service.store.count() == service.keyword.count() == sum(r.chunk_count for r in records.values())
    assert service.store.count("geist") == 0
    assert service.fact_store.documents() <= set(records)
    assert service.retrieve("Wer stellt auf E-Lkw um?").passages[0].doc_id == "neu"


def test_an_incomplete_document_without_its_file_is_removed(service, tiny_corpus):
    service.store.delete_chunks(service.store.chunk_ids("druckluft-notiz"))
    (tiny_corpus / "druckluft-notiz.txt").unlink()

    result = repair(service.pipeline)

    assert result.report.ok
    assert service.registry.get("druckluft-notiz") is None
    assert any("druckluft-notiz" in action and "Bitte neu hochladen" in action for action in result.actions)


def test_an_interrupted_new_version_without_its_file_keeps_the_old_one(service, tiny_corpus):
    before = service.registry.get("klimapakt-ziele")
    service.registry.begin_write("klimapakt-ziele", "v9", **record_fields(tiny_corpus / "x.md", "x"))
    stray_chunk(service, "klimapakt-ziele", "v9")
    (tiny_corpus / "klimapakt-ziele.md").unlink()

    result = repair(service.pipeline)

    assert result.report.ok
    after = service.registry.get("klimapakt-ziele")
    assert (after.status, after.version, after.pending_version) == (READY, before.version, "")
    assert service.store.count("klimapakt-ziele") == before.chunk_count


def test_a_legacy_row_left_indexing_is_repaired(service, tiny_corpus):
    record = service.registry.get("druckluft-notiz")
    fields = {k: v for k, v in record.__dict__.items() if k not in ("doc_id", "status", "updated_at")}
    service.registry.upsert("druckluft-notiz", status=INDEXING, **fields)

    assert {p.kind for p in inspect(service.pipeline).problems} == {
        INTERRUPTED, ORPHAN_CHUNKS, ORPHAN_KEYWORD, ORPHAN_FACTS,
    }
    assert repair(service.pipeline).report.ok
    assert service.registry.get("druckluft-notiz").status == READY


# --- the command ------------------------------------------------------------------------------------

@pytest.fixture
def cli_service(settings, gemma, tiny_corpus, monkeypatch) -> Klimawissen:
    """An index built with the embedder the command line uses, so `klimawissen check` can open it."""
    monkeypatch.setenv("KLIMAWISSEN_DATA_DIR", str(settings.data_dir))
    service = Klimawissen(settings, embedder=gemma)
    service.ingest([tiny_corpus])
    return service


def test_check_reports_in_german_and_repair_fixes(cli_service, capsys):
    stray_chunk(cli_service, "geist", "v0")

    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "2 Problem(e) gefunden" in out and "„geist“: 1 übrig gebliebene Abschnitte im Suchindex" in out
    assert "klimawissen check --repair" in out

    assert main(["check", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "Repariert: 1 übrig gebliebene Abschnitte von „geist“ gelöscht." in out
    assert "Repariert: 1 übrig gebliebene Stichwort-Einträge von „geist“ gelöscht." in out
    assert "Alles in Ordnung" in out and "Dokumente: 3 verfügbar" in out

    assert main(["check"]) == 0


def test_check_refuses_an_index_of_another_embedder(service, settings, capsys, monkeypatch):
    monkeypatch.setenv("KLIMAWISSEN_DATA_DIR", str(settings.data_dir))  # built by the test embedder, not the configured one

    assert main(["check"]) == 2
    assert "neu indexieren" in capsys.readouterr().err
