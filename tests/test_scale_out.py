"""Scale-out: app processes that share one data directory and one `chroma run` server.

What staff change through one app is what partners get from the other, at once and without a restart;
a login made on one app is valid on the other, so a proxy in front needs no sticky sessions; a re-index
run anywhere is followed by every app.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.service import Klimawissen
from tests.conftest import REPO, TINY_CORPUS, VENV_BIN, free_port, wait_for_http
from tests.helpers import child_environment
from ui.auth import SESSION_COOKIE

pytestmark = pytest.mark.chroma_server

STAFF_PASSWORD = "Team-Passwort-2035"
LEAK_QUESTION = "Um wie viel Prozent sank der Stromverbrauch der Kompressoren?"
BREWERY_ID = "brauerei-kaelte"
BREWERY = """---
id: brauerei-kaelte
title: Brauerei Altstadt – Kälte aus Ammoniak (fiktiv)
company: Brauerei Altstadt (fiktiv)
sector: food-production
measure_types: [refrigeration]
year: 2024
language: de
doc_type: case-study
---
# Brauerei Altstadt – Kälte aus Ammoniak (fiktiv)

## Maßnahme
Die Brauerei hat ihre alte Kältemaschine mit dem Kältemittel R404A durch eine Ammoniak-Kälteanlage ersetzt.
Die Abwärme der Anlage heizt das Brauwasser vor.

## Ergebnis
Die neue Kälteanlage spart jährlich 95 t CO2e und 310 MWh Strom. Die Investition betrug 480.000 Euro.
"""
BREWERY_QUESTION = "Wie viel CO2 spart die Brauerei mit der neuen Kälteanlage?"
FOOD_TOTAL_QUESTION = "Wie viel CO2 sparen die Partner aus der Lebensmittelherstellung zusammen?"


def test_a_reindex_in_one_process_is_followed_by_the_others(chroma_server, settings, fake_embedder, tiny_corpus):
    settings = settings.replace(chroma_url=chroma_server, collection=f"scale-out-{uuid.uuid4().hex[:12]}")
    indexer, server = Klimawissen(settings, fake_embedder), Klimawissen(settings, fake_embedder)
    indexer.ingest([tiny_corpus])
    assert server.retrieve(LEAK_QUESTION).passages[0].doc_id == "druckluft-notiz"

    indexer.reindex([tiny_corpus / "druckluft-notiz.txt"])  # a new collection replaces the one `server` opened

    assert {p.doc_id for p in server.retrieve(LEAK_QUESTION).passages} == {"druckluft-notiz"}
    assert server.ingest([tiny_corpus / "klimapakt-ziele.md"])[0].status == "added"
    assert indexer.store.count() == server.store.count() == sum(d.chunk_count for d in indexer.documents())


def shared_environment(data_dir: Path, chroma_url: str, collection: str) -> dict[str, str]:
    """The settings all replicas share: data directory and Chroma server (each app gets its own port)."""
    return child_environment(data_dir=str(data_dir), chroma_url=chroma_url, collection=collection)


def klimawissen(env: dict[str, str], *args: str, stdin: str = "") -> None:
    done = subprocess.run([str(VENV_BIN / "klimawissen"), *args], input=stdin, text=True, capture_output=True,
                          cwd=REPO, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def replicas(chroma_server, tmp_path_factory):
    """The environment shared by app A and app B, and their URLs; one staff account, an empty index."""
    data_dir = tmp_path_factory.mktemp("shared-data")
    env = shared_environment(data_dir, chroma_server, f"scale-out-{uuid.uuid4().hex[:12]}")
    klimawissen(env, "users", "add", "anna", "--role", "staff", "--password-stdin", stdin=STAFF_PASSWORD + "\n")
    logs = tmp_path_factory.mktemp("replica-logs")
    apps = []
    for name in ("a", "b"):
        port = free_port()
        log = open(logs / f"{name}.log", "wb")
        process = subprocess.Popen([str(VENV_BIN / "klimawissen"), "serve", "--port", str(port)], cwd=REPO,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        apps.append((process, log, f"http://127.0.0.1:{port}"))
    try:
        for process, _, url in apps:
            wait_for_http(f"{url}/healthz", process, timeout=180)
        yield env, *(url for _, _, url in apps)
    finally:
        for process, log, _ in apps:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def log_in(url: str) -> str:
    """The session token of a staff login on the app at `url`."""
    response = httpx.post(f"{url}/login", data={"username": "anna", "password": STAFF_PASSWORD}, trust_env=False)
    assert response.status_code == 303, response.text
    return response.cookies[SESSION_COOKIE]


def upload(app: httpx.Client, name: str, text: str) -> str:
    """Upload one document; its id."""
    response = app.post("/api/documents", files=[("files", (name, text.encode(), "text/markdown"))])
    response.raise_for_status()
    [result] = response.json()
    assert result["status"] == "added", result["message"]
    return result["doc_id"]


def cited(app: httpx.Client, question: str, filters: dict | None = None) -> tuple[set[str], str]:
    """The ids of the documents an answer cites, and its text."""
    response = app.post("/api/ask", json={"question": question, "filters": filters or {}})
    response.raise_for_status()
    answer = response.json()
    return {c["doc_id"] for c in answer["citations"]}, answer["text"]


def answers_from_the_leak_note(app: httpx.Client) -> bool:
    """The answer cites the leak note and states its figure (its other sentences may cite the other
    document: the extractive answer gives three sentences, and the note has only one passage)."""
    sources, text = cited(app, LEAK_QUESTION)
    return "druckluft-notiz" in sources and "18 Prozent" in text


def listed(app: httpx.Client) -> dict[str, dict]:
    response = app.get("/api/documents")
    response.raise_for_status()
    return {d["doc_id"]: d for d in response.json()}


def test_what_staff_change_on_one_app_the_other_serves_at_once(replicas):
    env, url_a, url_b = replicas
    token = log_in(url_a)  # only on A: the session lives in the shared registry
    with httpx.Client(base_url=url_a, cookies={SESSION_COOKIE: token}, trust_env=False, timeout=60) as a, \
            httpx.Client(base_url=url_b, cookies={SESSION_COOKIE: token}, trust_env=False, timeout=60) as b:
        for name, text in TINY_CORPUS.items():
            upload(a, name, text)
        # B answers and lists before the new document arrives, so whatever it caches is warm.
        assert answers_from_the_leak_note(b)
        assert BREWERY_ID not in cited(b, BREWERY_QUESTION)[0]
        assert set(listed(b)) == {"klimapakt-ziele", "druckluft-notiz"}

        assert upload(a, "brauerei-kaelte.md", BREWERY) == BREWERY_ID

        sources, text = cited(b, BREWERY_QUESTION)
        assert BREWERY_ID in sources and "95 t CO2e" in text
        sources, text = cited(b, FOOD_TOTAL_QUESTION)  # answered from the measure facts
        assert sources == {BREWERY_ID} and "95" in text
        assert listed(b)[BREWERY_ID]["metadata"]["sector"] == "food-production"

        changed = b.patch(f"/api/documents/{BREWERY_ID}", json={"changes": {"sector": "hospitality", "year": 2025}})
        assert changed.json()["status"] == "updated", changed.text
        assert {"sector": "hospitality", "year": 2025}.items() <= listed(a)[BREWERY_ID]["metadata"].items()
        assert cited(a, BREWERY_QUESTION, {"sector": "hospitality"})[0] == {BREWERY_ID}
        assert cited(a, BREWERY_QUESTION, {"sector": "food-production"})[0] == set()

        assert b.delete(f"/api/documents/{BREWERY_ID}").status_code == 200
        assert BREWERY_ID not in cited(a, BREWERY_QUESTION)[0]
        assert BREWERY_ID not in listed(a)
        assert a.get(f"/dokumente/{BREWERY_ID}").status_code == 404

        klimawissen(env, "reindex", env["KLIMAWISSEN_DATA_DIR"] + "/documents")  # while both apps run
        for app in (a, b):
            assert answers_from_the_leak_note(app)
