"""Numbered citations: which passage an [n] in the answer points to, and where a reader finds it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval import Passage
from indexing.keyword import analyse
from indexing.sentences import split_sentences


@dataclass(frozen=True)
class Citation:
    number: int
    passage: Passage

    @property
    def location(self) -> str:
        """Where to look: the page for PDFs, the section for Markdown and text."""
        parts = []
        if self.passage.page is not None:
            parts.append(f"S. {self.passage.page}")
        if self.passage.heading:
            parts.append(f"Abschnitt „{self.passage.heading}“")
        return ", ".join(parts)

    def label(self) -> str:
        location = self.location
        return f"[{self.number}] {self.passage.title}" + (f", {location}" if location else "")


def number_passages(passages: list[Passage]) -> dict[str, Citation]:
    """Citation numbers in order of first use, keyed by chunk id."""
    citations: dict[str, Citation] = {}
    for passage in passages:
        if passage.chunk_id not in citations:
            citations[passage.chunk_id] = Citation(len(citations) + 1, passage)
    return citations


def supporting_sentence(answer_text: str, citation: Citation) -> str:
    """The sentence of the cited passage that the answer's sentences marked [n] rest on most, so a reader
    sees at once where in the passage to look; "" when the answer does not cite it."""
    marker = f"[{citation.number}]"
    claims = [sentence for sentence in split_sentences(answer_text) if marker in sentence]
    if not claims:
        return ""
    claimed = set(analyse(re.sub(r"\[\d+\]", " ", " ".join(claims)))[0])
    best, best_overlap = "", 0
    for sentence in split_sentences(citation.passage.text):
        overlap = len(claimed & set(analyse(sentence)[0]))
        if overlap > best_overlap:
            best, best_overlap = sentence, overlap
    return best
