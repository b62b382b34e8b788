"""The document registry: one row per document with a stable id, content hash, status and metadata.

SQLite in the data directory; it answers "is this file already indexed?" without touching the
vector store, and lists documents for staff. It also keeps the metadata staff corrected by hand, apart
from the documents, so the corrections outlive re-ingesting, re-indexing and replacing the file.

Each write of a document makes a new `version` of its chunks. The row names the version that is live
(served); `pending_version` marks a write that has begun and not yet been published, so a write cut
short by a crash can be found and cleaned up (see indexing/consistency.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from indexing.database import open_database
from indexing.transaction import Write, commit
from indexing.write_lock import WriteLock

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
# Columns added after the first release, to new and older databases alike when opened: the version of
# the live chunks, and that of a write that has begun ('' for none).
_ADDED_COLUMNS = {
    "version": "ALTER TABLE documents ADD COLUMN version TEXT NOT NULL DEFAULT ''",
    "pending_version": "ALTER TABLE documents ADD COLUMN pending_version TEXT NOT NULL DEFAULT ''",
}
_COLUMNS = (
    "doc_id, title, source_path, file_type, content_hash, pipeline, status, chunk_count, metadata_json, updated_at, "
    "version, pending_version"
)


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
    version: str = ""
    pending_version: str = ""

    @property
    def interrupted(self) -> bool:
        """A write of this document began and was never published (the process died meanwhile)."""
        return bool(self.pending_version) or self.status != READY


class Registry:
    def __init__(self, path: Path):
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self._add_columns()
        # Held by whoever writes documents (pipeline, repair, backup), see indexing/write_lock.py.
        self.write_lock = WriteLock(path.with_name(path.name + ".write-lock"))

    def _add_columns(self) -> None:
        present = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for column, statement in _ADDED_COLUMNS.items():
            if column not in present:
                try:
                    self._db.execute(statement)
                except sqlite3.OperationalError as error:  # another process opening it added it first
                    if "duplicate column" not in str(error):
                        raise

    def close(self) -> None:
        self._db.close()

    def get(self, doc_id: str) -> DocumentRecord | None:
        rows = self._select("WHERE doc_id = ?", (doc_id,))
        return rows[0] if rows else None

    def find_unchanged(self, source_path: str, content_hash: str, pipeline: str) -> DocumentRecord | None:
        """The ready document last ingested from this very file, with these bytes, by this same pipeline,
        unless a later write of it was interrupted (that write may have carried new metadata)."""
        rows = self._select(
            "WHERE source_path = ? AND content_hash = ? AND pipeline = ? AND status = ? AND pending_version = ''",
            (source_path, content_hash, pipeline, READY),
        )
        return rows[0] if rows else None

    def from_source(self, source_path: str) -> DocumentRecord | None:
        """The document last ingested from this file, whatever its bytes were."""
        rows = self._select("WHERE source_path = ?", (source_path,))
        return rows[0] if rows else None

    def all(self) -> list[DocumentRecord]:
        return self._select("ORDER BY title COLLATE NOCASE", ())

    def live_versions(self) -> dict[str, str | None]:
        """doc_id → version of the document's chunks that may be served; None while it is not published."""
        rows = self._db.execute("SELECT doc_id, version, status FROM documents").fetchall()
        return {doc_id: version if status == READY else None for doc_id, version, status in rows}

    def begin_write(self, doc_id: str, version: str, **record: Any) -> None:
        """Mark a write of `version` as begun. A published document stays as it is (its old version stays
        live); a new one is listed as indexing until it is published."""
        if self.get(doc_id) is None:
            self.upsert(doc_id, status=INDEXING, pending_version=version, **record)
        else:
            self._db.execute("UPDATE documents SET pending_version = ? WHERE doc_id = ?", (version, doc_id))

    def publish(self, doc_id: str, version: str, writes: list[Write], **record: Any) -> None:
        """Make `version` the live one, committing the other stores' `writes` in the same transaction."""
        commit(self._db, [*writes, self._upsert_write(doc_id, status=READY, version=version, **record)])

    def abandon_write(self, doc_id: str) -> None:
        """Forget an interrupted write: a never published document disappears, a published one keeps its
        live version."""
        commit(self._db, [
            ("DELETE FROM documents WHERE doc_id = ? AND status != ?", [(doc_id, READY)]),
            ("UPDATE documents SET pending_version = '' WHERE doc_id = ?", [(doc_id,)]),
        ])

    def upsert(self, doc_id: str, **fields: Any) -> None:
        """Write a document row as given: title, source_path, file_type, content_hash, pipeline, status,
        chunk_count, metadata, and optionally version and pending_version."""
        commit(self._db, [self._upsert_write(doc_id, **fields)])

    def _upsert_write(
        self, doc_id: str, *, title: str, source_path: str, file_type: str, content_hash: str, pipeline: str,
        status: str, chunk_count: int, metadata: dict[str, Any], version: str = "", pending_version: str = "",
    ) -> Write:
        return (
            f"""INSERT INTO documents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (doc_id) DO UPDATE SET
                 title = excluded.title, source_path = excluded.source_path,
                 file_type = excluded.file_type, content_hash = excluded.content_hash,
                 pipeline = excluded.pipeline,
                 status = excluded.status, chunk_count = excluded.chunk_count,
                 metadata_json = excluded.metadata_json, updated_at = excluded.updated_at,
                 version = excluded.version, pending_version = excluded.pending_version""",
            [(
                doc_id, title, source_path, file_type, content_hash, pipeline, status, chunk_count,
                json.dumps(metadata, ensure_ascii=False), _now(), version, pending_version,
            )],
        )

    def delete(self, doc_id: str, writes: list[Write] = ()) -> None:
        """Forget a document, its corrections too: a later document with the same id starts afresh. The
        other stores' `writes` (their rows of the document) are committed in the same transaction."""
        commit(self._db, [
            ("DELETE FROM document_overrides WHERE doc_id = ?", [(doc_id,)]),
            ("DELETE FROM documents WHERE doc_id = ?", [(doc_id,)]),
            *writes,
        ])

    def relocate_sources(self, old_folder: Path, new_folder: Path) -> None:
        """Point documents whose file lay in `old_folder` to the same file in `new_folder` (after a restore
        into another data directory)."""
        rows = self._db.execute("SELECT doc_id, source_path FROM documents").fetchall()
        moved = [
            (str(new_folder / Path(path).relative_to(old_folder)), doc_id)
            for doc_id, path in rows if Path(path).is_relative_to(old_folder)
        ]
        commit(self._db, [("UPDATE documents SET source_path = ? WHERE doc_id = ?", moved)])

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
        cursor = self._db.execute(f"SELECT {_COLUMNS} FROM documents {clause}", params)
        return [
            DocumentRecord(*row[:8], metadata=json.loads(row[8]), updated_at=row[9], version=row[10],
                           pending_version=row[11])
            for row in cursor.fetchall()
        ]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
