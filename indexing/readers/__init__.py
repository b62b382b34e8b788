"""Readers turn one file into a ReadDocument: document metadata plus text units (a PDF page, a section).

`read_file` picks the reader by extension and checks the content really is of that kind, so a text
file named .pdf gets a clear message rather than a parser traceback. Every file is read within limits
(size, PDF pages, time, memory; see limits.py) in a child process, so no file can stall or crash the caller.
"""

from __future__ import annotations

from pathlib import Path

from indexing.errors import LimitExceededError, UnsupportedFileError
from indexing.language import detect_language
from indexing.readers.base import ReadDocument, TextUnit, document_id_for
from indexing.readers.limits import ReaderLimits

__all__ = ["ReadDocument", "ReaderLimits", "TextUnit", "read_file", "check_size", "SUPPORTED_EXTENSIONS",
           "document_id_for"]

SUPPORTED_EXTENSIONS = (".pdf", ".md", ".markdown", ".txt")


def check_size(size: int, limits: ReaderLimits) -> None:
    """Refuse a file over the size limit before anything reads (or hashes, or stores) all of it."""
    if size > limits.max_bytes:
        raise LimitExceededError(
            f"Die Datei ist zu groß ({size / (1024 * 1024):.1f} MB); erlaubt sind höchstens {limits.max_mb} MB."
        )


def read_file(path: Path, limits: ReaderLimits = ReaderLimits()) -> ReadDocument:
    """Read a supported file; raise an IngestError subclass with a staff-readable message otherwise.

    A document that does not declare its language gets the detected one, so language filters and
    per-language retrieval see every chunk.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileError(
            f"Dateityp '{suffix or '(ohne Endung)'}' wird nicht unterstützt. "
            f"Erlaubt sind: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    check_size(path.stat().st_size, limits)
    # Imported in this process, not in each child: a fork inherits the parsers ready to use.
    from indexing.readers.formats import read_by_type
    from indexing.readers.isolation import run_isolated

    document = run_isolated(read_by_type, path, limits.max_pages, limits=limits)
    if "language" not in document.metadata:
        sample = " ".join(unit.text for unit in document.units)[:20_000]
        document.metadata["language"] = detect_language(sample)
    return document
