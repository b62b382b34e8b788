"""Ingestion end to end on real Chroma: once embedded, once against a real `chroma run` server."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant.service import Klimawissen
from indexing.pipeline import ADDED, FAILED, UNCHANGED, UPDATED


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.chroma_server)])
def service(request, settings, fake_embedder):
    if request.param == "server":
        server = request.getfixturevalue("chroma_server")
        settings = settings.replace(chroma_url=server, collection=f"test-{uuid.uuid4().hex[:12]}")
    return Klimawissen(settings, embedder=fake_embedder)


def by_name(results) -> dict[str, object]:
    return {result.path.name: result for result in results}


def test_ingest_adds_every_document_with_all_its_chunks(service, tiny_corpus):
    results = service.ingest([tiny_corpus])

    assert {r.status for r in results} == {ADDED}
    assert len(results) == 3
    for result in results:
        assert result.chunks > 0
        assert service.store.count(result.doc_id) == result.chunks
    assert service.store.count() == sum(r.chunks for r in results)
    assert {d.doc_id for d in service.documents()} == {r.doc_id for r in results}


def test_reingesting_unchanged_files_embeds_nothing(service, tiny_corpus, fake_embedder):
    service.ingest([tiny_corpus])
    embedded_before, chunks_before = fake_embedder.embedded_texts, service.store.count()

    results = service.ingest([tiny_corpus])

    assert {r.status for r in results} == {UNCHANGED}
    assert fake_embedder.embedded_texts == embedded_before
    assert service.store.count() == chunks_before


def test_changed_file_replaces_all_old_chunks(service, tiny_corpus, make_pdf):
    pdf = tiny_corpus / "baeckerei-abwaerme.pdf"
    first = by_name(service.ingest([tiny_corpus]))[pdf.name]
    old_ids = set(service.store.chunk_ids(first.doc_id))

    make_pdf(pdf, ["Neue Fassung: nur noch eine Seite über Abwärme."], title="Neue Fassung")
    second = service.ingest([pdf])[0]

    assert second.status == UPDATED and second.doc_id == first.doc_id
    assert service.store.count(first.doc_id) == second.chunks == 1
    texts = service.store.records({"doc_id": first.doc_id})["documents"]
    assert texts == ["Neue Fassung: nur noch eine Seite über Abwärme."]
    assert len(old_ids) == 3 and service.registry.get(first.doc_id).title == "Neue Fassung"


def test_delete_removes_every_chunk_and_the_registry_row(service, tiny_corpus):
    results = service.ingest([tiny_corpus])
    victim = results[0].doc_id
    others = service.store.count() - results[0].chunks

    assert service.delete_document(victim) is True

    assert service.store.count(victim) == 0
    assert service.store.count() == others
    assert service.registry.get(victim) is None
    assert service.delete_document(victim) is False


BAD_FILES = {
    "leer.pdf": b"",
    "abgeschnitten.pdf": None,  # a real PDF cut in half, made below
    "verschluesselt.pdf": None,  # encrypted with a password we do not know
    "eigentlich-text.pdf": "Das ist nur Text, kein PDF.".encode(),
    "tabelle.xlsx": b"PK\x03\x04 not really a spreadsheet",
    "leer.md": b"   \n",
}
EXPECTED_MESSAGES = {
    "leer.pdf": "leer",
    "abgeschnitten.pdf": "beschädigt",
    "verschluesselt.pdf": "passwortgeschützt",
    "eigentlich-text.pdf": "kein PDF",
    "tabelle.xlsx": "nicht unterstützt",
    "leer.md": "leer",
}


def write_bad_files(folder: Path, make_pdf) -> list[Path]:
    folder.mkdir()
    whole = make_pdf(folder / "ganz.pdf", ["Seite eins " * 50, "Seite zwei " * 50])
    data = whole.read_bytes()
    whole.unlink()
    (folder / "abgeschnitten.pdf").write_bytes(data[: len(data) // 2])
    make_pdf(folder / "verschluesselt.pdf", ["Geheim"], user_password="geheim")
    for name, content in BAD_FILES.items():
        if content is not None:
            (folder / name).write_bytes(content)
    return [folder / name for name in BAD_FILES]


def test_bad_files_are_reported_and_the_rest_of_the_batch_is_ingested(service, tiny_corpus, tmp_path, make_pdf):
    bad = write_bad_files(tmp_path / "bad", make_pdf)
    good = sorted(tiny_corpus.iterdir())

    results = by_name(service.ingest(bad[:3] + good + bad[3:]))

    for name, fragment in EXPECTED_MESSAGES.items():
        assert results[name].status == FAILED, name
        assert fragment in results[name].message, (name, results[name].message)
    assert all(results[path.name].status == ADDED for path in good)
    assert len(service.documents()) == len(good)


def test_a_bad_new_version_leaves_the_indexed_document_as_it_was(service, tiny_corpus):
    pdf = tiny_corpus / "baeckerei-abwaerme.pdf"
    first = by_name(service.ingest([tiny_corpus]))[pdf.name]
    ids_before = sorted(service.store.chunk_ids(first.doc_id))
    record_before = service.registry.get(first.doc_id)

    pdf.write_bytes(pdf.read_bytes()[:300])  # the new "version" is truncated
    result = service.ingest([pdf])[0]

    assert result.status == FAILED and "beschädigt" in result.message
    assert sorted(service.store.chunk_ids(first.doc_id)) == ids_before
    assert service.registry.get(first.doc_id) == record_before


def test_syncing_a_folder_drops_documents_whose_file_is_gone(service, tiny_corpus, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("Ein Dokument außerhalb des Ordners bleibt erhalten.", encoding="utf-8")
    service.ingest([elsewhere])
    service.ingest([tiny_corpus])
    (tiny_corpus / "druckluft-notiz.txt").unlink()

    results, removed = service.sync_folder(tiny_corpus)

    assert removed == ["druckluft-notiz"]
    assert {r.status for r in results} == {UNCHANGED}
    assert service.store.count("druckluft-notiz") == 0
    assert {d.doc_id for d in service.documents()} == {"elsewhere", "klimapakt-ziele", "baeckerei-abwaerme"}


def test_changed_chunking_processes_unchanged_files_again(service, tiny_corpus, fake_embedder):
    service.ingest([tiny_corpus])
    rechunked = Klimawissen(service.settings.replace(chunk_size=60, chunk_overlap=10), embedder=fake_embedder)

    results = rechunked.ingest([tiny_corpus])

    assert {r.status for r in results} == {UPDATED}
    for result in results:
        assert rechunked.store.count(result.doc_id) == result.chunks


def test_a_changed_document_embeds_only_its_changed_chunks(service, tmp_path, fake_embedder):
    path = tmp_path / "bericht.md"
    sections = [f"## Abschnitt {i}\nDer Betrieb hat in Schritt {i} etwas verbessert." for i in range(6)]
    path.write_text("\n\n".join(sections), encoding="utf-8")
    first = service.ingest([path])[0]
    before = fake_embedder.embedded_texts

    sections[2] = "## Abschnitt 2\nHier steht jetzt ein ganz neuer Text über Druckluft."
    path.write_text("\n\n".join(sections), encoding="utf-8")
    second = service.ingest([path])[0]

    assert second.status == UPDATED and second.chunks == first.chunks == 6
    assert fake_embedder.embedded_texts - before == 1  # the changed chunk (the default embeds no sentences)
    assert service.store.count(second.doc_id) == 6


def test_each_chunk_keeps_one_vector_per_sentence_out_of_sight_of_callers(service, tmp_path):
    path = tmp_path / "bericht.md"
    path.write_text("## Wärme\nDie Halle wird mit Abwärme beheizt. Das spart 40 MWh Gas. Der Umbau dauerte drei Wochen.\n",
                    encoding="utf-8")
    by_default = service.ingest([path])[0].doc_id
    assert next(iter(service.store.get(service.store.chunk_ids(by_default)).values())).sentences is None
    service = Klimawissen(service.settings.replace(embed_sentences=True, sentence_weight=1.5), embedder=service.embedder)
    doc_id = service.ingest([path])[0].doc_id

    chunk = next(iter(service.store.get(service.store.chunk_ids(doc_id)).values()))
    assert chunk.sentences is not None and chunk.sentences.shape == (3, 256)
    assert all(abs(float(np.linalg.norm(vector)) - 1.0) < 0.01 for vector in chunk.sentences)
    assert "sentence_vectors" not in chunk.metadata
    passage = service.retrieve("Abwärme Halle").passages[0]
    assert "sentence_vectors" not in passage.metadata


def test_a_long_file_reports_progress_while_it_is_embedded(settings, fake_embedder, tmp_path, make_pdf):
    """A 40-page report is embedded in batches; the progress moves after each batch, not only at the end."""
    fake_embedder.embed_batch_size = 8
    service = Klimawissen(settings, embedder=fake_embedder)
    report = make_pdf(tmp_path / "bericht.pdf", [f"Seite {n}: Die Halle {n} spart {n} MWh Strom im Jahr." for n in range(40)])
    short = tmp_path / "kurz.md"
    short.write_text("# Kurz\n\nEin Absatz über Druckluft.", encoding="utf-8")
    reports = []

    results = service.ingest([report, short], lambda done, total, path: reports.append((done, total, path.name)))

    assert [r.status for r in results] == [ADDED, ADDED] and results[0].chunks == 40
    during_report = [done for done, _, name in reports if name == "bericht.pdf" and 0 < done < 1]
    assert len(during_report) >= 4  # 40 chunks in batches of 8: after each of the first four batches
    assert during_report == sorted(during_report)
    assert reports[-1] == (2, 2, "kurz.md")
    assert all(total == 2 for _, total, _ in reports)
