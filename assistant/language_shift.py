"""Moving a question's vector towards the language of the passages it is compared with.

e5 places a question nearer to passages in its own language than to equally relevant passages in the
other one. The mean difference between the vectors of the same questions asked in German and in English
measures that gap; adding it to an English question before searching German passages lets the meaning
decide more and the language less. Only that direction is moved: the reverse (a German question over
English passages) ranked worse on the golden set, and keeps the retriever's small score boost instead.
The question pairs are our own (`question_pairs.tsv`); the figures are in docs/retrieval.md.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from indexing.embedding import LocalEmbedding

QUESTION_PAIRS = Path(__file__).with_name("question_pairs.tsv")
SHIFTED = ("en", "de")  # (question language, passage language)

log = logging.getLogger(__name__)


def measure_gap(embedder: LocalEmbedding, pairs: Path = QUESTION_PAIRS) -> np.ndarray:
    """The gap as this embedder sees it: mean(German questions) − mean(their English translations)."""
    rows = [line.split("\t") for line in pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    german = np.array([embedder.get_query_embedding(row[0]) for row in rows])
    english = np.array([embedder.get_query_embedding(row[1]) for row in rows])
    return german.mean(axis=0) - english.mean(axis=0)


def stored_gap(embedder: LocalEmbedding, path: Path, pairs: Path = QUESTION_PAIRS) -> np.ndarray:
    """The gap kept in `path` (in the data directory). It is measured again when the file is missing or
    damaged, or the embedder or the question pairs changed: measuring takes ~1 s, which every start of
    `serve` paid before."""
    key = f"{embedder.identity}\n{hashlib.sha256(pairs.read_bytes()).hexdigest()}"
    if path.exists():
        try:
            with np.load(path) as saved:  # pickles are refused: the file is read as data only
                if str(saved["key"]) == key:
                    return saved["gap"]
        except Exception as error:  # a damaged file must cost a measurement, never the start
            log.warning("language gap in %s unreadable (%s): measuring it again", path, error)
    gap = measure_gap(embedder, pairs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, key=np.array(key), gap=gap)
            os.replace(partial, path)  # two starts at once each write their own file; the last one stays
        finally:
            Path(partial).unlink(missing_ok=True)
    except OSError as error:  # a read-only data directory: measure at every start instead
        log.warning("language gap not kept in %s (%s)", path, error)
    return gap


class LanguageShift:
    def __init__(self, german_minus_english: np.ndarray, strength: float = 1.0):
        self.direction = german_minus_english
        self.strength = strength

    def applies(self, question_language: str, passage_language: str) -> bool:
        return bool(self.strength) and (question_language, passage_language) == SHIFTED

    def move(self, vector: list[float], question_language: str, passage_language: str) -> list[float]:
        """The question's vector as it would read in the passages' language (unit length, as e5's are)."""
        if not self.applies(question_language, passage_language):
            return vector
        moved = np.asarray(vector) + self.strength * self.direction
        return (moved / np.linalg.norm(moved)).tolist()
