"""Ranking metrics at document and page level, and abstention precision/recall."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean

from eval.golden import GoldenQuestion

CUTOFFS = (1, 3, 5, 10)


@dataclass(frozen=True)
class Hit:
    """One retrieved passage, reduced to where it is."""

    doc_id: str
    page: int | None
    heading: str


def doc_ranking(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(hit.doc_id for hit in hits))


def page_key(doc_id: str, page: int | None, section: str | None) -> tuple:
    """A PDF page, or a Markdown section, or a whole plain-text document."""
    if page is not None:
        return (doc_id, "page", page)
    if section:
        return (doc_id, "section", section)
    return (doc_id, "doc", None)


def page_ranking(hits: list[Hit]) -> list[tuple]:
    return list(dict.fromkeys(page_key(h.doc_id, h.page, h.heading if h.page is None else None) for h in hits))


def relevant_items(question: GoldenQuestion, level: str) -> set:
    if level == "doc":
        return {e.doc_id for e in question.expected}
    return {page_key(e.doc_id, e.page, e.section) for e in question.expected}


def ranking_scores(ranking: list, relevant: set) -> dict[str, float]:
    """recall@k: share of the expected items in the top k; hit@k: at least one of them is."""
    scores = {f"recall@{k}": len(relevant & set(ranking[:k])) / len(relevant) for k in CUTOFFS}
    scores.update({f"hit@{k}": float(bool(relevant & set(ranking[:k]))) for k in CUTOFFS})
    first = next((i for i, item in enumerate(ranking) if item in relevant), None)
    scores["mrr"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranking[:10]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    scores["ndcg@10"] = dcg / ideal
    return scores


def average(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {key: round(mean(row[key] for row in rows), 4) for key in rows[0]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def abstention_scores(relevance: list[float], answerable: list[bool], threshold: float) -> dict[str, float]:
    """Abstain when relevance < threshold; precision/recall of abstaining on the unanswerable questions."""
    abstain = [r < threshold for r in relevance]
    unanswerable = [not a for a in answerable]
    true_abstentions = sum(a and u for a, u in zip(abstain, unanswerable))
    return {
        "threshold": round(threshold, 4),
        "abstention_precision": round(true_abstentions / max(1, sum(abstain)), 4),
        "abstention_recall": round(true_abstentions / max(1, sum(unanswerable)), 4),
        "false_abstention_rate": round(
            sum(a and not u for a, u in zip(abstain, unanswerable)) / max(1, sum(answerable)), 4
        ),
    }


def calibrate_threshold(relevance: list[float], answerable: list[bool], max_false_abstention: float = 0.10) -> float:
    """The highest threshold whose false-abstention rate on answerable questions stays within the limit."""
    best = 0.0
    for candidate in sorted(set(relevance)):
        threshold = candidate + 1e-6
        if abstention_scores(relevance, answerable, threshold)["false_abstention_rate"] <= max_false_abstention:
            best = threshold
    return best


def auroc(relevance: list[float], answerable: list[bool]) -> float | None:
    """How well the relevance signal orders answerable above unanswerable questions: the chance that a
    random answerable question scores higher than a random unanswerable one (ties count half)."""
    positives = [r for r, a in zip(relevance, answerable) if a]
    negatives = [r for r, a in zip(relevance, answerable) if not a]
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return round(wins / (len(positives) * len(negatives)), 4)
