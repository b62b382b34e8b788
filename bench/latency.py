"""Section 3: question latency at growing store sizes, ours (retrieve + extractive answer) vs. plain
llama-index VectorStoreIndex retrieval on one Chroma collection of the same chunks."""

from __future__ import annotations

import gc

from assistant.service import Klimawissen
from bench.context import Context
from bench.corpora import LLAMA_COLLECTION, NOISE, build_pool, ensure_store, without_sentence_vectors
from bench.stats import ratio, summary, timed

ASK, RETRIEVE = "klimawissen ask (retrieve + extractive answer)", "klimawissen retrieve only"
LLAMA_CHROMA = "llama-index VectorStoreIndex on a Chroma collection of the same chunks"
LLAMA_MEMORY = "llama-index VectorStoreIndex in memory (as eval/systems.py DenseBaseline)"


def _llama_on_chroma(service: Klimawissen, top_k: int):
    from llama_index.core import VectorStoreIndex

    from bench.llama_chroma import ChromaCollectionStore

    collection = service.chroma_client.get_collection(LLAMA_COLLECTION, embedding_function=None)
    index = VectorStoreIndex.from_vector_store(ChromaCollectionStore(collection), embed_model=service.embedder)
    return index.as_retriever(similarity_top_k=top_k)


def _llama_in_memory(service: Klimawissen, top_k: int):
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    chunks = service.store.records(include=["documents", "metadatas", "embeddings"])
    nodes = [
        TextNode(id_=cid, text=text, metadata=without_sentence_vectors(meta), embedding=list(vector))
        for cid, text, meta, vector in zip(chunks["ids"], chunks["documents"], chunks["metadatas"], chunks["embeddings"])
    ]
    return VectorStoreIndex(nodes, embed_model=service.embedder).as_retriever(similarity_top_k=top_k)


def query_latency(ctx: Context) -> dict:
    config = ctx.config
    pool = build_pool(ctx)
    questions = [q.question for q in ctx.questions]
    top_k = ctx.settings.top_k
    results: dict = {
        "questions": len(questions),
        "languages": {lang: sum(q.language == lang for q in ctx.questions) for lang in ("de", "en")},
        "passes": config.reps,
        "top_k": top_k,
        "pool": {"real_chunks": len(pool.real), "synthetic_chunks": len(pool.synthetic),
                 "embed_seconds": round(pool.embed_seconds, 1), "noise_sd": NOISE, "embedder": ctx.embedder.identity},
        "sizes": {},
    }
    for size in config.sizes:
        data_dir, build = ensure_store(ctx, pool, size, ctx.progress)
        service = Klimawissen(ctx.settings.replace(data_dir=data_dir, answer_backend="extractive"), embedder=ctx.embedder)
        counts = {"chroma": service.store.count(), "keyword": service.keyword.count()}
        ctx.progress(f"  {size} chunks (chroma {counts['chroma']}, keyword {counts['keyword']}): {len(questions)} questions × {config.reps}")
        with timed() as gap:  # `serve` reads or measures the language gap at start (warm_up), before any question
            _ = service.language_shift
        with timed() as first:  # the first question also loads the HNSW index from disk
            service.ask(questions[0])
        systems = {ASK: [], RETRIEVE: [], LLAMA_CHROMA: []}
        retrievers = {LLAMA_CHROMA: _llama_on_chroma(service, top_k)}
        memory_build = None
        if size <= config.simple_max:
            with timed() as t:
                retrievers[LLAMA_MEMORY] = _llama_in_memory(service, top_k)
            memory_build = round(t.seconds, 2)
            systems[LLAMA_MEMORY] = []
        for retriever in retrievers.values():
            retriever.retrieve(questions[-1])  # warm-up
        for _ in range(config.reps):
            for question in questions:
                with timed() as t:
                    service.ask(question)
                systems[ASK].append(t.seconds * 1000)
                with timed() as t:
                    service.retrieve(question)
                systems[RETRIEVE].append(t.seconds * 1000)
                for name, retriever in retrievers.items():
                    with timed() as t:
                        retriever.retrieve(question)
                    systems[name].append(t.seconds * 1000)
        results["sizes"][str(size)] = {
            "chunks": counts, "store": build, "first_question_ms": round(first.seconds * 1000, 1),
            "language_gap_ms": round(gap.seconds * 1000, 1),
            "in_memory_index_build_s": memory_build,
            "latency_ms": {name: summary(values) for name, values in systems.items()},
        }
        del service, retrievers
        gc.collect()
    smallest = str(config.sizes[0])
    for size, entry in results["sizes"].items():
        entry["p95_growth_vs_smallest"] = {
            name: ratio(stats["p95"], results["sizes"][smallest]["latency_ms"][name]["p95"])
            for name, stats in entry["latency_ms"].items() if name in results["sizes"][smallest]["latency_ms"]
        }
    results["notes"] = [
        f"Stores: the run's real corpus chunks with their {ctx.embedder.identity} vectors, filled up with variants of a pool of "
        f"{len(pool.real) + len(pool.synthetic)} really embedded chunk texts (synthetic case studies made of "
        "real sentences from corpus/documents and XQuAD de/en): other invented company names and numbers in "
        f"the text, the pool vector plus Gaussian noise (sd {NOISE} per dimension, renormalised). Written "
        "directly with ChunkStore.add (one Chroma collection per language) and KeywordIndex.add, so Chroma and "
        "the FTS5 index both hold every chunk, and once more into one plain collection for llama-index; "
        "where the settings embed sentences (e5), each of our chunks carries its pool chunk's sentence vectors "
        "(the pool's sentences really embedded, as ingestion embeds them), which every search reads for the "
        "best-sentence list; "
        "the document registry is not filled (retrieval does not read it).",
        "Ours: service.ask with answer_backend extractive (query embedding, dense search per language, BM25, "
        "fusion, extractive answer); every question's time is measured once per pass.",
        f"llama-index: VectorStoreIndex(...).as_retriever(similarity_top_k={top_k}).retrieve, dense only, with "
        "the same embedder; on Chroma (one collection of all chunks, as llama-index writes them) through "
        "bench/llama_chroma.py (llama-index-vector-stores-chroma is not "
        f"installed); the in-memory SimpleVectorStore variant only up to {config.simple_max} chunks.",
        "first_question_ms: the first question on a freshly opened store (Chroma loads the HNSW index), after "
        "the language gap is ready (language_gap_ms: the embedder embeds the 40 question pairs, or, since 2026-12-01, "
        "the service reads the gap an earlier run kept in the store's data directory; `serve` does this at "
        "start).",
    ]
    return results
