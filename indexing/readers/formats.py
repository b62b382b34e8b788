"""Reading one file by its type; runs in the child process that read_file starts."""

from __future__ import annotations

from pathlib import Path

from indexing.errors import UnreadableFileError
from indexing.readers.base import ReadDocument
from indexing.readers.markdown import read_markdown
from indexing.readers.pdf import read_pdf
from indexing.readers.text import read_text


def read_by_type(path: Path, max_pages: int) -> ReadDocument:
    """The reader for the file's extension, after checking the file is not empty and, for text, is text."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError("Die Datei ist leer.")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return read_pdf(path, data, max_pages)
    text = _decode_text(data)
    if suffix in (".md", ".markdown"):
        return read_markdown(path, text, data)
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
