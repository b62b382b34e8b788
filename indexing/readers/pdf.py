"""PDF reader: one text unit per page section, page numbers kept, pypdf's failures turned into plain words."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from indexing.errors import LimitExceededError, UnreadableFileError
from indexing.readers.base import ReadDocument, TextUnit, content_hash, document_id_for, document_metadata

# Custom info-dictionary key where our corpus build (and later the upload form) stores document metadata.
METADATA_KEY = "/KlimawissenMeta"
_HEADING = re.compile(r"^(\d+(\.\d+)*\.?\s+)?[A-ZÄÖÜ0-9][^.!?;:]{1,70}$")
# Running headers and footers: lines among the first or last EDGE_LINES of a page that recur, page
# numbers aside, on at least RUNNING_SHARE of the pages (and on RUNNING_MIN_PAGES or more).
EDGE_LINES = 2
RUNNING_SHARE = 0.5
RUNNING_MIN_PAGES = 3


def read_pdf(path: Path, data: bytes, max_pages: int) -> ReadDocument:
    """Read a PDF that opens without a password; one that only has an owner password (its empty user
    password lets anyone open it, as many published reports do) is read like an unprotected one."""
    if b"%PDF-" not in data[:1024]:
        raise UnreadableFileError("Die Datei ist kein PDF (der PDF-Kopf fehlt), obwohl sie auf .pdf endet.")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("password required")
        _check_page_count(len(reader.pages), max_pages)
        pages, large_lines = _extract_pages(reader)
        info = reader.metadata or {}
    except (FileNotDecryptedError, DependencyError) as error:
        raise UnreadableFileError(
            "Das PDF ist passwortgeschützt. Bitte eine Fassung ohne Passwort hochladen."
        ) from error
    except (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as error:
        raise UnreadableFileError(
            f"Das PDF ist beschädigt oder unvollständig und kann nicht gelesen werden ({type(error).__name__})."
        ) from error

    if not any(text.strip() for text in pages):
        raise UnreadableFileError(
            "Das PDF enthält keinen lesbaren Text (vermutlich ein Scan ohne Textebene). Eine Texterkennung "
            "(OCR) ist hier nicht installiert: bitte eine durchsuchbare Fassung des PDFs hochladen."
        )
    declared = _declared_metadata(info)
    metadata = document_metadata(declared, path)
    return ReadDocument(
        doc_id=document_id_for(path, declared.get("id")),
        path=path,
        content_hash=content_hash(data),
        units=list(_page_units(pages, large_lines)),
        metadata=metadata,
        file_type="pdf",
    )


def _check_page_count(pages: int, max_pages: int) -> None:
    """Refused before any page is read, so a huge PDF costs no time."""
    if pages > max_pages:
        raise LimitExceededError(
            f"Das PDF hat {_thousands(pages)} Seiten; erlaubt sind höchstens {_thousands(max_pages)}. "
            "Bitte das Dokument in kleinere Teile aufteilen. (Grenze: max_pdf_pages)"
        )


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _declared_metadata(info) -> dict:
    declared: dict = {}
    raw = info.get(METADATA_KEY)
    if raw:
        try:
            loaded = json.loads(str(raw))
            if isinstance(loaded, dict):
                declared.update(loaded)
        except json.JSONDecodeError:
            pass
    title = info.get("/Title")
    if title and "title" not in declared:
        declared["title"] = str(title)
    return declared


def _extract_pages(reader) -> tuple[list[str], set[str]]:
    """Page texts, plus the lines set in a larger font than the body text (headings, where a layout has them)."""
    pages, sizes, by_size = [], Counter(), {}
    for page in reader.pages:
        def visit(text, cm, tm, font, size):
            key = _squeeze(text)
            if key:
                size = round(float(size), 1)
                sizes[size] += len(key)
                by_size.setdefault(size, set()).add(key)

        pages.append(page.extract_text(visitor_text=visit) or "")
    if not sizes:
        return pages, set()
    body = sizes.most_common(1)[0][0]
    large = {key for size, keys in by_size.items() if size >= body * 1.15 for key in keys}
    return pages, large


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_units(pages: list[str], large_lines: set[str]):
    """Split each page at headings; a section running over a page break keeps its heading.

    Headings are the lines set in a larger font; a PDF with one font size falls back to the shape of
    the line (short, capitalised, no sentence punctuation). Consecutive heading lines form one heading.
    """
    is_heading = (lambda line: _squeeze(line) in large_lines) if large_lines else _looks_like_heading
    page_lines = [_clean_lines(text) for text in pages]
    running = _running_lines(page_lines)
    heading = ""
    for number, cleaned in enumerate(page_lines, start=1):
        lines: list[str] = []
        previous_was_heading = False
        margins = _margin_positions(cleaned, running)
        for position, line in enumerate(cleaned):
            if position in margins:
                continue
            if is_heading(line):
                if lines:
                    yield TextUnit("\n".join(lines), page=number, heading=heading)
                    lines = []
                heading = f"{heading} {line}" if previous_was_heading else line
                previous_was_heading = True
            else:
                lines.append(line)
                previous_was_heading = False
        if lines:
            yield TextUnit("\n".join(lines), page=number, heading=heading)


def _running_lines(page_lines: list[list[str]]) -> set[str]:
    """The keys of a layout's running headers and footers ("Quelle: … Seite 3 von 4"): repeated on every
    page, they would end the last passage of each page, stand as passages of their own that share the
    document's title and so match its every question, or, shaped like a heading, become every
    section's heading."""
    pages_with: Counter = Counter()
    for lines in page_lines:
        edges = {_running_key(line) for i, line in enumerate(lines) if _at_edge(i, len(lines))}
        pages_with.update(edges)
    needed = max(RUNNING_MIN_PAGES, RUNNING_SHARE * len(page_lines))
    return {key for key, count in pages_with.items() if count >= needed}


def _margin_positions(lines: list[str], running: set[str]) -> set[int]:
    """Where a page's running header and footer lines are; none on a page that would be left empty,
    since a page of one short line ("Seite 12: Die Öfen geben 12 kWh Abwärme ab.") is its content."""
    found = {i for i, line in enumerate(lines) if _at_edge(i, len(lines)) and _running_key(line) in running}
    return found if len(found) < len(lines) else set()


def _at_edge(position: int, count: int) -> bool:
    return position < EDGE_LINES or position >= count - EDGE_LINES


def _running_key(line: str) -> str:
    """The line with its numbers and spacing left out: "Seite 3 von 4" and "Seite 4 von 4" are one footer."""
    return re.sub(r"\d+", "#", _squeeze(line)).casefold()


def _clean_lines(text: str) -> list[str]:
    # Re-join words hyphenated at a line break ("Wärme-\nrückgewinnung"), but keep real hyphens
    # ("CO2-\nBilanz") and the German elision before a conjunction ("Energie-\nund Ressourceneffizienz").
    text = re.sub(r"(\w)-\n(?!(?:und|oder|bis|sowie|bzw)\b)([a-zäöüß])", r"\1\2", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    return (
        1 <= len(words) <= 10
        and bool(_HEADING.match(line))
        and not re.search(r"\b(Seite|Page) \d+ (von|of) \d+$", line)
        and not line.replace(" ", "").replace(".", "").isdigit()
    )
