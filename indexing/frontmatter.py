"""YAML front matter: the '---' block at the top of a Markdown or text file that holds its metadata.

Shared by the Markdown reader, the corpus PDF build and the corpus tests, so that all three agree on
what a document declares. Error messages are shown to staff who edit documents by hand, so they say
in plain German which line is wrong and what usually causes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_OPENING = "---"
_CLOSINGS = ("---", "...")


class FrontMatterError(ValueError):
    """The front matter block exists but cannot be read; `line` is the 1-based file line, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split `text` into (metadata, body).

    Text that does not start with a '---' line has no front matter: ({}, text) is returned unchanged,
    so plain files need no special casing by callers. A block that starts but cannot be read raises
    FrontMatterError rather than silently dropping the metadata.
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _OPENING:
        return {}, text
    closing = _closing_line_index(lines)
    block = "".join(lines[1:closing])
    body = "".join(lines[closing + 1:])
    return _load_block(block), body


def read_front_matter(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a UTF-8 file and split it like parse_front_matter; errors name the file."""
    path = Path(path)
    try:
        return parse_front_matter(path.read_text(encoding="utf-8"))
    except FrontMatterError as error:
        raise FrontMatterError(f"{path.name}: {error}", line=error.line) from error


def _closing_line_index(lines: list[str]) -> int:
    """Index of the line that ends the block; a missing end would swallow the whole text as YAML."""
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() in _CLOSINGS:
            return index
    raise FrontMatterError(
        "Der Kopfbereich beginnt in Zeile 1 mit '---', wird aber nicht mit einer weiteren Zeile "
        "'---' abgeschlossen. Bitte nach dem letzten Eintrag eine Zeile mit '---' einfügen.",
        line=1,
    )


def _load_block(block: str) -> dict[str, Any]:
    """Parse the YAML block and insist on 'key: value' entries, translating YAML's errors."""
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError as error:
        raise _readable_yaml_error(error, block_lines=block.count("\n")) from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise FrontMatterError(
            "Der Kopfbereich muss aus Zeilen der Form 'schlüssel: wert' bestehen "
            "(zum Beispiel 'year: 2024'), hier steht aber etwas anderes."
        )
    return loaded


def _readable_yaml_error(error: yaml.YAMLError, block_lines: int) -> FrontMatterError:
    """Turn a YAML parser error into a message with the file line and the usual causes.

    YAML reports where it noticed the problem; when that is the end of the block (an unclosed
    quote or bracket), the line where the unfinished entry started is the useful one.
    """
    mark = getattr(error, "problem_mark", None)
    if mark is not None and mark.line >= block_lines and getattr(error, "context_mark", None):
        mark = error.context_mark
    # The block starts on file line 2 (line 1 is '---'); YAML counts lines from 0.
    line = mark.line + 2 if mark is not None else None
    where = f"Zeile {line} der Datei" if line is not None else "Eine Zeile"
    problem = getattr(error, "problem", None) or str(error)
    return FrontMatterError(
        f"{where} (im Kopfbereich) ist nicht lesbar. Häufige Ursachen: ein fehlender Doppelpunkt "
        "nach dem Feldnamen, eine verrutschte Einrückung, ein Doppelpunkt im Wert ohne "
        f"Anführungszeichen oder ein nicht geschlossenes Anführungszeichen. (Technisch: {problem})",
        line=line,
    )
