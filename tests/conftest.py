"""Shared fixtures: an isolated data directory, a network guard, a fake embedder, a scripted chat model,
PDFs made on the spot, a tiny German corpus and a real `chroma run` server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.offline import enforce_offline

enforce_offline()

from assistant.config import Settings  # noqa: E402
from indexing.embedding import LocalEmbedding  # noqa: E402

from tests.helpers import GEMMA_FOLDER, MODELS_DIR, REPO, child_environment  # noqa: E402

CORPUS_DOCUMENTS = REPO / "corpus" / "documents"
VENV_BIN = Path(sys.executable).parent


# --- network guard --------------------------------------------------------------------------------

class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = str(address[0])
    return host in ("localhost", "::1") or host.startswith("127.") or host.startswith("::ffff:127.")


@pytest.fixture(autouse=True)
def network_guard(monkeypatch) -> list:
    """Every test runs offline: a connection to anything but loopback raises NetworkBlocked.

    The attempts are also recorded, so a test can assert none happened even where a library
    swallows the exception (telemetry clients do).
    """
    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(real):
        def connect(sock, address):
            if not _is_loopback(address):
                attempts.append(address)
                raise NetworkBlocked(f"test tried to reach {address!r}")
            return real(sock, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    return attempts


# --- settings and data directory ------------------------------------------------------------------

@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's own KLIMAWISSEN_* settings or config file. The one setting every test
    process gets: where the installed default embedder is, since each test has a data directory of its own."""
    for name in list(os.environ):
        if name.startswith("KLIMAWISSEN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLIMAWISSEN_EMBEDDER_MODEL_PATH", str(GEMMA_FOLDER))


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A data directory of the test's own; the default embedder, where a test uses it, is the installed one."""
    return Settings(data_dir=tmp_path / "data", chunk_size=120, chunk_overlap=20, embedder_model_path=str(GEMMA_FOLDER))


# --- fake embedder --------------------------------------------------------------------------------

class HashingEmbedding(LocalEmbedding):
    """Deterministic bag-of-word-prefixes embedder: instant, and it counts every text it embeds."""

    dimensions: int = 256
    embedded_texts: int = 0

    @property
    def identity(self) -> str:
        return f"test-hashing/{self.dimensions}"

    def _load(self):
        return None

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in re.findall(r"\w+", text.lower()):
            bucket = int(hashlib.md5(word[:6].encode()).hexdigest(), 16) % self.dimensions
            vector[bucket] += 1.0
        norm = sum(v * v for v in vector) ** 0.5 or 1.0
        return [v / norm for v in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.embedded_texts += len(texts)
        return [self._vector(text) for text in texts]


@pytest.fixture
def fake_embedder() -> HashingEmbedding:
    return HashingEmbedding()


# --- documents made on the spot -------------------------------------------------------------------

def write_pdf(path: Path, pages: list[str], title: str = "", user_password: str = "", owner_password: str = "") -> Path:
    """A real multi-page PDF (fpdf2), one string per page; optionally encrypted with pypdf (AES-256).

    With only an owner password the PDF opens without one, as many published company reports do.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    if user_password or owner_password:
        import pypdf

        writer = pypdf.PdfWriter(clone_from=str(path))
        writer.encrypt(user_password=user_password, owner_password=owner_password or "owner", algorithm="AES-256")
        writer.write(str(path))
    return path


@pytest.fixture
def make_pdf():
    return write_pdf


TINY_CORPUS = {
    "klimapakt-ziele.md": """---
id: klimapakt-ziele
title: Ziele des Klimapakts
company: Klimapakt mit der Wirtschaft Düsseldorf
sector: cross-sector
measure_types: []
year: 2023
language: de
doc_type: pact
---
# Ziele des Klimapakts

## Beschluss
Der Rat der Stadt Düsseldorf hat im Juli 2019 beschlossen, dass Düsseldorf bis 2035 klimaneutral wird.
Ab 2035 sollen im Durchschnitt 2 t CO2 pro Einwohnerin und Jahr nicht überschritten werden.

## Partner
Initialpartner sind die Stadt, die IHK Düsseldorf, die HWK Düsseldorf und die Kreishandwerkerschaft.
Rund 30 Unternehmen sind als Klimapartner dabei.
""",
    "druckluft-notiz.txt": """Druckluft: Leckagen finden und beheben
Ein Metallbetrieb hat mit Ultraschall 42 Leckagen gefunden und abgedichtet. Der Stromverbrauch der
Kompressoren sank dadurch um 18 Prozent. Die Investition betrug 6.500 Euro.
""",
}

PDF_PAGES = [
    "Fallbeispiel Großbäckerei Müller (fiktiv)\nDie Bäckerei backt täglich 12.000 Brötchen in Düsseldorf-Bilk.",
    "Maßnahme\nDie Abwärme der Backöfen wärmt über einen Wärmetauscher das Brauchwasser vor.",
    "Ergebnis\nDie Wärmerückgewinnung spart jährlich 140 MWh Erdgas und 28,1 t CO2e.",
]


def write_tiny_corpus(folder: Path) -> Path:
    """Two German texts and a three-page PDF whose answers sit on known pages and sections."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    write_pdf(folder / "baeckerei-abwaerme.pdf", PDF_PAGES, title="Großbäckerei: Abwärme der Öfen")
    return folder


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


# --- a real Chroma server -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll until the URL answers; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def local_model_data_dir(tmp_path_factory) -> Path:
    """A data directory for the real local model: its models/ folder is assembled once per test run and
    the model loaded once per process, whichever test uses it first."""
    return tmp_path_factory.mktemp("local-data")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """`chroma run` from the chromadb package, on a free loopback port, for the whole session."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")
    process = subprocess.Popen(
        [str(VENV_BIN / "chroma"), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def e5() -> LocalEmbedding:
    """The real bundled embedder, loaded once per test session."""
    from indexing.embedding import make_embedder

    return make_embedder("e5")


@pytest.fixture(scope="session")
def gemma() -> LocalEmbedding:
    """The real default embedder (EmbeddingGemma, installed by `make install`), loaded once per session."""
    from indexing.embedding import make_embedder

    return make_embedder("gemma", models_dir=MODELS_DIR)


# --- the sample corpus, indexed once per session through the real CLI ----------------------------

def klimawissen_command(*args: str, data_dir: Path, timeout: float = 900, **settings: str) -> subprocess.CompletedProcess:
    """Run the installed `klimawissen` console script with its own data directory (and further settings)."""
    env = child_environment(data_dir=str(data_dir), **settings)
    return subprocess.run(
        [str(VENV_BIN / "klimawissen"), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO
    )


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory) -> Path:
    """A data directory holding corpus/documents indexed with the default embedder (EmbeddingGemma)."""
    data_dir = tmp_path_factory.mktemp("corpus-index")
    result = klimawissen_command("ingest", str(CORPUS_DOCUMENTS), data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return data_dir


# --- a scripted chat model ------------------------------------------------------------------------

class ScriptedChatModel:
    """A chat model that records every call's messages and replies from a script (or raises an error
    put in it), for code that asks a model something outside the answer stream."""

    def __init__(self, *replies: str | Exception):
        self.replies = list(replies)
        self.calls: list[list] = []
        self.options: list[dict] = []  # max_tokens, temperature … of each call

    def chat(self, messages, **options):
        from llama_index.core.llms import ChatMessage, ChatResponse, MessageRole

        self.calls.append(messages)
        self.options.append(options)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=reply))


# --- a fake OpenAI-compatible chat server on loopback ---------------------------------------------

class FakeChatServer:
    """Speaks POST /v1/chat/completions over real HTTP; replies from a script, records every request.
    The question whether the sources answer (assistant/answering/answerability.py) is recorded apart, in
    `checks`, and answered from `check_replies` ("Ja" when none is scripted); so are requests to restate a
    follow-up (`rewrites`, answered from `rewrite_replies`)."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from assistant.answering.answerability import QUESTION
        from assistant.conversation import REWRITE_RULES

        self.requests: list[dict] = []
        self.replies: list[str] = []
        self.checks: list[dict] = []
        self.check_replies: list[str] = []
        self.rewrites: list[dict] = []  # follow-ups to restate (assistant/conversation.py), apart as well
        self.rewrite_replies: list[str] = []
        self.streamed = 0  # replies sent as a stream of server-sent events
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body["messages"][-1]["content"].endswith(tuple(QUESTION.values())):
                    server.checks.append(body)
                    reply = server.check_replies.pop(0) if server.check_replies else "Ja"
                elif body["messages"][0]["content"] in REWRITE_RULES.values():
                    server.rewrites.append(body)
                    reply = server.rewrite_replies.pop(0) if server.rewrite_replies else ""  # "": the rule reads it
                else:
                    server.requests.append(body)
                    reply = server.replies.pop(0) if server.replies else "Keine Antwort vorbereitet."
                if body.get("stream"):
                    self._stream(body, reply)
                    return
                payload = json.dumps({
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", ""),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict, reply: str):
                """Server-sent events, one chunk per word, as OpenAI-compatible servers stream."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = re.findall(r"\S+\s*", reply)
                for index, piece in enumerate(pieces + [""]):
                    last = index == len(pieces)
                    event = {
                        "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion.chunk", "created": 0,
                        "model": body.get("model", ""),
                        "choices": [{"index": 0, "delta": {} if last else {"role": "assistant", "content": piece},
                                     "finish_reason": "stop" if last else None}],
                    }
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                server.streamed += 1

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def fake_chat_server():
    server = FakeChatServer()
    yield server
    server.close()


# --- golden question files ------------------------------------------------------------------------

def golden_record(qid="q-1", **changes) -> dict:
    """One question line in the golden format (eval/golden/README.md), with `changes` applied."""
    base = {
        "id": qid, "question": "Wie viel CO2 spart die Bäckerei?", "language": "de", "type": "numeric",
        "expected": [{"doc_id": "baeckerei-abwaerme", "page": 3, "section": None}],
        "facts": ["28,1 t CO2e"], "follow_up_of": None,
    }
    base.update(changes)
    return base


def write_jsonl(path: Path, *lines) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
                            for line in lines), encoding="utf-8")
    return path
