import pytest

from assistant.conversation import is_follow_up, standalone_query


@pytest.mark.parametrize(
    "question",
    ["Und wie lange hat sich das amortisiert?", "Welche Förderung gab es dafür?", "What did it cost?",
     "And how many vans did they buy?", "Wie viel hat sie investiert?", "Wie lange hat das Ganze gedauert?"],
)
def test_follow_ups_are_read_with_the_previous_question(question):
    previous = "Wie hat die Hirschberg-Klinik ihre Heizung optimiert?"
    assert is_follow_up(question)
    assert standalone_query(question, [previous]) == f"{previous} {question}"


@pytest.mark.parametrize(
    "question",
    ["Welche Förderung gibt es für Druckluft?", "Wie viel CO2 spart die Bäckerei Conradi pro Jahr?",
     "Welche Förderung können Sie für eine Wärmepumpe beantragen?"],
)
def test_self_contained_questions_stay_as_they_are(question):
    assert not is_follow_up(question)
    assert standalone_query(question, ["Wer hielt den Impulsvortrag?"]) == question


def test_without_history_nothing_is_added():
    assert standalone_query("Und was hat das gekostet?", []) == "Und was hat das gekostet?"


def test_a_pronoun_at_the_end_points_back_but_an_article_does_not():
    assert is_follow_up("Was hat das gekostet?")
    assert not is_follow_up("Was kostet das Projekt in Bilk?")
