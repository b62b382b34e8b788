"""What the harness hands the retriever as chat history (every earlier turn of a follow-up's
conversation), and which questions the answer metrics take (a fixed sample spread over the set)."""

from __future__ import annotations

from eval.answers import sample
from eval.datasets import EvalSet, histories
from eval.golden import load_golden
from tests.conftest import golden_record, write_jsonl


def test_a_chain_of_follow_ups_carries_every_earlier_turn_oldest_first(tmp_path):
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        golden_record("q-1", question="Was hat die Bäckerei Sonnenkorn am Ofen geändert?"),
        golden_record("q-2", type="follow-up", question="Was hat das gekostet?", follow_up_of="q-1"),
        golden_record("q-3", type="follow-up", question="Und wann hat es sich bezahlt gemacht?", follow_up_of="q-2"),
        golden_record("q-4", question="Wie viel Strom spart die LED-Halle?"),
    )

    history = histories(load_golden(path))

    assert history == {
        "q-1": [],
        "q-2": ["Was hat die Bäckerei Sonnenkorn am Ofen geändert?"],
        "q-3": ["Was hat die Bäckerei Sonnenkorn am Ofen geändert?", "Was hat das gekostet?"],
        "q-4": [],
    }


def test_the_answer_sample_is_spread_over_the_whole_set_not_its_first_questions(tmp_path):
    answerable = [golden_record(f"a-{n:02d}") for n in range(65)]
    unanswerable = [golden_record(f"u-{n}", type="unanswerable", expected=[], facts=[]) for n in range(3)]
    questions = load_golden(write_jsonl(tmp_path / "set.jsonl", *answerable, *unanswerable))

    chosen = [q.id for q in sample(EvalSet("set", tmp_path, questions), answerable=40, unanswerable=10)]

    assert len(chosen) == 43 and len(set(chosen)) == 43
    assert chosen[0] == "a-00" and chosen[39] >= "a-63"  # reaches the end of the set
    assert chosen[40:] == ["u-0", "u-1", "u-2"]

