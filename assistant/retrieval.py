"""Retrieval: the passages that best match a question, most relevant first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from indexing.embedding import LocalEmbedding
from indexing.store import ChunkStore


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]

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


class DenseRetriever:
    def __init__(self, store: ChunkStore, embedder: LocalEmbedding):
        self.store = store
        self.embedder = embedder

    def retrieve(self, question: str, k: int, where: dict | None = None) -> list[Passage]:
        vector = self.embedder.get_query_embedding(question)
        return [
            Passage(chunk.chunk_id, chunk.text, chunk.score, chunk.metadata)
            for chunk in self.store.query(vector, k, where)
        ]
