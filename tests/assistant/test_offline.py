"""Nothing reaches out: ingest and ask with the real default embedder while only loopback is allowed."""

import socket

import pytest

from assistant.service import Klimawissen


def test_the_guard_really_blocks_non_loopback_connections(network_guard):
    with pytest.raises(RuntimeError, match="tried to reach"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: never routed anywhere
    assert network_guard == [("192.0.2.1", 443)]


def test_ingest_and_ask_with_the_real_embedder_make_no_outside_connection(network_guard, settings, tiny_corpus):
    service = Klimawissen(settings)
    results = service.ingest([tiny_corpus])
    answer = service.ask("Wie viel CO2 spart die Bäckerei mit der Abwärme?")

    assert all(result.ok for result in results)
    assert answer.citations
    assert network_guard == []
