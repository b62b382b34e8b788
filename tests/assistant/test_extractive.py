import re
from dataclasses import replace

from assistant.answering import ExtractiveAnswerer
from assistant.retrieval import Passage


def passage(chunk_id: str, text: str, score: float) -> Passage:
    return Passage(chunk_id, text, score, {"doc_id": chunk_id.split("::")[0], "title": chunk_id})


PASSAGES = [
    passage("a::0", "Die Bäckerei nutzt die Abwärme der Öfen. Die Abwärme spart 140 MWh Erdgas im Jahr.", 0.9),
    passage("b::0", "Kennzahl | vorher | nachher | Erdgas | 900 MWh | 760 MWh. Das Wetter war gut.", 0.8),
    passage("c::0", "Die Abwärme spart 140 MWh Erdgas im Jahr. Ein Satz über etwas ganz anderes hier.", 0.7),
]


def test_best_matching_sentences_with_markers_in_passage_order():
    answer = ExtractiveAnswerer(max_sentences=2).answer("Wie viel Erdgas spart die Abwärme?", PASSAGES)

    assert answer.text == "Die Bäckerei nutzt die Abwärme der Öfen. [1] Die Abwärme spart 140 MWh Erdgas im Jahr. [1]"
    assert [c.passage.chunk_id for c in answer.citations] == ["a::0"]


def test_duplicates_and_table_rows_are_skipped_and_markers_match_citations():
    answer = ExtractiveAnswerer(max_sentences=3).answer("Erdgas MWh vorher nachher Abwärme", PASSAGES)

    assert "|" not in answer.text
    assert answer.text.count("Die Abwärme spart 140 MWh Erdgas im Jahr.") == 1
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.number for c in answer.citations}


def test_no_passages_means_nothing_found():
    answer = ExtractiveAnswerer().answer("Was kostet ein Windrad?", [])
    assert answer.abstained and "nichts gefunden" in answer.text


CASE = [
    passage("lindemann::0", "Die Druckhaus Lindemann GmbH druckt in Heerdt Kataloge und Magazine für den Handel. "
            "Bei der Ultraschall-Messung wurden 214 Leckagen gefunden.", 0.9),
]
CASE[0].metadata["title"] = "Druckhaus Lindemann: Druckluft"


def test_words_of_the_document_title_count_less_than_the_asked_thing():
    # Without the title discount, "Druckhaus Lindemann" outweighs "gefunden" and the intro sentence wins.
    answer = ExtractiveAnswerer(max_sentences=1).answer("Was hat das Druckhaus Lindemann gefunden?", CASE)
    assert answer.text.startswith("Bei der Ultraschall-Messung wurden 214 Leckagen gefunden.")


def test_a_question_for_a_number_prefers_a_sentence_with_a_number():
    passages = [passage("a::0", "Die Anlage hat sich schnell bezahlt gemacht, sagt der Inhaber. "
                        "Sie hat sich nach 4,5 Jahren bezahlt gemacht.", 0.9)]
    answer = ExtractiveAnswerer(max_sentences=1).answer("Nach wie vielen Jahren hat sich die Anlage bezahlt gemacht?", passages)
    assert "4,5 Jahren" in answer.text


def test_a_sentence_close_in_meaning_wins_over_one_that_only_shares_the_words():
    """The answer says "Erdgasverbrauch … gesunken", the question "weniger Gas": no shared stem. The
    sentence similarities retrieval attaches to the passage pick it; by words alone the restated topic wins."""
    text = ("Die Bäckerei Kraus wollte weniger Gas verbrauchen. "
            "Seit dem Umbau ist der Erdgasverbrauch um ein Drittel gesunken.")
    scored = replace(passage("kraus::0", text, 0.9), sentence_scores=(0.84, 0.90))
    question = "Verbraucht die Bäckerei jetzt weniger Gas?"

    assert ExtractiveAnswerer(max_sentences=1, similarity_weight=0.0).answer(question, [scored]).text.startswith("Die Bäckerei Kraus")
    assert ExtractiveAnswerer(max_sentences=1).answer(question, [scored]).text.startswith("Seit dem Umbau")
