"""Answer feedback on a real SQLite file."""

import pytest

from assistant.feedback import HELPFUL, NOT_HELPFUL, RATING_LABELS, RATINGS, WRONG_SOURCE, FeedbackStore

QUESTION = "Wie viel Erdgas spart die Großbäckerei?"
ANSWER = "Die Wärmerückgewinnung spart jährlich 140 MWh Erdgas [1]."


def test_feedback_is_stored_as_shown_and_listed_newest_first(settings):
    store = FeedbackStore(settings.registry_path)
    first = store.record(QUESTION, ANSWER, ["Großbäckerei: Abwärme der Öfen, S. 3"], HELPFUL, user="bernd")
    second = store.record(QUESTION, ANSWER, ["Druckluft: Leckagen", "Ziele des Klimapakts"], WRONG_SOURCE,
                          comment="  Die zweite Quelle passt nicht.  ")

    assert second > first
    newest, oldest = store.recent()
    assert (newest.id, newest.rating, newest.label) == (second, WRONG_SOURCE, "Falsche Quelle")
    assert newest.sources == ("Druckluft: Leckagen", "Ziele des Klimapakts")
    assert newest.comment == "Die zweite Quelle passt nicht." and newest.user == ""
    assert (oldest.question, oldest.answer_text, oldest.user) == (QUESTION, ANSWER, "bernd")
    assert oldest.sources == ("Großbäckerei: Abwärme der Öfen, S. 3",)
    assert oldest.at.endswith("+00:00")
    assert [f.id for f in store.recent(limit=1)] == [second]


def test_unknown_rating_and_overlong_comment_are_refused(settings):
    store = FeedbackStore(settings.registry_path)
    with pytest.raises(ValueError, match="Unbekannte Bewertung"):
        store.record(QUESTION, ANSWER, [], "great")
    with pytest.raises(ValueError, match="höchstens 2000 Zeichen"):
        store.record(QUESTION, ANSWER, [], NOT_HELPFUL, comment="x" * 2001)
    assert store.recent() == []

    store.record(QUESTION, ANSWER, [], NOT_HELPFUL, comment="x" * 2000)
    assert len(store.recent()[0].comment) == 2000


def test_counts_include_every_rating_and_span_processes(settings):
    first, second = FeedbackStore(settings.registry_path), FeedbackStore(settings.registry_path)
    assert first.counts() == {HELPFUL: 0, NOT_HELPFUL: 0, WRONG_SOURCE: 0}

    for store, rating in [(first, HELPFUL), (second, HELPFUL), (first, NOT_HELPFUL), (second, HELPFUL)]:
        store.record(QUESTION, ANSWER, [], rating)
    assert second.counts() == {HELPFUL: 3, NOT_HELPFUL: 1, WRONG_SOURCE: 0}
    assert first.counts() == second.counts()


def test_every_rating_has_a_german_label():
    assert set(RATING_LABELS) == set(RATINGS) == {"helpful", "not_helpful", "wrong_source"}
    assert RATING_LABELS[NOT_HELPFUL] == "Nicht hilfreich"
