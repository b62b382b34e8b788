"""The golden question set: big and varied enough to measure with, and still in step with the corpus.

The set tests the assistant only if every expected page, section and fact is really there in what the
reader delivers; `check_against_corpus` catches a question left behind by a changed document or reader.
The loader's own error messages are tested on small files, since a helpful message is its whole job.

Run: PYTHONPATH=/work/main .venv/bin/python -m pytest -q tests/eval
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval.golden import (
    TYPES,
    Expected,
    GoldenQuestion,
    check_against_corpus,
    corpus_documents,
    load_golden,
)
from tests.conftest import golden_record, write_jsonl

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "eval" / "golden"
CORPUS_DOCUMENTS = REPO / "corpus" / "documents"


@pytest.fixture(scope="module")
def questions() -> list[GoldenQuestion]:
    return load_golden(GOLDEN)


# --- the golden set -------------------------------------------------------------------------------

def test_at_least_150_questions(questions):
    assert len(questions) >= 150


def test_at_least_20_unanswerable(questions):
    assert sum(q.type == "unanswerable" for q in questions) >= 20


def test_at_least_15_follow_ups(questions):
    assert sum(q.type == "follow-up" for q in questions) >= 15


def test_at_least_20_english_questions_about_german_documents(questions):
    documents = corpus_documents(CORPUS_DOCUMENTS)
    english_on_german = [
        q.id for q in questions
        if q.language == "en"
        and any(e.doc_id in documents and documents[e.doc_id].metadata.get("language") == "de" for e in q.expected)
    ]
    assert len(english_on_german) >= 20, english_on_german


def test_every_type_present(questions):
    assert set(TYPES) <= set(Counter(q.type for q in questions))


def test_follow_ups_come_directly_after_their_parent(questions):
    misplaced = [
        q.id for previous, q in zip(questions, questions[1:])
        if q.type == "follow-up" and q.follow_up_of != previous.id
    ]
    assert not misplaced, misplaced


def test_golden_questions_match_the_corpus(questions):
    problems = check_against_corpus(questions, CORPUS_DOCUMENTS)
    assert not problems, "\n".join(problems)


HELD_OUT = ("golden-holdout", "golden-holdout-2", "golden-chains")


@pytest.mark.parametrize("folder", HELD_OUT)
def test_the_held_out_questions_match_the_corpus_and_share_nothing_with_the_other_sets(questions, folder):
    held_out = load_golden(REPO / "eval" / folder)
    others = [*questions, *(q for name in HELD_OUT if name != folder for q in load_golden(REPO / "eval" / name))]
    problems = check_against_corpus(held_out, CORPUS_DOCUMENTS)
    assert not problems, "\n".join(problems)
    assert not {q.id for q in held_out} & {q.id for q in others}
    assert not {q.question for q in held_out} & {q.question for q in others}
    misplaced = [q.id for previous, q in zip(held_out, held_out[1:]) if q.follow_up_of and q.follow_up_of != previous.id]
    assert not misplaced, misplaced


# --- the loader's messages ------------------------------------------------------------------------

def test_loads_a_file_into_dataclasses(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", golden_record(), "",
                       golden_record("q-2", type="follow-up", question="Und wie viel Gas?", follow_up_of="q-1"))

    first, second = load_golden(path)

    assert first.expected == (Expected("baeckerei-abwaerme", 3, None),)
    assert first.facts == ("28,1 t CO2e",)
    assert second.follow_up_of == "q-1"


def test_loads_every_jsonl_file_of_a_folder_in_name_order(tmp_path):
    write_jsonl(tmp_path / "part-b.jsonl", golden_record("b-1"))
    write_jsonl(tmp_path / "part-a.jsonl", golden_record("a-1"))
    (tmp_path / "notes.txt").write_text("not a question file", encoding="utf-8")

    assert [q.id for q in load_golden(tmp_path)] == ["a-1", "b-1"]


def test_bad_json_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "broken.jsonl", golden_record(), '{"id": "q-2", "question": ')

    with pytest.raises(ValueError, match=r"broken\.jsonl, line 2"):
        load_golden(path)


def test_unknown_type_is_named(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", golden_record(type="trivia"))

    with pytest.raises(ValueError, match=r"a\.jsonl, line 1: unknown type 'trivia'"):
        load_golden(path)


def test_unknown_language_is_named(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", golden_record(language="fr"))

    with pytest.raises(ValueError, match=r"line 1: unknown language 'fr'"):
        load_golden(path)


def test_duplicate_id_across_files_names_the_second_file(tmp_path):
    write_jsonl(tmp_path / "part-a.jsonl", golden_record("q-1"))
    write_jsonl(tmp_path / "part-b.jsonl", golden_record("q-2"), golden_record("q-1"))

    with pytest.raises(ValueError, match=r"part-b\.jsonl, line 2: duplicate id 'q-1'"):
        load_golden(tmp_path)


@pytest.mark.parametrize("parent", ["q-9", "q-3"])
def test_follow_up_must_point_to_an_earlier_question(tmp_path, parent):
    path = write_jsonl(tmp_path / "a.jsonl", golden_record("q-1"),
                       golden_record("q-2", type="follow-up", follow_up_of=parent), golden_record("q-3"))

    with pytest.raises(ValueError, match=rf"line 2: follow_up_of '{parent}' is not the id of an earlier question"):
        load_golden(path)


def test_missing_key_and_key_order_are_reported(tmp_path):
    missing = {key: value for key, value in golden_record().items() if key != "facts"}
    reordered = dict(reversed(list(golden_record().items())))

    with pytest.raises(ValueError, match=r"line 1: question has missing keys \['facts'\]"):
        load_golden(write_jsonl(tmp_path / "a.jsonl", missing))
    with pytest.raises(ValueError, match=r"line 1: question keys must be in the order"):
        load_golden(write_jsonl(tmp_path / "b.jsonl", reordered))


def test_unanswerable_questions_have_no_expected_documents(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", golden_record(type="unanswerable"))

    with pytest.raises(ValueError, match=r"line 1: an unanswerable question has empty"):
        load_golden(path)


# --- checking against a corpus --------------------------------------------------------------------

def question(*expected: Expected, facts=("28,1 t CO2e",)) -> GoldenQuestion:
    return GoldenQuestion("q-1", "Frage?", "de", "numeric", expected, tuple(facts), None)


def test_a_correct_question_has_no_problems(tiny_corpus):
    good = [
        question(Expected("baeckerei-abwaerme", 3, None), facts=["28,1  T co2e"]),
        question(Expected("klimapakt-ziele", None, "Beschluss"), facts=["Juli 2019", "2035"]),
        question(Expected("druckluft-notiz", None, None), facts=["42 Leckagen"]),
    ]

    assert check_against_corpus(good, tiny_corpus) == []


@pytest.mark.parametrize("expected, facts, problem", [
    (Expected("unbekannt", 1, None), ["x"], "unknown document 'unbekannt'"),
    (Expected("baeckerei-abwaerme", 4, None), ["x"], "has no page 4"),
    (Expected("baeckerei-abwaerme", None, None), ["x"], "give the page"),
    (Expected("klimapakt-ziele", None, "Ziele"), ["x"], "no section with that heading"),
    (Expected("klimapakt-ziele", None, None), ["x"], "give the section heading"),
    (Expected("baeckerei-abwaerme", 2, None), ["28,1 t CO2e"], "fact '28,1 t CO2e' is not in the text"),
    (Expected("klimapakt-ziele", None, "Partner"), ["Juli 2019"], "fact 'Juli 2019' is not in the text"),
])
def test_problems_are_named(tiny_corpus, expected, facts, problem):
    problems = check_against_corpus([question(expected, facts=facts)], tiny_corpus)

    assert len(problems) == 1 and problems[0].startswith("q-1: ") and problem in problems[0], problems


def test_a_fact_may_be_in_any_of_the_expected_entries(tiny_corpus):
    both = question(Expected("baeckerei-abwaerme", 2, None), Expected("baeckerei-abwaerme", 3, None),
                    facts=["Wärmetauscher", "140 MWh Erdgas"])

    assert check_against_corpus([both], tiny_corpus) == []
