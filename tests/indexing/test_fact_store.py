"""Facts live with their documents: replaced on re-ingest, gone on delete, staff corrections kept."""

from assistant.service import Klimawissen
from tests.conftest import klimawissen_command, write_pdf

PAGES = [
    "Kurzfassung: Die Kaeserei Rheinblick kuehlt ihre Reifekeller mit Brunnenwasser.",
    "Ergebnisse: Die Gesamtinvestition betrug 84.000 EUR. Zusammen sparen die Massnahmen 42,5 t CO2e pro Jahr.",
]


def test_facts_follow_their_document_and_staff_corrections_survive_a_new_version(settings, fake_embedder, tmp_path):
    service = Klimawissen(settings, embedder=fake_embedder)
    pdf = write_pdf(tmp_path / "kaeserei.pdf", PAGES)
    assert service.ingest([pdf])[0].ok

    facts = {f.field: f for f in service.measure_facts("kaeserei")}
    assert facts["co2e_saved_t_per_year"].value == 42.5 and facts["co2e_saved_t_per_year"].page == 2
    assert facts["investment_eur"].value == 84000

    service.correct_fact("kaeserei", "investment_eur", 86000.0, actor="anna")
    service.correct_fact("kaeserei", "co2e_saved_t_per_year", None, actor="anna")  # confirm as extracted
    write_pdf(pdf, [PAGES[0], PAGES[1].replace("42,5 t", "44,0 t")])
    assert service.ingest([pdf])[0].status == "updated"

    facts = {f.field: f for f in service.measure_facts("kaeserei")}
    assert facts["investment_eur"].value == 86000.0 and facts["investment_eur"].origin == "staff"
    assert facts["co2e_saved_t_per_year"].value == 44.0  # re-read from the new version …
    assert facts["co2e_saved_t_per_year"].confirmed  # … and still marked as checked by staff
    assert ("anna", "fact.correct") in [(e.actor, e.action) for e in service.audit.recent()]

    assert service.delete_document("kaeserei", actor="anna")
    assert service.measure_facts("kaeserei") == []


def test_only_case_studies_yield_measure_facts(settings, fake_embedder, tiny_corpus):
    service = Klimawissen(settings, embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([tiny_corpus]))
    types = {d.doc_id: d.metadata.get("doc_type", "case-study") for d in service.documents()}
    assert types["klimapakt-ziele"] == "pact"
    with_facts = {f.doc_id for f in service.measure_facts()}
    assert with_facts and all(types[doc_id] == "case-study" for doc_id in with_facts)


def test_klimawissen_facts_lists_the_figures(tmp_path):
    (tmp_path / "corpus").mkdir()
    write_pdf(tmp_path / "corpus" / "kaeserei.pdf", PAGES)
    assert klimawissen_command("ingest", str(tmp_path / "corpus"), data_dir=tmp_path / "data").returncode == 0

    listed = klimawissen_command("facts", data_dir=tmp_path / "data")

    assert listed.returncode == 0
    assert "CO2e-Einsparung (t/a)" in listed.stdout and "42,5" in listed.stdout and "[S. 2]" in listed.stdout
    assert "84.000" in listed.stdout
