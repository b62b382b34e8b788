"""Sections 4 and 6: cold start of `klimawissen serve` and `klimawissen ask`, import costs, and the
server's memory with and without the local model. Every server is a child process on a free loopback
port, stopped by its own pid."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.context import REPO, VENV_BIN, Context, subprocess_env
from bench.stats import median, timed

OWN_PACKAGES = ("assistant", "indexing", "ui", "eval", "bench")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> dict:
    """Resident and peak resident memory of a process from /proc/<pid>/status, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS"), "peak_rss_mb": values.get("VmHWM")}


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _post_json(url: str, payload: dict, timeout: float) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass(frozen=True)
class Server:
    pid: int
    url: str
    data_dir: Path


@contextmanager
def running_server(data_dir: Path, log_path: Path, answer_backend: str = "extractive", timeout: float = 180.0,
                   **settings: str) -> Iterator[Server]:
    """`klimawissen serve` as a child process on a free loopback port, yielded once /healthz answers and
    stopped by its own pid afterwards."""
    port = free_port()
    env = subprocess_env(data_dir, port=str(port), host="127.0.0.1", answer_backend=answer_backend, **settings)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(VENV_BIN / "klimawissen"), "serve"], cwd=REPO, env=env, stdout=log, stderr=log)
        try:
            server = Server(process.pid, f"http://127.0.0.1:{port}", data_dir)
            _wait_healthy(process, server.url + "/healthz", timeout, log_path)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(process: subprocess.Popen, url: str, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"klimawissen serve exited with {process.returncode} (log: {log_path})")
        try:
            _get(url, timeout=1.0)
            return
        except OSError:
            time.sleep(0.05)  # polling the port until it answers, not waiting for a result
    raise TimeoutError(f"{url} did not answer within {timeout} s (log: {log_path})")


def serve_once(data_dir: Path, question: str, log_path: Path, answer_backend: str = "extractive",
               timeout: float = 120.0, **settings: str) -> dict:
    """Start `klimawissen serve`, wait for /healthz, ask one question over POST /api/ask, read its memory, stop it."""
    started = time.perf_counter()
    with running_server(data_dir, log_path, answer_backend, timeout, **settings) as server:
        healthy = time.perf_counter() - started
        answer = _post_json(server.url + "/api/ask", {"question": question}, timeout=timeout * 5)
        answered = time.perf_counter() - started
        memory = rss_mb(server.pid)
    return {"healthz_s": round(healthy, 2), "first_answer_s": round(answered, 2), "answer_s": round(answered - healthy, 2),
            "backend": answer.get("backend"), "citations": len(answer.get("citations", [])), **memory}


def ask_once(data_dir: Path, question: str) -> dict:
    with timed() as t:
        done = subprocess.run([str(VENV_BIN / "klimawissen"), "ask", question], cwd=REPO,
                              env=subprocess_env(data_dir), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"klimawissen ask failed ({done.returncode}): {done.stderr[-500:]}")
    return {"seconds": round(t.seconds, 2), "answer_chars": len(done.stdout)}


def parse_importtime(stderr: str) -> list[dict]:
    """`python -X importtime` lines as {name, self_ms, cumulative_ms, depth}; depth 0 = imported directly."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:"):].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        entries.append({"name": name.strip(), "self_ms": int(fields[0]) / 1000,
                        "cumulative_ms": int(fields[1]) / 1000, "depth": depth})
    return entries


def import_costs(data_dir: Path, question: str, top: int = 10) -> dict:
    """Where `klimawissen ask` spends its import time: its slowest direct (top-level) imports, and the
    slowest packages wherever they are first imported (our own packages and interpreter start-up left out)."""
    def importtime(code: str, *args: str) -> list[dict]:
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], cwd=REPO,
                              env=subprocess_env(data_dir), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"import-time run failed: {done.stderr[-500:]}")
        return parse_importtime(done.stderr)

    startup = {e["name"] for e in importtime("pass")}
    entries = [e for e in importtime("import sys; from assistant.cli import main; sys.exit(main(sys.argv[1:]))",
                                     "ask", question) if e["name"] not in startup]
    direct = sorted((e for e in entries if e["depth"] == 0), key=lambda e: -e["cumulative_ms"])
    largest: dict[str, dict] = {}  # per top-level package its costliest import (llama_index → llama_index.core)
    for entry in entries:
        root = entry["name"].split(".")[0]
        if root in OWN_PACKAGES or root.startswith("_"):
            continue
        if root not in largest or entry["cumulative_ms"] > largest[root]["cumulative_ms"]:
            largest[root] = entry
    packages = sorted(largest.values(), key=lambda e: -e["cumulative_ms"])
    def rows(items):
        return [{"module": e["name"], "cumulative_ms": round(e["cumulative_ms"], 1)} for e in items[:top]]
    return {"total_import_ms": round(sum(e["cumulative_ms"] for e in direct), 1),
            "top_level": rows(direct), "packages": rows(packages)}


def cold_start(ctx: Context) -> dict:
    data_dir = ctx.sample_index()
    question = ctx.questions[0].question
    log = ctx.config.workdir / "serve.log"
    serve, ask = [], []
    for rep in range(ctx.config.reps):
        ctx.progress(f"  klimawissen serve, run {rep + 1}/{ctx.config.reps}")
        serve.append(serve_once(data_dir, question, log))
        ctx.progress(f"  klimawissen ask, run {rep + 1}/{ctx.config.reps}")
        ask.append(ask_once(data_dir, question))
    ctx.progress("  import times of klimawissen ask")
    return {
        "question": question,
        "serve": {
            "healthz_s_median": round(median([r["healthz_s"] for r in serve]), 2),
            "first_answer_s_median": round(median([r["first_answer_s"] for r in serve]), 2),
            "runs": serve,
        },
        "ask": {"seconds_median": round(median([r["seconds"] for r in ask]), 2), "runs": ask},
        "imports": import_costs(data_dir, question),
        "notes": [
            "serve: from starting the process until /healthz answers (embedder loaded, index open, web app "
            "built) and until POST /api/ask has returned the first answer (answer_backend extractive).",
            "ask: `klimawissen ask QUESTION` from process start to exit.",
            "Imports: `python -X importtime` of the same ask; 'top-level' are the imports the command itself "
            "triggers (cumulative), 'package' the slowest third-party packages wherever first imported (their "
            "costliest import; a package imported by another is also inside that one's figure).",
        ],
    }


def memory(ctx: Context) -> dict:
    """RSS of the server after warm-up and one answer, extractive and with the local model."""
    from assistant.answering.local_model import LocalModelUnavailable, model_path

    data_dir = ctx.sample_index()
    question = ctx.questions[0].question
    log = ctx.config.workdir / "serve.log"
    ctx.progress("  server, answer_backend extractive")
    result = {"extractive": serve_once(data_dir, question, log)}
    try:
        model_path(ctx.config.model_dir)  # assemble the model file once, outside any server's memory
        ctx.models_link(data_dir)
    except LocalModelUnavailable as error:
        result["local"] = {"skipped": f"local model unavailable: {error}"}
    else:
        ctx.progress("  server, answer_backend local")
        # --quick keeps the prompt short (the smallest cap); the full run uses the configured max_context_chars.
        cap = {"max_context_chars": str(min(ctx.config.caps))} if ctx.config.quick else {}
        local = serve_once(data_dir, question, log, answer_backend="local", timeout=300, **cap)
        local["max_context_chars"] = int(cap.get("max_context_chars", ctx.settings.max_context_chars))
        if local["backend"] != "local":
            local["note"] = "the server answered with another backend: the local model did not load"
        result["local"] = local
    result["notes"] = [
        "VmRSS (and peak VmHWM) of the `klimawissen serve` process after /healthz answered and one "
        "POST /api/ask returned; with answer_backend local the model loads on that first question.",
    ]
    return result
