"""Measure facts in the registry database, next to their documents: replaced on every ingest of a
document (in the same transaction as its registry row), deleted with it, and corrected or confirmed by
staff (corrections survive re-ingest)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from indexing.database import open_database
from indexing.facts import FIELDS, STAFF, Fact
from indexing.transaction import Write, commit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    doc_id      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    page        INTEGER,
    heading     TEXT NOT NULL DEFAULT '',
    passage     TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL,
    confirmed   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (doc_id, field)
);
CREATE TABLE IF NOT EXISTS fact_corrections (
    doc_id      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value_json  TEXT,  -- NULL: staff confirmed the extracted value as it is
    PRIMARY KEY (doc_id, field)
);
"""


class FactStore:
    def __init__(self, path: Path):
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def replace(self, doc_id: str, facts: list[Fact]) -> None:
        """The document's facts from its latest ingest, with staff corrections laid over them."""
        with self._lock:
            commit(self._db, self.replace_writes(doc_id, facts))

    def replace_writes(self, doc_id: str, facts: list[Fact]) -> list[Write]:
        """What `replace` writes, for the registry to commit together with the document's row."""
        by_field = {fact.field: fact for fact in facts}
        for field, value in self._corrections(doc_id).items():
            if value is None:
                if field in by_field:
                    by_field[field] = replace(by_field[field], confirmed=True)
            else:
                by_field[field] = Fact(doc_id, field, value, origin=STAFF, confirmed=True)
        return [
            ("DELETE FROM facts WHERE doc_id = ?", [(doc_id,)]),
            ("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             [(doc_id, f.field, json.dumps(f.value, ensure_ascii=False), f.page, f.heading, f.passage, f.origin,
               int(f.confirmed)) for f in by_field.values()]),
        ]

    def for_document(self, doc_id: str) -> list[Fact]:
        return self._select("WHERE doc_id = ?", (doc_id,))

    def all(self) -> list[Fact]:
        return self._select("", ())

    def correct(self, doc_id: str, field: str, value: Any) -> None:
        """Staff set a fact's value (None: confirm the extracted one); applied now and on every re-ingest."""
        if field not in FIELDS:
            raise ValueError(f"Unbekanntes Feld „{field}“; bekannt sind: {', '.join(FIELDS)}.")
        with self._lock:
            self._db.execute(
                "INSERT INTO fact_corrections VALUES (?, ?, ?) ON CONFLICT (doc_id, field) DO UPDATE SET "
                "value_json = excluded.value_json",
                (doc_id, field, None if value is None else json.dumps(value, ensure_ascii=False)),
            )
        self.replace(doc_id, [f for f in self.for_document(doc_id) if f.origin != STAFF])

    def delete_writes(self, doc_id: str) -> list[Write]:
        """The writes that forget a document's facts and their corrections, for the registry to commit."""
        return [
            ("DELETE FROM facts WHERE doc_id = ?", [(doc_id,)]),
            ("DELETE FROM fact_corrections WHERE doc_id = ?", [(doc_id,)]),
        ]

    def documents(self) -> set[str]:
        """The ids of the documents that have facts (for the consistency check)."""
        return {row[0] for row in self._db.execute("SELECT DISTINCT doc_id FROM facts")}

    def drop_facts(self, doc_id: str) -> None:
        """Remove a document's facts but keep staff's corrections, which a later ingest applies again."""
        with self._lock:
            commit(self._db, [("DELETE FROM facts WHERE doc_id = ?", [(doc_id,)])])

    def clear(self) -> None:
        """Drop every fact (before a re-index); staff corrections stay and are applied again."""
        with self._lock:
            self._db.execute("DELETE FROM facts")

    def _corrections(self, doc_id: str) -> dict[str, Any]:
        rows = self._db.execute("SELECT field, value_json FROM fact_corrections WHERE doc_id = ?", (doc_id,))
        return {field: None if value is None else json.loads(value) for field, value in rows.fetchall()}

    def _select(self, clause: str, params: tuple) -> list[Fact]:
        rows = self._db.execute(
            f"SELECT doc_id, field, value_json, page, heading, passage, origin, confirmed FROM facts {clause} "
            "ORDER BY doc_id, field", params,
        ).fetchall()
        return [Fact(d, f, json.loads(v), p, h, s, o, bool(c)) for d, f, v, p, h, s, o, c in rows]
