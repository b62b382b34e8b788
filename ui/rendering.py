"""Turning answers into Markdown for gradio without ever passing document text through as markup."""

from __future__ import annotations

import html
import re

from assistant.answering import Answer

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_text(text: str) -> str:
    """Document text shown literally: HTML-escaped and Markdown-escaped, so a PDF cannot inject markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split()), quote=True))


def answer_markdown(answer: Answer) -> str:
    # Keep our own [n] markers readable while escaping everything that came from documents.
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_text(answer.text))


def sources_markdown(answer: Answer) -> str:
    if not answer.citations:
        return "*Keine Quellen.*"
    blocks = []
    for citation in answer.citations:
        passage = citation.passage
        location = f" — {escape_text(citation.location)}" if citation.location else ""
        blocks.append(
            f"**[{citation.number}] {escape_text(passage.title)}**{location}\n\n> {escape_text(passage.text)}"
        )
    return "\n\n".join(blocks)
