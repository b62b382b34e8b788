"""`make loadtest`: concurrent chat sessions and a staff upload against a real `klimawissen serve` on
127.0.0.1, written to docs/loadtest.{md,json}.

    .venv/bin/python -m loadtest.run                    # 50 sessions x 4 questions, extractive answers
    .venv/bin/python -m loadtest.run --quick            # 5 sessions x 2 questions over four documents (~30 s)
    .venv/bin/python -m loadtest.run --backend local    # the local model: a full queue must answer "busy" fast

The index of the corpus is built once in --workdir (shared with `make bench`) and copied into a fresh data
dir under /tmp for every run, which the run's staff user, upload and delete then change.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from assistant.offline import enforce_offline

enforce_offline()

import httpx  # noqa: E402

from bench.context import DEFAULT_WORKDIR, GOLDEN, REPO, Context, make_config  # noqa: E402
from bench.machine import describe, load_average  # noqa: E402
from bench.run import write  # noqa: E402
from bench.startup import Server, running_server  # noqa: E402
from eval.golden import load_golden  # noqa: E402
from loadtest import analysis  # noqa: E402
from loadtest.clock import RunClock  # noqa: E402
from loadtest.plan import conversations, session_plans  # noqa: E402
from loadtest.report import markdown_report, targets  # noqa: E402
from loadtest.server import add_staff_user, cpu_seconds, own_data_dir  # noqa: E402
from loadtest.sessions import run_sessions  # noqa: E402
from loadtest.staff import Staff  # noqa: E402
from loadtest.watch import ServerWatch  # noqa: E402

STAFF_NAME = "lasttest-team"
FULL, QUICK = {"sessions": 50, "questions": 4, "deadline": 900.0}, {"sessions": 5, "questions": 2, "deadline": 120.0}


async def load(server: Server, password: str, args: argparse.Namespace) -> dict:
    """Log the staff user in, plan the sessions over the documents it sees, then run sessions and staff
    cycle together while the server's memory and threads are sampled."""
    clock = RunClock()
    connections = httpx.Limits(max_connections=args.sessions, max_keepalive_connections=args.sessions)
    async with httpx.AsyncClient(base_url=server.url, timeout=args.request_timeout, limits=connections,
                                 trust_env=False) as chat, \
            httpx.AsyncClient(base_url=server.url, timeout=args.request_timeout, trust_env=False) as office:
        staff = Staff(office, clock)
        await staff.login(STAFF_NAME, password)
        indexed = await staff.documents()
        plans = session_plans(conversations(load_golden(GOLDEN), indexed), args.sessions, args.questions)
        watch = ServerWatch(server.pid)
        watcher = asyncio.create_task(watch.watch())
        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        answered = asyncio.Event()
        cycle = asyncio.create_task(staff.publish_cycle(answered, wait=args.request_timeout))
        asks = await run_sessions(chat, plans, clock, args.deadline, answered)
        staff_log = await cycle
        await staff.documents()
        watcher.cancel()
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
    load_figures = analysis.load_figures(asks)
    results = {
        "documents_indexed": len(indexed), "load": load_figures,
        "staff_overlap": analysis.staff_overlap(asks, staff_log),
        "sessions": analysis.session_figures(asks, plans),
        "citations": analysis.citation_check(asks, staff_log),
        "answers": analysis.answer_kinds(asks),
        "staff": {"ok": staff_log.ok, "steps": staff_log.steps},
        "server": {**watch.figures(), "cpu_seconds": round(server_cpu, 1),
                   "cpu_ms_per_answer": round(server_cpu * 1000 / max(1, load_figures["answered"]), 1)},
        "client": {"cpu_seconds": round(client_cpu, 1)},
    }
    if args.backend == "local":
        results["busy"] = analysis.busy_check(asks)
    return results


def run(args: argparse.Namespace, command: str) -> dict:
    started = time.perf_counter()
    results: dict = {"command": command, "quick": args.quick,
                     "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": describe()}
    context = Context(make_config(args.quick, args.workdir, args.corpus, models_dir=args.models_dir),
                      progress=lambda text: print(text, flush=True))
    index_dir = context.sample_index()
    if args.backend == "local":
        from assistant.answering.local_model import model_path

        model_path(context.config.model_dir)  # assembled once, outside the server's memory and timings
    password = secrets.token_urlsafe(18)
    with own_data_dir(index_dir) as data_dir:
        if args.backend == "local":
            context.models_link(data_dir)
        add_staff_user(data_dir, STAFF_NAME, password)
        print(f"serving {data_dir} ({args.backend}); {args.sessions} sessions x {args.questions} questions", flush=True)
        with running_server(data_dir, args.workdir / "loadtest-serve.log", args.backend) as server:
            figures = asyncio.run(load(server, password, args))
    results["config"] = {
        "sessions": args.sessions, "questions_per_session": args.questions, "backend": args.backend,
        "request_timeout_s": args.request_timeout, "deadline_s": args.deadline,
        "corpus": [str(p) for p in context.config.corpus], "documents_indexed": figures.pop("documents_indexed"),
        "index": str(index_dir),
    }
    results.update(figures)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = load_average()
    results["targets"] = targets(results)
    return results


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['sessions']} sessions x {QUICK['questions']} questions over four documents")
    parser.add_argument("--sessions", type=int, help=f"concurrent chat sessions (default {FULL['sessions']})")
    parser.add_argument("--questions", type=int, help=f"questions per session (default {FULL['questions']})")
    parser.add_argument("--backend", choices=("extractive", "local"), default="extractive", help="answer backend")
    parser.add_argument("--request-timeout", type=float, default=120.0, help="seconds one request may take")
    parser.add_argument("--deadline", type=float, help=f"seconds the sessions may run in all (default {FULL['deadline']:.0f}; "
                        f"--quick {QUICK['deadline']:.0f})")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="built indexes and the model (reused)")
    parser.add_argument("--corpus", type=Path, nargs="+", help="files or folders to index (default corpus/documents; "
                        "with --quick four of its files)")
    parser.add_argument("--models-dir", type=Path, help="where the local model file is assembled (default WORKDIR/models)")
    parser.add_argument("--output", type=Path, default=REPO / "docs", help="where loadtest.md/.json are written")
    parser.add_argument("--command-line", default="", help="the command named in the report")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.sessions < 1 or args.questions < 1:
        parser.error("--sessions and --questions must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command = args.command_line or "python -m loadtest.run " + " ".join(argv if argv is not None else sys.argv[1:])
    results = run(args, command.strip())
    json_path, md_path = write(results, args.output, "loadtest", markdown_report)
    print()
    for target in results["targets"]:
        print(f"{target['what']:<70} {str(target['measured']):>14}  {'met' if target['met'] else 'NOT met'}")
    print(f"\nwritten: {md_path} and {json_path.name}")
    return 0 if all(t["met"] for t in results["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
