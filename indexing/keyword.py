"""The keyword index: BM25 over stemmed words and word-internal character 5-grams, in SQLite FTS5.

Stems let "Förderung" match "gefördert"; the 5-grams let compounds meet their parts, so a question
about "Wärmerückgewinnungsanlage" finds a passage about "Wärmerückgewinnung" and the other way round.
FTS5 keeps the index on disk and updates it per document with the ingestion, so nothing is rebuilt
when a question comes in.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from llama_index.core.schema import TextNode

from indexing.database import open_database
from indexing.transaction import Write, commit

GRAM = 5
# Words at least this long are likely compounds and also get their 5-grams indexed.
COMPOUND_MIN_LENGTH = 9
# Column weights for FTS5's bm25(): whole stems count more than shared 5-grams.
STEM_WEIGHT, GRAM_WEIGHT = 1.0, 0.35
FILTER_COLUMNS = ("doc_id", "company", "sector", "language", "doc_type", "year", "measure_types")

_STOPWORDS = frozenset(
    """
    aber alle als also am an auch auf aus bei bin bis da damit dann das dass dem den der des die dies diese
    dieser dieses doch dort du durch ein eine einem einen einer eines er es für fur gibt hat hatte haben
    hier ich ihr im in ins ist ja kann mit nach nicht noch nur oder sich sie sind so über um und uns von vom
    vor war waren was wer wie wir wird wo wurde wurden zu zum zur welche welcher welches wieviel viel viele
    a an and are as at be been by can did do does for from has have how in is it its of on or that the their
    there these this to was were what when which who why with
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def analyse(text: str) -> tuple[list[str], list[str]]:
    """Stems and compound 5-grams of a text, the same way for passages and questions."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())]
    stems = [stem.translate(_FOLD) for stem in _stemmer().stemWords(words)]
    grams = []
    for word in words:
        if len(word) >= COMPOUND_MIN_LENGTH and word.isalpha():
            folded = word.translate(_FOLD)
            grams.extend(folded[i:i + GRAM] for i in range(len(folded) - GRAM + 1))
    return stems, grams


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float  # BM25, higher is better


class KeywordIndex:
    def __init__(self, path: Path):
        self._db = open_database(path)
        self._lock = threading.Lock()
        unindexed = ", ".join(f"{column} UNINDEXED" for column in ("chunk_id",) + FILTER_COLUMNS)
        self._db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS keyword_chunks USING fts5({unindexed}, stems, grams, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )

    def add(self, nodes: Sequence[TextNode]) -> None:
        with self._lock:
            commit(self._db, [self._insert_write(nodes)])

    def replace_writes(self, doc_id: str, nodes: Sequence[TextNode]) -> list[Write]:
        """The writes that replace a document's rows by these nodes', for the registry to commit together
        with the document's row."""
        return [*self.delete_writes(doc_id), self._insert_write(nodes)]

    def delete_writes(self, doc_id: str) -> list[Write]:
        return [("DELETE FROM keyword_chunks WHERE doc_id = ?", [(doc_id,)])]

    def replace_document(self, doc_id: str, nodes: Sequence[TextNode]) -> None:
        with self._lock:
            commit(self._db, self.replace_writes(doc_id, nodes))

    def delete_document(self, doc_id: str) -> None:
        with self._lock:
            commit(self._db, self.delete_writes(doc_id))

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        with self._lock:
            commit(self._db, [("DELETE FROM keyword_chunks WHERE chunk_id = ?", [(cid,) for cid in chunk_ids])])

    def chunks(self) -> list[tuple[str, str]]:
        """(chunk_id, doc_id) of every row, duplicates included (for the consistency check)."""
        return self._db.execute("SELECT chunk_id, doc_id FROM keyword_chunks").fetchall()

    def _insert_write(self, nodes: Sequence[TextNode]) -> Write:
        rows = []
        for node in nodes:
            stems, grams = analyse(node.metadata.get("title", "") + " " + node.metadata.get("heading", "") + " " + node.text)
            rows.append((node.id_, *_filter_values(node.metadata), " ".join(stems), " ".join(grams)))
        placeholders = ", ".join("?" * (len(FILTER_COLUMNS) + 3))
        return f"INSERT INTO keyword_chunks VALUES ({placeholders})", rows

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM keyword_chunks")

    def count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return self._db.execute("SELECT count(*) FROM keyword_chunks").fetchone()[0]
        return self._db.execute("SELECT count(*) FROM keyword_chunks WHERE doc_id = ?", (doc_id,)).fetchone()[0]

    def search(self, question: str, k: int, filters: dict[str, Any] | None = None) -> list[KeywordHit]:
        stems, grams = analyse(question)
        terms = [f'stems : "{t}"' for t in dict.fromkeys(stems)] + [f'grams : "{g}"' for g in dict.fromkeys(grams)]
        if not terms or k <= 0:
            return []
        where, params = _filter_sql(filters or {})
        sql = (
            f"SELECT chunk_id, bm25(keyword_chunks, {', '.join(['0'] * (len(FILTER_COLUMNS) + 1))}, "
            f"{STEM_WEIGHT}, {GRAM_WEIGHT}) AS rank FROM keyword_chunks "
            f"WHERE keyword_chunks MATCH ? {where} ORDER BY rank LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (" OR ".join(terms), *params, k)).fetchall()
        return [KeywordHit(chunk_id, -rank) for chunk_id, rank in rows]


def _filter_values(metadata: dict[str, Any]) -> list[Any]:
    values = []
    for column in FILTER_COLUMNS:
        value = metadata.get(column)
        if column == "measure_types":
            value = "|" + "|".join(value or []) + "|"
        values.append(value)
    return values


def _filter_sql(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """AND of equality filters; measure_types matches if the chunk's document has that measure."""
    clauses, params = [], []
    for column, value in filters.items():
        if column not in FILTER_COLUMNS:
            raise ValueError(f"unknown filter '{column}'")
        if column == "measure_types":
            clauses.append("measure_types LIKE ?")
            params.append(f"%|{value}|%")
        else:
            clauses.append(f"{column} = ?")
            params.append(value)
    return "".join(f" AND {clause}" for clause in clauses), params
