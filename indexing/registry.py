"""The document registry: one row per document with a stable id, content hash, status and metadata.

SQLite in the data directory; it answers "is this file already indexed?" without touching the
vector store, and lists documents for staff. It also keeps the metadata staff corrected by hand, apart
from the documents, so the corrections outlive re-ingesting, re-indexing and replacing the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from indexing.database import open_database

READY = "ready"
INDEXING = "indexing"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id        TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    source_path   TEXT NOT NULL,
    file_type     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    pipeline      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    updated_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_source ON documents (source_path, content_hash);
CREATE TABLE IF NOT EXISTS document_overrides (
    doc_id        TEXT PRIMARY KEY,
    metadata_json TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    title: str
    source_path: str
    file_type: str
    content_hash: str
    pipeline: str
    status: str
    chunk_count: int
    metadata: dict[str, Any]
    updated_at: str


class Registry:
    def __init__(self, path: Path):
        self._db = open_database(path, _SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, doc_id: str) -> DocumentRecord | None:
        rows = self._select("WHERE doc_id = ?", (doc_id,))
        return rows[0] if rows else None

    def find_unchanged(self, source_path: str, content_hash: str, pipeline: str) -> DocumentRecord | None:
        """The ready document last ingested from this very file, with these bytes, by this same pipeline."""
        rows = self._select(
            "WHERE source_path = ? AND content_hash = ? AND pipeline = ? AND status = ?",
            (source_path, content_hash, pipeline, READY),
        )
        return rows[0] if rows else None

    def from_source(self, source_path: str) -> DocumentRecord | None:
        """The document last ingested from this file, whatever its bytes were."""
        rows = self._select("WHERE source_path = ?", (source_path,))
        return rows[0] if rows else None

    def all(self) -> list[DocumentRecord]:
        return self._select("ORDER BY title COLLATE NOCASE", ())

    def upsert(
        self,
        doc_id: str,
        *,
        title: str,
        source_path: str,
        file_type: str,
        content_hash: str,
        pipeline: str,
        status: str,
        chunk_count: int,
        metadata: dict[str, Any],
    ) -> None:
        self._db.execute(
            """INSERT INTO documents (doc_id, title, source_path, file_type, content_hash, pipeline, status,
                                      chunk_count, metadata_json, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (doc_id) DO UPDATE SET
                 title = excluded.title, source_path = excluded.source_path,
                 file_type = excluded.file_type, content_hash = excluded.content_hash,
                 pipeline = excluded.pipeline,
                 status = excluded.status, chunk_count = excluded.chunk_count,
                 metadata_json = excluded.metadata_json, updated_at = excluded.updated_at""",
            (
                doc_id, title, source_path, file_type, content_hash, pipeline, status, chunk_count,
                json.dumps(metadata, ensure_ascii=False), _now(),
            ),
        )

    def delete(self, doc_id: str) -> bool:
        """Forget a document, its corrections too: a later document with the same id starts afresh."""
        self._db.execute("DELETE FROM document_overrides WHERE doc_id = ?", (doc_id,))
        return self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    def clear(self) -> None:
        """Drop every document row; the corrections stay, so a re-index applies them again."""
        self._db.execute("DELETE FROM documents")

    def overrides(self, doc_id: str) -> dict[str, Any]:
        """Metadata staff set by hand for a document; None marks a field they cleared."""
        row = self._db.execute("SELECT metadata_json FROM document_overrides WHERE doc_id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_overrides(self, doc_id: str, overrides: dict[str, Any]) -> None:
        if not overrides:
            self._db.execute("DELETE FROM document_overrides WHERE doc_id = ?", (doc_id,))
            return
        self._db.execute(
            """INSERT INTO document_overrides (doc_id, metadata_json, updated_at) VALUES (?, ?, ?)
               ON CONFLICT (doc_id) DO UPDATE SET
                 metadata_json = excluded.metadata_json, updated_at = excluded.updated_at""",
            (doc_id, json.dumps(overrides, ensure_ascii=False), _now()),
        )

    def _select(self, clause: str, params: tuple) -> list[DocumentRecord]:
        cursor = self._db.execute(
            "SELECT doc_id, title, source_path, file_type, content_hash, pipeline, status, chunk_count, "
            f"metadata_json, updated_at FROM documents {clause}",
            params,
        )
        return [
            DocumentRecord(*row[:8], metadata=json.loads(row[8]), updated_at=row[9]) for row in cursor.fetchall()
        ]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
