"""Chunk storage in Chroma: embedded (PersistentClient) or a `chroma run` server (HttpClient).

We always pass our own embeddings, so Chroma never loads its default model. The embedder identity is
kept in the collection metadata; opening the collection with another embedder is refused.

Every chunk carries the `version` of the document write that made it; the registry says which version
of a document is live. Chroma cannot commit together with the registry, so a new version is written
beside the old one and the old one is deleted only after the registry has switched to the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

from llama_index.core.schema import TextNode

from indexing.errors import EmbedderMismatchError

# Chroma rejects very large single writes; stay well below its limit.
WRITE_BATCH = 1000
# Chunks read per request when going through the whole collection.
READ_PAGE = 5000


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, 1.0 = identical direction


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


def _exists(client, name: str) -> bool:
    return name in {getattr(c, "name", c) for c in client.list_collections()}


def drop_collection(client, name: str) -> None:
    """Delete a collection if it exists (re-indexing starts from nothing)."""
    if _exists(client, name):
        client.delete_collection(name)


def stored_embedder(client, name: str) -> str | None:
    """The identity of the embedder that built the collection; None if there is no collection yet."""
    if not _exists(client, name):
        return None
    return (client.get_collection(name, embedding_function=None).metadata or {}).get("embedder")


def chunk_version(metadata: dict[str, Any] | None) -> str:
    """The document write a chunk belongs to ('' for chunks written before versions, or not by the pipeline)."""
    return str((metadata or {}).get("version", ""))


class ChunkStore:
    def __init__(self, client, collection_name: str, embedder_identity: str):
        self.client = client
        self.collection_name = collection_name
        self.embedder_identity = embedder_identity
        self.collection = self._open_collection()

    def _open_collection(self):
        collection = self.client.get_or_create_collection(
            self.collection_name,
            metadata={"embedder": self.embedder_identity},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        stored = (collection.metadata or {}).get("embedder")
        if stored != self.embedder_identity:
            raise EmbedderMismatchError(
                f"Der Index wurde mit dem Embedder '{stored}' erstellt, konfiguriert ist "
                f"'{self.embedder_identity}'. Bitte neu indexieren: klimawissen reindex PFAD "
                "(oder den früheren Embedder konfigurieren)."
            )
        return collection

    def add(self, nodes: Sequence[TextNode], embeddings: Sequence[Sequence[float]]) -> None:
        for start in range(0, len(nodes), WRITE_BATCH):
            batch = nodes[start:start + WRITE_BATCH]
            self.collection.upsert(
                ids=[node.id_ for node in batch],
                documents=[node.text for node in batch],
                metadatas=[dict(node.metadata) for node in batch],
                embeddings=[list(vector) for vector in embeddings[start:start + WRITE_BATCH]],
            )

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            self.collection.delete(ids=list(chunk_ids[start:start + WRITE_BATCH]))

    def delete_other_versions(self, doc_id: str, version: str) -> None:
        """Remove a document's chunks of every version but `version` (after that one went live)."""
        result = self.collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        self.delete_chunks([cid for cid, meta in zip(result["ids"], result["metadatas"]) if chunk_version(meta) != version])

    def nodes(self, doc_id: str, version: str) -> list[TextNode]:
        """The chunks of one version of a document as they were added, in document order."""
        result = self.collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        nodes = [
            TextNode(id_=cid, text=text, metadata=dict(meta))
            for cid, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
            if chunk_version(meta) == version
        ]
        return sorted(nodes, key=lambda node: node.metadata.get("chunk_index", 0))

    def pages(self, include: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The whole collection, a page of chunks at a time (the check and backups read everything)."""
        for offset in range(0, self.collection.count(), READ_PAGE):
            yield self.collection.get(include=list(include), limit=READ_PAGE, offset=offset)

    def versions(self) -> list[tuple[str, str, str]]:
        """(chunk_id, doc_id, version) of every chunk (for the consistency check)."""
        return [
            (cid, str((meta or {}).get("doc_id", "")), chunk_version(meta))
            for page in self.pages(["metadatas"]) for cid, meta in zip(page["ids"], page["metadatas"])
        ]

    def chunk_ids(self, doc_id: str | None = None) -> list[str]:
        where = {"doc_id": doc_id} if doc_id else None
        return self.collection.get(where=where, include=[])["ids"]

    def count(self, doc_id: str | None = None) -> int:
        return self.collection.count() if doc_id is None else len(self.chunk_ids(doc_id))

    def embeddings_by_key(self, doc_id: str) -> dict[str, list[float]]:
        """The stored vectors of a document's chunks, keyed by the hash of the text they were made from."""
        result = self.collection.get(where={"doc_id": doc_id}, include=["metadatas", "embeddings"])
        return {
            meta["embedding_key"]: list(vector)
            for meta, vector in zip(result["metadatas"], result["embeddings"] if result["embeddings"] is not None else [])
            if meta and meta.get("embedding_key")
        }

    def get(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Text and metadata of the given chunks (score 0: they were not found by similarity)."""
        if not chunk_ids:
            return {}
        result = self.collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {
            cid: StoredChunk(cid, text, dict(meta or {}), 0.0)
            for cid, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
        }

    def query(self, embedding: Sequence[float], k: int, where: dict | None = None) -> list[StoredChunk]:
        if k <= 0 or self.collection.count() == 0:
            return []
        result = self.collection.query(
            query_embeddings=[list(embedding)],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredChunk(chunk_id=cid, text=text, metadata=dict(meta or {}), score=1.0 - distance)
            for cid, text, meta, distance in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
        ]

