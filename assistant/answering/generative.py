"""Generated answers from any llama-index LLM (an OpenAI-compatible server, or the local model),
checked in code before anyone sees them: unsupported sentences are dropped, and when too little
survives the extractive answer is given instead. The Answer says which of these happened."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Iterator

from llama_index.core.llms import ChatMessage

from assistant.answering.answerability import sources_answer
from assistant.answering.base import Answer
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.local_model import LocalModelBusy
from assistant.answering.prompt import build_messages
from assistant.citations import Citation
from assistant.retrieval import Passage
from assistant.verification import verify_answer
from indexing.language import detect_language

VERIFIED, CORRECTED, FALLBACK = "verified", "corrected", "fallback"
# The model read the sources and said they do not answer the question: "nothing found" is shown.
NOT_IN_SOURCES = "not in sources"
# The model could not answer now: too many answers waiting ("busy"), or the server failed ("failed").
BUSY, FAILED = "busy", "failed"

log = logging.getLogger(__name__)


def evidence(passage: Passage) -> str:
    """What a sentence citing this passage may rest on: its text and the document title it belongs to."""
    return f"{passage.title}\n{passage.text}"


class GenerativeAnswerer:
    def __init__(self, llm, backend: str, fallback: ExtractiveAnswerer, max_context_chars: int = 3000,
                 min_supported_share: float = 0.5, sources_check_margins: Mapping[str, float] | None = None):
        self.llm = llm
        self.backend = backend
        self.fallback = fallback
        self.max_context_chars = max_context_chars
        self.min_supported_share = min_supported_share
        # Per question language ("de" for any other); None: answer without first asking whether the
        # sources answer (assistant/answering/answerability.py).
        self.sources_check_margins = sources_check_margins

    def nothing_found(self, question: str, passages: list[Passage]) -> Answer:
        return self.fallback.nothing_found(question, passages)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        *_, final = self.stream(question, passages)
        return final

    def stream(self, question: str, passages: list[Passage], earlier: Sequence[str] = ()) -> Iterator[Answer]:
        """The extractive draft at once, then the model's text as it arrives, then the checked answer.
        `earlier`: the chat's questions a follow-up leans on, shown to the model beside it."""
        if not passages:
            yield self.fallback.nothing_found(question, passages)
            return
        started = time.perf_counter()
        draft = self.fallback.answer(question, passages)
        yield replace(draft, stage="draft", backend=self.backend)
        messages, used, language = self.prompt(question, passages, earlier)
        # While it streams, [n] in the model's text means the n-th passage of the prompt.
        prompt_numbers = [Citation(number, passage) for number, passage in enumerate(used, 1)]
        reply, first_token = "", None
        # The local model is held for the check and the answer together: they share the evaluated prompt.
        turn = self.llm.turn() if hasattr(self.llm, "turn") else nullcontext(self.llm)
        try:
            with turn as llm:
                if self.sources_check_margins is not None and not sources_answer(
                        llm, messages, language, self.sources_check_margin(language)):
                    yield replace(self.nothing_found(question, passages), backend=self.backend, check=NOT_IN_SOURCES)
                    return
                for chunk in llm.stream_chat(messages):
                    if not chunk.delta:
                        continue
                    first_token = first_token or time.perf_counter() - started
                    reply += chunk.delta
                    yield Answer(question, reply, prompt_numbers, passages, backend=self.backend, stage="generating")
        except LocalModelBusy:
            yield replace(draft, backend=self.backend, check=BUSY)
            return
        except Exception as error:  # a server that is down or times out must not cost the partner the answer
            log.warning("%s backend failed (%s): answering extractively", self.backend, error)
            yield replace(draft, backend=self.backend, check=FAILED)
            return
        final = self.check(question, passages, used, reply, draft)
        final.first_token_seconds = first_token
        yield final

    def sources_check_margin(self, language: str) -> float:
        return self.sources_check_margins.get(language, self.sources_check_margins["de"])

    def prompt(self, question: str, passages: list[Passage], earlier: Sequence[str] = ()
               ) -> tuple[list[ChatMessage], list[Passage], str]:
        """The model's messages, the passages in them, and the question's language."""
        language = detect_language(question)
        messages, used = build_messages(question, passages, language, self.max_context_chars, earlier)
        return messages, used, language

    def check(self, question: str, passages: list[Passage], used: list[Passage], reply: str, extractive: Answer) -> Answer:
        """Keep the supported sentences of the reply, or give the extractive answer when too few are."""
        verification = verify_answer(reply, [evidence(p) for p in used])
        if not verification.kept or verification.supported_share() < self.min_supported_share:
            return replace(extractive, backend=self.backend, check=FALLBACK,
                           dropped=[c.sentence for c in verification.checks])
        text, citations = _renumber(verification.text, used)
        return Answer(
            question, text, citations, passages, backend=self.backend,
            check=CORRECTED if verification.dropped else VERIFIED,
            dropped=[c.sentence for c in verification.dropped],
        )


def _renumber(text: str, used: list[Passage]) -> tuple[str, list[Citation]]:
    """Number the cited passages 1, 2, 3 … in order of first use, as the source list shows them."""
    order: dict[int, int] = {}
    for match in re.finditer(r"\[(\d+)\]", text):
        order.setdefault(int(match.group(1)), len(order) + 1)
    renumbered = re.sub(r"\[(\d+)\]", lambda m: f"[{order[int(m.group(1))]}]", text)
    return renumbered, [Citation(new, used[old - 1]) for old, new in order.items()]
