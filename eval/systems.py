"""The retrievers under measurement: ours, and the two baselines on the very same chunks and vectors."""

from __future__ import annotations

from typing import Protocol

from assistant.retrieval import Retrieval
from assistant.service import Klimawissen
from eval.metrics import Hit

DEPTH = 30  # passages per question: enough for a document ranking ten deep


class System(Protocol):
    name: str

    def search(self, question: str, history: list[str]) -> tuple[list[Hit], float]:
        """Ranked hits and a relevance signal (0 where the system has none)."""


def _hit(metadata: dict) -> Hit:
    return Hit(str(metadata.get("doc_id", "")), metadata.get("page"), str(metadata.get("heading", "")))


class Ours:
    """Our retriever as configured; with `name` and changes, an ablation of one of its choices."""

    def __init__(self, service: Klimawissen, name: str = "", use_history: bool = True, **retriever_changes):
        name = name or f"klimawissen (hybrid, {service.settings.embedder})"
        self.name = name
        self.use_history = use_history
        self.threshold = service.settings.min_relevance
        self.service = service.variant(**retriever_changes)

    def search(self, question: str, history: list[str]) -> tuple[list[Hit], float]:
        return _result(self.service.retrieve(question, history if self.use_history else []))


def _result(retrieval: Retrieval) -> tuple[list[Hit], float]:
    return [_hit(p.metadata) for p in retrieval.passages], retrieval.relevance


def ablations(service: Klimawissen) -> list[Ours]:
    """Each of our retrieval choices switched off once, measured in the same run (the best-sentence list
    only where the settings use it: an index without sentence vectors has nothing to switch off)."""
    sentences = [Ours(service, "ablation: no best-sentence list", sentence_weight=0.0)] if (
        service.settings.embed_sentences and service.settings.sentence_weight) else []
    return [
        Ours(service, "ablation: RRF instead of weighted fusion", fusion="rrf", keyword_weight=1.0),
        Ours(service, "ablation: no keyword search", keyword_weight=0.0, cross_lingual_keyword_weight=0.0),
        *sentences,
        Ours(service, "ablation: no cross-lingual boost", cross_lingual_boost=0.0),
        Ours(service, "ablation: no language shift", cross_lingual_shift=0.0),
        Ours(service, "ablation: neither boost nor shift", cross_lingual_boost=0.0, cross_lingual_shift=0.0),
        Ours(service, "ablation: no follow-up rewriting", use_history=False),
    ]


class FollowUpsRestated(Ours):
    """Ours with the answer model restating follow-ups (setting follow_up_model) instead of the rule;
    `restated` counts the questions the model did restate (the rule read the others)."""

    def __init__(self, service: Klimawissen, backend: str):
        super().__init__(service, f"klimawissen, follow-ups restated by the {backend} model",
                         answer_backend=backend, follow_up_model=True)
        self.restated = 0

    def search(self, question: str, history: list[str]) -> tuple[list[Hit], float]:
        query, read = self.service.standalone(question, history)
        self.restated += read != question
        return _result(self.service.retrieve(query))  # the history is in `query` already


def _all_chunks(service: Klimawissen, include_embeddings: bool = False) -> dict:
    include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
    return service.store.records(include=include)


class Bm25Baseline:
    """BM25 only (bm25s, lower-cased word tokens, no stemming): the classic keyword baseline."""

    name = "BM25 only (bm25s)"

    def __init__(self, service: Klimawissen):
        import bm25s

        chunks = _all_chunks(service)
        self._metadatas = chunks["metadatas"]
        self._bm25s = bm25s
        self._index = bm25s.BM25()
        self._index.index(bm25s.tokenize(chunks["documents"], stopwords=None, show_progress=False), show_progress=False)

    def search(self, question: str, history: list[str]) -> tuple[list[Hit], float]:
        tokens = self._bm25s.tokenize([question], stopwords=None, show_progress=False)
        k = min(DEPTH, len(self._metadatas))
        results, scores = self._index.retrieve(tokens, k=k, show_progress=False)
        return [_hit(self._metadatas[i]) for i, s in zip(results[0], scores[0]) if s > 0], 0.0


class DenseBaseline:
    """Dense only, as plain llama-index does it: VectorStoreIndex retrieval with the same embedder and vectors."""

    def __init__(self, service: Klimawissen):
        self.name = f"dense only (llama-index VectorStoreIndex, {service.settings.embedder})"
        from llama_index.core import VectorStoreIndex
        from llama_index.core.schema import TextNode

        chunks = _all_chunks(service, include_embeddings=True)
        nodes = [
            TextNode(id_=cid, text=text, metadata=meta, embedding=list(vector))
            for cid, text, meta, vector in zip(
                chunks["ids"], chunks["documents"], chunks["metadatas"], chunks["embeddings"]
            )
        ]
        index = VectorStoreIndex(nodes, embed_model=service.embedder)
        self._retriever = index.as_retriever(similarity_top_k=DEPTH)

    def search(self, question: str, history: list[str]) -> tuple[list[Hit], float]:
        results = self._retriever.retrieve(question)
        return [_hit(r.node.metadata) for r in results], (results[0].score if results else 0.0)
