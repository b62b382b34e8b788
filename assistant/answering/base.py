"""What every answer backend returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.citations import Citation
from assistant.retrieval import Passage


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    backend: str = "extractive"
    abstained: bool = False  # True when the documents do not answer the question
    # For generated answers: "verified", "corrected" (sentences dropped) or "fallback" (extractive shown).
    check: str = ""
    dropped: list[str] = field(default_factory=list)
