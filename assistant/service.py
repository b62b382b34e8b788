"""The one API that the CLI, the web app, the evaluation and the tests call.

Parts are built lazily, so `klimawissen docs list` never loads an embedding model.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

from assistant.answering import Answer, ExtractiveAnswerer
from assistant.answering.generative import GenerativeAnswerer
from assistant.answering.llms import openai_compatible_llm
from assistant.answering.local_model import LocalChatModel, LocalModelUnavailable
from assistant.config import ConfigError, Settings
from assistant.offline import enforce_offline
from assistant.conversation import standalone_query
from assistant.retrieval import HybridRetriever, Retrieval
from assistant.unanswered import UnansweredQueue
from indexing.embedding import LocalEmbedding, make_embedder
from indexing.keyword import KeywordIndex
from indexing.pipeline import FileResult, IngestPipeline, ProgressCallback
from indexing.registry import DocumentRecord, Registry
from indexing.splitting import Chunker
from indexing.store import ChunkStore, connect, drop_collection

enforce_offline()

log = logging.getLogger(__name__)


class Klimawissen:
    def __init__(self, settings: Settings, embedder: LocalEmbedding | None = None):
        self.settings = settings
        self._embedder = embedder
        # Set when the configured answer backend could not start and a simpler one stands in.
        self.backend_notice = ""

    def variant(self, **changes: Any) -> "Klimawissen":
        """The same index (embedder, vectors, keyword index) with other retrieval or answer settings."""
        other = Klimawissen(self.settings.replace(**changes), embedder=self.embedder)
        other.__dict__.update(store=self.store, keyword=self.keyword)
        return other

    @cached_property
    def embedder(self) -> LocalEmbedding:
        if self._embedder is not None:
            return self._embedder
        s = self.settings
        return make_embedder(s.embedder, s.embedder_model_path, s.embed_batch_size, s.embed_threads)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.settings.registry_path)

    @cached_property
    def chroma_client(self):
        return connect(self.settings.chroma_url, self.settings.chroma_path)

    @cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.chroma_client, self.settings.collection, self.embedder.identity)

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.settings.registry_path)

    @cached_property
    def pipeline(self) -> IngestPipeline:
        chunker = Chunker(self.settings.chunk_size, self.settings.chunk_overlap)
        return IngestPipeline(self.registry, self.store, self.keyword, self.embedder, chunker)

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.store, self.keyword, self.embedder, s.fusion, s.keyword_weight, s.cross_lingual_keyword_weight,
            s.cross_lingual_boost, self.reranker,
        )

    @cached_property
    def reranker(self):
        if not self.settings.reranker_model_path:
            return None
        from assistant.reranking import CrossEncoderReranker

        return CrossEncoderReranker(self.settings.reranker_model_path, self.settings.rerank_candidates)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer | GenerativeAnswerer:
        s = self.settings
        extractive = ExtractiveAnswerer(s.answer_sentences, self.embedder)
        if s.answer_backend == "extractive":
            return extractive
        if s.answer_backend == "openai":
            return GenerativeAnswerer(openai_compatible_llm(s), "openai", extractive, s.max_context_chars)
        if s.answer_backend == "local":
            model = LocalChatModel(s.data_dir / "models", threads=s.llm_threads)
            try:
                model.load()
            except LocalModelUnavailable as error:
                log.warning("local model unavailable (%s): answering extractively", error)
                self.backend_notice = (
                    f"Das lokale Sprachmodell ist nicht verfügbar ({error}); "
                    "Antworten werden als Auszug aus den Quellen gegeben."
                )
                return extractive
            return GenerativeAnswerer(model, "local", extractive, s.max_context_chars)
        raise ConfigError(f"Unknown answer_backend '{s.answer_backend}': use 'extractive', 'local' or 'openai'")

    def ingest(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        return self.pipeline.ingest([Path(p) for p in paths], progress)

    def sync_folder(self, folder: Path, progress: ProgressCallback | None = None) -> tuple[list[FileResult], list[str]]:
        """Make the index mirror a folder: ingest new and changed files, drop documents whose file is gone."""
        return self.ingest([folder], progress), self.pipeline.prune_missing(Path(folder))

    def reindex(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        """Start over: drop all chunks and registry rows (e.g. after changing the embedder), then ingest."""
        drop_collection(self.chroma_client, self.settings.collection)
        self.registry.clear()
        self.keyword.clear()
        for part in ("store", "pipeline", "retriever"):
            self.__dict__.pop(part, None)
        return self.ingest(paths, progress)

    def warm_up(self) -> None:
        """Open the index and load the embedder now, so the first question does not pay for it."""
        self.store.count()
        self.embedder.get_query_embedding("Aufwärmen")

    def retrieve(
        self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None
    ) -> Retrieval:
        """Passages for a question; `history` holds the earlier questions of the conversation."""
        query = standalone_query(question.strip(), history or [])
        if not query:
            return Retrieval(query)
        return self.retriever.retrieve(query, self.settings.top_k, filters)

    @cached_property
    def unanswered(self) -> UnansweredQueue:
        return UnansweredQueue(self.settings.registry_path)

    def ask(self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None) -> Answer:
        *_, final = self.ask_stream(question, history, filters)
        return final

    def ask_stream(
        self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None
    ) -> Iterator[Answer]:
        """Answers as they improve: with a generating backend first the sources and the extractive draft,
        then the model's text while it is written, last the checked answer (`answer.final`)."""
        question = question.strip()
        retrieval = self.retrieve(question, history, filters)
        if retrieval.passages and retrieval.relevance < self.settings.min_relevance:
            answer = self.answerer.nothing_found(question, retrieval.passages)
            stream = iter([answer])
        else:
            stream = self.answerer.stream(question, retrieval.passages)
        for answer in stream:
            if answer.final and answer.abstained and question:
                self.unanswered.record(question, list(dict.fromkeys(p.title for p in retrieval.passages))[:3])
            yield answer

    def documents(self) -> list[DocumentRecord]:
        return self.registry.all()

    def delete_document(self, doc_id: str) -> bool:
        return self.pipeline.delete(doc_id)
