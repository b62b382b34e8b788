"""Readers turn one file into a ReadDocument: document metadata plus text units (a PDF page, a section).

`read_file` picks the reader by extension and checks the content really is of that kind, so a text
file named .pdf gets a clear message rather than a parser traceback.
"""

from __future__ import annotations

from pathlib import Path

from indexing.errors import UnsupportedFileError, UnreadableFileError
from indexing.language import detect_language
from indexing.readers.base import ReadDocument, TextUnit, document_id_for

__all__ = ["ReadDocument", "TextUnit", "read_file", "SUPPORTED_EXTENSIONS", "document_id_for"]

SUPPORTED_EXTENSIONS = (".pdf", ".md", ".markdown", ".txt")


def read_file(path: Path) -> ReadDocument:
    """Read a supported file; raise an IngestError subclass with a staff-readable message otherwise.

    A document that does not declare its language gets the detected one, so language filters and
    per-language retrieval see every chunk.
    """
    document = _read(path)
    if "language" not in document.metadata:
        sample = " ".join(unit.text for unit in document.units)[:20_000]
        document.metadata["language"] = detect_language(sample)
    return document


def _read(path: Path) -> ReadDocument:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileError(
            f"Dateityp '{suffix or '(ohne Endung)'}' wird nicht unterstützt. "
            f"Erlaubt sind: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError("Die Datei ist leer.")
    if suffix == ".pdf":
        from indexing.readers.pdf import read_pdf

        return read_pdf(path, data)
    text = _decode_text(data)
    if suffix in (".md", ".markdown"):
        from indexing.readers.markdown import read_markdown

        return read_markdown(path, text, data)
    from indexing.readers.text import read_text

    return read_text(path, text, data)


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableFileError("Die Datei ist keine Textdatei (sie enthält Binärdaten).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError("Die Textkodierung der Datei ist unbekannt (erwartet UTF-8).")
