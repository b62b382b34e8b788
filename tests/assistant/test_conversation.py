import pytest

from assistant.answering.local_model import LocalModelBusy
from assistant.conversation import (
    MAX_CONTEXT_TURNS,
    MAX_REWRITE_TOKENS,
    MAX_TURN_CHARS,
    REWRITE_RULES,
    is_follow_up,
    model_rewrite,
    standalone_query,
)
from tests.conftest import ScriptedChatModel


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


OPENING = "Was hat die Druckerei Lindemann an ihren Kompressoren geändert?"


def test_a_chain_of_follow_ups_is_read_back_to_the_question_that_stood_on_its_own():
    chat = ["Wer hielt den Impulsvortrag?", OPENING, "Was hat das gekostet?"]

    query = standalone_query("Und wann hat es sich bezahlt gemacht?", chat)

    assert query == f"{OPENING} Was hat das gekostet? Und wann hat es sich bezahlt gemacht?"


def test_a_long_chain_is_read_back_only_so_far():
    follow_ups = ["Und was hat das gekostet?", "Und wie viel Strom spart es?", "Und gab es Förderung dafür?",
                  "Und wie lange hat das gedauert?"]

    query = standalone_query("Und wer hat das geplant?", [OPENING, *follow_ups])

    assert query == " ".join([*follow_ups[-MAX_CONTEXT_TURNS:], "Und wer hat das geplant?"])


PREVIOUS = "Wie viel Erdgas spart die Wärmerückgewinnung der Großbäckerei Müller?"


def test_the_model_restates_a_follow_up_from_the_previous_question_in_its_language():
    model = ScriptedChatModel("Eigenständige Frage: „Wie viel CO2 spart die Wärmerückgewinnung der Großbäckerei?“")

    restated = model_rewrite(model, "Und wie viel CO2 spart sie?", ["Wer hielt den Vortrag?", PREVIOUS])

    assert restated == "Wie viel CO2 spart die Wärmerückgewinnung der Großbäckerei?"
    (messages,) = model.calls
    assert model.options == [{"max_tokens": MAX_REWRITE_TOKENS, "temperature": 0.0}]  # short and greedy
    assert messages[0].content == REWRITE_RULES["de"]
    assert PREVIOUS in messages[-1].content and "Und wie viel CO2 spart sie?" in messages[-1].content
    english = ScriptedChatModel("What did the bakery's heat recovery cost?")
    assert model_rewrite(english, "And what did it cost?", [PREVIOUS]) == "What did the bakery's heat recovery cost?"
    assert english.calls[0][0].content == REWRITE_RULES["en"]


@pytest.mark.parametrize(
    "reply",
    ["Ja, der Stromverbrauch steigt deutlich.", PREVIOUS, "", RuntimeError("server down"),
     "How much CO2 does the bakery's heat recovery save?",
     "Die Bäckerei spart 28,1 t CO2e, weil die Abwärme der Öfen das Brauchwasser vorwärmt und dadurch "
     "140 MWh Erdgas im Jahr ersetzt. Wollen Sie mehr über die Bäckerei wissen?"],
    ids=["an answer", "the previous question", "nothing", "an error", "another language", "an answer ending in a question"],
)
def test_without_a_restated_question_from_the_model_the_rule_reads_the_follow_up(reply):
    assert model_rewrite(ScriptedChatModel(reply), "Und wie viel CO2 spart sie?", [PREVIOUS]) is None


CHAIN = [PREVIOUS, "Was hat das gekostet?"]


def test_the_model_reads_every_turn_of_a_chain_one_per_line_oldest_first():
    model = ScriptedChatModel("Wann hat sich die Wärmerückgewinnung der Großbäckerei Müller bezahlt gemacht?")

    restated = model_rewrite(model, "Und wann war sie bezahlt?", CHAIN)

    assert restated == "Wann hat sich die Wärmerückgewinnung der Großbäckerei Müller bezahlt gemacht?"
    prompt = model.calls[0][-1].content
    assert f"\n- {PREVIOUS}\n- Was hat das gekostet?\n" in prompt and "Und wann war sie bezahlt?" in prompt


@pytest.mark.parametrize(
    "reply",
    [PREVIOUS, f"{PREVIOUS} Was hat das gekostet?",
     "Die Wärmerückgewinnung hat 180.000 € gekostet und spart 140 MWh Erdgas im Jahr, sie war nach sechs "
     "Jahren bezahlt. Wollen Sie mehr wissen?"],
    ids=["the first turn", "the turns copied out", "an answer ending in a question"],
)
def test_with_a_chain_the_model_may_not_hand_back_the_earlier_turns_or_an_answer(reply):
    assert model_rewrite(ScriptedChatModel(reply), "Und wann war sie bezahlt?", CHAIN) is None


def test_a_long_earlier_turn_is_cut_and_the_newest_turn_still_reaches_the_model():
    model = ScriptedChatModel("")
    opening = "Wie viel Erdgas spart die Großbäckerei Müller? " + "Bitte mit Details. " * 80

    model_rewrite(model, "Und wann war sie bezahlt?", [opening, "Was hat das gekostet?"])

    prompt = model.calls[0][-1].content
    assert opening[:MAX_TURN_CHARS] in prompt and opening[:MAX_TURN_CHARS + 1] not in prompt
    assert "- Was hat das gekostet?" in prompt


def test_without_history_the_model_is_not_asked():
    model = ScriptedChatModel()
    assert model_rewrite(model, "Und wie viel CO2 spart sie?", []) is None
    assert model.calls == []


class BusyLocalModel(ScriptedChatModel):
    """Like the local model while someone else's answer holds it: asked without waiting, it is busy."""

    def chat_if_free(self, messages, **options):
        self.calls.append(messages)
        raise LocalModelBusy("busy")


def test_a_busy_local_model_is_not_waited_for_the_rule_reads_the_follow_up():
    model = BusyLocalModel("Wie viel CO2 spart die Wärmerückgewinnung der Großbäckerei?")
    assert model_rewrite(model, "Und wie viel CO2 spart sie?", [PREVIOUS]) is None
    assert len(model.calls) == 1 and model.replies  # asked once, without waiting, and `chat` never used
