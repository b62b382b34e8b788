"""The golden question set: real-sounding questions with the passages and facts a correct answer must cite.

Questions live in JSON Lines files (eval/golden/*.jsonl). `load_golden` rejects a malformed line with its
file and line number, so a typo cannot silently drop a question from an evaluation. `check_against_corpus`
compares every expected page, section and fact with what the reader actually delivers, so a question
cannot keep pointing at a passage after a document or the PDF reader has changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexing.readers import SUPPORTED_EXTENSIONS, ReadDocument, TextUnit, read_file

FIELDS = ("id", "question", "language", "type", "expected", "facts", "follow_up_of")
EXPECTED_FIELDS = ("doc_id", "page", "section")
TYPES = ("factual", "numeric", "comparative", "cross-document", "follow-up", "unanswerable")
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Expected:
    """Where an answer is found: a PDF page (section None) or a Markdown section (page None)."""

    doc_id: str
    page: int | None
    section: str | None


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    question: str
    language: str
    type: str
    expected: tuple[Expected, ...]
    facts: tuple[str, ...]
    follow_up_of: str | None


def load_golden(path: Path) -> list[GoldenQuestion]:
    """Read one .jsonl file, or every *.jsonl in a folder in name order.

    Raises ValueError naming file and line for a malformed line, an unknown type or language, a
    duplicate id, or a follow-up whose parent is not an earlier question. A follow-up's parent may be a
    follow-up itself: a conversation of several turns.
    """
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    questions: list[GoldenQuestion] = []
    by_id: dict[str, GoldenQuestion] = {}
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{file}, line {number}"
            try:
                question = _parse(json.loads(line))
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                raise ValueError(f"{where}: {error}") from None
            if question.id in by_id:
                raise ValueError(f"{where}: duplicate id {question.id!r}")
            if question.follow_up_of is not None:
                parent = by_id.get(question.follow_up_of)
                if parent is None:
                    raise ValueError(
                        f"{where}: follow_up_of {question.follow_up_of!r} is not the id of an earlier question"
                    )
            by_id[question.id] = question
            questions.append(question)
    return questions


def _parse(record: Any) -> GoldenQuestion:
    if not isinstance(record, dict):
        raise ValueError("a line must be one JSON object")
    _check_keys(record, FIELDS, "question")
    for key in ("id", "question"):
        if not isinstance(record[key], str) or not record[key].strip():
            raise ValueError(f"{key!r} must be a non-empty string")
    if record["language"] not in LANGUAGES:
        raise ValueError(f"unknown language {record['language']!r} (allowed: {', '.join(LANGUAGES)})")
    kind = record["type"]
    if kind not in TYPES:
        raise ValueError(f"unknown type {kind!r} (allowed: {', '.join(TYPES)})")
    if not isinstance(record["expected"], list) or not isinstance(record["facts"], list):
        raise ValueError("'expected' and 'facts' must be lists")
    expected = tuple(_parse_expected(entry) for entry in record["expected"])
    if not all(isinstance(fact, str) and fact.strip() for fact in record["facts"]):
        raise ValueError("every fact must be a non-empty string")
    facts = tuple(record["facts"])
    if kind == "unanswerable" and (expected or facts):
        raise ValueError("an unanswerable question has empty 'expected' and 'facts'")
    if kind != "unanswerable" and not (expected and facts):
        raise ValueError(f"a {kind} question needs at least one expected document and one fact")
    follow_up_of = record["follow_up_of"]
    if (kind == "follow-up") != (follow_up_of is not None):
        raise ValueError("'follow_up_of' is set exactly for questions of type follow-up")
    if follow_up_of is not None and not isinstance(follow_up_of, str):
        raise ValueError("'follow_up_of' must be a question id or null")
    return GoldenQuestion(record["id"], record["question"], record["language"], kind, expected, facts, follow_up_of)


def _parse_expected(entry: Any) -> Expected:
    if not isinstance(entry, dict):
        raise ValueError("every expected entry must be an object")
    _check_keys(entry, EXPECTED_FIELDS, "expected entry")
    doc_id, page, section = entry["doc_id"], entry["page"], entry["section"]
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("expected 'doc_id' must be a non-empty string")
    if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
        raise ValueError(f"expected 'page' must be a 1-based page number or null, not {page!r}")
    if section is not None and (not isinstance(section, str) or not section):
        raise ValueError(f"expected 'section' must be a heading or null, not {section!r}")
    return Expected(doc_id, page, section)


def _check_keys(record: dict, fields: tuple[str, ...], what: str) -> None:
    missing = [key for key in fields if key not in record]
    unknown = [key for key in record if key not in fields]
    if missing or unknown:
        raise ValueError(f"{what} has missing keys {missing} / unknown keys {unknown}; expected {list(fields)}")
    if tuple(record) != fields:
        raise ValueError(f"{what} keys must be in the order {list(fields)}")


def corpus_documents(corpus_dir: Path) -> dict[str, ReadDocument]:
    """Every document in the folder by doc_id, read once per run: parsing the PDFs is the slow part of a check."""
    return _read_corpus(corpus_dir.resolve())


@lru_cache(maxsize=None)
def _read_corpus(corpus_dir: Path) -> dict[str, ReadDocument]:
    paths = [path for path in sorted(corpus_dir.iterdir()) if path.suffix.lower() in SUPPORTED_EXTENSIONS]
    return {document.doc_id: document for document in map(read_file, paths)}


def check_against_corpus(questions: Iterable[GoldenQuestion], corpus_dir: Path) -> list[str]:
    """Human-readable problems: unknown documents, pages or sections, and facts missing from the expected text.

    A fact must occur (whitespace-normalised, case-insensitive) in the text of the units of at least one
    expected entry: for a PDF the units on that page, for Markdown the units under that heading.
    """
    documents = corpus_documents(corpus_dir)
    problems: list[str] = []
    for question in questions:
        texts: list[str] = []
        for expected in question.expected:
            units, problem = _expected_units(documents.get(expected.doc_id), expected)
            if problem:
                problems.append(f"{question.id}: {problem}")
            else:
                texts.append(_normalise(" ".join(unit.text for unit in units)))
        for fact in question.facts:
            if texts and not any(_normalise(fact) in text for text in texts):
                problems.append(f"{question.id}: fact {fact!r} is not in the text of its expected pages/sections")
    return problems


def _expected_units(document: ReadDocument | None, expected: Expected) -> tuple[list[TextUnit], str | None]:
    """The units an expected entry points at, or a problem: a PDF needs a page, Markdown a section (plain
    text has neither and counts as a whole)."""
    where = f"{expected.doc_id} page={expected.page} section={expected.section!r}"
    if document is None:
        return [], f"unknown document {expected.doc_id!r}"
    units = document.units
    pages = sorted({unit.page for unit in units if unit.page is not None})
    if expected.page is not None:
        if expected.page not in pages:
            return [], f"{where}: the document has no page {expected.page} (pages: {pages or 'none'})"
        units = [unit for unit in units if unit.page == expected.page]
    elif pages:
        return [], f"{where}: the document has pages, give the page"
    if expected.section is not None:
        headings = {unit.heading for unit in document.units}
        if expected.section not in headings:
            return [], f"{where}: no section with that heading (headings: {sorted(headings)})"
        units = [unit for unit in units if unit.heading == expected.section]
    elif not pages and any(unit.heading for unit in document.units):
        return [], f"{where}: the document has no pages, give the section heading"
    return units, None


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()
