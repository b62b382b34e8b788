"""A real `klimawissen ingest` killed with SIGKILL at exact points of a batch.

The pipeline's test hook (KLIMAWISSEN_TEST_STOP_AT, see indexing/pipeline.py) makes the process stop
itself at the n-th time a document write reaches a stage; the test waits for that stop and kills it.
Afterwards registry, Chroma, keyword index and facts must agree once repaired, no half-written document
may be served, and the next ingest must finish the batch.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from assistant.config import Settings, tuned_for
from assistant.service import Klimawissen
from indexing.consistency import INTERRUPTED, ORPHAN_CHUNKS, inspect
from indexing.pipeline import STOP_AT_VARIABLE
from indexing.registry import INDEXING, READY
from tests.conftest import REPO, VENV_BIN, klimawissen_command, write_pdf
from tests.helpers import child_environment
from ui.server import repair_index

# collect_files sorts a folder: the PDF first, then the note, then the pact text.
BATCH = ["baeckerei-abwaerme", "druckluft-notiz", "klimapakt-ziele"]
NEW_PAGE = "Neue Fassung 2025\nDie Bäckerei nutzt jetzt eine Wärmepumpe und spart 61 t CO2e im Jahr."
STAGES = ["begun", "chunks-written", "published"]


def ingest_killed_at(point: str, data_dir: Path, *paths: Path) -> None:
    """Run `klimawissen ingest`; it stops itself at `point` ("stage:n"), and is killed there with SIGKILL."""
    env = {**child_environment(data_dir=str(data_dir), embedder="e5"), STOP_AT_VARIABLE: point}
    log = data_dir.parent / "killed-ingest.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "klimawissen"), "ingest", *map(str, paths)], env=env, cwd=REPO, stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status = os.waitpid(process.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), log.read_text(errors="replace")
        process.kill()
        assert process.wait() == -9


def open_service(data_dir: Path, embedder) -> Klimawissen:
    """A fresh view of the data directory: Chroma caches an embedded store per path and process, and
    would not see what the killed process wrote."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return Klimawissen(e5_settings(data_dir).replace(min_relevance=0.0), embedder=embedder)


def e5_settings(data_dir: Path) -> Settings:
    """The light embedder's settings: its children load in a fraction of EmbeddingGemma's time."""
    return tuned_for(Settings(data_dir=data_dir), "e5")


def assert_consistent(service: Klimawissen, expected: list[str]) -> None:
    report = inspect(service.pipeline)
    assert report.ok, report.problems
    records = service.documents()
    assert sorted(r.doc_id for r in records) == sorted(expected)
    assert all(r.status == READY and not r.pending_version for r in records)
    for record in records:
        assert service.store.count(record.doc_id) == service.keyword.count(record.doc_id) == record.chunk_count > 0
    assert service.store.count() == service.keyword.count() == sum(r.chunk_count for r in records)


def served_documents(service: Klimawissen, question: str) -> set[str]:
    return {p.doc_id for p in service.retrieve(question).passages}


@pytest.mark.parametrize("stage", STAGES)
def test_a_batch_killed_in_its_second_document_is_finished_by_the_next_ingest(stage, tmp_path, tiny_corpus, e5):
    data_dir = tmp_path / "data"

    ingest_killed_at(f"{stage}:2", data_dir, tiny_corpus)

    service = open_service(data_dir, e5)
    records = {r.doc_id: r for r in service.documents()}
    assert records[BATCH[0]].status == READY and BATCH[2] not in records
    problems = {(p.doc_id, p.kind) for p in inspect(service.pipeline).problems}
    if stage == "published":  # the new document is whole; only the batch is unfinished
        assert records[BATCH[1]].status == READY and problems == set()
    else:
        assert records[BATCH[1]].status == INDEXING
        assert "druckluft-notiz" not in served_documents(service, "Wie viele Leckagen wurden in der Druckluft gefunden?")
        expected = {(BATCH[1], INTERRUPTED)} | ({(BATCH[1], ORPHAN_CHUNKS)} if stage == "chunks-written" else set())
        assert problems == expected
        checked = klimawissen_command("check", data_dir=data_dir, embedder="e5")
        assert checked.returncode == 1 and "Die Aufnahme wurde unterbrochen" in checked.stdout

    again = klimawissen_command("ingest", str(tiny_corpus), data_dir=data_dir, embedder="e5")

    assert again.returncode == 0, again.stdout + again.stderr
    statuses = {line.split()[1].rsplit("/", 1)[1]: line.split()[0] for line in again.stdout.splitlines()[:3]}
    assert statuses == {
        "baeckerei-abwaerme.pdf": "unchanged",
        "druckluft-notiz.txt": "unchanged" if stage == "published" else "added",
        "klimapakt-ziele.md": "added",
    }
    service = open_service(data_dir, e5)
    assert_consistent(service, BATCH)
    assert "druckluft-notiz" in served_documents(service, "Wie viele Leckagen wurden in der Druckluft gefunden?")


@pytest.mark.parametrize("stage", STAGES)
def test_a_new_version_killed_midway_leaves_the_old_one_served_and_is_repaired_at_server_start(
    stage, tmp_path, tiny_corpus, e5, capsys
):
    data_dir = tmp_path / "data"
    Klimawissen(e5_settings(data_dir), embedder=e5).ingest([tiny_corpus])
    pdf = tiny_corpus / "baeckerei-abwaerme.pdf"
    write_pdf(pdf, [NEW_PAGE], title="Großbäckerei: Wärmepumpe")

    ingest_killed_at(f"{stage}:1", data_dir, pdf)

    service = open_service(data_dir, e5)
    passages = [p for p in service.retrieve("Was spart die Bäckerei im Jahr?").passages if p.doc_id == BATCH[0]]
    texts = " ".join(p.text for p in passages)
    problems = {p.kind for p in inspect(service.pipeline).problems if p.doc_id == BATCH[0]}
    if stage == "published":  # the new version is live; the old chunks are left over, and not served
        assert "Wärmepumpe" in texts and "140 MWh" not in texts
        assert problems == {ORPHAN_CHUNKS}
    else:  # the old version still answers
        assert "140 MWh" in texts and "Wärmepumpe" not in texts
        assert service.registry.get(BATCH[0]).status == READY
        assert problems == {INTERRUPTED} | ({ORPHAN_CHUNKS} if stage == "chunks-written" else set())

    repair_index(service)

    printed = capsys.readouterr().out
    assert "Index repariert:" in printed and "Index-Problem" not in printed
    assert_consistent(service, BATCH)
    record = service.registry.get(BATCH[0])
    assert record.title == "Großbäckerei: Wärmepumpe" and record.chunk_count == 1
    assert "Wärmepumpe und spart 61 t CO2e" in service.store.nodes(BATCH[0], record.version)[0].text
