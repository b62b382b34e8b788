"""Turning answers into Markdown for gradio without ever passing document text through as markup."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from assistant.answering import Answer
from assistant.answering.generative import NOT_IN_SOURCES
from assistant.citations import supporting_sentence
from assistant.retrieval import Passage
from indexing.readers.base import document_id_for
from ui.texts import TEXTS

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_text(text: str) -> str:
    """Document text shown literally: HTML-escaped and Markdown-escaped, so a PDF cannot inject markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split()), quote=True))


def answer_markdown(answer: Answer) -> str:
    # Keep our own [n] markers readable while escaping everything that came from documents.
    text = re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_text(answer.text))
    if answer.table:
        rows = [f"| {escape_text(name)} | {escape_text(value)} | {marker} |" for name, value, marker in answer.table]
        text += "\n\n| | | |\n|---|---:|---|\n" + "\n".join(rows)
    return text


STATUS_TEXTS = {
    "de": {
        "answer": "Antwort", "nothing": "Keine passenden Dokumente gefunden.", "sentences": "Sätze",
        "understood": "Verstanden als", "quotes": ("„", "“"),
        "backends": {"facts": "Kennzahlen der Fallbeispiele", "extractive": "Auszug aus den Quellen",
                     "openai": "Sprachmodell (Server)", "local": "Lokales Sprachmodell"},
        "checks": {
            "verified": "alle Aussagen durch die Quellen belegt",
            "corrected": "nicht belegte Sätze wurden entfernt",
            "fallback": "die erzeugte Antwort war nicht belegt, gezeigt wird ein Auszug aus den Quellen",
            "busy": "das Sprachmodell ist gerade ausgelastet, gezeigt wird ein Auszug aus den Quellen",
            "failed": "das Sprachmodell hat nicht geantwortet, gezeigt wird ein Auszug aus den Quellen",
            NOT_IN_SOURCES: "Das Sprachmodell hat die gefundenen Quellen gelesen: sie beantworten diese Frage "
                              "nicht. Die nächstliegenden stehen bei den Quellen zum Nachlesen.",
        },
        "stages": {"draft": "Vorab ein Auszug aus den Quellen – das Sprachmodell formuliert die Antwort …",
                   "generating": "Das Sprachmodell schreibt … (noch nicht geprüft)"},
    },
    "en": {
        "answer": "Answer", "nothing": "No matching documents found.", "sentences": "sentences",
        "understood": "Understood as", "quotes": ("“", "”"),
        "backends": {"facts": "figures of the case studies", "extractive": "excerpt from the sources",
                     "openai": "language model (server)", "local": "local language model"},
        "checks": {
            "verified": "every statement backed by the sources",
            "corrected": "unsupported sentences were removed",
            "fallback": "the generated answer was not backed by the sources, an excerpt is shown instead",
            "busy": "the language model is busy, an excerpt from the sources is shown instead",
            "failed": "the language model did not answer, an excerpt from the sources is shown instead",
            NOT_IN_SOURCES: "The language model read the sources found: they do not answer this question. "
                              "The closest ones are listed with the sources to check.",
        },
        "stages": {"draft": "First an excerpt from the sources – the language model is writing the answer …",
                   "generating": "The language model is writing … (not checked yet)"},
    },
}


def answer_status(answer: Answer, language: str = "de", asked: str = "") -> str:
    """Which backend answered and what the citation checks did, for the line under the answer; first how
    the question was understood, when the model restated a follow-up (`asked` is what the partner typed)."""
    words = STATUS_TEXTS[language]
    opening, closing = words["quotes"]
    understood = (f"{words['understood']}: {opening}{escape_text(answer.question)}{closing} · "
                  if asked and answer.question and answer.question != asked.strip() else "")
    return understood + _outcome(answer, words)


def _outcome(answer: Answer, words: dict) -> str:
    if not answer.final:
        return words["stages"][answer.stage]
    if answer.abstained:
        return words["checks"][NOT_IN_SOURCES] if answer.check == NOT_IN_SOURCES else words["nothing"]
    label = words["backends"].get(answer.backend, answer.backend)
    check = words["checks"].get(answer.check)
    removed = f" ({len(answer.dropped)} {words['sentences']})" if answer.check == "corrected" else ""
    return f"{words['answer']}: {label}" + (f" – {check}{removed}" if check else "")


def section_anchor(heading: str) -> str:
    """The fragment id of a section in the document view (ASCII, so links survive any browser)."""
    return "abschnitt-" + (document_id_for(Path("abschnitt"), declared=heading) if heading else "start")


def source_link(passage: Passage) -> str:
    """Where a reader checks the passage: the PDF at its page, or the document view at its section."""
    base = f"/dokumente/{quote(passage.doc_id, safe='')}"
    if passage.page is not None:
        return f"{base}#page={passage.page}"
    return f"{base}#{section_anchor(passage.heading)}"


def _highlighted(passage_text: str, sentence: str) -> str:
    text = html.escape(" ".join(passage_text.split()))
    if not sentence:
        return text
    marked = html.escape(" ".join(sentence.split()))
    return text.replace(marked, f"<mark>{marked}</mark>", 1)


def sources_html(answer: Answer, language: str = "de") -> str:
    """One card per cited passage: title, company, page or section, the passage with the sentence the
    answer rests on highlighted, and a link that opens the source there. All document text is escaped."""
    words = TEXTS[language]
    if not answer.citations:
        return f'<p class="kw-empty">{html.escape(words["no_match"])}</p>'
    cards = []
    for citation in sorted(answer.citations, key=lambda c: c.number):
        passage = citation.passage
        where = []
        if passage.metadata.get("company"):
            where.append(html.escape(str(passage.metadata["company"])))
        if passage.page is not None:
            where.append(f"{words['page']} {passage.page}")
        if passage.heading:
            where.append(f"{words['section']} „{html.escape(passage.heading)}“")
        sentence = supporting_sentence(answer.text, citation) if answer.final else ""
        cards.append(
            f'<div class="kw-source" id="quelle-{citation.number}">'
            f'<div class="kw-source-head"><b>[{citation.number}] {html.escape(passage.title)}</b></div>'
            f'<div class="kw-source-where">{" · ".join(where)}</div>'
            f'<blockquote>{_highlighted(passage.text, sentence)}</blockquote>'
            f'<a class="kw-open" href="{html.escape(source_link(passage))}" target="_blank" rel="noopener">'
            f'{html.escape(words["open_source"])}</a></div>'
        )
    return "\n".join(cards)
