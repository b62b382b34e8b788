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


BACKEND_LABELS = {"extractive": "Auszug aus den Quellen", "openai": "Sprachmodell (Server)", "local": "Lokales Sprachmodell"}
CHECK_LABELS = {
    "verified": "alle Aussagen durch die Quellen belegt",
    "corrected": "nicht belegte Sätze wurden entfernt",
    "fallback": "die erzeugte Antwort war nicht belegt, gezeigt wird ein Auszug aus den Quellen",
}


STAGE_LABELS = {
    "draft": "Vorab ein Auszug aus den Quellen – das Sprachmodell formuliert die Antwort …",
    "generating": "Das Sprachmodell schreibt … (noch nicht geprüft)",
}


def answer_status(answer: Answer) -> str:
    """Which backend answered and what the citation checks did, for the line under the answer."""
    if not answer.final:
        return STAGE_LABELS[answer.stage]
    if answer.abstained:
        return "Keine passenden Dokumente gefunden."
    label = BACKEND_LABELS.get(answer.backend, answer.backend)
    check = CHECK_LABELS.get(answer.check)
    removed = f" ({len(answer.dropped)} Sätze)" if answer.check == "corrected" else ""
    return f"Antwort: {label}" + (f" – {check}{removed}" if check else "")


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
