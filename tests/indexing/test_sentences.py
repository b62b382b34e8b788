import pytest

from indexing.sentences import split_sentences


@pytest.mark.parametrize(
    "text",
    [
        "Die Teekanne GmbH & Co. KG lud ein.",
        "Das Treffen war am 5. Dezember im TechHub.K67.",
        "Die Anlage spart ca. 30 % Strom, z. B. nachts.",
        "Investiert wurden rd. 85.000 €, d. h. weniger als geplant.",
        "Gemäß Nr. 3 der Richtlinie gilt das u. a. für Dr. Weber.",
        "Im 2. Quartal 2024 ging die Anlage in Betrieb.",
        "The plan, e.g. for vans, works.",
    ],
)
def test_abbreviations_and_ordinals_do_not_end_a_sentence(text):
    assert split_sentences(text) == [text]


def test_sentence_ends_are_found_in_german_and_english():
    text = "Die Anlage läuft seit 2023. Sie spart 140 MWh. Does it pay off? Yes, after 3.2 years!"
    assert split_sentences(text) == [
        "Die Anlage läuft seit 2023.",
        "Sie spart 140 MWh.",
        "Does it pay off?",
        "Yes, after 3.2 years!",
    ]


def test_list_items_table_rows_and_paragraphs_start_new_sentences():
    text = "Ergebnisse\n- Strom: minus 18 %\n- Gas: minus 40 %\n| Jahr | MWh |\n| 2023 | 140 |\n\nNeuer Absatz"
    assert split_sentences(text) == [
        "Ergebnisse", "- Strom: minus 18 %", "- Gas: minus 40 %", "| Jahr | MWh |", "| 2023 | 140 |", "Neuer Absatz",
    ]


def test_whitespace_inside_a_sentence_is_normalised():
    assert split_sentences("Die  Wärme-\npumpe\tläuft.") == ["Die Wärme- pumpe läuft."]


def test_citation_markers_after_the_full_stop_stay_with_their_sentence():
    text = "Die Anlage spart 140 MWh. [1] Sie kostete 85.000 €. [2] [3] Fertig."
    assert split_sentences(text) == ["Die Anlage spart 140 MWh. [1]", "Sie kostete 85.000 €. [2] [3]", "Fertig."]
