"""`serve` repairs what an interrupted ingest left behind before the app takes its first request."""

from __future__ import annotations

import uvicorn

from assistant.service import Klimawissen
from indexing.consistency import inspect
from ui import server


def test_serve_repairs_the_index_before_it_serves(settings, fake_embedder, tiny_corpus, monkeypatch, capsys):
    Klimawissen(settings, embedder=fake_embedder).ingest([tiny_corpus])
    service = Klimawissen(settings, embedder=fake_embedder)
    monkeypatch.setattr("assistant.service.make_embedder", lambda *args, **kwargs: fake_embedder)
    service.registry.begin_write("druckluft-notiz", "unterbrochen")  # an ingest killed after its first step
    state_when_served = []
    monkeypatch.setattr(server, "create_server_app", lambda s: state_when_served.append(inspect(s.pipeline)))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)

    server.serve(settings)

    assert state_when_served[0].ok and state_when_served[0].documents == 3
    printed = capsys.readouterr().out
    assert "Index repariert: „Druckluft: Leckagen finden und beheben“ (druckluft-notiz) aus der Datei" in printed


def test_serve_answers_health_checks_while_the_embedder_still_loads(settings, fake_embedder, tiny_corpus, monkeypatch):
    import threading

    from fastapi.testclient import TestClient

    from tests.conftest import HashingEmbedding

    Klimawissen(settings, embedder=fake_embedder).ingest([tiny_corpus])
    loaded = threading.Event()

    class SlowToLoad(HashingEmbedding):
        def _load(self):
            loaded.wait(60)  # the model "loads" until the test has seen the server answer

        def _get_query_embedding(self, query):
            _ = self.model
            return super()._get_query_embedding(query)

    monkeypatch.setattr("assistant.service.make_embedder", lambda *args, **kwargs: SlowToLoad())
    seen = []

    def run(app, **options):
        with TestClient(app) as client:
            seen.append(client.get("/healthz").json())
            warming = next(t for t in threading.enumerate() if t.name == "warm-up")  # waiting for the model
            loaded.set()
            warming.join(60)
            seen.append(client.get("/healthz").json())

    monkeypatch.setattr(uvicorn, "run", run)
    server.serve(settings)

    assert seen == [{"status": "ok", "documents": 3, "search": "loading"}, {"status": "ok", "documents": 3, "search": "ready"}]
