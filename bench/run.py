"""`make bench`: every measurement side by side in one run, written to docs/benchmarks.{md,json}.

    .venv/bin/python -m bench.run                      # the full benchmark (long: builds a 100k store once)
    .venv/bin/python -m bench.run --quick              # tiny sizes, to check the harness
    .venv/bin/python -m bench.run --sections query,coldstart --workdir /tmp/kw

Generated stores, the embedded pool and the assembled model file stay in --workdir (default
/tmp/klimawissen-bench) and are reused by the next run; delete the folder to rebuild them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from assistant.offline import enforce_offline

enforce_offline()

from bench.context import DEFAULT_WORKDIR, REPO, SECTIONS, Context, make_config  # noqa: E402
from bench.machine import describe, load_average  # noqa: E402
from bench.report import check_targets, markdown_report  # noqa: E402


def _section_functions() -> dict[str, Callable[[Context], dict]]:
    from bench.ingestion import ingestion, reingest
    from bench.latency import query_latency
    from bench.local_llm import local_model
    from bench.startup import cold_start, memory
    from bench.threads import thread_settings

    return {"ingestion": ingestion, "reingest": reingest, "query": query_latency, "coldstart": cold_start,
            "local": local_model, "memory": memory, "threads": thread_settings}


def run(context: Context, sections: list[str], command: str) -> dict:
    """Run the chosen sections in order; a failing section is recorded and the others still run."""
    started = time.perf_counter()
    results: dict = {
        "command": command, "quick": context.config.quick,
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe(), "workdir": str(context.config.workdir), "sections": {}, "errors": {},
        "config": {
            "reps": context.config.reps, "sizes": list(context.config.sizes), "questions": context.config.questions,
            "pool": context.config.pool, "caps": list(context.config.caps), "corpus": [str(p) for p in context.config.corpus],
        },
    }
    functions = _section_functions()
    for name in sections:
        context.progress(f"[{name}]")
        section_started = time.perf_counter()
        try:
            results["sections"][name] = functions[name](context)
        except Exception as error:  # noqa: BLE001 - reported in the output, the run goes on
            traceback.print_exc()
            results["errors"][name] = f"{type(error).__name__}: {error}"
        context.progress(f"[{name}] {time.perf_counter() - section_started:.0f} s")
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = load_average()
    results["targets"] = check_targets(results)
    return results


def write(results: dict, output: Path, stem: str = "benchmarks", markdown=markdown_report) -> tuple[Path, Path]:
    """The results as JSON and as the Markdown report (also used by `make loadtest`)."""
    output.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output / f"{stem}.json", output / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (stores of 300/1000 chunks, 2 repetitions, 3 questions)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma list of: {', '.join(SECTIONS)}")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="generated stores and caches (reused)")
    parser.add_argument("--output", type=Path, default=REPO / "docs", help="where benchmarks.md/.json are written")
    parser.add_argument("--corpus", type=Path, nargs="+", help="files or folders to ingest (default corpus/documents; "
                        "with --quick four of its files)")
    parser.add_argument("--sizes", help="store sizes for the latency section, e.g. 1000,10000,100000")
    parser.add_argument("--questions", type=int, help="golden questions for the latency section")
    parser.add_argument("--reps", type=int, help="repetitions of each timing")
    parser.add_argument("--pool", type=int, help="chunk texts really embedded for the synthetic stores")
    parser.add_argument("--caps", help="max_context_chars values for the local model, e.g. 1000,2000")
    parser.add_argument("--models-dir", type=Path, help="where the local model file is assembled (default WORKDIR/models)")
    parser.add_argument("--command-line", default="", help="the command named in the report")
    args = parser.parse_args(argv)
    unknown = set(args.sections.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    ints = lambda text: tuple(int(x) for x in text.split(",")) if text else None  # noqa: E731
    config = make_config(
        args.quick, args.workdir, args.corpus, sizes=ints(args.sizes), questions=args.questions, reps=args.reps,
        pool=args.pool, caps=ints(args.caps), models_dir=args.models_dir,
    )
    command = args.command_line or "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    context = Context(config, progress=lambda text: print(text, flush=True))
    sections = [s for s in SECTIONS if s in args.sections.split(",")]
    results = run(context, sections, command.strip())
    json_path, md_path = write(results, args.output)
    print()
    for target in results["targets"]:
        flag = {True: "met", False: "NOT met", None: "-"}[target["met"]]
        print(f"{target['what']:<62} {target['target']:>9}  {target['measured']:>14}  {flag}")
    print(f"\nwritten: {md_path} and {json_path.name}")
    for name, error in results["errors"].items():
        print(f"section {name} failed: {error}", file=sys.stderr)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
