import math

import pytest

from eval.golden import Expected, GoldenQuestion
from eval.metrics import (
    Hit, abstention_scores, auroc, calibrate_threshold, doc_ranking, page_ranking, percentile, ranking_scores, relevant_items,
)


def question(*expected: Expected) -> GoldenQuestion:
    return GoldenQuestion("q", "?", "de", "factual", expected, ("x",), None)


def test_rankings_deduplicate_in_order():
    hits = [Hit("a", 2, "H"), Hit("a", 2, "H"), Hit("b", None, "Intro"), Hit("a", 3, "H")]
    assert doc_ranking(hits) == ["a", "b"]
    assert page_ranking(hits) == [("a", "page", 2), ("b", "section", "Intro"), ("a", "page", 3)]


def test_ranking_scores_by_hand():
    scores = ranking_scores(["x", "a", "y", "b"], {"a", "b"})
    assert scores["recall@1"] == 0 and scores["recall@3"] == 0.5 and scores["recall@5"] == 1.0
    assert scores["hit@1"] == 0 and scores["hit@3"] == 1.0
    assert scores["mrr"] == 0.5
    expected_ndcg = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx(expected_ndcg)


def test_relevant_items_at_both_levels():
    q = question(Expected("a", 2, None), Expected("b", None, "Ergebnisse"))
    assert relevant_items(q, "doc") == {"a", "b"}
    assert relevant_items(q, "page") == {("a", "page", 2), ("b", "section", "Ergebnisse")}


def test_abstention_and_calibration():
    relevance = [0.9, 0.8, 0.7, 0.5, 0.4]
    answerable = [True, True, True, False, False]
    scores = abstention_scores(relevance, answerable, 0.6)
    assert scores["abstention_precision"] == 1.0 and scores["abstention_recall"] == 1.0
    assert scores["false_abstention_rate"] == 0.0
    assert 0.5 < calibrate_threshold(relevance, answerable, max_false_abstention=0.0) <= 0.7 + 1e-5


def test_auroc_counts_pairs_ordered_right_and_ties_as_half():
    # answerable 0.9, 0.5; unanswerable 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1, 0.5=0.5, 0.5>0.1) = 3.5 of 4
    assert auroc([0.9, 0.5, 0.5, 0.1], [True, True, False, False]) == 0.875
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert auroc([0.3, 0.4], [True, True]) is None  # no unanswerable question: nothing to separate


def test_percentile():
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3 and percentile([5, 1, 3, 2, 4], 0.95) == 5
