"""Plain-text reader: the whole file is one unit; its first line serves as title."""

from __future__ import annotations

from pathlib import Path

from indexing.errors import UnreadableFileError
from indexing.readers.base import ReadDocument, TextUnit, content_hash, document_id_for, document_metadata


MAX_TITLE_CHARS = 100


def read_text(path: Path, text: str, data: bytes) -> ReadDocument:
    text = text.strip()
    if not text:
        raise UnreadableFileError("Die Datei enthält keinen Text.")
    first_line = text.splitlines()[0].strip()
    # A short first line without a full stop reads as a title; otherwise the file name stands in.
    looks_like_title = len(first_line) <= MAX_TITLE_CHARS and not first_line.endswith(".") and "\n" in text
    metadata = document_metadata({"title": first_line} if looks_like_title else {}, path)
    return ReadDocument(
        doc_id=document_id_for(path),
        path=path,
        content_hash=content_hash(data),
        units=[TextUnit(text)],
        metadata=metadata,
        file_type="text",
    )
