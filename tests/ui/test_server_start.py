"""`serve` repairs what an interrupted ingest left behind before the app takes its first request."""

from __future__ import annotations

import uvicorn

from assistant.service import Klimawissen
from indexing.consistency import inspect
from ui import server


def test_serve_repairs_the_index_before_it_serves(settings, e5, tiny_corpus, monkeypatch, capsys):
    Klimawissen(settings, embedder=e5).ingest([tiny_corpus])
    service = Klimawissen(settings, embedder=e5)
    service.registry.begin_write("druckluft-notiz", "unterbrochen")  # an ingest killed after its first step
    state_when_served = []
    monkeypatch.setattr(server, "create_server_app", lambda s: state_when_served.append(inspect(s.pipeline)))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)

    server.serve(settings)

    assert state_when_served[0].ok and state_when_served[0].documents == 3
    printed = capsys.readouterr().out
    assert "Index repariert: „Druckluft: Leckagen finden und beheben“ (druckluft-notiz) aus der Datei" in printed
