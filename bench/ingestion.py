"""Sections 1 and 2: ingestion throughput (ours vs. the raw embedder vs. a plain llama-index
IngestionPipeline) and re-ingesting the unchanged corpus."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from llama_index.core import Document
from llama_index.core.schema import MetadataMode

from assistant.service import Klimawissen
from bench.context import REPO, VENV_BIN, Context, subprocess_env
from bench.corpora import chunk_corpus, corpus_stats, count_tokens
from bench.stats import median, overhead_percent, ratio, timed
from indexing.embedding import LocalEmbedding
from indexing.readers import read_file
from indexing.splitting import Chunker, embedding_input, sentence_inputs

OURS, RAW, LLAMA = "klimawissen pipeline", "raw embedder", "llama-index IngestionPipeline"


class CountingEmbedding(LocalEmbedding):
    """Wraps an embedder and counts every call that reaches it (text and query)."""

    inner: Any = None
    calls: int = 0
    texts: int = 0

    @property
    def identity(self) -> str:
        return self.inner.identity

    def _load(self) -> Any:
        return None

    def _get_query_embedding(self, query: str) -> list[float]:
        self.calls += 1
        return self.inner.get_query_embedding(query)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.inner._get_text_embeddings(texts)


def llama_documents(files: list[Path]) -> list[Document]:
    """Our readers' page/section units as llama-index Documents; title and heading go into what is
    embedded (as our pipeline does), the other metadata does not."""
    documents = []
    for path in files:
        read = read_file(path)
        for unit in read.units:
            metadata = {"title": read.title, "heading": unit.heading, "doc_id": read.doc_id, "page": unit.page or 0}
            documents.append(Document(
                text=unit.text, metadata=metadata, excluded_embed_metadata_keys=["doc_id", "page"],
                excluded_llm_metadata_keys=["doc_id", "page"],
            ))
    return documents


def llama_ingest(files: list[Path], embedder: LocalEmbedding, data_dir: Path, chunk_size: int, chunk_overlap: int):
    """Plain llama-index: read → SentenceSplitter → embedder → vector store (Chroma via a stand-in adapter)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter

    from bench.llama_chroma import ChromaCollectionStore

    client = chromadb.PersistentClient(path=str(data_dir), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        "llama_baseline", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap), embedder],
        vector_store=ChromaCollectionStore(collection),
    )
    nodes = pipeline.run(documents=llama_documents(files))
    return nodes, collection.count()


def _throughput(seconds: list[float], pages: int, chunks: int, tokens: int) -> dict:
    s = median(seconds)
    return {
        "seconds_median": round(s, 3), "seconds_all": [round(x, 3) for x in seconds], "chunks": chunks,
        "tokens": tokens, "pages_per_s": round(pages / s, 2), "chunks_per_s": round(chunks / s, 2),
        "tokens_per_s": round(tokens / s, 1),
    }


def ingestion(ctx: Context) -> dict:
    """Each repetition runs the three one after another (interleaved, so load from elsewhere hits all)."""
    s = ctx.settings
    files = ctx.files
    stats = corpus_stats(files)
    nodes = chunk_corpus(files, Chunker(s.chunk_size, s.chunk_overlap))
    inputs = [embedding_input(node) for node in nodes]
    # Where the settings embed sentences (e5's tuning), ingestion embeds each of them too.
    sentences = [item for node in nodes for item in sentence_inputs(node)] if s.embed_sentences else []
    tokens = count_tokens([text for _, text in inputs])
    embedder = ctx.embedder
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=ctx.config.workdir))
    try:
        # One untimed pass of each on one file: tokenizers, NLTK data and Chroma's code load once per process.
        Klimawissen(s.replace(data_dir=scratch / "warm-ours"), embedder=embedder).ingest(files[:1])
        llama_ingest(files[:1], embedder, scratch / "warm-llama", s.chunk_size, s.chunk_overlap)
        seconds: dict[str, list[float]] = {OURS: [], RAW: [], LLAMA: []}
        sentence_seconds = []
        ours_chunks = llama_chunks = stored = llama_tokens = 0
        for rep in range(ctx.config.reps):
            ctx.progress(f"  repetition {rep + 1}/{ctx.config.reps}")
            with timed() as t:
                embedder.embed_documents(inputs)
            with timed() as t_sentences:
                if sentences:
                    embedder.embed_documents(sentences)
            seconds[RAW].append(t.seconds + t_sentences.seconds)
            sentence_seconds.append(t_sentences.seconds)
            service = Klimawissen(s.replace(data_dir=scratch / f"ours-{rep}"), embedder=embedder)
            with timed() as t:
                results = service.ingest(files)
            seconds[OURS].append(t.seconds)
            failed = [r for r in results if not r.ok]
            if failed:
                raise RuntimeError(f"{failed[0].path}: {failed[0].message}")
            ours_chunks, stored = sum(r.chunks for r in results), service.store.count()
            with timed() as t:
                llama_nodes, llama_stored = llama_ingest(
                    files, embedder, scratch / f"llama-{rep}", s.chunk_size, s.chunk_overlap
                )
            seconds[LLAMA].append(t.seconds)
            llama_chunks = llama_stored
            llama_tokens = count_tokens([n.get_content(metadata_mode=MetadataMode.EMBED) for n in llama_nodes])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    pages = stats["pages"]
    systems = {
        OURS: _throughput(seconds[OURS], pages, ours_chunks, tokens),
        RAW: _throughput(seconds[RAW], pages, len(inputs), tokens),
        LLAMA: _throughput(seconds[LLAMA], pages, llama_chunks, llama_tokens),
    }
    raw = median(seconds[RAW])
    per_rep = [overhead_percent(o, r) for o, r in zip(seconds[OURS], seconds[RAW])]
    return {
        "corpus": {**stats, "chunks": len(inputs), "tokens": tokens, "sentences": len(sentences),
                   "sentence_tokens": count_tokens([text for _, text in sentences]),
                   "paths": [str(p) for p in ctx.config.corpus]},
        "embedder": embedder.identity,
        "raw_sentence_seconds_median": round(median(sentence_seconds), 3),
        "repetitions": ctx.config.reps,
        "systems": systems,
        "chunks_in_store": stored,
        "overhead_vs_raw_percent": overhead_percent(median(seconds[OURS]), raw),
        "overhead_per_repetition_percent": per_rep,
        "llama_index_vs_raw_percent": overhead_percent(median(seconds[LLAMA]), raw),
        "ours_vs_llama_index_ratio": ratio(median(seconds[OURS]), median(seconds[LLAMA])),
        "notes": [
            "All three use the same loaded embedder (model load excluded); ours and llama-index include "
            "reading the files and writing a fresh store; the raw embedder only embeds what our pipeline "
            "embeds: each chunk with its title and heading (embedding_input of our Chunker's nodes) and, where "
            "the settings embed sentences (e5), each of its sentences with the same context (sentence_inputs). "
            "llama-index embeds its chunks only; pages/s, chunks/s and tokens/s count the chunks.",
            "llama-index-vector-stores-chroma is not installed: the IngestionPipeline writes to a plain "
            "chromadb collection through a minimal stand-in vector store (bench/llama_chroma.py) making the "
            "same upsert call. It splits with SentenceSplitter(chunk_size, chunk_overlap) and reads with our "
            "readers; its tokens are counted on what it embeds (text plus title/heading metadata).",
            f"Pages: PDF pages plus Markdown/text at one page per {3000} characters.",
        ],
    }


def reingest(ctx: Context) -> dict:
    """The unchanged corpus again: in-process (fresh service on the existing index, counting embedder)
    and as `klimawissen ingest` in a new process (start-up included)."""
    data_dir = ctx.sample_index()
    counting = CountingEmbedding(inner=ctx.embedder)
    seconds, statuses = [], {}
    for _ in range(ctx.config.reps):
        service = Klimawissen(ctx.settings.replace(data_dir=data_dir), embedder=counting)
        with timed() as t:
            results = service.ingest(ctx.files)
        seconds.append(t.seconds)
        statuses = {}
        for result in results:
            statuses[result.status] = statuses.get(result.status, 0) + 1
    cli_seconds, cli_ok = [], True
    for _ in range(ctx.config.reps):
        with timed() as t:
            done = subprocess.run(
                [str(VENV_BIN / "klimawissen"), "ingest", *map(str, ctx.config.corpus)], capture_output=True,
                text=True, env=subprocess_env(data_dir), cwd=REPO, timeout=600,
            )
        cli_seconds.append(t.seconds)
        cli_ok = cli_ok and done.returncode == 0 and "unchanged" in done.stdout and "added" not in done.stdout
    return {
        "files": len(ctx.files),
        "statuses": statuses,
        "seconds_median": round(median(seconds), 3),
        "seconds_all": [round(x, 3) for x in seconds],
        "embedder_calls": counting.calls,
        "embedded_texts": counting.texts,
        "cli_seconds_median": round(median(cli_seconds), 2),
        "cli_seconds_all": [round(x, 2) for x in cli_seconds],
        "cli_all_unchanged": cli_ok,
        "notes": [
            "In-process: a new Klimawissen on the existing index (opens Chroma and the registry, hashes every "
            "file); the embedder is wrapped to count every call.",
            "CLI: `klimawissen ingest <corpus>` as a new process, interpreter start-up and imports included.",
        ],
    }
