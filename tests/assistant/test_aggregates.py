"""Questions over all case studies are answered from the measure facts, with a cited table."""

import pytest

from assistant.aggregates import parse_aggregate
from assistant.service import Klimawissen

CASES = {
    "spedition-a.md": ("Spedition Alpha GmbH", "logistics", "fleet-electrification", 120.5, 300000, 6.0),
    "spedition-b.md": ("Spedition Beta GmbH", "logistics", "photovoltaics", 80.25, 150000, 9.5),
    "baeckerei-c.md": ("Bäckerei Gamma KG", "food-production", "heat-pump", 40.0, 90000, 3.5),
}


def case_study(company, sector, measure, co2e, investment, payback) -> str:
    return f"""---
title: "{company}: Fallbeispiel"
company: "{company}"
sector: {sector}
measure_types: [{measure}]
year: 2024
language: de
doc_type: case-study
figures:
  co2e_saved_t_per_year: {co2e}
  investment_eur: {investment}
  payback_years: {payback}
---

# {company}

## Ergebnisse

Die Maßnahme spart {str(co2e).replace('.', ',')} t CO2e pro Jahr. Die Investition betrug {investment} €.
"""


@pytest.fixture
def service(settings, fake_embedder, tmp_path):
    corpus = tmp_path / "faelle"
    corpus.mkdir()
    for name, case in CASES.items():
        (corpus / name).write_text(case_study(*case), encoding="utf-8")
    service = Klimawissen(settings.replace(min_relevance=0.0), embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([corpus]))
    return service


def test_a_total_adds_the_sector_and_cites_every_row(service):
    answer = service.ask("Wie viel CO2 sparen die Partner aus der Logistik zusammen?")

    assert answer.backend == "facts"
    expected = sum(case[3] for case in CASES.values() if case[1] == "logistics")
    assert f"{expected:.1f}".replace(".", ",") in answer.text  # 200,8
    assert "2 Fallbeispiele der Branche Logistik" in answer.text
    assert [row[0] for row in answer.table] == ["Spedition Alpha GmbH: Fallbeispiel", "Spedition Beta GmbH: Fallbeispiel"]
    assert [c.passage.doc_id for c in answer.citations] == ["spedition-a", "spedition-b"]
    assert all("t CO2e" in c.passage.text for c in answer.citations)  # the sentence the figure stands in


def test_the_shortest_payback_is_found_over_all_case_studies_in_english(service):
    answer = service.ask("Which measure has the shortest payback?")

    assert answer.backend == "facts" and answer.table[0][0].startswith("Bäckerei Gamma")
    assert "3.5 years" in answer.text and "lowest" in answer.text
    assert [row[1] for row in answer.table] == ["3.5 years", "6 years", "9.5 years"]


def test_questions_about_one_company_or_a_follow_up_are_not_aggregates(service):
    assert service.ask("Wie viel CO2 spart die Spedition Alpha insgesamt?").backend != "facts"
    assert service.ask("Und wie viel CO2 sparen die Partner zusammen?", history=["Was macht Alpha?"]).backend != "facts"


@pytest.mark.parametrize("question,field,operation,sector,measure", [
    ("Wie viel CO2 sparen die Partner aus der Logistik zusammen?", "co2e_saved_t_per_year", "sum", "logistics", ""),
    ("Welche Partner haben am meisten in Wärmepumpen investiert?", "investment_eur", "max", "", "heat-pump"),
    ("How much energy do the partners save in total?", "energy_saved_mwh_per_year", "sum", "", ""),
])
def test_parsing_names_field_operation_and_scope(question, field, operation, sector, measure):
    asked = parse_aggregate(question)
    assert (asked.field, asked.operation, asked.sector, asked.measure) == (field, operation, sector, measure)


def test_ordinary_questions_are_not_parsed_as_aggregates():
    assert parse_aggregate("Welche Förderung gibt es für Druckluft?") is None
    assert parse_aggregate("Wer hielt den Impulsvortrag beim ersten Netzwerktreffen?") is None
