"""The pact office during the load: log in, upload a case study, replace it with a corrected version and
delete it, each step through the API while the chat sessions run, and after each step ask the chat
whether it answers from exactly what is published."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from indexing.pipeline import ADDED, UPDATED
from loadtest.clock import RunClock
from loadtest.document import (CORRECTED_FIGURE, FIRST_FIGURE, PROBE_QUESTION, UPLOAD_ID, UPLOAD_NAME,
                               case_study)
from loadtest.sessions import ask
from ui.auth import SESSION_COOKIE


class StepFailed(Exception):
    """A staff step did not do what the pact office expects of it."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


@dataclass
class StaffLog:
    steps: list[dict] = field(default_factory=list)
    known_doc_ids: set[str] = field(default_factory=set)  # every id /api/documents listed during the run

    def window(self, action: str) -> tuple[float, float] | None:
        """When a step started and ended on the run clock."""
        for step in self.steps:
            if step["action"] == action:
                return step["started"], step["started"] + step["seconds"]
        return None

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step["ok"] for step in self.steps)


class Staff:
    def __init__(self, client: httpx.AsyncClient, clock: RunClock):
        self.client = client
        self.clock = clock
        self.log = StaffLog()

    async def login(self, name: str, password: str) -> None:
        """The login form, as a browser posts it; the session cookie stays in the client."""
        response = await self.client.post("/login", data={"username": name, "password": password, "next": "/"})
        if response.status_code != 303 or SESSION_COOKIE not in self.client.cookies:
            raise RuntimeError(f"staff login failed: HTTP {response.status_code}")

    async def documents(self) -> set[str]:
        response = await self.client.get("/api/documents")
        response.raise_for_status()
        ids = {d["doc_id"] for d in response.json()}
        self.log.known_doc_ids |= ids
        return ids

    async def publish_cycle(self, answered: asyncio.Event, wait: float) -> StaffLog:
        """Upload, replace, delete, starting once the chat sessions are answering (or after `wait` s)."""
        try:
            await asyncio.wait_for(answered.wait(), timeout=wait)
        except asyncio.TimeoutError:
            pass  # a server that answers nobody still gets the upload; the report shows both
        await self._step("upload", self._upload)
        await self._step("listed after upload", self._listed(expected=True))
        await self._step("answer cites upload", self._probe(FIRST_FIGURE))
        await self._step("replace", self._replace)
        await self._step("answer cites corrected version", self._probe(CORRECTED_FIGURE, FIRST_FIGURE))
        await self._step("delete", self._delete)
        await self._step("not listed after delete", self._listed(expected=False))
        await self._step("answer no longer cites upload", self._probe_gone)
        return self.log

    async def _step(self, action: str, check) -> None:
        started = self.clock.now()
        try:
            detail = await check()
            ok = True
        except (StepFailed, httpx.HTTPError) as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        self.log.steps.append({"action": action, "started": round(started, 3),
                               "seconds": round(self.clock.now() - started, 3), "ok": ok, "detail": detail})

    async def _upload(self) -> str:
        response = await self.client.post("/api/documents", files={"files": (UPLOAD_NAME, case_study(FIRST_FIGURE))})
        return _published(response, ADDED)

    async def _replace(self) -> str:
        response = await self.client.put(f"/api/documents/{UPLOAD_ID}",
                                         files={"file": (UPLOAD_NAME, case_study(CORRECTED_FIGURE))})
        return _published(response, UPDATED)

    async def _delete(self) -> str:
        response = await self.client.delete(f"/api/documents/{UPLOAD_ID}")
        expect(response.status_code == 200, f"HTTP {response.status_code}: {response.text[:200]}")
        return "deleted"

    def _listed(self, expected: bool):
        async def check() -> str:
            listed = UPLOAD_ID in await self.documents()
            expect(listed == expected, f"{UPLOAD_ID} {'missing from' if expected else 'still in'} /api/documents")
            return "listed" if listed else "not listed"
        return check

    def _probe(self, figure: str, outdated: str = ""):
        async def check() -> str:
            answer = await ask(self.client, PROBE_QUESTION, [], self.clock)
            expect(not answer.error, answer.error)
            expect(UPLOAD_ID in answer.cited_doc_ids, f"cited {list(answer.cited_doc_ids)}")
            expect(figure in answer.text, f"{figure!r} not in the answer")
            expect(not outdated or outdated not in answer.text, f"outdated {outdated!r} still in the answer")
            return f"cites {UPLOAD_ID} with {figure}"
        return check

    async def _probe_gone(self) -> str:
        answer = await ask(self.client, PROBE_QUESTION, [], self.clock)
        expect(not answer.error, answer.error)
        expect(UPLOAD_ID not in answer.cited_doc_ids, f"still cites {UPLOAD_ID}")
        return f"cites {sorted(set(answer.cited_doc_ids)) or 'nothing'}"


def _published(response: httpx.Response, status: str) -> str:
    expect(response.status_code == 200, f"HTTP {response.status_code}: {response.text[:200]}")
    results = response.json()
    results = results if isinstance(results, list) else [results]
    expect([(r["status"], r["doc_id"]) for r in results] == [(status, UPLOAD_ID)], f"results {results}")
    return f"{status}, {results[0]['chunks']} chunks"
