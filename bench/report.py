"""The targets check and the Markdown report (docs/benchmarks.md) of a bench run's results."""

from __future__ import annotations

from typing import Any, Callable

from bench.ingestion import OURS
from bench.latency import ASK, LLAMA_CHROMA, RETRIEVE


def _get(results: dict, *path: str) -> Any:
    value: Any = results.get("sections", {})
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


# (what, target text, path into the section results, test, unit format)
TARGETS: list[tuple[str, str, tuple[str, ...], Callable[[float], bool], str]] = [
    ("Ingestion: ours / plain llama-index IngestionPipeline, same embedder", "≤ 1.15 ×",
     ("ingestion", "ours_vs_llama_index_ratio"), lambda v: v <= 1.15, "{:.2f} ×"),
    ("Ingestion of the corpus (ours)", "≤ 5 min", ("ingestion", "systems", OURS, "seconds_median"),
     lambda v: v <= 300, "{:.0f} s"),
    ("Ingestion: overhead over the raw embedder", "≤ 15 %", ("ingestion", "overhead_vs_raw_percent"),
     lambda v: v <= 15, "{:.1f} %"),
    ("Re-ingest of the unchanged corpus", "≤ 2 s", ("reingest", "seconds_median"), lambda v: v <= 2, "{:.2f} s"),
    ("Re-ingest: embedder calls", "0", ("reingest", "embedder_calls"), lambda v: v == 0, "{}"),
    ("Retrieval p95 at 10k chunks", "≤ 150 ms",
     ("query", "sizes", "10000", "latency_ms", RETRIEVE, "p95"), lambda v: v <= 150, "{:.0f} ms"),
    ("Retrieval p95 at 100k chunks", "≤ 300 ms",
     ("query", "sizes", "100000", "latency_ms", RETRIEVE, "p95"), lambda v: v <= 300, "{:.0f} ms"),
    ("`klimawissen serve`: start until the first answer", "≤ 10 s",
     ("coldstart", "serve", "first_answer_s_median"), lambda v: v <= 10, "{:.2f} s"),
    ("`klimawissen ask` end to end", "≤ 4 s", ("coldstart", "ask", "seconds_median"), lambda v: v <= 4, "{:.2f} s"),
    ("Server RSS without the local model", "≤ 2 GB", ("memory", "extractive", "rss_mb"),
     lambda v: v <= 2048, "{:.0f} MB"),
]


def check_targets(results: dict) -> list[dict]:
    rows = []
    for what, target, path, test, unit in TARGETS:
        value = _get(results, *path)
        rows.append({
            "what": what, "target": target, "value": value,
            "measured": unit.format(value) if value is not None else "not measured",
            "met": None if value is None else bool(test(value)),
        })
    return rows


def _met(flag: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[flag]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _notes(section: dict) -> list[str]:
    return [f"- {note}" for note in section.get("notes", [])] + ([""] if section.get("notes") else [])


def _ingestion(r: dict) -> list[str]:
    c = r["corpus"]
    lines = [
        f"Corpus: {c['files']} files ({c['pdfs']} PDFs, {c['pdf_pages']} PDF pages; {c['pages']} pages counting "
        f"Markdown/text as page equivalents), {c['chunks']} chunks, {c['tokens']} tokens (cl100k); ingestion "
        f"embeds each chunk and its {c['sentences']} sentences ({c['sentence_tokens']} tokens, with title and "
        f"heading). Median of {r['repetitions']} interleaved repetitions.", "",
    ]
    lines += _table(
        ["system", "seconds (median)", "pages/s", "chunks/s", "tokens/s", "chunks", "all runs (s)"],
        [[name, s["seconds_median"], s["pages_per_s"], s["chunks_per_s"], s["tokens_per_s"], s["chunks"],
          ", ".join(map(str, s["seconds_all"]))] for name, s in r["systems"].items()],
    )
    lines += [
        f"Our overhead over the raw embedder: **{r['overhead_vs_raw_percent']} %** (per repetition: "
        f"{', '.join(f'{v} %' for v in r['overhead_per_repetition_percent'])}); llama-index IngestionPipeline "
        f"over the raw embedder: {r['llama_index_vs_raw_percent']} %; ours / llama-index time: "
        f"{r['ours_vs_llama_index_ratio']}. Of the raw embedder's time, the sentences took "
        f"{r['raw_sentence_seconds_median']} s (median).", "",
    ]
    return lines + _notes(r)


def _reingest(r: dict) -> list[str]:
    lines = _table(
        ["measure", "value"],
        [["files", r["files"]], ["statuses", ", ".join(f"{n} {s}" for s, n in r["statuses"].items())],
         ["in-process seconds (median)", r["seconds_median"]], ["in-process runs (s)", ", ".join(map(str, r["seconds_all"]))],
         ["embedder calls (all runs)", r["embedder_calls"]], ["texts embedded", r["embedded_texts"]],
         ["`klimawissen ingest` seconds (median, new process)", r["cli_seconds_median"]],
         ["CLI reported every file unchanged", "yes" if r["cli_all_unchanged"] else "**no**"]],
    )
    return lines + _notes(r)


def _query(r: dict) -> list[str]:
    lines = [
        f"{r['questions']} golden questions ({r['languages']['de']} German, {r['languages']['en']} English), "
        f"{r['passes']} passes each, top_k {r['top_k']}. Pool: {r['pool']['real_chunks']} real + "
        f"{r['pool']['synthetic_chunks']} synthetic chunks embedded with {r['pool'].get('embedder', 'the embedder')}.", "",
    ]
    rows = []
    for size, entry in r["sizes"].items():
        reference = entry["latency_ms"].get(LLAMA_CHROMA, {}).get("p50")
        for name, s in entry["latency_ms"].items():
            growth = entry.get("p95_growth_vs_smallest", {}).get(name)
            versus = f"×{s['p50'] / reference:.2f}" if reference else ""
            rows.append([size, name, s["p50"], s["p95"], s["max"], versus, f"×{growth}" if growth else ""])
    lines += _table(["chunks", "system", "p50 ms", "p95 ms", "max ms", "p50 vs. llama-index on Chroma",
                     "p95 vs. smallest store"], rows)
    lines += _table(
        ["chunks", "in Chroma", "in keyword index", "language gap ready (ms)", "first question on the opened store (ms)",
         "store build (s)", "reused"],
        [[size, e["chunks"]["chroma"], e["chunks"]["keyword"], e["language_gap_ms"], e["first_question_ms"],
          e["store"].get("build_seconds"),
          "yes" if e["store"].get("reused") else "no"] for size, e in r["sizes"].items()],
    )
    return lines + _notes(r)


def _coldstart(r: dict) -> list[str]:
    serve, ask = r["serve"], r["ask"]
    lines = _table(
        ["measure", "median", "runs"],
        [["serve: start → /healthz answers (s)", serve["healthz_s_median"], ", ".join(str(x["healthz_s"]) for x in serve["runs"])],
         ["serve: start → first POST /api/ask answered (s)", serve["first_answer_s_median"],
          ", ".join(str(x["first_answer_s"]) for x in serve["runs"])],
         ["`klimawissen ask` end to end (s)", ask["seconds_median"], ", ".join(str(x["seconds"]) for x in ask["runs"])]],
    )
    imports = r["imports"]
    lines += [f"Import time of `klimawissen ask` (python -X importtime, total of its direct imports "
              f"{imports['total_import_ms']} ms):", ""]
    width = max(len(imports["top_level"]), len(imports["packages"]))
    pad = lambda items, i: (items[i]["module"], items[i]["cumulative_ms"]) if i < len(items) else ("", "")  # noqa: E731
    lines += _table(
        ["#", "top-level import", "ms (cumulative)", "package (first import)", "ms (cumulative)"],
        [[i + 1, *pad(imports["top_level"], i), *pad(imports["packages"], i)] for i in range(width)],
    )
    return lines + _notes(r)


def _local(r: dict) -> list[str]:
    lines = [f"Model load {r['load_s']} s (model file assembly {r['model_file_assembly_s']} s, once); "
             f"{r['questions']} questions per cap, answers cut at {r['answer_tokens_generated']} tokens.", ""]
    lines += _table(
        ["cap (chars)", "prompt tokens (median / max)", "passages", "TTFT p50 s", "TTFT p95 s", "generation tok/s",
         "effective prompt tok/s", "extractive draft s"],
        [[cap, f"{c['prompt_tokens_median']} / {c['prompt_tokens_max']}", c["passages_used_median"], c["ttft_s"]["p50"],
          c["ttft_s"]["p95"], c["generation_tokens_per_s_median"], c["effective_prompt_tokens_per_s_median"],
          c["draft_s_median"]] for cap, c in r["caps"].items()],
    )
    res = r["resident"]
    lines += _table(
        ["resident model", "seconds"],
        [["load", r["load_s"]], [f"TTFT, first question after load (cap {res['cap']})", res["first_question_after_load_ttft_s"]],
         [f"TTFT, later questions p50 (cap {res['cap']})", res["later_questions_ttft_p50_s"]],
         ["load + first TTFT (what a model loaded per question costs)", res["load_plus_first_ttft_s"]]],
    )
    return lines + _notes(r)


def _memory(r: dict) -> list[str]:
    rows = []
    for backend in ("extractive", "local"):
        entry = r.get(backend, {})
        if "skipped" in entry:
            rows.append([backend, entry["skipped"], "", "", ""])
        elif entry:
            rows.append([backend, entry["rss_mb"], entry["peak_rss_mb"], entry["backend"], entry["first_answer_s"],
                         entry.get("max_context_chars", "")])
    header = ["answer_backend", "RSS MB", "peak RSS MB", "answered by", "start → answer s", "max_context_chars"]
    return _table(header, rows) + _notes(r)


def _threads(r: dict) -> list[str]:
    embedder = r["embedder"]
    lines = [f"{embedder['embedder']} on {embedder['texts']} chunk inputs ({embedder['tokens']} tokens):", ""]
    lines += _table(["load", "OMP_WAIT_POLICY", "embed_threads", "passages/s", "tokens/s", "query ms (median)",
                     "query ms (max)"],
                    [[v["load"], v["wait_policy"], v["threads"], v["passages_per_s"], v["tokens_per_s"],
                      v["query_ms_median"], v["query_ms_max"]] for v in embedder["rows"]])
    llama = r["llama_cpp"]
    if "skipped" in llama:
        lines += [f"llama.cpp: {llama['skipped']}", ""]
    else:
        lines += _table(["llm_threads", "prompt tokens", "prompt tok/s", "generation tok/s"],
                        [[t, v["prompt_tokens"], v["prompt_tokens_per_s_median"], v["generation_tokens_per_s_median"]]
                         for t, v in llama.items()])
    lines += [f"Configured: embed_threads = {r['configured']['embed_threads']}, llm_threads = "
              f"{r['configured']['llm_threads']}.", ""]
    return lines + _notes(r)


SECTION_TITLES = {
    "ingestion": ("1. Ingestion throughput", _ingestion),
    "reingest": ("2. Re-ingest of the unchanged corpus", _reingest),
    "query": ("3. Question latency by store size", _query),
    "coldstart": ("4. Cold start", _coldstart),
    "local": ("5. Local model (answer_backend local)", _local),
    "memory": ("6. Server memory", _memory),
    "threads": ("7. Thread settings", _threads),
}


def markdown_report(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmarks", ""]
    if results.get("quick"):
        lines += ["> **Quick run** (`--quick`): tiny sizes to check that the harness works. These figures are not "
                  "the benchmark; run `make bench` for it.", ""]
    lines += [
        f"Produced by `{results['command']}` on {results['started']} (took {results['seconds']:.0f} s).",
        "",
        f"Machine: {m['cpu']}, {m['cpu_count']} cores, {m['memory_gib']} GiB RAM, {m['platform']}, Python {m['python']}; "
        f"load average at start {', '.join(map(str, m['load_average_at_start']))}, at the end "
        f"{', '.join(map(str, m.get('load_average_at_end', [])))} (other processes on the machine slow every figure).",
        "",
        f"Workdir: `{results['workdir']}` (generated stores, the embedded pool and the model file are kept there "
        "and reused by the next run).",
        "",
        "## Targets",
        "",
    ]
    lines += _table(["what", "target", "measured", "met"],
                    [[t["what"], t["target"], t["measured"], _met(t["met"])] for t in results["targets"]])
    for key, (title, render) in SECTION_TITLES.items():
        if key not in results["sections"] and key not in results.get("errors", {}):
            continue
        lines += [f"## {title}", ""]
        if key in results.get("errors", {}):
            lines += [f"Not measured: the section failed: `{results['errors'][key]}`", ""]
            continue
        section = results["sections"][key]
        if "skipped" in section:
            lines += [f"Skipped: {section['skipped']}", ""]
            continue
        lines += render(section)
    return "\n".join(lines).rstrip() + "\n"
