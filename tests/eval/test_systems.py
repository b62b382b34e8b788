"""The retrieval systems `make eval` compares, beyond what the whole-run test covers."""

from assistant.service import Klimawissen
from eval.systems import Ours, follow_ups_restated_by


def test_the_model_restating_system_asks_the_model_for_follow_ups_only(settings, fake_embedder, tiny_corpus,
                                                                        fake_chat_server):
    service = Klimawissen(settings.replace(openai_base_url=fake_chat_server.url, openai_model="test-model"),
                          embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([tiny_corpus]))
    restating = follow_ups_restated_by(service, "openai")
    restated = "Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei im Jahr?"
    fake_chat_server.rewrite_replies.append(restated)

    standalone_hits, _ = restating.search("Wer sind die Initialpartner des Klimapakts?", [])
    follow_up_hits, _ = restating.search("Und wie viel CO2e spart sie im Jahr?",
                                         ["Wie viel Erdgas spart die Wärmerückgewinnung der Großbäckerei?"])

    assert len(fake_chat_server.rewrites) == 1 and fake_chat_server.requests == []
    assert follow_up_hits == Ours(service).search(restated, [])[0]
    assert standalone_hits == Ours(service).search("Wer sind die Initialpartner des Klimapakts?", [])[0]
