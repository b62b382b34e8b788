"""Numbered citations: which passage an [n] in the answer points to, and where a reader finds it."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval import Passage


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
