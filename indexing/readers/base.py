"""The reader output shared by all formats."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Metadata keys that flow from a document into every one of its chunks.
DOCUMENT_FIELDS = ("title", "company", "sector", "measure_types", "year", "language", "doc_type", "source")


@dataclass(frozen=True)
class TextUnit:
    """A piece of text with its place in the document: a PDF page or a Markdown section."""

    text: str
    page: int | None = None
    heading: str = ""


@dataclass
class ReadDocument:
    doc_id: str
    path: Path
    content_hash: str
    units: list[TextUnit]
    metadata: dict[str, Any] = field(default_factory=dict)
    file_type: str = ""
    # Declared measure figures (front matter `figures`), kept apart: chunk metadata holds only scalars.
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or self.path.stem)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def document_id_for(path: Path, declared: Any = None) -> str:
    """The stable id of a document: the id its metadata declares, else a slug of its file name.

    A new version of a file keeps its name and so its id, which is what makes it replace the old one.
    """
    raw = str(declared) if declared else path.stem
    german = raw.translate(_GERMAN_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", german).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120] or "dokument-" + hashlib.sha1(raw.encode()).hexdigest()[:10]


def document_metadata(declared: dict[str, Any], path: Path) -> dict[str, Any]:
    """Keep the known document fields, normalised to the types the store can filter on."""
    metadata: dict[str, Any] = {}
    for key in DOCUMENT_FIELDS:
        value = declared.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "measure_types":
            value = [str(v) for v in (value if isinstance(value, list) else [value])]
        elif key == "year":
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        else:
            value = str(value)
        metadata[key] = value
    metadata.setdefault("title", path.stem)
    return metadata
