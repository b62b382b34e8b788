"""What the harness hands the retriever as chat history: every earlier turn of a follow-up's conversation."""

from __future__ import annotations

from eval.datasets import histories
from eval.golden import load_golden
from tests.eval.test_golden import record, write_jsonl


def test_a_chain_of_follow_ups_carries_every_earlier_turn_oldest_first(tmp_path):
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        record("q-1", question="Was hat die Bäckerei Sonnenkorn am Ofen geändert?"),
        record("q-2", type="follow-up", question="Was hat das gekostet?", follow_up_of="q-1"),
        record("q-3", type="follow-up", question="Und wann hat es sich bezahlt gemacht?", follow_up_of="q-2"),
        record("q-4", question="Wie viel Strom spart die LED-Halle?"),
    )

    history = histories(load_golden(path))

    assert history == {
        "q-1": [],
        "q-2": ["Was hat die Bäckerei Sonnenkorn am Ofen geändert?"],
        "q-3": ["Was hat die Bäckerei Sonnenkorn am Ofen geändert?", "Was hat das gekostet?"],
        "q-4": [],
    }
