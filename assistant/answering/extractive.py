"""The extractive answer: the passages' own sentences that best match the question, each with its [n].

Always available and instant; it can only say what the documents say, in their words.
"""

from __future__ import annotations

from assistant.answering.base import Answer
from assistant.citations import number_passages
from assistant.retrieval import Passage
from indexing.keyword import analyse
from indexing.sentences import split_sentences

# Headings and table fragments are no answer on their own.
MIN_SENTENCE_CHARS = 20
# Longer "sentences" are table rows run together by PDF extraction; they read as noise in an answer.
MAX_SENTENCE_CHARS = 320


def _stems(text: str) -> set[str]:
    """Content-word stems, the same analysis the keyword index uses."""
    return set(analyse(text)[0])


def _is_table_row(sentence: str) -> bool:
    """Table rows and "Key: value | Key: value" info lines are data, not sentences to answer with."""
    return sentence.count("|") >= 2


class ExtractiveAnswerer:
    def __init__(self, max_sentences: int = 3):
        self.max_sentences = max_sentences

    def nothing_found(self, question: str, passages: list[Passage]) -> Answer:
        """Say plainly that the documents do not answer this, and name the nearest topics they do cover."""
        titles = list(dict.fromkeys(passage.title for passage in passages))[:3]
        text = "In den Dokumenten wurde dazu nichts gefunden."
        if titles:
            text += " Am nächsten kommen: " + "; ".join(titles) + "."
        return Answer(question, text, [], passages, abstained=True)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        if not passages:
            return self.nothing_found(question, passages)
        query = _stems(question)
        candidates = []
        for rank, passage in enumerate(passages):
            for position, sentence in enumerate(split_sentences(passage.text)):
                overlap = len(query & _stems(sentence))
                # Word overlap decides; retrieval rank breaks ties and keeps the best passage in front.
                score = overlap + passage.score - 0.05 * rank
                candidates.append((score, rank, position, sentence, passage))
        ranked = sorted(candidates, key=lambda c: -c[0])
        chosen, seen = [], set()
        for candidate in ranked:
            key = candidate[3].lower()
            if key in seen or not MIN_SENTENCE_CHARS <= len(candidate[3]) <= MAX_SENTENCE_CHARS or _is_table_row(key):
                continue
            seen.add(key)
            chosen.append(candidate)
            if len(chosen) == self.max_sentences:
                break
        chosen = sorted(chosen or ranked[:1], key=lambda c: (c[1], c[2]))
        citations = number_passages([c[4] for c in chosen])
        text = " ".join(f"{c[3]} [{citations[c[4].chunk_id].number}]" for c in chosen)
        return Answer(question, text, list(citations.values()), passages)
