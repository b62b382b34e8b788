"""The extractive answer: the passages' own sentences that best match the question, each with its [n].

Always available and instant; it can only say what the documents say, in their words. Sentences are
scored by how much of the question's rarer words they contain (words found in almost every candidate
sentence, or in the document's own title, say little about which sentence answers), plus a bonus when
the question asks for a number or a date and the sentence has one, plus how close the sentence's own
e5 vector (embedded at ingestion, scored by retrieval) comes to the question's, so a sentence that
answers in other words than the question's can still be picked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Iterator

from assistant.answering.base import Answer
from assistant.citations import number_passages
from assistant.retrieval import Passage
from indexing.keyword import analyse
from indexing.language import detect_language
from indexing.sentences import split_sentences

# Headings and table fragments are no answer on their own.
MIN_SENTENCE_CHARS = 20
# Longer "sentences" are table rows run together by PDF extraction; they read as noise in an answer.
MAX_SENTENCE_CHARS = 320
# Question words already in the document title matter this much: retrieval used them to find the document.
TITLE_WORD_WEIGHT = 0.25
ANSWER_TYPE_BONUS = 0.3
# Per unit of e5 similarity below the best sentence of all passages: sentences are typically 0.02–0.10
# apart, so this weighs about as much as the words shared with the question. Chosen on the golden and
# first held-out sets (docs/answers.md); 0 picks by words alone.
SIMILARITY_WEIGHT = 10.0

_ASKS_QUANTITY = re.compile(
    r"\b(wie ?viele?n?|wie (hoch|groß|lange?|weit|stark|schnell|oft)|was (hat|haben|kostet|kosteten|kostete)\b.*"
    r"(gekostet|kosten|kostet)|welche[nrs]? (summe|betrag|anteil|leistung|menge|zahl|höhe)|"
    r"how (much|many|long|high|large|big|often|far)|what (did|does|do) .* cost|what (share|percentage|amount))\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(r"\b(wann|seit wann|bis wann|in welchem jahr|when|which year|what year|since when)\b", re.IGNORECASE)
_NOTHING_FOUND = {
    "de": ("In den Dokumenten wurde dazu nichts gefunden.", "Am nächsten kommen"),
    "en": ("The documents do not answer this.", "Closest topics"),
}
_HAS_NUMBER = re.compile(r"\d")
_HAS_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|"
    r"dezember|january|february|march|may|june|july|october|december)\b",
    re.IGNORECASE,
)


def _stems(text: str) -> set[str]:
    """Content-word stems, the same analysis the keyword index uses."""
    return set(analyse(text)[0])


def _is_table_row(sentence: str) -> bool:
    """Table rows and "Key: value | Key: value" info lines are data, not sentences to answer with."""
    return sentence.count("|") >= 2


def _answer_type_match(question: str, sentence: str) -> bool:
    """Does the sentence hold the kind of thing asked for: a number for "how many", a date for "when"?"""
    if _ASKS_TIME.search(question):
        return bool(_HAS_TIME.search(sentence))
    return bool(_ASKS_QUANTITY.search(question)) and bool(_HAS_NUMBER.search(sentence))


class ExtractiveAnswerer:
    def __init__(self, max_sentences: int = 3, similarity_weight: float = SIMILARITY_WEIGHT):
        self.max_sentences = max_sentences
        self.similarity_weight = similarity_weight

    def nothing_found(self, question: str, passages: list[Passage]) -> Answer:
        """Say plainly that the documents do not answer this, and name the nearest topics they do cover,
        each with its best passage as a source, so a reader can check the "no" as any other answer."""
        best_of_title: dict[str, Passage] = {}
        for passage in passages:
            best_of_title.setdefault(passage.title, passage)
        nearest = list(best_of_title.values())[:3]
        citations = number_passages(nearest)
        nothing, closest = _NOTHING_FOUND.get(detect_language(question), _NOTHING_FOUND["de"])
        topics = "; ".join(f"{p.title} [{citations[p.chunk_id].number}]" for p in nearest)
        text = nothing + (f" {closest}: {topics}." if nearest else "")
        return Answer(question, text, list(citations.values()), passages, abstained=True)

    def stream(self, question: str, passages: list[Passage], earlier: Sequence[str] = ()) -> Iterator[Answer]:
        """The same interface as the generating answerers; an extractive answer is final at once. The
        passages were retrieved with the `earlier` questions already, so the sentences are picked by
        the question alone."""
        yield self.answer(question, passages)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        if not passages:
            return self.nothing_found(question, passages)
        candidates, seen = [], set()
        for rank, passage in enumerate(passages):
            for position, sentence in enumerate(split_sentences(passage.text)):
                key = sentence.lower()
                if key in seen or not MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS or _is_table_row(key):
                    continue
                seen.add(key)
                candidates.append((rank, position, sentence, passage, _stems(sentence)))
        if not candidates:
            first = split_sentences(passages[0].text)[:1] or [passages[0].text]
            candidates = [(0, 0, first[0], passages[0], set())]
        rarity = _rarity(_stems(question), [c[4] for c in candidates])
        best_similarity = max((max(p.sentence_scores) for p in passages if p.sentence_scores), default=0.0)
        titles: dict[str, set[str]] = {}
        scored = []
        for candidate in candidates:
            title = titles.setdefault(candidate[3].chunk_id, _stems(candidate[3].title))
            closeness = self.similarity_weight * _similarity_gap(candidate, best_similarity)
            scored.append((_score(question, candidate, rarity, title) + closeness, candidate))
        scored.sort(key=lambda s: -s[0])
        chosen = sorted((c for _, c in scored[: self.max_sentences]), key=lambda c: (c[0], c[1]))
        citations = number_passages([c[3] for c in chosen])
        text = " ".join(f"{c[2]} [{citations[c[3].chunk_id].number}]" for c in chosen)
        return Answer(question, text, list(citations.values()), passages)


def _rarity(terms: set[str], sentences: list[set[str]]) -> dict[str, float]:
    """How rare each question word is among the candidate sentences (inverse document frequency)."""
    return {term: math.log((len(sentences) + 1) / (sum(term in stems for stems in sentences) + 0.5)) for term in terms}


def _similarity_gap(candidate: tuple, best_similarity: float) -> float:
    """How far the sentence's e5 similarity to the question lies below the best sentence's (≤ 0); 0 when
    its passage has no sentence scores (indexed before sentences were embedded, or not from the store)."""
    _, position, _, passage, _ = candidate
    scores = passage.sentence_scores
    return scores[position] - best_similarity if position < len(scores) else 0.0


def _score(question: str, candidate: tuple, rarity: dict[str, float], title: set[str]) -> float:
    rank, _, sentence, passage, stems = candidate
    weights = {term: idf * (TITLE_WORD_WEIGHT if term in title else 1.0) for term, idf in rarity.items()}
    total = sum(weights.values()) or 1.0
    coverage = sum(w for term, w in weights.items() if term in stems) / total
    bonus = ANSWER_TYPE_BONUS if _answer_type_match(question, sentence) else 0.0
    # Retrieval's judgement breaks near-ties and keeps the best passage in front.
    return coverage + bonus + 0.2 * passage.score - 0.03 * rank
