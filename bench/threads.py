"""Section 7: thread settings. Embedding throughput and one query's latency with embed_threads 1 vs. 2
and OpenMP's wait policy ACTIVE vs. PASSIVE, on an idle machine and beside a process that keeps one core
busy; and llama.cpp speed with llm_threads 1 vs. 2. Documents the defaults in assistant/config.py and
assistant/offline.py (OMP_WAIT_POLICY=PASSIVE).

OpenMP reads its thread count and wait policy when the engine first loads in a process, so every
combination is measured in its own child process (`python -m bench.threads --child ...`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.context import REPO, Context, subprocess_env
from bench.corpora import chunk_corpus, count_tokens
from bench.local_llm import llama_threads
from bench.stats import median
from indexing.splitting import Chunker, embedding_input

QUERIES = ("Wie viel CO2 spart eine Wärmepumpe in einer Bäckerei?", "Which company reused its waste heat?")
# A neighbour that keeps one core busy, as another process on a shared 2-core machine does.
BUSY_LOOP = "while True: pass"


def child(inputs_file: Path, threads: int, reps: int) -> dict:
    from assistant.config import load_settings
    from indexing.embedding import make_embedder

    inputs = [tuple(item) for item in json.loads(inputs_file.read_text(encoding="utf-8"))]
    s = load_settings()
    embedder = make_embedder(s.embedder, s.embedder_model_path, s.embed_batch_size, threads, s.models_path,
                             s.embed_dimensions, s.embed_precision)
    embedder.embed_documents(inputs[:2])  # load the model
    seconds, query_ms = [], []
    for _ in range(reps):
        started = time.perf_counter()
        embedder.embed_documents(inputs)
        seconds.append(time.perf_counter() - started)
        for query in QUERIES * 5:
            started = time.perf_counter()
            embedder.get_query_embedding(query)
            query_ms.append((time.perf_counter() - started) * 1000)
    return {"seconds": seconds, "query_ms": query_ms, "embedder": embedder.identity}


def embedder_threads(ctx: Context, threads: tuple[int, ...] = (1, 2), policies: tuple[str, ...] = ("ACTIVE", "PASSIVE"),
                     loads: tuple[str, ...] = ("idle", "one core busy")) -> dict:
    chunker = Chunker(ctx.settings.chunk_size, ctx.settings.chunk_overlap)
    inputs = [embedding_input(n) for n in chunk_corpus(ctx.files, chunker)][: ctx.config.thread_texts]
    tokens = count_tokens([text for _, text in inputs])
    inputs_file = ctx.config.workdir / "thread-texts.json"
    inputs_file.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    rows, identity = [], ""
    for load in loads:
        for policy in policies:
            for count in threads:
                ctx.progress(f"    {ctx.settings.embedder}, {count} threads, {policy}, {load}")
                env = {**subprocess_env(), "OMP_NUM_THREADS": str(count), "OMP_WAIT_POLICY": policy}
                busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) if load != "idle" else None
                try:
                    done = subprocess.run(
                        [sys.executable, "-m", "bench.threads", "--child", str(inputs_file), "--threads", str(count),
                         "--reps", str(ctx.config.reps)],
                        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
                finally:
                    if busy is not None:
                        busy.kill()
                        busy.wait()
                if done.returncode != 0:
                    raise RuntimeError(f"embedder child ({count} threads, {policy}) failed: {done.stderr[-500:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                identity = result["embedder"]
                seconds = median(result["seconds"])
                rows.append({"load": load, "wait_policy": policy, "threads": count,
                             "passages_per_s": round(len(inputs) / seconds, 1), "tokens_per_s": round(tokens / seconds, 1),
                             "query_ms_median": round(median(result["query_ms"]), 1),
                             "query_ms_max": round(max(result["query_ms"]), 1)})
    return {"embedder": identity, "texts": len(inputs), "tokens": tokens, "rows": rows}


def thread_settings(ctx: Context) -> dict:
    ctx.progress("  embedder with 1 and 2 threads, both wait policies, idle and busy (child processes)")
    quick = ctx.config.quick
    embedder = embedder_threads(ctx, policies=("PASSIVE",) if quick else ("ACTIVE", "PASSIVE"),
                                loads=("idle",) if quick else ("idle", "one core busy"))
    ctx.progress("  llama.cpp with 1 and 2 threads")
    llama = llama_threads(ctx)
    return {
        "embedder": embedder,
        "llama_cpp": llama,
        "configured": {"embed_threads": ctx.settings.embed_threads, "llm_threads": ctx.settings.llm_threads},
        "notes": [
            "Embedder: the same chunk inputs of the corpus embedded in a fresh process per combination (model "
            "load excluded), median of the repetitions; then 10 queries per repetition, one at a time.",
            "'one core busy': a Python busy loop runs beside the child for the whole measurement.",
            "llama.cpp: one golden question's prompt at the smallest cap, prompt cache reset before each "
            "repetition; prompt tokens/s = prompt tokens / time to first token.",
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="child process of the thread measurement")
    parser.add_argument("--child", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(child(args.child, args.threads, args.reps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
