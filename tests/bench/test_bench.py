"""The benchmark harness (`make bench`), run with --quick on the cheap sections over a tiny corpus."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from bench import run as bench_run
from bench.corpora import Pool, chunk_corpus, store_chunks, synthetic_document, vary_numbers, without_sentence_vectors
from bench.ingestion import CountingEmbedding
from bench.latency import ASK, LLAMA_CHROMA, LLAMA_MEMORY, RETRIEVE
from bench.report import check_targets
from bench.startup import parse_importtime
from bench.stats import percentile, summary
from indexing.sentence_vectors import METADATA_KEY as SENTENCE_VECTORS
from indexing.sentence_vectors import encode
from indexing.splitting import Chunker
from tests.conftest import NetworkBlocked, _is_loopback, write_tiny_corpus

SIZE, REPS, QUESTIONS = 300, 2, 2


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run of ingestion, re-ingest and query latency (about 300 chunks), offline."""
    root = tmp_path_factory.mktemp("bench")
    corpus = write_tiny_corpus(root / "corpus")
    output = root / "out"
    with pytest.MonkeyPatch.context() as patch:
        real_connect = socket.socket.connect

        def connect(sock, address):
            if not _is_loopback(address):
                raise NetworkBlocked(f"bench tried to reach {address!r}")
            return real_connect(sock, address)

        patch.setattr(socket.socket, "connect", connect)
        patch.delenv("KLIMAWISSEN_DATA_DIR", raising=False)
        status = bench_run.main([
            "--quick", "--sections", "ingestion,reingest,query", "--workdir", str(root / "work"),
            "--output", str(output), "--corpus", str(corpus), "--sizes", str(SIZE), "--pool", "40",
            "--reps", str(REPS), "--questions", str(QUESTIONS), "--command-line", "pytest quick run",
        ])
    results = json.loads((output / "benchmarks.json").read_text(encoding="utf-8"))
    return status, results, (output / "benchmarks.md").read_text(encoding="utf-8")


def test_quick_run_writes_every_requested_section_without_errors(quick_run):
    status, results, markdown = quick_run
    assert status == 0
    assert results["errors"] == {}
    assert set(results["sections"]) == {"ingestion", "reingest", "query"}
    assert results["quick"] is True and results["command"] == "pytest quick run"
    assert results["machine"]["cpu_count"] >= 1 and results["machine"]["memory_gib"] > 0
    for heading in ("# Benchmarks", "## Targets", "## 1. Ingestion throughput", "## 2. Re-ingest",
                    "## 3. Question latency", "`pytest quick run`", "Quick run"):
        assert heading in markdown
    assert "## 4. Cold start" not in markdown  # sections not asked for are not reported


def test_ingestion_compares_three_systems_on_the_same_corpus(quick_run):
    _, results, markdown = quick_run
    ingestion = results["sections"]["ingestion"]
    corpus = ingestion["corpus"]
    assert corpus["files"] == 3 and corpus["pdfs"] == 1 and corpus["pdf_pages"] == 3
    assert corpus["pages"] == 5  # three PDF pages, two short texts of one page each
    # The default embedder's tuning embeds no sentences, so the raw embedder embeds only the chunks.
    assert corpus["sentences"] == 0 and ingestion["raw_sentence_seconds_median"] < 0.01
    assert ingestion["embedder"].startswith("embeddinggemma-300m/")
    systems = ingestion["systems"]
    assert set(systems) == {"klimawissen pipeline", "raw embedder", "llama-index IngestionPipeline"}
    for figures in systems.values():
        assert len(figures["seconds_all"]) == REPS
        assert figures["seconds_median"] > 0 and figures["chunks"] > 0
        assert figures["pages_per_s"] > 0 and figures["tokens_per_s"] > figures["chunks_per_s"] > 0
    assert systems["klimawissen pipeline"]["chunks"] == systems["raw embedder"]["chunks"] == corpus["chunks"]
    assert ingestion["chunks_in_store"] == corpus["chunks"]
    ours, raw = systems["klimawissen pipeline"]["seconds_median"], systems["raw embedder"]["seconds_median"]
    # The medians are reported to the millisecond and the quick corpus embeds in tens of milliseconds, so
    # the overhead (from the unrounded medians) must lie within what the rounded ones allow.
    rounding = 0.0005
    lowest = ((ours - rounding) / (raw + rounding) - 1) * 100
    highest = ((ours + rounding) / (raw - rounding) - 1) * 100
    assert lowest - 0.1 <= ingestion["overhead_vs_raw_percent"] <= highest + 0.1
    assert f"**{ingestion['overhead_vs_raw_percent']} %**" in markdown


def test_reingest_of_the_unchanged_corpus_calls_no_embedder(quick_run):
    _, results, _ = quick_run
    reingest = results["sections"]["reingest"]
    assert reingest["statuses"] == {"unchanged": 3}
    assert reingest["embedder_calls"] == 0 and reingest["embedded_texts"] == 0
    assert len(reingest["seconds_all"]) == REPS and all(s > 0 for s in reingest["seconds_all"])
    assert reingest["cli_all_unchanged"] is True and reingest["cli_seconds_median"] > 0


def test_query_latency_store_holds_every_chunk_and_percentiles_are_ordered(quick_run):
    _, results, markdown = quick_run
    query = results["sections"]["query"]
    assert query["questions"] == QUESTIONS and query["languages"]["en"] >= 1
    entry = query["sizes"][str(SIZE)]
    assert entry["chunks"] == {"chroma": SIZE, "keyword": SIZE}
    assert entry["store"]["chunks"] == SIZE and entry["first_question_ms"] > 0 and entry["language_gap_ms"] > 0
    assert set(entry["latency_ms"]) == {ASK, RETRIEVE, LLAMA_CHROMA, LLAMA_MEMORY}
    for stats in entry["latency_ms"].values():
        assert stats["n"] == QUESTIONS * REPS
        assert 0 < stats["p50"] <= stats["p95"] <= stats["max"]
    assert f"| {SIZE} | {ASK} |" in markdown


def test_targets_are_judged_only_where_measured(quick_run):
    _, results, markdown = quick_run
    targets = {t["what"]: t for t in results["targets"]}
    assert targets["Re-ingest: embedder calls"]["met"] is True
    assert targets["Re-ingest of the unchanged corpus"]["met"] in (True, False)
    assert targets["Retrieval p95 at 10k chunks"]["met"] is None
    assert targets["`klimawissen ask` end to end"]["measured"] == "not measured"
    assert "| Re-ingest: embedder calls | 0 | 0 | yes |" in markdown


def test_a_missed_target_is_reported_as_not_met():
    results = {"sections": {"reingest": {"embedder_calls": 4, "seconds_median": 0.5},
                            "memory": {"extractive": {"rss_mb": 2500.0}}}}
    targets = {t["what"]: t for t in check_targets(results)}
    assert targets["Re-ingest: embedder calls"]["met"] is False
    assert targets["Re-ingest of the unchanged corpus"]["met"] is True
    assert targets["Server RSS without the local model"]["met"] is False
    assert targets["Server RSS without the local model"]["measured"] == "2500 MB"


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.5) == 10.0 and percentile(values, 0.95) == 19.0
    assert summary([3.0, 1.0, 2.0]) == {"n": 3, "p50": 2.0, "p95": 3.0, "min": 1.0, "max": 3.0}


def test_importtime_lines_are_parsed_with_their_nesting():
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |     llama_index.core.utils\n"
        "import time:      2000 |       5300 |   llama_index.core\n"
        "import time:       400 |       5700 | chromadb\n"
        "some other line\n"
    )
    entries = parse_importtime(stderr)
    assert [(e["name"], e["depth"]) for e in entries] == [
        ("llama_index.core.utils", 2), ("llama_index.core", 1), ("chromadb", 0)
    ]
    assert entries[2]["cumulative_ms"] == 5.7 and entries[1]["self_ms"] == 2.0


def test_counting_embedding_counts_every_call(fake_embedder):
    counting = CountingEmbedding(inner=fake_embedder)
    assert counting.identity == fake_embedder.identity
    vectors = counting.get_text_embedding_batch(["eins", "zwei", "drei"])
    assert len(vectors) == 3 and counting.calls == 1 and counting.texts == 3
    counting.get_query_embedding("Frage")
    assert counting.calls == 2 and fake_embedder.embedded_texts == 3


def test_synthetic_stores_vary_the_pool_and_keep_vectors_normalised(tmp_path):
    text = synthetic_document(7, _pools())
    assert text == synthetic_document(7, _pools())  # deterministic
    (tmp_path / "syn-00007.md").write_text(text, encoding="utf-8")
    nodes = chunk_corpus([tmp_path / "syn-00007.md"], Chunker(120, 20))
    vectors = np.random.default_rng(0).normal(size=(len(nodes), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentence_vectors = [encode(np.full((2, 8), i / 10, np.float32)) for i in range(len(nodes))]
    pool = Pool([], np.zeros((0, 8), np.float32), nodes, vectors, "test", 0.0, sentence_vectors)
    size = len(nodes) * 3 + 1
    batches = list(store_chunks(pool, size))
    chunks = [n for batch, _ in batches for n in batch]
    stacked = np.concatenate([v for _, v in batches])
    assert len(chunks) == size and len({n.id_ for n in chunks}) == size
    assert np.allclose(np.linalg.norm(stacked, axis=1), 1.0, atol=1e-5)
    first, copy = chunks[0], chunks[len(nodes)]
    assert copy.metadata["doc_id"] != first.metadata["doc_id"]
    assert copy.metadata["company"] != first.metadata["company"]
    assert 0.9 < float(stacked[0] @ stacked[len(nodes)]) < 1.0  # the pool vector plus a little noise
    assert np.allclose(stacked[0], vectors[0])  # the pool's own chunk keeps its real vector
    # Every chunk, copies too, carries its pool chunk's sentence vectors, as the pipeline stores them.
    assert [n.metadata[SENTENCE_VECTORS] for n in chunks] == [sentence_vectors[i % len(nodes)] for i in range(size)]
    assert SENTENCE_VECTORS not in without_sentence_vectors(copy.metadata) and "company" in without_sentence_vectors(copy.metadata)


def test_numbers_vary_but_years_stay():
    import random

    varied = vary_numbers("Im Jahr 2021 sparte der Betrieb 140 MWh und 28,1 t CO2e.", random.Random(1))
    assert "2021" in varied and "140 MWh" not in varied
    assert varied.count(",") == 1  # the decimal comma is kept


def test_unknown_sections_are_refused():
    with pytest.raises(SystemExit):
        bench_run.main(["--sections", "ingestion,speed"])


def _pools():
    from bench.corpora import SentencePools

    return SentencePools(
        de=tuple(f"Der Betrieb Nummer {i} senkte den Verbrauch um {i * 3} Prozent im Jahr 2022." for i in range(30)),
        en=tuple(f"Site number {i} cut its use by {i * 3} per cent in 2022." for i in range(30)),
    )
