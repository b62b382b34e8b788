"""Measure facts: numbers in both notations, the figure of the right sentence, front matter first."""

from pathlib import Path

import pytest

from indexing.facts import extract_facts, extract_from_text, parse_number, programme_codes
from indexing.readers import read_file
from indexing.readers.base import ReadDocument, TextUnit


@pytest.mark.parametrize(
    "whole,fraction,language,expected",
    [("1.200", None, "de", 1200.0), ("1,200", None, "en", 1200.0), ("169", ",8", "de", 169.8),
     ("169", ".8", "en", 169.8), ("1.060.000", None, "de", 1060000.0), ("1,060,000", None, "en", 1060000.0),
     ("0", ",380", "de", 0.38), ("12", ".500", "de", 12500.0)],
)
def test_numbers_are_read_in_german_and_english_notation(whole, fraction, language, expected):
    assert parse_number(whole, fraction, language) == pytest.approx(expected)


def document(units: list[TextUnit], language: str = "de", figures: dict | None = None) -> ReadDocument:
    return ReadDocument("fall", Path("fall.md"), "hash", units, {"language": language}, "markdown", figures or {})


CASE = [
    TextUnit("Im Referenzjahr verursachte der Betrieb 1.788,4 t CO2e. Der Emissionsfaktor für Erdgas beträgt "
             "0,201 t CO2e/MWh.", page=1, heading="Ausgangslage"),
    TextUnit("| Position | Kosten |\n| Kompressor | 78.000 € |\n| Steuerung | 18.000 € |\n| **Summe** | **96.000 € ** |\n"
             "Die Energiekosten sinken um 24.300 € pro Jahr.", page=2, heading="Investition und Förderung"),
    TextUnit("Die Emissionen sinken um 90,0 t CO2e aus Erdgas, von denen 22,0 t CO2e für den Strom abgehen: "
             "netto 68,0 t CO2e pro Jahr. Gefördert wurde über die Bundesförderung für Energie- und "
             "Ressourceneffizienz in der Wirtschaft (EEW), Modul 4, mit 31.000 €. Die Investition amortisiert "
             "sich nach 2,7 Jahren.", page=3, heading="Ergebnisse"),
]


def test_the_saving_investment_funding_and_payback_are_told_apart_from_other_figures():
    facts = {fact.field: fact for fact in extract_from_text(document(CASE))}

    assert facts["co2e_saved_t_per_year"].value == pytest.approx(68.0)  # net, not baseline, factor or a part
    assert facts["co2e_saved_t_per_year"].page == 3
    assert facts["co2e_saved_t_per_year"].passage.startswith("Die Emissionen sinken um 90,0 t CO2e")
    assert facts["investment_eur"].value == pytest.approx(96000)  # the sum, not a row or a yearly saving
    assert facts["funding_eur"].value == pytest.approx(31000)
    assert facts["payback_years"].value == pytest.approx(2.7)
    assert facts["funding_programme"].value == "BAFA EEW Modul 4"


def test_english_notation_and_a_currency_before_the_number():
    text = "The investment totalled EUR 1,060,000. Emissions fall by 153.3 t CO2e per year: 35.5 t from commuting."
    facts = {fact.field: fact.value for fact in extract_from_text(document([TextUnit(text)], language="en"))}
    assert facts["investment_eur"] == pytest.approx(1_060_000)
    assert facts["co2e_saved_t_per_year"] == pytest.approx(153.3)


def test_front_matter_figures_win_and_take_their_place_in_the_text():
    figures = {"co2e_saved_t_per_year": 68.0, "investment_eur": 100000}
    facts = {f.field: f for f in extract_facts(document(CASE, figures=figures))}

    assert facts["co2e_saved_t_per_year"].origin == "front-matter" and facts["co2e_saved_t_per_year"].page == 3
    assert facts["investment_eur"].value == 100000 and facts["investment_eur"].page is None  # text says 96.000
    assert facts["payback_years"].origin == "text"


def test_programme_codes_compare_long_and_short_names():
    long = "Bundesförderung für Energie- und Ressourceneffizienz in der Wirtschaft (EEW), Modul 1 und Modul 4"
    assert programme_codes(long) == programme_codes("BAFA EEW Modul 4 und Modul 1") == [
        "BAFA EEW Modul 1", "BAFA EEW Modul 4"]
    assert programme_codes("KfW-Programm 270 und BEG EM") == ["BEG EM", "KfW 270"]


def test_the_corpus_pdfs_figures_come_from_the_text_alone():
    facts = {f.field: f for f in extract_facts(read_file(Path("corpus/documents/cs-oberbilker-drehteile-druckluft.pdf")))}
    assert facts["co2e_saved_t_per_year"].value == pytest.approx(169.8)
    assert facts["investment_eur"].value == pytest.approx(180000)
    assert all(f.origin == "text" and f.page for f in facts.values())


def facts_of(text: str, language: str = "de", heading: str = "") -> dict:
    return {fact.field: fact.value for fact in extract_from_text(document([TextUnit(text, 1, heading)], language))}


@pytest.mark.parametrize("text,language,field,expected", [
    ("The project cost €1.18m and cuts emissions by 135.3 tCO2e per year.", "en", "investment_eur", 1_180_000),
    ("The project cost €1.18m and cuts emissions by 135.3 tCO2e per year.", "en", "co2e_saved_t_per_year", 135.3),
    ("| **Investition gesamt** | **486 T€** |", "de", "investment_eur", 486_000),
    ("Insgesamt hat der Träger 1.836.000 € investiert.", "de", "investment_eur", 1_836_000),
    ("Die Anlage hat sich nach 30 Monaten amortisiert.", "de", "payback_years", 2.5),
    ("The chillers pay for themselves in 18 months.", "en", "payback_years", 1.5),
    ("Die Gesamtinvestition lag bei 1,385 Mio. €.", "de", "investment_eur", 1_385_000),  # not 1.385 billion
    ("The investment came to €212k.", "en", "investment_eur", 212_000),
    ("Auf einen Blick: 742,5 T€ Investition · 297 T€ Zuschuss (EEW Modul 4)", "de", "investment_eur", 742_500),
    ("In short: EUR 2.87m invested · EUR 615.5k in grants", "en", "investment_eur", 2_870_000),
    ("Das vermeidet 260,3 t CO2e jährlich.", "de", "co2e_saved_t_per_year", 260.3),
    ("In total the plant saves 2,410 MWh a year and 854.9 t CO2e.", "en", "co2e_saved_t_per_year", 854.9),
    ("| **Total** | **EUR 1.06m** |\nAgainst the extra cost of an electric car – about EUR 14,000 each – it paid off.",
     "en", "investment_eur", 1_060_000),
    ("Of the €184.5k invested, €145.5k remained after the grant.", "en", "investment_eur", 184_500),
    ("The extra electricity at EUR 155 per MWh costs EUR 65,100. The dryers cost EUR 1.68m.", "en",
     "investment_eur", 1_680_000),
    ("Die Nettoinvestition nach Zuschüssen beträgt 497.100 €. Investiert wurden 562.000 €.", "de",
     "investment_eur", 562_000),
    ("Die Betriebsemissionen fallen von 1.420 t auf rund 940 t CO2e. Damit vermeidet die Halle 479,6 t CO2e.",
     "de", "co2e_saved_t_per_year", 479.6),
    ("Die Klimabilanz verbessert sich um 128,2 t CO2e im Jahr (Erdgas 0,201 t, Strom 0,380 t CO2e je MWh).",
     "de", "co2e_saved_t_per_year", 128.2),
])
def test_notations_partners_write_in(text, language, field, expected):
    assert facts_of(text, language)[field] == pytest.approx(expected)


def test_an_emission_factor_is_not_a_saving():
    found = facts_of("With 0.267 t CO2e per MWh of diesel the fleet now emits less: the saving is 99.5 t CO2e a year.", "en")
    assert found["co2e_saved_t_per_year"] == pytest.approx(99.5)


def test_a_list_item_is_read_on_its_own():
    """The yearly saving in the item above must not make the investment below look like a yearly cost."""
    found = facts_of("• Kosteneinsparung: 67.900 € pro Jahr\n• Investition: 462.000 Euro (Photovoltaik 398.000 Euro)")
    assert found["investment_eur"] == 462_000


def test_the_project_total_beats_a_part_and_an_earlier_project():
    found = facts_of("Die letzte große Investition, eine Halle im Jahr 2017, kostete 1,1 Mio. €. Sechs E-Lkw kosteten "
                     "zusammen 1.590.000 €, die Ladeinfrastruktur 310.000 €. Die Gesamtinvestition lag damit bei 1,9 Mio. €.")
    assert found["investment_eur"] == 1_900_000


def test_a_metre_is_not_a_million():
    assert "investment_eur" not in facts_of("Die Halle ist 120m lang.")


def test_the_total_row_of_a_cost_table_is_the_investment():
    """The next row's "Gesamt" label belongs to the total, not to the line item above it."""
    table = "| Maßnahme | Kosten |\n|---|---|\n| Kabine | 76.500 € |\n| Kompressor | 17.500 € |\n| **Gesamt** | **94.000 €** |"
    assert facts_of(table, heading="Kosten")["investment_eur"] == 94_000
    pdf_table = ("Maßnahme Investition Zuschuss\nSechs Reinwasserpumpen mit IE5-Motoren und Frequenzumrichtern 690.000 €\n"
                 "Photovoltaikanlage auf dem Betriebsgelände 224.000 €\nGesamt 1.029.000 €")
    assert facts_of(pdf_table, heading="Investition")["investment_eur"] == 1_029_000


def test_an_exact_figure_after_a_rounded_one_keeps_its_cue_also_across_a_pdf_line_break():
    found = facts_of("• Vermiedene Emissionen: 296,4 Tonnen CO₂ jährlich\n• Investition: rund 1 Mio. € (genau\n"
                     "1.029.000 €), davon 241.000 € Zuschuss")
    assert found["investment_eur"] == 1_029_000


def test_energy_costs_are_not_an_investment():
    found = facts_of("Energy costs fall by €331,200 for electricity and €70,500 for gas. The investment of "
                     "EUR 2.64m pays back in 5.8 years.", "en")
    assert found["investment_eur"] == 2_640_000


def test_an_emission_level_is_not_a_saving_and_the_net_final_energy_is_the_energy_saving():
    found = facts_of("Its total energy-related emissions were about 5,200 t CO2e. In total, the project avoids "
                     "371.4 tonnes CO2e a year.", "en")
    assert found["co2e_saved_t_per_year"] == pytest.approx(371.4)
    found = facts_of("Erdgas −2.480 MWh/a, Strom +95 MWh/a, Endenergie netto −2.385 MWh/a.")
    assert found["energy_saved_mwh_per_year"] == 2_385


def test_a_saving_in_costs_is_not_an_investment():
    found = facts_of("The system cost EUR 412,000. Water and detergent cost EUR 14,050 less.", "en")
    assert found["investment_eur"] == 412_000


def test_a_figure_that_adds_up_the_parts_before_it_is_the_total():
    found = facts_of("Die Maschinen kosteten 1.812.000 €, das Druckluftsystem 148.000 € – zusammen 1,96 Mio. €.")
    assert found["investment_eur"] == 1_960_000
    # Grants that add up are no investment.
    found = facts_of("Die Investition betrug 880.000 €. Gefördert wurde mit 196.000 € von der KfW und 48.000 € "
                     "vom BAFA, zusammen 244.000 €.")
    assert found["investment_eur"] == 880_000


def test_a_currency_after_an_amount_starts_the_next_amount():
    from indexing.facts import QUANTITY, read_quantity

    amounts = [read_quantity(m, "en") for m in QUANTITY.finditer("Total EUR 1.68 million €585k")]
    assert amounts == [(pytest.approx(1_680_000), "eur"), (585_000, "eur")]


def test_a_cost_table_that_runs_on_over_a_page_break_still_adds_up():
    pages = [TextUnit("Gewerk Investition\nKälteanlage (Ammoniak, Glykolkreis) 2.380.000 €\nAbwärmenutzung "
                      "410.000 €\nLED-Hallenbeleuchtung 236.000 €", page=3, heading="Kosten und Finanzierung"),
             TextUnit("Planung, MSR-Technik 164.000 €\nGesamt 3.190.000 €", page=4, heading="Kosten und Finanzierung")]
    facts = {fact.field: fact.value for fact in extract_from_text(document(pages))}
    assert facts["investment_eur"] == 3_190_000
