import pytest

from assistant.verification import quantities, verify_answer

PASSAGES = [
    "Die Gesamtinvestition betrug 180.000 €. Die Amortisationszeit liegt bei 1,5 Jahren.",
    "Vermieden werden 169,8 t CO2e pro Jahr; der Stromverbrauch sank um 305 MWh (42 %).",
]


@pytest.mark.parametrize(
    "written, expected",
    [("1.200 kW", 1200.0), ("1,200 kW", 1200.0), ("1200 kW", 1200.0), ("28,1 t", 28.1), ("28.1 t", 28.1)],
)
def test_number_notations_are_read_as_the_same_value(written, expected):
    assert expected in quantities(written)[0].values


def test_a_supported_answer_keeps_every_sentence():
    result = verify_answer(
        "Die Investition betrug 180.000 € [1]. Eingespart werden 169,8 t CO2e pro Jahr [2]. "
        "Sie amortisiert sich in 1.5 years [1].",
        PASSAGES,
    )
    assert [c.ok for c in result.checks] == [True, True, True]
    assert result.supported_share() == 1.0


def test_an_unmarked_sentence_gets_the_marker_of_the_passage_that_holds_it():
    result = verify_answer("Vermieden werden pro Jahr 169,8 t CO2e.", PASSAGES)
    assert result.checks[0].ok and result.text == "Vermieden werden pro Jahr 169,8 t CO2e. [2]"
    invented = verify_answer("Vermieden werden pro Jahr 199,8 t CO2e.", PASSAGES)
    assert not invented.checks[0].ok and invented.checks[0].problems[0] == "keine Quellenangabe"


def test_wrong_citation_invented_number_and_missing_marker_are_dropped():
    result = verify_answer(
        "Die Investition betrug 180.000 € [3]. Eingespart werden 196,8 t CO2e [2]. "
        "Der Strom sank um 305 MWh [2]. Das ist ein großer Erfolg.",
        PASSAGES,
    )
    problems = [c.problems for c in result.checks]
    assert "existiert nicht" in problems[0][0]
    assert problems[1] == ["Zahl nicht in der zitierten Quelle belegt"]
    assert problems[2] == []
    assert problems[3] == ["keine Quellenangabe"]
    assert result.text == "Der Strom sank um 305 MWh [2]."


def test_a_number_must_be_in_the_cited_passage_not_just_any_passage():
    result = verify_answer("Vermieden werden 169,8 t CO2e [1].", PASSAGES)
    assert not result.checks[0].ok


def test_units_must_agree():
    result = verify_answer("Vermieden werden 169,8 kt CO2e [2].", PASSAGES)
    assert not result.checks[0].ok


def test_markers_after_the_full_stop_count_for_their_sentence():
    result = verify_answer("Die Investition betrug 180.000 €. [1] Vermieden werden 169,8 t CO2e. [2]", PASSAGES)
    assert [c.ok for c in result.checks] == [True, True] and result.checks[1].markers == [2]


@pytest.mark.parametrize("reply,expected", [
    ("According to Source 1, the bakery saves 140 MWh of gas a year.", "The bakery saves 140 MWh of gas a year [1]."),
    ("Laut Quelle 1 spart die Bäckerei 140 MWh Erdgas im Jahr.", "Laut Quelle [1] spart die Bäckerei 140 MWh Erdgas im Jahr."),
])
def test_written_out_source_mentions_count_as_markers(reply, expected):
    verification = verify_answer(reply, ["Die Abwärme der Öfen spart 140 MWh Erdgas im Jahr."])
    assert verification.text == expected and verification.checks[0].ok


def test_an_unmarked_sentence_whose_numbers_a_passage_holds_needs_less_word_overlap():
    passages = ["Die Bäckerei Conradi ersetzt Erdgas durch die Abwärme der Tunnelöfen: 1.366 MWh im Jahr.",
                "Die Kfz-Werkstatt spart 58 MWh Heizöl."]
    verification = verify_answer("Conradi nutzt so 1.366 MWh weniger Gas.", passages)
    assert verification.checks[0].ok and verification.text.endswith("[1]")
    unsupported = verify_answer("Conradi nutzt so 2.000 MWh weniger Gas.", passages)
    assert not unsupported.checks[0].ok
