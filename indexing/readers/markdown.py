"""Markdown reader: YAML front matter becomes document metadata, each heading starts a text unit."""

from __future__ import annotations

import re
from pathlib import Path

from indexing.errors import UnreadableFileError
from indexing.frontmatter import FrontMatterError, parse_front_matter
from indexing.readers.base import ReadDocument, TextUnit, content_hash, document_id_for, document_metadata

_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
# Raw HTML in Markdown: scripts, styles and comments are not text a reader sees, other tags are markup.
_HTML_HIDDEN = re.compile(r"<(script|style)\b.*?(</\1\s*>|\Z)|<!--.*?(-->|\Z)", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _plain_inline(line: str) -> str:
    """Drop inline Markdown (emphasis, code ticks, link targets) so passages read as plain text."""
    return _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", line))


def read_markdown(path: Path, text: str, data: bytes) -> ReadDocument:
    try:
        declared, body = parse_front_matter(text)
    except FrontMatterError as error:
        raise UnreadableFileError(f"Der Kopfbereich (Front Matter) ist fehlerhaft: {error}") from error
    except RecursionError as error:  # YAML parses nested brackets recursively
        raise UnreadableFileError("Der Kopfbereich (Front Matter) ist zu tief verschachtelt.") from error
    units = list(_section_units(_without_html(body)))
    if not units:
        raise UnreadableFileError("Die Datei enthält keinen Text.")
    metadata = document_metadata(declared, path)
    if "title" not in declared and units[0].heading:
        metadata["title"] = units[0].heading
    return ReadDocument(
        doc_id=document_id_for(path, declared.get("id")),
        path=path,
        content_hash=content_hash(data),
        units=units,
        metadata=metadata,
        file_type="markdown",
        figures=declared["figures"] if isinstance(declared.get("figures"), dict) else {},
    )


def _without_html(body: str) -> str:
    """Passages hold what a reader of the rendered document sees: no script a viewer might run, no tags."""
    return _HTML_TAG.sub("", _HTML_HIDDEN.sub("", body))


def _section_units(body: str):
    heading, lines = "", []
    for line in body.splitlines():
        match = _ATX_HEADING.match(line)
        if match:
            if any(l.strip() for l in lines):
                yield TextUnit("\n".join(lines).strip(), heading=heading)
            heading, lines = _plain_inline(match.group(2)).strip(), []
        elif not _TABLE_RULE.match(line):
            lines.append(_plain_inline(line))
    if any(l.strip() for l in lines):
        yield TextUnit("\n".join(lines).strip(), heading=heading)
