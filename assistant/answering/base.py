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
    # While a generated answer streams: "draft" (the extractive answer, shown at once), "generating"
    # (the model's unchecked text so far); every stream ends with the checked "final" answer.
    stage: str = "final"
    # Rows (name, value, citation marker) of an answer computed from measure facts, shown as a table.
    table: list[list[str]] = field(default_factory=list)
    # Seconds from the question to the model's first token, for generated answers (measured, reported).
    first_token_seconds: float | None = None

    @property
    def final(self) -> bool:
        return self.stage == "final"
