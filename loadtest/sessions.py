"""Chat sessions as partners hold them: one question after the other, each sent with the session's earlier
questions as history (what the chat page passes to the service), so follow-ups are asked as in the chat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import httpx

from eval.golden import GoldenQuestion
from loadtest.clock import RunClock

MAX_HISTORY = 20  # the most earlier questions POST /api/ask accepts


@dataclass(frozen=True)
class Ask:
    """One POST /api/ask as the client saw it; `error` is empty for a usable answer."""

    started: float
    seconds: float
    status: int | None = None
    error: str = ""
    text: str = ""
    backend: str = ""
    check: str = ""
    abstained: bool = False
    cited_doc_ids: tuple[str, ...] = ()
    session: int = -1
    turn: int = -1
    question_id: str = ""
    follow_up: bool = False

    @property
    def ended(self) -> float:
        return self.started + self.seconds


async def ask(client: httpx.AsyncClient, question: str, history: list[str], clock: RunClock) -> Ask:
    """Ask once; a transport failure, a non-200 status, a malformed or empty answer is an error."""
    started = clock.now()
    try:
        response = await client.post("/api/ask", json={"question": question, "history": history[-MAX_HISTORY:]})
    except httpx.HTTPError as error:
        return Ask(started, clock.now() - started, error=f"{type(error).__name__}: {error}")
    seconds = clock.now() - started
    if response.status_code != 200:
        return Ask(started, seconds, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = response.json()
        cited = tuple(c["doc_id"] for c in answer["citations"])
        text = answer["text"]
    except (ValueError, KeyError, TypeError) as error:
        return Ask(started, seconds, 200, f"malformed answer: {type(error).__name__}: {error}")
    return Ask(started, seconds, 200, "" if text.strip() else "empty answer", text, answer.get("backend", ""),
               answer.get("check", ""), bool(answer.get("abstained")), cited)


async def chat_session(client: httpx.AsyncClient, number: int, plan: list[GoldenQuestion], clock: RunClock,
                       asks: list[Ask], answered: asyncio.Event) -> None:
    history: list[str] = []
    for turn, question in enumerate(plan):
        result = await ask(client, question.question, history, clock)
        asks.append(replace(result, session=number, turn=turn, question_id=question.id,
                            follow_up=question.follow_up_of is not None))
        answered.set()
        history.append(question.question)


async def run_sessions(client: httpx.AsyncClient, plans: list[list[GoldenQuestion]], clock: RunClock,
                       deadline: float, answered: asyncio.Event) -> list[Ask]:
    """All sessions at once; whatever is still running at the deadline is cancelled (and reported as
    incomplete), so the run is bounded in time whatever the server does."""
    asks: list[Ask] = []
    tasks = [asyncio.create_task(chat_session(client, n, plan, clock, asks, answered)) for n, plan in enumerate(plans)]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the client must not pass as a quiet run
    return asks
