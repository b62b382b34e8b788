"""Chunk storage in Chroma: embedded (PersistentClient) or a `chroma run` server (HttpClient).

We always pass our own embeddings, so Chroma never loads its default model. The embedder identity is
kept in the collections' metadata; opening the store with another embedder is refused. The store is one
collection per language partition (see LANGUAGE_PARTITIONS); callers see a single store.

Every chunk carries the `version` of the document write that made it; the registry says which version
of a document is live. Chroma cannot commit together with the registry, so a new version is written
beside the old one and the old one is deleted only after the registry has switched to the new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np
from llama_index.core.schema import TextNode

from indexing.errors import EmbedderMismatchError
from indexing.sentence_vectors import METADATA_KEY as SENTENCE_VECTORS
from indexing.sentence_vectors import split_off

log = logging.getLogger(__name__)

# Chroma rejects very large single writes; stay well below its limit.
WRITE_BATCH = 1000
# Chunks read per request when going through the whole collection.
READ_PAGE = 5000
# One collection per language: Chroma applies a `where` before it searches, in time proportional to the
# chunks it keeps (0.25 s for the German 70k of a 100k-chunk collection, 0.02 s for a search over all), so
# the per-language searches of every question search a collection of their own instead.
LANGUAGE_PARTITIONS = ("de", "en")
OTHER_LANGUAGES = "other"  # chunks in any other language, or without one
PARTITIONS = (*LANGUAGE_PARTITIONS, OTHER_LANGUAGES)


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, 1.0 = identical direction
    sentences: np.ndarray | None = None  # one vector per sentence (indexing/sentence_vectors.py)


def _stored(chunk_id: str, text: str, metadata: dict[str, Any] | None, score: float) -> StoredChunk:
    rest, sentences = split_off(metadata or {})
    return StoredChunk(chunk_id, text, rest, score, sentences)


def connect(chroma_url: str, chroma_path: Path):
    """A Chroma client: the server at chroma_url if one is configured, else an embedded store on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_path), settings=chroma_settings)


def _collection_names(client) -> set[str]:
    return {getattr(c, "name", c) for c in client.list_collections()}


def partition_name(base: str, partition: str) -> str:
    return f"{base}.{partition}"


def _store_collections(client, base: str) -> list[str]:
    """The store's collections that exist: its partitions and a collection from before partitions."""
    names = _collection_names(client)
    return [name for name in (base, *(partition_name(base, p) for p in PARTITIONS)) if name in names]


def drop_store(client, base: str) -> None:
    """Delete all of a store's collections (re-indexing starts from nothing)."""
    for name in _store_collections(client, base):
        client.delete_collection(name)


def stored_embedder(client, base: str) -> str | None:
    """The identity of the embedder that built the store; None if there is no store yet."""
    for name in _store_collections(client, base):
        return (client.get_collection(name, embedding_function=None).metadata or {}).get("embedder")
    return None


def chunk_version(metadata: dict[str, Any] | None) -> str:
    """The document write a chunk belongs to ('' for chunks written before versions, or not by the pipeline)."""
    return str((metadata or {}).get("version", ""))


def partition_of(metadata: dict[str, Any] | None) -> str:
    language = (metadata or {}).get("language")
    return language if language in LANGUAGE_PARTITIONS else OTHER_LANGUAGES


def _merge(results: list[dict[str, Any]], include: Sequence[str]) -> dict[str, Any]:
    """Chroma `get` results of several collections as one."""
    merged: dict[str, Any] = {"ids": [], **{field: [] for field in include}}
    for result in results:
        merged["ids"] += list(result["ids"])
        for field in include:
            values = result.get(field)
            merged[field] += list(values) if values is not None else [None] * len(result["ids"])
    return merged


class ChunkStore:
    """Chunks in one Chroma collection per language partition, behind the interface of a single store."""

    def __init__(self, client, collection_name: str, embedder_identity: str):
        self.client = client
        self.collection_name = collection_name
        self.embedder_identity = embedder_identity
        self.partitions = {p: self._open_collection(partition_name(collection_name, p)) for p in PARTITIONS}
        self._move_unpartitioned()

    def _open_collection(self, name: str):
        collection = self.client.get_or_create_collection(
            name,
            metadata={"embedder": self.embedder_identity},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        stored = (collection.metadata or {}).get("embedder")
        if stored != self.embedder_identity:
            raise EmbedderMismatchError(stored, self.embedder_identity)
        return collection

    def _move_unpartitioned(self) -> None:
        """Move the chunks of a store written before partitions (one collection) into the partitions.
        Copied first, deleted last: a move cut short is completed the next time the store is opened."""
        if self.collection_name not in _collection_names(self.client):
            return
        old = self._open_collection(self.collection_name)
        log.warning("Suchindex wird in Sprachbereiche aufgeteilt (einmalig, %d Abschnitte) …", old.count())
        include = ["documents", "metadatas", "embeddings"]
        for offset in range(0, old.count(), READ_PAGE):
            page = old.get(include=include, limit=READ_PAGE, offset=offset)
            nodes = [TextNode(id_=cid, text=text, metadata=dict(meta or {}))
                     for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"])]
            self.add(nodes, [list(vector) for vector in page["embeddings"]])
        self.client.delete_collection(self.collection_name)

    @property
    def collections(self) -> list:
        return list(self.partitions.values())

    def add(self, nodes: Sequence[TextNode], embeddings: Sequence[Sequence[float]]) -> None:
        by_partition: dict[str, list[int]] = {}
        for position, node in enumerate(nodes):
            by_partition.setdefault(partition_of(node.metadata), []).append(position)
        for partition, positions in by_partition.items():
            for start in range(0, len(positions), WRITE_BATCH):
                batch = positions[start:start + WRITE_BATCH]
                self.partitions[partition].upsert(
                    ids=[nodes[i].id_ for i in batch],
                    documents=[nodes[i].text for i in batch],
                    metadatas=[dict(nodes[i].metadata) for i in batch],
                    embeddings=[list(embeddings[i]) for i in batch],
                )

    def records(self, where: dict | None = None, include: Sequence[str] = ("documents", "metadatas"),
                ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Chroma's `get` over all partitions: {"ids": [...], field: [...] for each included field}."""
        return _merge(
            [c.get(ids=list(ids) if ids is not None else None, where=where or None, include=list(include))
             for c in self.collections],
            include,
        )

    def delete_document(self, doc_id: str) -> None:
        for collection in self.collections:
            collection.delete(where={"doc_id": doc_id})

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            for collection in self.collections:
                collection.delete(ids=list(chunk_ids[start:start + WRITE_BATCH]))

    def delete_other_versions(self, doc_id: str, version: str) -> None:
        """Remove a document's chunks of every version but `version` (after that one went live)."""
        result = self.records({"doc_id": doc_id}, ["metadatas"])
        self.delete_chunks([cid for cid, meta in zip(result["ids"], result["metadatas"]) if chunk_version(meta) != version])

    def nodes(self, doc_id: str, version: str) -> list[TextNode]:
        """The chunks of one version of a document as they were added, in document order."""
        result = self.records({"doc_id": doc_id})
        nodes = [
            TextNode(id_=cid, text=text, metadata=dict(meta))
            for cid, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
            if chunk_version(meta) == version
        ]
        return sorted(nodes, key=lambda node: node.metadata.get("chunk_index", 0))

    def pages(self, include: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The whole store, a page of chunks at a time (the check and backups read everything)."""
        for collection in self.collections:
            for offset in range(0, collection.count(), READ_PAGE):
                yield collection.get(include=list(include), limit=READ_PAGE, offset=offset)

    def versions(self) -> list[tuple[str, str, str]]:
        """(chunk_id, doc_id, version) of every chunk (for the consistency check)."""
        return [
            (cid, str((meta or {}).get("doc_id", "")), chunk_version(meta))
            for page in self.pages(["metadatas"]) for cid, meta in zip(page["ids"], page["metadatas"])
        ]

    def chunk_ids(self, doc_id: str | None = None) -> list[str]:
        return self.records({"doc_id": doc_id} if doc_id else None, [])["ids"]

    def count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return sum(collection.count() for collection in self.collections)
        return len(self.chunk_ids(doc_id))

    def embeddings_by_key(self, doc_id: str) -> dict[str, list[float]]:
        """The stored vectors of a document's chunks, keyed by the hash of the text they were made from."""
        return self.vectors_by_key(doc_id)[0]

    def vectors_by_key(self, doc_id: str) -> tuple[dict[str, list[float]], dict[str, str]]:
        """A document's chunk vectors and their encoded sentence vectors, both keyed by the hash of the
        text they were made from, in one read."""
        result = self.records({"doc_id": doc_id}, ["metadatas", "embeddings"])
        chunks, sentences = {}, {}
        for meta, vector in zip(result["metadatas"], result["embeddings"]):
            key = (meta or {}).get("embedding_key")
            if key and vector is not None:
                chunks[key] = list(vector)
            if key and meta.get(SENTENCE_VECTORS):
                sentences[key] = meta[SENTENCE_VECTORS]
        return chunks, sentences

    def get(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Text and metadata of the given chunks (score 0: they were not found by similarity)."""
        if not chunk_ids:
            return {}
        result = self.records(ids=chunk_ids)
        return {
            cid: _stored(cid, text, meta, 0.0)
            for cid, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
        }

    def query(self, embedding: Sequence[float], k: int, where: dict | None = None) -> list[StoredChunk]:
        """The k chunks nearest to the embedding among those matching `where`. A language in `where` picks
        that language's partition and is not passed on to Chroma, so Chroma searches without a filter."""
        if k <= 0:
            return []
        partitions, rest = _search_plan(where)
        found: list[StoredChunk] = []
        for partition in partitions:
            collection = self.partitions[partition]
            if collection.count() == 0:
                continue
            result = collection.query(
                query_embeddings=[list(embedding)], n_results=k, where=rest or None,
                include=["documents", "metadatas", "distances"],
            )
            found += [
                _stored(cid, text, meta, 1.0 - distance)
                for cid, text, meta, distance in zip(
                    result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
                )
            ]
        return sorted(found, key=lambda chunk: chunk.score, reverse=True)[:k]


def _search_plan(where: dict | None) -> tuple[tuple[str, ...], dict | None]:
    """The partitions a search looks in, and the `where` Chroma still has to apply there."""
    language, rest = _split_language(where)
    if language is None:
        return PARTITIONS, where
    if language in LANGUAGE_PARTITIONS:
        return (language,), rest
    if language == OTHER_LANGUAGES:  # the partition itself: every language but German and English
        return (OTHER_LANGUAGES,), rest
    return (OTHER_LANGUAGES,), where  # that partition holds several languages: keep the filter


def _split_language(where: dict | None) -> tuple[str | None, dict | None]:
    """The language an equality clause of `where` asks for, and the rest of `where` without it."""
    if not where:
        return None, None
    clauses = where["$and"] if "$and" in where else [where]
    language = next((c["language"] for c in clauses if isinstance(c.get("language"), str)), None)
    if language is None:
        return None, where
    rest = [c for c in clauses if not isinstance(c.get("language"), str)]
    return language, (rest[0] if len(rest) == 1 else {"$and": rest} if rest else None)
