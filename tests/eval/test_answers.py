"""The answer recheck in `make eval`: an answer computed from measure facts is checked row by row."""

from assistant.answering import Answer
from assistant.answering.generative import evidence
from assistant.citations import Citation
from assistant.retrieval import Passage
from assistant.verification import verify_answer
from eval.answers import _claims, fact_contained, fact_stated


def fact_answer(second_row_value: str) -> Answer:
    passages = [Passage("a::fact", "Die Anlage spart 410 MWh im Jahr.", 1.0, {"title": "A"}),
                Passage("b::fact", "Es werden 134 MWh Strom eingespart.", 1.0, {"title": "B"})]
    rows = [["A", "410 MWh/Jahr", "[1]"], ["B", second_row_value, "[2]"]]
    text = "Zusammen nennen die 2 Fallbeispiele 544 MWh/Jahr [1] [2]. Die Summe addiert die Angaben."
    return Answer("Wie viel sparen die Partner zusammen?", text, [Citation(1, passages[0]), Citation(2, passages[1])],
                  passages, backend="facts", table=rows)


def recheck(answer: Answer):
    return verify_answer(_claims(answer), [evidence(c.passage) for c in answer.citations])


def test_a_computed_total_is_not_an_unsupported_number_but_every_row_is_checked():
    assert recheck(fact_answer("134 MWh/Jahr")).dropped == []
    wrong = recheck(fact_answer("143 MWh/Jahr"))
    assert [c.sentence for c in wrong.dropped] == ["143 MWh/Jahr [2]."]


def test_other_answers_are_checked_as_written():
    passage = Passage("a::0", "Die Anlage spart 410 MWh im Jahr.", 0.9, {"title": "A"})
    answer = Answer("Wie viel spart A?", "A spart 410 MWh [1]. A spart auch 99 MWh [1].", [Citation(1, passage)], [passage])
    assert len(recheck(answer).dropped) == 1


def test_a_gold_fact_is_stated_in_any_number_notation_but_not_as_another_number_or_unit():
    assert fact_stated("The bakery saves 169.8 t CO2e a year [1].", ("169,8 t",))
    assert not fact_contained("The bakery saves 169.8 t CO2e a year [1].", ("169,8 t",))
    assert fact_stated("Evaporation fell from 8.5 % to 4.5 % [2].", ("von 8,5 % auf 4,5 %",))
    assert not fact_stated("Evaporation fell to 4.5 % [2].", ("von 8,5 % auf 4,5 %",))
    assert not fact_stated("The bakery saves about 170 t [1].", ("169,8 t",))
    assert not fact_stated("The bakery saves 169.8 MWh [1].", ("169,8 t",))
    assert fact_stated("Den Vortrag hielt Teekanne [1].", ("Teekanne",))


def test_nothing_found_cites_the_nearest_documents_without_counting_as_unsupported_sentences():
    from assistant.answering.extractive import ExtractiveAnswerer
    from eval.answers import evaluate_answers
    from eval.datasets import EvalSet
    from eval.golden import GoldenQuestion

    passage = Passage("a::0", "Die Anlage spart 410 MWh im Jahr.", 0.9, {"title": "A"})

    class NothingFound:
        def ask(self, question, history=None):
            return ExtractiveAnswerer().nothing_found(question, [passage])

    question = GoldenQuestion("u-1", "Wie viel CO2 spart die Rheinbahn?", "de", "unanswerable", (), (), None)
    report = evaluate_answers(NothingFound(), EvalSet("u", None, [question]), [question])

    assert report["abstention on unanswerable"] == 1.0 and report["unsupported sentence rate"] == 0.0
    assert report["citation validity"] == 1.0  # "Am nächsten kommen: A [1]" names a cited passage
