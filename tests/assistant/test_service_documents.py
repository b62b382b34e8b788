"""Document management as the staff web UI calls it: upload, new versions, metadata corrections, delete,
download, each recorded in the audit log. Real embedded Chroma, the fake embedder, real PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Klimawissen
from indexing.pipeline import ADDED, FAILED, UNCHANGED, UPDATED
from indexing.registry import INDEXING
from tests.conftest import HashingEmbedding, write_pdf

HEAT_PUMP = """# Wärmepumpe im Autohaus

Das Autohaus Beispiel heizt seine Werkstatt seit 2022 mit einer Luft-Wasser-Wärmepumpe.
Der Gasverbrauch sank dadurch um 80 Prozent.
""".encode()

SOLAR_PAGES = [
    "Photovoltaik auf dem Hallendach\nDie Spedition Muster hat 2023 eine Solaranlage mit 450 kWp gebaut.",
    "Ergebnis\nDie Anlage deckt 60 Prozent des Strombedarfs der Kühlhalle.",
]

NEW_COMPRESSED_AIR = """Druckluft: zweite Messung
Bei der zweiten Ultraschallmessung fand der Betrieb nur noch 3 Leckagen. Der Kompressor bleibt nachts aus.
""".encode()


class BreakableEmbedding(HashingEmbedding):
    """The fake embedder, but it can be made to fail, as a crashed model would."""

    broken: bool = False

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if self.broken:
            raise RuntimeError("Embedder ausgefallen")
        return super()._get_text_embeddings(texts)


@pytest.fixture
def embedder() -> BreakableEmbedding:
    return BreakableEmbedding()


@pytest.fixture
def service(settings, embedder) -> Klimawissen:
    return Klimawissen(settings, embedder=embedder)


@pytest.fixture
def solar_pdf(tmp_path) -> bytes:
    return write_pdf(tmp_path / "solar.pdf", SOLAR_PAGES, title="Photovoltaik bei der Spedition Muster").read_bytes()


def stored_files(service: Klimawissen) -> list[str]:
    return sorted(p.name for p in service.uploads_dir.iterdir() if p.is_file())


def staging_leftovers(service: Klimawissen) -> list[Path]:
    return list((service.uploads_dir / ".staging").rglob("*"))


def texts_of(service: Klimawissen, doc_id: str) -> list[str]:
    return service.store.records({"doc_id": doc_id})["documents"]


def snapshot(service: Klimawissen, doc_id: str) -> tuple:
    """Everything a failed new version must leave alone."""
    return (
        service.registry.get(doc_id), sorted(service.store.chunk_ids(doc_id)), texts_of(service, doc_id),
        service.keyword.count(doc_id),
    )


# --- upload ---------------------------------------------------------------------------------------

def test_several_files_at_once_each_get_a_result_and_a_bad_one_leaves_nothing(service, solar_pdf):
    progress = []

    results = service.upload(
        [("waermepumpe.md", HEAT_PUMP), ("kaputt.pdf", solar_pdf[:300]), ("solar.pdf", solar_pdf)],
        actor="anna", progress=lambda *args: progress.append(args),
    )

    assert [r.status for r in results] == [ADDED, FAILED, ADDED]
    assert "beschädigt" in results[1].message
    whole_files = [step for step in progress if step[0] == int(step[0])]
    assert whole_files == [(1, 3, Path("waermepumpe.md")), (2, 3, Path("kaputt.pdf")), (3, 3, Path("solar.pdf"))]
    assert [step[0] for step in progress] == sorted(step[0] for step in progress)
    assert stored_files(service) == ["solar.pdf", "waermepumpe.md"]
    assert results[2].path == service.uploads_dir / "solar.pdf"
    assert service.registry.get("kaputt") is None and service.store.count("kaputt") == 0
    assert staging_leftovers(service) == []
    assert service.retrieve("Um wie viel sank der Gasverbrauch im Autohaus?").passages[0].doc_id == "waermepumpe"
    top = service.retrieve("Wie groß ist die Solaranlage der Spedition?").passages[0]
    assert top.doc_id == "solar" and top.page == 1


@pytest.mark.parametrize("action", ["upload", "replace"])
def test_a_bad_new_version_leaves_file_registry_and_chunks_as_they_were(service, solar_pdf, action):
    service.upload([("solar.pdf", solar_pdf)], actor="anna")
    before = snapshot(service, "solar")

    if action == "upload":
        result = service.upload([("solar.pdf", solar_pdf[:300])], actor="anna")[0]
    else:
        result = service.replace_document("solar", "solar.pdf", solar_pdf[:300], actor="anna")

    assert result.status == FAILED and "beschädigt" in result.message
    assert (service.uploads_dir / "solar.pdf").read_bytes() == solar_pdf
    assert snapshot(service, "solar") == before and before[0] is not None and len(before[1]) == 2
    assert staging_leftovers(service) == []


def test_a_version_that_fails_while_indexing_puts_the_previous_file_back(service, embedder):
    service.upload([("waermepumpe.md", HEAT_PUMP)], actor="anna")
    before = snapshot(service, "waermepumpe")
    embedder.broken = True

    with pytest.raises(RuntimeError, match="Embedder ausgefallen"):
        service.upload([("waermepumpe.md", HEAT_PUMP.replace(b"80 Prozent", b"85 Prozent"))], actor="anna")
    with pytest.raises(RuntimeError, match="Embedder ausgefallen"):
        service.upload([("neu.md", b"# Neu\n\nEin ganz neues Dokument.\n")], actor="anna")

    assert (service.uploads_dir / "waermepumpe.md").read_bytes() == HEAT_PUMP
    assert snapshot(service, "waermepumpe") == before
    assert stored_files(service) == ["waermepumpe.md"]
    assert staging_leftovers(service) == []


TEXT = "Notiz zur Druckluft\nDer Betrieb fand mit Ultraschall zwölf Leckagen.\n".encode()


@pytest.mark.parametrize(
    "filename, stored",
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\x.txt", "x.txt"),
        ("C:\\Users\\anna\\bericht.txt", "bericht.txt"),
        ("bericht\x00.txt", "bericht.txt"),
        ("zeile\nzwei\x1b.txt", "zeilezwei.txt"),
        (".versteckt.txt", "versteckt.txt"),
        ("a" * 300 + ".txt", "a" * 116 + ".txt"),
        ("🌍" * 100 + ".md", "🌍" * 63 + ".md"),  # 255 bytes: four per emoji, three for ".md"
    ],
)
def test_hostile_names_are_stored_inside_the_uploads_folder(service, filename, stored):
    result = service.upload([(filename, TEXT)], actor="anna")[0]

    assert result.status == ADDED, result.message
    assert result.path == service.uploads_dir / stored
    assert result.path.resolve().parent == service.uploads_dir.resolve()
    assert stored_files(service) == [stored]
    assert len(stored) <= 120 and len(stored.encode()) <= 255
    assert service.document_file(result.doc_id) == result.path


@pytest.mark.parametrize("filename", ["", ".", "..", "../", "a/..", "\x00", "...\\"])
def test_names_that_are_no_file_name_are_refused(service, settings, filename):
    result = service.upload([(filename, TEXT)], actor="anna")[0]

    assert result.status == FAILED and "Dateiname" in result.message
    assert not service.uploads_dir.exists() or stored_files(service) == []
    assert sorted(p.name for p in settings.data_dir.parent.iterdir()) == ["data"]


def test_unsupported_types_get_the_pipelines_message(service, tmp_path):
    (tmp_path / "tabelle.xlsx").write_bytes(b"PK\x03\x04")
    expected = service.ingest([tmp_path / "tabelle.xlsx"])[0].message

    result = service.upload([("tabelle.xlsx", b"PK\x03\x04")], actor="anna")[0]

    assert result.status == FAILED and result.message == expected and "nicht unterstützt" in expected
    assert stored_files(service) == []


def test_files_over_the_size_limit_are_refused_before_anything_is_written(settings, embedder):
    assert settings.max_upload_mb == 50
    service = Klimawissen(settings.replace(max_upload_mb=1), embedder=embedder)
    too_big = b"Druckluft " * (1024 * 1024 // 10 + 1)

    big, small = service.upload([("gross.txt", too_big), ("klein.txt", TEXT)], actor="anna")

    assert big.status == FAILED and "zu groß" in big.message and "höchstens 1 MB" in big.message
    assert small.status == ADDED
    assert stored_files(service) == ["klein.txt"] and staging_leftovers(service) == []


def test_a_file_claiming_another_documents_id_is_refused(service, tiny_corpus):
    service.ingest([tiny_corpus])
    corpus_file = tiny_corpus / "klimapakt-ziele.md"
    before = snapshot(service, "klimapakt-ziele")

    same_name = service.upload([("klimapakt-ziele.md", b"# Ziele\n\nEin anderer Text.\n")], actor="anna")[0]
    declared = service.upload([("ziele.md", b"---\nid: klimapakt-ziele\n---\n# Ziele\n\nNoch einer.\n")], "anna")[0]

    for result in (same_name, declared):
        assert result.status == FAILED and "neue Version" in result.message
    assert snapshot(service, "klimapakt-ziele") == before
    assert service.registry.get("klimapakt-ziele").source_path == str(corpus_file.resolve())
    assert stored_files(service) == []


# --- new version ----------------------------------------------------------------------------------

def test_replace_keeps_the_id_and_retrieval_finds_only_the_new_text(service, tiny_corpus):
    service.ingest([tiny_corpus])
    original = (tiny_corpus / "druckluft-notiz.txt").read_bytes()

    result = service.replace_document("druckluft-notiz", "druckluft-2024.txt", NEW_COMPRESSED_AIR, actor="anna")

    assert result.status == UPDATED and result.doc_id == "druckluft-notiz"
    stored = service.uploads_dir / "druckluft-notiz.txt"
    assert stored.read_bytes() == NEW_COMPRESSED_AIR
    assert service.registry.get("druckluft-notiz").source_path == str(stored.resolve())
    assert (tiny_corpus / "druckluft-notiz.txt").read_bytes() == original
    assert service.registry.get("druckluft-notiz").title == "Druckluft: zweite Messung"
    passages = service.retrieve("Wie viele Leckagen fand der Betrieb mit Ultraschall?").passages
    assert passages[0].doc_id == "druckluft-notiz" and "3 Leckagen" in passages[0].text
    assert not any("42 Leckagen" in text for text in texts_of(service, "druckluft-notiz"))
    assert service.document_file("druckluft-notiz") == stored


def test_replace_refuses_unknown_documents_other_file_types_and_other_ids(service, tiny_corpus):
    service.ingest([tiny_corpus])
    before = snapshot(service, "klimapakt-ziele")

    unknown = service.replace_document("gibt-es-nicht", "x.md", HEAT_PUMP, actor="anna")
    other_type = service.replace_document("klimapakt-ziele", "ziele.txt", b"Ziele\nText.\n", actor="anna")
    other_id = service.replace_document(
        "klimapakt-ziele", "ziele.md", b"---\nid: ganz-anders\n---\n# Ziele\n\nText.\n", actor="anna"
    )

    assert unknown.status == FAILED and "„gibt-es-nicht“ nicht gefunden" in unknown.message
    assert other_type.status == FAILED and ".md-Datei" in other_type.message
    assert other_id.status == FAILED and "ganz-anders" in other_id.message
    assert snapshot(service, "klimapakt-ziele") == before
    assert service.registry.get("ganz-anders") is None
    assert not service.uploads_dir.exists() or stored_files(service) == []


# --- metadata -------------------------------------------------------------------------------------

def test_changing_the_sector_changes_what_a_sector_filter_finds_without_embedding(service, tiny_corpus, embedder):
    service.ingest([tiny_corpus])
    question = "Wie viele Leckagen wurden gefunden?"
    assert service.retrieve(question, filters={"sector": "metalworking"}).passages == []
    embedded = embedder.embedded_texts

    result = service.update_metadata("druckluft-notiz", {"sector": "metalworking", "year": "2024"}, actor="anna")

    assert result.status == UPDATED and "sector" in result.message and "year" in result.message
    assert embedder.embedded_texts == embedded
    passages = service.retrieve(question, filters={"sector": "metalworking"}).passages
    assert passages and {p.doc_id for p in passages} == {"druckluft-notiz"}
    assert [h.chunk_id for h in service.keyword.search(question, 5, {"sector": "metalworking", "year": 2024})] == [
        p.chunk_id for p in passages
    ]
    assert service.document_metadata("druckluft-notiz")["sector"] == "metalworking"
    assert service.registry.get("druckluft-notiz").metadata["year"] == 2024


def test_a_new_title_reembeds_the_chunks_and_shows_everywhere(service, tiny_corpus, embedder):
    service.ingest([tiny_corpus])
    chunks = service.store.count("baeckerei-abwaerme")
    embedded = embedder.embedded_texts

    result = service.update_metadata("baeckerei-abwaerme", {"title": "Abwärme in der Großbäckerei"}, actor="anna")

    assert result.title == "Abwärme in der Großbäckerei"
    texts = service.store.records({"doc_id": "baeckerei-abwaerme"})["documents"]
    assert chunks == len(texts) == 3
    assert embedder.embedded_texts - embedded == chunks  # every chunk again: it is embedded with its title
    assert service.registry.get("baeckerei-abwaerme").title == "Abwärme in der Großbäckerei"
    top = service.retrieve("Wie viel CO2e spart die Wärmerückgewinnung?").passages[0]
    assert top.doc_id == "baeckerei-abwaerme" and top.title == "Abwärme in der Großbäckerei"


def test_corrections_survive_a_new_ingest_a_reindex_and_a_replace(service, tiny_corpus):
    service.ingest([tiny_corpus])
    service.update_metadata("druckluft-notiz", {"sector": "metalworking", "measure_types": ["compressed-air"]}, "anna")
    note = tiny_corpus / "druckluft-notiz.txt"

    def corrected() -> bool:
        metadata = service.document_metadata("druckluft-notiz")
        chunks = service.store.records({"doc_id": "druckluft-notiz"}, ["metadatas"])["metadatas"]
        return (
            metadata["sector"] == "metalworking" and metadata["measure_types"] == ["compressed-air"]
            and bool(chunks) and all(m["sector"] == "metalworking" for m in chunks)
        )

    assert service.ingest([note])[0].status == UNCHANGED and corrected()
    note.write_text(note.read_text(encoding="utf-8") + "Die Amortisation dauerte acht Monate.\n", encoding="utf-8")
    assert service.ingest([note])[0].status == UPDATED and corrected()
    service.reindex([tiny_corpus])
    assert corrected()
    assert service.replace_document("druckluft-notiz", "neu.txt", NEW_COMPRESSED_AIR, "anna").status == UPDATED
    assert corrected()
    assert service.retrieve("Leckagen", filters={"measure_types": "compressed-air"}).passages[0].doc_id == (
        "druckluft-notiz"
    )


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"sector": "raumfahrt"}, "Unbekannte Branche „raumfahrt“"),
        ({"measure_types": ["heat-pump", "zauberei"]}, "Unbekannte Maßnahmenart „zauberei“"),
        ({"doc_type": "roman"}, "Unbekannte Dokumentart"),
        ({"language": "fr"}, "Unbekannte Sprache"),
        ({"language": ""}, "Sprache darf nicht leer sein"),
        ({"title": "  "}, "Titel darf nicht leer sein"),
        ({"year": 1989}, "von 1990 bis 2100"),
        ({"year": "2101"}, "von 1990 bis 2100"),
        ({"year": "zweitausend"}, "von 1990 bis 2100"),
        ({"sector": "logistics", "farbe": "grün"}, "„farbe“ kann nicht geändert werden"),
    ],
)
def test_invalid_metadata_is_refused_and_nothing_changes(service, tiny_corpus, changes, fragment):
    service.ingest([tiny_corpus])
    before = snapshot(service, "klimapakt-ziele")

    result = service.update_metadata("klimapakt-ziele", changes, actor="anna")

    assert result.status == FAILED and fragment in result.message, result.message
    assert snapshot(service, "klimapakt-ziele") == before
    assert service.registry.overrides("klimapakt-ziele") == {}


def test_clearing_a_field_removes_it_from_filters(service, tiny_corpus):
    service.ingest([tiny_corpus])
    company = {"company": "Klimapakt mit der Wirtschaft Düsseldorf"}
    assert service.retrieve("Ziele des Klimapakts", filters=company).passages

    result = service.update_metadata("klimapakt-ziele", {"company": ""}, actor="anna")

    assert result.status == UPDATED
    assert "company" not in service.document_metadata("klimapakt-ziele")
    assert service.retrieve("Ziele des Klimapakts", filters=company).passages == []


def test_unchanged_values_and_unknown_documents_change_nothing(service, tiny_corpus, embedder):
    service.ingest([tiny_corpus])
    record = service.registry.get("klimapakt-ziele")

    same = service.update_metadata("klimapakt-ziele", {"sector": "cross-sector", "year": 2023}, actor="anna")
    unknown = service.update_metadata("gibt-es-nicht", {"sector": "logistics"}, actor="anna")

    assert same.status == UNCHANGED and service.registry.get("klimapakt-ziele") == record
    assert unknown.status == FAILED and "nicht gefunden" in unknown.message
    assert service.registry.overrides("gibt-es-nicht") == {}


def test_metadata_of_a_document_whose_file_is_gone_is_not_changed(service, tiny_corpus):
    service.ingest([tiny_corpus])
    (tiny_corpus / "druckluft-notiz.txt").unlink()

    result = service.update_metadata("druckluft-notiz", {"sector": "metalworking"}, actor="anna")

    assert result.status == FAILED and "nicht gefunden" in result.message
    assert service.registry.overrides("druckluft-notiz") == {}
    assert "sector" not in service.document_metadata("druckluft-notiz")


def test_document_metadata_prefills_the_form_and_is_empty_for_unknown_ids(service, tiny_corpus):
    service.ingest([tiny_corpus])

    metadata = service.document_metadata("klimapakt-ziele")

    assert metadata["title"] == "Ziele des Klimapakts" and metadata["sector"] == "cross-sector"
    assert metadata["year"] == 2023 and metadata["language"] == "de" and metadata["doc_type"] == "pact"
    assert service.document_metadata("gibt-es-nicht") == {}


# --- delete and download --------------------------------------------------------------------------

def test_delete_removes_the_uploaded_file_so_a_sync_does_not_bring_it_back(service, solar_pdf):
    service.upload([("solar.pdf", solar_pdf), ("waermepumpe.md", HEAT_PUMP)], actor="anna")
    service.update_metadata("solar", {"sector": "logistics"}, actor="anna")

    assert service.delete_document("solar", actor="anna") is True

    assert stored_files(service) == ["waermepumpe.md"]
    assert service.registry.overrides("solar") == {}
    results, removed = service.sync_folder(service.uploads_dir)
    assert [r.doc_id for r in results] == ["waermepumpe"] and removed == []
    assert service.registry.get("solar") is None and service.store.count("solar") == 0
    assert service.delete_document("solar", actor="anna") is False


def test_delete_leaves_files_outside_the_uploads_folder_alone(service, tiny_corpus):
    service.ingest([tiny_corpus])

    assert service.delete_document("druckluft-notiz") is True

    assert (tiny_corpus / "druckluft-notiz.txt").is_file()
    assert service.audit.recent(limit=1)[0].actor == "cli"


@pytest.mark.parametrize(
    "doc_id",
    ["gibt-es-nicht", "../registry.sqlite3", "registry.sqlite3", "..", "", "documents/solar.pdf", "/etc/passwd"],
)
def test_document_file_serves_nothing_but_published_originals(service, solar_pdf, doc_id):
    service.upload([("solar.pdf", solar_pdf)], actor="anna")

    assert service.document_file(doc_id) is None
    assert service.document_file("solar") == service.uploads_dir / "solar.pdf"


def test_document_file_is_none_while_indexing_and_when_the_file_is_gone(service, solar_pdf, tiny_corpus):
    service.upload([("solar.pdf", solar_pdf)], actor="anna")
    service.ingest([tiny_corpus])
    record = service.registry.get("solar")
    fields = {k: v for k, v in record.__dict__.items() if k not in ("doc_id", "status", "updated_at")}
    service.registry.upsert("solar", status=INDEXING, **fields)
    (tiny_corpus / "druckluft-notiz.txt").unlink()

    assert service.document_file("solar") is None
    assert service.document_file("druckluft-notiz") is None
    assert service.document_file("klimapakt-ziele") == tiny_corpus / "klimapakt-ziele.md"


# --- audit and the login parts --------------------------------------------------------------------

def test_every_document_change_is_audited_with_its_actor(service, solar_pdf):
    service.upload([("solar.pdf", solar_pdf), ("kaputt.pdf", b"%PDF-1.4 kaputt")], actor="anna")
    service.replace_document("solar", "solar-neu.pdf", solar_pdf, actor="bernd")
    service.update_metadata("solar", {"sector": "logistics"}, actor="carla")
    service.update_metadata("solar", {"sector": "weltraum"}, actor="carla")
    service.delete_document("solar", actor="dora")

    entries = list(reversed(service.audit.recent()))

    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("anna", "document.upload", "solar"),
        ("anna", "document.upload", "kaputt.pdf"),
        ("bernd", "document.replace", "solar"),
        ("carla", "document.metadata", "solar"),
        ("carla", "document.metadata", "solar"),
        ("dora", "document.delete", "solar"),
    ]
    assert entries[0].detail == "added: 2 Abschnitte"
    assert entries[1].detail.startswith("failed: ") and "PDF" in entries[1].detail
    assert entries[2].detail.startswith("unchanged")
    assert entries[3].detail.startswith("updated") and '{"sector": "logistics"}' in entries[3].detail
    assert entries[4].detail.startswith("failed: Unbekannte Branche")
    assert entries[5].detail == "Photovoltaik bei der Spedition Muster"


def test_login_parts_use_the_configured_limits(settings, embedder):
    service = Klimawissen(settings.replace(session_hours=2.0, login_attempts=3), embedder=embedder)

    assert service.sessions.lifetime_seconds == 7200
    assert service.login_guard.attempts == 3
    assert service.accounts.all() == [] and service.feedback is service.feedback
