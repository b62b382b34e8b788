"""Retrieval: the passages that best match a question, most relevant first.

Dense (e5) and keyword (BM25) candidates, and each candidate's best sentence, are fused; metadata
filters narrow both; for questions asking for examples the result is spread over different documents.
The result carries a relevance signal (the best dense similarity of the question as asked) that the
answer step uses to say "nothing found".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from assistant.language_shift import LanguageShift
from indexing.embedding import LocalEmbedding
from indexing.keyword import FILTER_COLUMNS, KeywordIndex
from indexing.language import detect_language
from indexing.store import PARTITIONS, ChunkStore, StoredChunk, chunk_version

# How many candidates each retriever contributes before fusion.
CANDIDATES = 40
RRF_K = 60
_EXAMPLES_QUESTION = re.compile(
    r"\b(beispiele?|examples?|welche (partner|unternehmen|firmen|betriebe)|which (partners|companies|firms))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]
    # Each sentence's similarity to the question (in indexing.sentences.split_sentences order); empty for
    # a passage indexed before sentences were embedded. The extractive answer picks sentences with it.
    sentence_scores: tuple[float, ...] = ()

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", ""))

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", self.doc_id))

    @property
    def page(self) -> int | None:
        return self.metadata.get("page")

    @property
    def heading(self) -> str:
        return str(self.metadata.get("heading", ""))


@dataclass
class Retrieval:
    query: str
    passages: list[Passage] = field(default_factory=list)
    relevance: float = 0.0  # best dense similarity of the question as asked to any passage (0: nothing matched)


def chroma_where(filters: dict[str, Any]) -> dict | None:
    """Our filter dict as a Chroma `where` clause (measure_types is a list: matched with $contains)."""
    clauses = []
    for column, value in filters.items():
        if column not in FILTER_COLUMNS:
            raise ValueError(f"unknown filter '{column}'")
        clauses.append({column: {"$contains": value}} if column == "measure_types" else {column: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def is_examples_question(question: str) -> bool:
    return bool(_EXAMPLES_QUESTION.search(question))


@dataclass
class DenseHits:
    chunks: list[StoredChunk]
    as_asked: list[StoredChunk]  # the best chunk of each partition for the question as asked (not moved)
    vector: list[float] = field(default_factory=list)  # the question as asked


class DenseRetriever:
    """Vector search only: the embedder's nearest chunks."""

    def __init__(self, store: ChunkStore, embedder: LocalEmbedding, language_shift: LanguageShift | None = None):
        self.store = store
        self.embedder = embedder
        self.language_shift = language_shift

    def search(
        self, question: str, k: int, filters: dict[str, Any] | None = None, per_language: tuple[str, ...] = (),
        language: str = "",
    ) -> DenseHits:
        """The k nearest chunks; with `per_language`, the k nearest in each of those languages. With a
        language shift, the question (in `language`) is moved towards each partition's language first."""
        vector = self.embedder.get_query_embedding(question)
        filters = filters or {}
        # Each language is a partition of the store of its own, so these are searches without a filter.
        partitions = per_language if per_language and "language" not in filters else (filters.get("language"),)
        chunks, as_asked = [], []
        for partition in partitions:
            where = chroma_where({**filters, "language": partition} if partition else filters)
            moved = self.towards(vector, language, partition or "")
            found = self.store.query(moved, k, where)
            chunks += found
            # A moved question scores higher against every passage of that language, so its scores
            # would inflate the relevance signal: that is measured with the question as asked.
            as_asked += found[:1] if moved is vector else self.store.query(vector, 1, where)
        return DenseHits(sorted(chunks, key=lambda c: c.score, reverse=True), as_asked, vector)

    def towards(self, vector: list[float], question_language: str, passage_language: str) -> list[float]:
        if self.language_shift is None:
            return vector
        return self.language_shift.move(vector, question_language, passage_language)


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        keyword: KeywordIndex,
        embedder: LocalEmbedding,
        fusion: str = "weighted",
        keyword_weight: float = 0.6,
        cross_lingual_keyword_weight: float = 0.1,
        cross_lingual_boost: float = 0.0,
        sentence_weight: float = 0.0,
        reranker=None,
        live_versions: Callable[[], dict[str, str | None]] | None = None,
        language_shift: LanguageShift | None = None,
    ):
        self.store = store
        self.keyword = keyword
        self.dense = DenseRetriever(store, embedder, language_shift)
        self.fusion = fusion
        self.keyword_weight = keyword_weight
        self.cross_lingual_keyword_weight = cross_lingual_keyword_weight
        self.cross_lingual_boost = cross_lingual_boost
        self.sentence_weight = sentence_weight
        self.reranker = reranker
        # doc_id → the version the registry publishes; None serves every chunk in the store.
        self.live_versions = live_versions

    def retrieve(
        self, question: str, k: int, filters: dict[str, Any] | None = None, diverse: bool | None = None
    ) -> Retrieval:
        filters = filters or {}
        # e5 favours passages in the question's own language: with a boost or a shift, candidates are
        # drawn from each language partition separately, so that the other language's best passages are
        # there to be boosted, or are searched with the question moved into their language.
        per_language = PARTITIONS if self.cross_lingual_boost or self.dense.language_shift else ()
        language = detect_language(question)
        live = self.live_versions() if self.live_versions else None
        hits = self.dense.search(question, CANDIDATES, filters, per_language, language)
        dense = served(hits.chunks, live)
        keyword = self.keyword.search(question, CANDIDATES, filters)
        # An English question over mostly German text: BM25 can only match names and numbers.
        weight = self.cross_lingual_keyword_weight if language == "en" else self.keyword_weight
        chunks = {chunk.chunk_id: chunk for chunk in dense}
        missing = [hit.chunk_id for hit in keyword if hit.chunk_id not in chunks]
        chunks.update({c.chunk_id: c for c in served(list(self.store.get(missing).values()), live)})
        dense_scores = {chunk.chunk_id: chunk.score for chunk in dense}
        similarities = self._sentence_similarities(chunks.values(), hits.vector, language)
        lists = [
            ([(c.chunk_id, c.score) for c in self._balance_languages(dense, language)], 1.0),
            ([(h.chunk_id, h.score) for h in keyword], weight),
        ]
        if self.sentence_weight:
            lists.append((self._best_sentences(chunks.values(), similarities, language, dense_scores), self.sentence_weight))
        scores = self._fuse(lists)
        ranked = [
            Passage(cid, chunks[cid].text, dense_scores.get(cid, 0.0), chunks[cid].metadata,
                    tuple(similarities[cid].tolist()) if cid in similarities else ())
            for cid in sorted(scores, key=scores.get, reverse=True)
            if cid in chunks
        ]
        if self.reranker is not None:
            ranked = self.reranker.rerank(question, ranked)
        if diverse if diverse is not None else is_examples_question(question):
            ranked = one_per_document(ranked)
        relevance = max((c.score for c in served(hits.as_asked, live)), default=0.0)
        return Retrieval(question, ranked[:k], relevance)

    def _balance_languages(self, dense: list[StoredChunk], language: str) -> list[StoredChunk]:
        """e5 rates a passage in the question's own language higher than an equally good translation;
        a small boost for passages in the other language evens that out (tuned in docs/evaluation.md),
        unless they were searched with the question moved into their language (the shift does it then)."""
        if not self.cross_lingual_boost:
            return dense
        adjusted = [
            replace(c, score=c.score + self.cross_lingual_boost)
            if self._boosted(language, c.metadata.get("language", language)) else c
            for c in dense
        ]
        return sorted(adjusted, key=lambda c: c.score, reverse=True)

    def _sentence_similarities(self, chunks: Iterable[StoredChunk], vector: list[float], language: str
                               ) -> dict[str, np.ndarray]:
        """Each candidate's sentences' similarities to the question, moved into the passage's language
        as the dense search moves it. Chunks indexed before sentences were embedded have none."""
        moved: dict[str, np.ndarray] = {}
        similarities = {}
        for chunk in chunks:
            if chunk.sentences is None:
                continue
            passage_language = chunk.metadata.get("language", language)
            if passage_language not in moved:
                moved[passage_language] = np.asarray(self.dense.towards(vector, language, passage_language))
            similarities[chunk.chunk_id] = chunk.sentences @ moved[passage_language]
        return similarities

    def _best_sentences(self, chunks: Iterable[StoredChunk], similarities: dict[str, np.ndarray], language: str,
                        dense_scores: dict[str, float]) -> list[tuple[str, float]]:
        """Each candidate's best sentence similarity to the question, boosted across languages as the
        dense list is. A chunk indexed before sentences were embedded counts its dense score."""
        items = []
        for chunk in chunks:
            if chunk.chunk_id not in similarities:
                if chunk.chunk_id in dense_scores:
                    items.append((chunk.chunk_id, dense_scores[chunk.chunk_id]))
                continue
            score = float(similarities[chunk.chunk_id].max())
            if self._boosted(language, chunk.metadata.get("language", language)):
                score += self.cross_lingual_boost
            items.append((chunk.chunk_id, score))
        return items

    def _boosted(self, question_language: str, passage_language: str) -> bool:
        """A passage in the other language gets the boost, unless the question was moved into its language."""
        shift = self.dense.language_shift
        return bool(self.cross_lingual_boost) and passage_language != question_language and not (
            shift and shift.applies(question_language, passage_language)
        )

    def _fuse(self, lists: list[tuple[list[tuple[str, float]], float]]) -> dict[str, float]:
        """Fused scores of (chunk id, score) lists, each best first or unordered, with its weight."""
        scores: dict[str, float] = {}
        if self.fusion == "rrf":
            for items, weight in lists:
                ranked = sorted(items, key=lambda item: item[1], reverse=True)
                for rank, (cid, _) in enumerate(ranked):
                    scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank + 1)
            return scores
        if self.fusion == "weighted":
            # Min-max normalise each list, then add: keeps the size of score gaps that RRF throws away.
            for items, weight in lists:
                for cid, normalised in _min_max(items):
                    scores[cid] = scores.get(cid, 0.0) + weight * normalised
            return scores
        raise ValueError(f"unknown fusion '{self.fusion}': use 'rrf' or 'weighted'")


def _min_max(items: list[tuple[str, float]]) -> list[tuple[str, float]]:
    if not items:
        return []
    low, high = min(v for _, v in items), max(v for _, v in items)
    return [(cid, (v - low) / (high - low) if high > low else 1.0) for cid, v in items]


def served(chunks: list[StoredChunk], live: dict[str, str | None] | None) -> list[StoredChunk]:
    """The chunks of the version the registry publishes, not those of a write in progress or cut short.
    Chunks of documents the registry does not know are served only without a version: those were written
    straight into the store, not by the pipeline (the benchmark's stores)."""
    if live is None:
        return chunks
    return [c for c in chunks if live.get(str(c.metadata.get("doc_id", "")), "") == chunk_version(c.metadata)]


def one_per_document(passages: list[Passage]) -> list[Passage]:
    """Best passage of each document first, then the rest: examples from many partners, not one."""
    seen: set[str] = set()
    first, rest = [], []
    for passage in passages:
        (rest if passage.doc_id in seen else first).append(passage)
        seen.add(passage.doc_id)
    return first + rest
