"""The retrieval systems `make eval` compares, beyond what the whole-run test covers."""

from assistant.service import Klimawissen
from eval.systems import FollowUpsRestated, Ours


def test_the_model_restating_system_asks_the_model_for_every_question_with_history(settings, fake_embedder,
                                                                                   tiny_corpus, fake_chat_server):
    service = Klimawissen(settings.replace(openai_base_url=fake_chat_server.url, openai_model="test-model"),
                          embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([tiny_corpus]))
    restating = FollowUpsRestated(service, "openai")
    earlier = ["Wie viel Erdgas spart die Wärmerückgewinnung der Großbäckerei?"]
    restated = "Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei im Jahr?"
    self_contained = "Wer sind die Initialpartner des Klimapakts?"
    fake_chat_server.rewrite_replies += [restated, self_contained]  # the second one kept as it was

    first_hits, _ = restating.search(self_contained, [])  # no history: the model is not asked
    follow_up_hits, _ = restating.search("Und wie viel CO2e spart sie im Jahr?", earlier)
    kept_hits, _ = restating.search(self_contained, earlier)

    assert len(fake_chat_server.rewrites) == 2 and fake_chat_server.requests == []
    assert follow_up_hits == Ours(service).search(restated, [])[0]
    assert first_hits == kept_hits == Ours(service).search(self_contained, [])[0]
    assert restating.restated == 1
