"""The facilitator's case cards over a small corpus: facets, ordering, one card per document, company
sizes, similar examples, the comparison's cited cells and CO2e per euro, all through the real service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cases import (
    CASE_STUDY, SAME_SECTOR_BONUS, SHARED_MEASURE_BONUS, all_cases, case_cards, co2e_per_euro_by_measure,
    comparison_rows, format_number, lesson, similar_cases, size_bucket,
)
from assistant.service import Klimawissen
from tests.conftest import write_pdf
from ui.api import _document_view
from ui.rendering import section_anchor

# Hotel Delta and Kanzlei Epsilon describe their measure in the same words; only Delta shares Gamma's
# measure type, so "similar to Gamma" must prefer Delta.
SHARED_BODY = (
    "Das Gebäude bekam eine neue Regelung, gedämmte Leitungen und eine Lüftung mit Wärmerückgewinnung. "
    "Die Haustechnik prüft die Anlage jeden Monat."
)
# doc id -> company, sector, measure types, year, employees, t CO2e/a, investment €, payback, body, lesson section
CASES = {
    "spedition-alpha": ("Spedition Alpha GmbH", "logistics", ["fleet-electrification"], 2024, 249, 120.5, 300000, 6.0,
                        "Die Spedition ersetzt 20 Diesel-Transporter durch elektrische Transporter mit Ladepunkten "
                        "im Depot.",
                        ("Lessons learned", "- **Netzanschluss vor der Fahrzeugbestellung beantragen.** Sonst stehen "
                         "die Fahrzeuge ohne Strom da.")),
    "spedition-beta": ("Spedition Beta GmbH", "logistics", ["photovoltaics"], 2023, 30, 80.25, 150000, 9.5,
                       "Auf dem Hallendach der Spedition liefert eine Photovoltaikanlage Strom für Lager und Büro.",
                       ("Lessons learned", "- Statik des Dachs zuerst prüfen. Das spart Umplanungen.")),
    "baeckerei-gamma": ("Bäckerei Gamma KG", "food-production", ["heat-pump", "waste-heat-recovery"], 2024, 260, 40.0,
                        90000, 3.5,
                        "Eine Wärmepumpe nutzt die Abwärme der Backöfen und der Kühlräume für Heizung und "
                        "Warmwasser.",
                        ("Erfahrungen", "Abwärmequellen vor der Planung messen. Dann passt die Wärmepumpe.")),
    "hotel-delta": ("Hotel Delta GmbH", "hospitality", ["heat-pump"], 2023, 50, 60.0, 240000, 12.0, SHARED_BODY,
                    ("Tipps für andere Betriebe", "1. Mit dem Schornsteinfeger früh reden. Er kennt das Haus.")),
    "kanzlei-epsilon": ("Kanzlei Epsilon", "services", ["building-envelope"], 2022, 49, 10.0, 0, 4.0, SHARED_BODY,
                        ("Auf einen Blick", "Die Kanzlei hat ihr Dach gedämmt. Die Heizkosten sanken.")),
}
# A PDF case study: its figures are read from the text, with the page they stand on.
PDF_CASE = {
    "id": "druckerei-zeta", "title": "Druckerei Zeta: Druckluft ohne Lecks", "company": "Druckerei Zeta GmbH",
    "sector": "printing", "measure_types": ["compressed-air"], "year": 2022, "language": "de", "doc_type": CASE_STUDY,
}
PDF_PAGES = [
    "Druckerei Zeta GmbH\nDie Druckerei druckt Kataloge in Heerdt.",
    "Ergebnisse\nNach der Sanierung spart die Druckerei 75,5 t CO2e pro Jahr. Die Investition betrug 151.000 Euro.",
]


def case_markdown(doc_id: str, company, sector, measures, year, employees, co2e, investment, payback, body,
                  lesson_section) -> str:
    heading, text = lesson_section
    co2e_de = format_number(co2e, "de")
    return f"""---
id: {doc_id}
title: "{company}: Fallbeispiel"
company: "{company}"
sector: {sector}
measure_types: [{", ".join(measures)}]
year: {year}
language: de
doc_type: case-study
figures:
  co2e_saved_t_per_year: {co2e}
  investment_eur: {investment}
  employees: {employees}
  payback_years: {payback}
---

# {company}: Fallbeispiel

## Unternehmensprofil

{company} hat {employees} Beschäftigte.

## Maßnahme

{body}

## Ergebnisse

Die Maßnahme spart {co2e_de} t CO2e pro Jahr.

## {heading}

{text}
"""


def write_case(folder: Path, doc_id: str, case: tuple) -> Path:
    path = folder / f"{doc_id}.md"
    path.write_text(case_markdown(doc_id, *case), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "faelle"
    folder.mkdir()
    for doc_id, case in CASES.items():
        write_case(folder, doc_id, case)
    (folder / "leitfaden-waermepumpe.md").write_text(
        "---\nid: leitfaden-waermepumpe\ntitle: Leitfaden Wärmepumpe\nsector: cross-sector\n"
        "measure_types: [heat-pump]\n"
        "year: 2024\nlanguage: de\ndoc_type: guide\n---\n# Leitfaden\n\n## Lessons learned\n\nEine Wärmepumpe nutzt "
        "Abwärme der Backöfen für Heizung und Warmwasser.\n", encoding="utf-8")
    pdf = write_pdf(folder / "druckerei-zeta.pdf", PDF_PAGES, title=PDF_CASE["title"])
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(pdf))
    writer.add_metadata({"/KlimawissenMeta": json.dumps(PDF_CASE)})
    writer.write(str(pdf))
    return folder


@pytest.fixture
def service(settings, fake_embedder, corpus) -> Klimawissen:
    service = Klimawissen(settings.replace(min_relevance=0.0), embedder=fake_embedder)
    results = service.ingest([corpus])
    assert all(r.ok for r in results), [r.message for r in results]
    return service


def ids(cards) -> list[str]:
    return [card.doc_id for card in cards]


def test_without_a_query_every_case_study_once_by_co2e_saved(service):
    cards = case_cards(service)

    assert "leitfaden-waermepumpe" not in ids(cards)  # a guide is no case study
    expected = sorted([*CASES, "druckerei-zeta"],
                      key=lambda d: -(CASES[d][5] if d in CASES else 75.5))
    assert ids(cards) == expected
    alpha = cards[0]
    assert (alpha.company, alpha.sector, alpha.measure_types, alpha.year, alpha.employees) == (
        "Spedition Alpha GmbH", "logistics", ["fleet-electrification"], 2024, 249)
    assert alpha.facts["co2e_saved_t_per_year"].value == 120.5


def test_facets_filter_sector_measure_size_and_year(service):
    assert set(ids(case_cards(service, sector="logistics"))) == {"spedition-alpha", "spedition-beta"}
    assert set(ids(case_cards(service, measure="heat-pump"))) == {"baeckerei-gamma", "hotel-delta"}
    assert set(ids(case_cards(service, year=2024))) == {"spedition-alpha", "baeckerei-gamma"}
    assert set(ids(case_cards(service, year="2023", sector="logistics"))) == {"spedition-beta"}
    assert set(ids(case_cards(service, size="klein"))) == {"spedition-beta", "kanzlei-epsilon"}
    assert set(ids(case_cards(service, size="mittel"))) == {"spedition-alpha", "hotel-delta"}
    assert set(ids(case_cards(service, size="groß"))) == {"baeckerei-gamma"}
    assert case_cards(service, sector="logistics", measure="heat-pump") == []


def test_size_buckets_at_their_boundaries():
    assert [size_bucket(n) for n in (1, 49, 50, 249, 250, 5000)] == [
        "klein", "klein", "mittel", "mittel", "groß", "groß"]
    assert size_bucket(None) == ""


def test_a_query_ranks_by_retrieval_with_one_card_per_document(service):
    cards = case_cards(service, "Wärmepumpe Abwärme der Backöfen")

    assert cards[0].doc_id == "baeckerei-gamma"
    assert len(ids(cards)) == len(set(ids(cards)))  # every company once, however many passages matched
    assert "leitfaden-waermepumpe" not in ids(cards)  # the guide says the same words but is no case study
    # The facets still hold with a query, also the size (which the index cannot filter on).
    assert set(ids(case_cards(service, "Spedition", sector="logistics"))) == {"spedition-alpha", "spedition-beta"}
    medium = ids(case_cards(service, "Spedition Transporter", size="mittel"))
    assert medium[0] == "spedition-alpha" and set(medium) <= {"spedition-alpha", "hotel-delta"}


def test_a_query_unlike_every_passage_finds_nothing(service):
    strict = service.variant(min_relevance=0.5)
    assert case_cards(strict, "Quantenchromodynamik Gluonen") == []
    assert case_cards(strict, "elektrische Transporter Ladepunkte Depot Spedition")[0].doc_id == "spedition-alpha"


def test_the_lesson_is_the_first_sentence_of_the_lessons_section_else_of_the_summary(service):
    assert lesson(service, "spedition-alpha") == "Netzanschluss vor der Fahrzeugbestellung beantragen."
    assert lesson(service, "baeckerei-gamma") == "Abwärmequellen vor der Planung messen."
    assert lesson(service, "hotel-delta") == "Mit dem Schornsteinfeger früh reden."
    assert lesson(service, "kanzlei-epsilon") == "Die Kanzlei hat ihr Dach gedämmt."
    card = next(c for c in case_cards(service) if c.doc_id == "spedition-alpha")
    assert card.lesson == "Netzanschluss vor der Fahrzeugbestellung beantragen."
    assert card.lesson_link == "/dokumente/spedition-alpha#" + section_anchor("Lessons learned")


def test_lessons_are_cached_until_the_document_changes(service, corpus, monkeypatch):
    case_cards(service)
    store = service.store
    reads = []
    real_records = store.records

    def counting_records(where=None, *args, **kwargs):
        reads.append(where)
        return real_records(where, *args, **kwargs)

    monkeypatch.setattr(store, "records", counting_records)
    case_cards(service)
    case_cards(service, sector="logistics")
    assert reads == []  # nothing read again for an unchanged document

    changed = list(CASES["spedition-beta"])
    changed[9] = ("Lessons learned", "- Mit dem Netzbetreiber früh sprechen. Die Zählersetzung dauert.")
    write_case(corpus, "spedition-beta", tuple(changed))
    assert service.ingest([corpus / "spedition-beta.md"])[0].ok
    reads.clear()  # the ingestion's own reads
    cards = {c.doc_id: c for c in case_cards(service)}
    assert cards["spedition-beta"].lesson == "Mit dem Netzbetreiber früh sprechen."
    assert reads == [{"doc_id": "spedition-beta"}]  # only the new version was read


def test_similar_cases_never_contain_the_case_itself_and_prefer_a_shared_measure_type(service):
    similar = similar_cases(service, "baeckerei-gamma", k=10)
    found = [s.card.doc_id for s in similar]

    assert "baeckerei-gamma" not in found
    assert sorted(found) == sorted(set(all_cases_ids(service)) - {"baeckerei-gamma"})
    delta = next(s for s in similar if s.card.doc_id == "hotel-delta")
    epsilon = next(s for s in similar if s.card.doc_id == "kanzlei-epsilon")
    # Same words, so nearly the same text similarity; the shared heat pump puts Delta first.
    assert abs(delta.similarity - epsilon.similarity) < SHARED_MEASURE_BONUS
    assert delta.shared_measures == ("heat-pump",) and epsilon.shared_measures == ()
    assert found.index("hotel-delta") < found.index("kanzlei-epsilon")
    for item in similar:
        bonus = SHARED_MEASURE_BONUS * len(item.shared_measures) + (SAME_SECTOR_BONUS if item.same_sector else 0.0)
        assert item.score == pytest.approx(item.similarity + bonus)
    assert [s.score for s in similar] == sorted((s.score for s in similar), reverse=True)
    assert len(similar_cases(service, "baeckerei-gamma")) == 4  # k defaults to 4
    # The same sector counts too: Alpha's closest peer shares its sector, not its measure.
    beta = next(s for s in similar_cases(service, "spedition-alpha", k=10) if s.card.doc_id == "spedition-beta")
    assert beta.same_sector and beta.shared_measures == ()
    assert similar_cases(service, "leitfaden-waermepumpe") == [] and similar_cases(service, "gibt-es-nicht") == []


def all_cases_ids(service) -> list[str]:
    return [card.doc_id for card in all_cases(service)]


def test_comparison_cells_carry_the_value_and_the_place_it_stands(service, corpus):
    cards = {c.doc_id: c for c in case_cards(service)}
    compared = [cards["spedition-alpha"], cards["druckerei-zeta"], cards["kanzlei-epsilon"]]
    rows = {row.field: row.cells for row in comparison_rows(compared)}

    alpha, zeta, epsilon = rows["co2e_saved_t_per_year"]
    assert alpha.text == "120,5 t CO2e/a" and alpha.heading == "Ergebnisse" and alpha.page is None
    assert alpha.link == f"/dokumente/spedition-alpha#{section_anchor('Ergebnisse')}"
    # The document view has exactly that anchor.
    assert f'id="{section_anchor("Ergebnisse")}"' in _document_view(corpus / "spedition-alpha.md")
    assert zeta.text == "75,5 t CO2e/a" and zeta.page == 2 and zeta.link == "/dokumente/druckerei-zeta#page=2"
    assert epsilon.text == "10 t CO2e/a"
    assert [c.text for c in rows["investment_eur"]] == ["300.000 €", "151.000 €", "0 €"]
    assert rows["investment_eur"][1].link == "/dokumente/druckerei-zeta#page=2"
    assert [c.text for c in rows["employees"]][0] == "249 Beschäftigte"
    assert rows["employees"][0].link.endswith("#" + section_anchor("Unternehmensprofil"))
    # A figure only in the front matter: the value, and the document as its source.
    payback = rows["payback_years"][0]
    assert payback.text == "6 Jahre" and payback.page is None and payback.link == "/dokumente/spedition-alpha"
    assert rows["payback_years"][1].text == ""  # the PDF does not say
    assert "funding_eur" not in rows  # no case has it: no empty row
    english = {row.field: row.cells for row in comparison_rows(compared, "en")}
    assert english["investment_eur"][0].text == "€300,000" and english["payback_years"][0].text == "6 years"


def test_co2e_per_euro_is_the_mean_per_measure_type_of_the_cases_with_both_figures(service):
    cards = case_cards(service)
    figures = {d: (c[2], c[5], c[6]) for d, c in CASES.items()}
    figures["druckerei-zeta"] = (["compressed-air"], 75.5, 151000)
    expected: dict[str, list[float]] = {}
    for measures, co2e, investment in figures.values():
        if investment:  # Epsilon invested nothing: no ratio
            for measure in measures:
                expected.setdefault(measure, []).append(co2e * 1000 / (investment / 1000))
    means = {measure: sum(values) / len(values) for measure, values in expected.items()}

    result = co2e_per_euro_by_measure(cards)

    assert {m.measure_type: m.kg_co2e_per_1000_eur for m in result} == pytest.approx(means)
    assert "building-envelope" not in {m.measure_type for m in result}
    heat_pump = next(m for m in result if m.measure_type == "heat-pump")
    assert set(heat_pump.doc_ids) == {"baeckerei-gamma", "hotel-delta"}
    assert heat_pump.kg_co2e_per_1000_eur == pytest.approx((40.0e6 / 90000 + 60.0e6 / 240000) / 2)  # 347.2
    assert [m.kg_co2e_per_1000_eur for m in result] == sorted((m.kg_co2e_per_1000_eur for m in result), reverse=True)
    assert co2e_per_euro_by_measure([c for c in cards if c.doc_id == "kanzlei-epsilon"]) == []


def test_a_card_links_to_where_its_headline_figure_stands(service):
    cards = {c.doc_id: c for c in case_cards(service)}

    assert cards["druckerei-zeta"].link == "/dokumente/druckerei-zeta#page=2"  # the PDF page with the result
    assert cards["druckerei-zeta"].link_page == 2
    alpha = cards["spedition-alpha"]
    assert (alpha.link, alpha.link_page, alpha.link_heading) == (
        f"/dokumente/spedition-alpha#{section_anchor('Ergebnisse')}", None, "Ergebnisse")
