"""The chunk store on real embedded Chroma: one collection per language, answering like one collection.

The reference is a plain Chroma collection holding the same chunks, searched with Chroma's own `where`.
"""

import random

import pytest
from llama_index.core.schema import TextNode

from indexing.store import ChunkStore, connect, drop_store, partition_name, stored_embedder

EMBEDDER = "test-embedder/8"
LANGUAGES = ["de"] * 7 + ["en"] * 3 + ["fr", None]


def _chunks(count: int, seed: int = 7) -> tuple[list[TextNode], list[list[float]]]:
    rng = random.Random(seed)
    nodes, vectors = [], []
    for n in range(count):
        metadata = {"doc_id": f"doc-{n % 9}", "sector": ("logistics", "printing")[n % 2], "chunk_index": n}
        language = LANGUAGES[n % len(LANGUAGES)]
        if language:
            metadata["language"] = language
        nodes.append(TextNode(id_=f"doc-{n % 9}::{n:05d}", text=f"Abschnitt {n}", metadata=metadata))
        vectors.append([rng.uniform(-1, 1) for _ in range(8)])
    return nodes, vectors


def _reference(client, nodes, vectors):
    collection = client.create_collection("reference", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    collection.add(ids=[n.id_ for n in nodes], documents=[n.text for n in nodes],
                   metadatas=[n.metadata for n in nodes], embeddings=vectors)
    return collection


def _search(collection, vector, k, where):
    result = collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
    return [(cid, round(1 - d, 5)) for cid, d in zip(result["ids"][0], result["distances"][0])]


def _by_id(records):
    """Text, metadata and stored (float32) vector of each chunk id."""
    return {cid: (text, meta, [float(v) for v in vector]) for cid, text, meta, vector
            in zip(records["ids"], records["documents"], records["metadatas"], records["embeddings"])}


@pytest.fixture
def filled(tmp_path):
    client = connect("", tmp_path / "chroma")
    store = ChunkStore(client, "chunks", EMBEDDER)
    nodes, vectors = _chunks(120)
    store.add(nodes, vectors)
    return client, store, nodes, vectors


def test_chunks_go_to_their_language_partition(filled):
    client, store, nodes, _ = filled
    counts = {p: store.partitions[p].count() for p in store.partitions}
    assert counts == {"de": 70, "en": 30, "other": 20}  # French and language-less chunks: "other"
    assert store.count() == 120 and store.count("doc-3") == len([n for n in nodes if n.metadata["doc_id"] == "doc-3"])
    assert sorted(store.chunk_ids()) == sorted(n.id_ for n in nodes)


@pytest.mark.parametrize("where", [
    None,
    {"language": "de"},
    {"language": "en"},
    {"language": "fr"},
    {"sector": "printing"},
    {"$and": [{"language": "en"}, {"sector": "logistics"}]},
    {"$and": [{"language": "de"}, {"sector": "printing"}, {"doc_id": "doc-4"}]},
])
def test_a_search_finds_what_one_collection_with_a_filter_finds(filled, where):
    client, store, nodes, vectors = filled
    reference = _reference(client, nodes, vectors)
    rng = random.Random(3)
    for k in (1, 5, 40, 200):
        for _ in range(5):
            vector = [rng.uniform(-1, 1) for _ in range(8)]
            expected = _search(reference, vector, min(k, 120), where)
            found = [(c.chunk_id, round(c.score, 5)) for c in store.query(vector, k, where)]
            assert found == expected, (where, k)


def test_the_other_partition_can_be_searched_on_its_own(filled):
    """Every language but German and English (and chunks without one), as the per-language search needs."""
    client, store, nodes, vectors = filled
    reference = _reference(client, nodes, vectors)
    vector = [0.5, -0.2, 0.1, 0.9, -0.4, 0.3, 0.0, 0.7]
    language = {n.id_: n.metadata.get("language") for n in nodes}
    expected = [cid for cid, _ in _search(reference, vector, 120, None) if language[cid] not in ("de", "en")]
    found = [c.chunk_id for c in store.query(vector, 40, {"language": "other"})]
    assert found == expected[:40] and len(found) == 20


def test_reads_and_deletes_reach_every_partition(filled):
    client, store, nodes, vectors = filled
    mixed = [n for n in nodes if n.metadata["doc_id"] == "doc-0"]
    assert {n.metadata.get("language") for n in mixed} >= {"de", "en"}
    assert set(store.get([n.id_ for n in mixed])) == {n.id_ for n in mixed}
    assert set(store.records({"doc_id": "doc-0"}, ["metadatas"])["ids"]) == {n.id_ for n in mixed}
    store.delete_chunks([mixed[0].id_, mixed[1].id_])
    assert store.count("doc-0") == len(mixed) - 2
    store.delete_document("doc-0")
    assert store.count("doc-0") == 0 and store.count() == 120 - len(mixed)
    assert sum(len(page["ids"]) for page in store.pages(["metadatas"])) == store.count()


def test_a_store_of_one_collection_is_moved_into_partitions_when_opened(tmp_path):
    """Data directories written before partitions keep their index: the chunks move, vectors and all."""
    client = connect("", tmp_path / "chroma")
    nodes, vectors = _chunks(60)
    old = client.create_collection("chunks", metadata={"embedder": EMBEDDER},
                                   configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    old.add(ids=[n.id_ for n in nodes], documents=[n.text for n in nodes],
            metadatas=[n.metadata for n in nodes], embeddings=vectors)
    reference = _reference(client, nodes, vectors)
    assert stored_embedder(client, "chunks") == EMBEDDER

    store = ChunkStore(connect("", tmp_path / "chroma"), "chunks", EMBEDDER)
    names = {c.name for c in client.list_collections()}
    assert "chunks" not in names and partition_name("chunks", "de") in names
    assert store.count() == 60
    include = ["documents", "metadatas", "embeddings"]
    moved, expected = _by_id(store.records(include=include)), _by_id(reference.get(include=include))
    assert {cid: (text, meta) for cid, (text, meta, _) in moved.items()} == \
        {cid: (text, meta) for cid, (text, meta, _) in expected.items()}
    for cid, (_, _, vector) in moved.items():  # Chroma normalises cosine vectors: equal to the last float32 bit
        assert vector == pytest.approx(expected[cid][2], abs=1e-6)
    assert [c.chunk_id for c in store.query(vectors[5], 10, {"language": "de"})] == \
        [cid for cid, _ in _search(reference, vectors[5], 10, {"language": "de"})]


def test_dropping_the_store_removes_every_partition(filled):
    client, store, _, _ = filled
    assert stored_embedder(client, "chunks") == EMBEDDER
    drop_store(client, "chunks")
    assert stored_embedder(client, "chunks") is None
    assert not [c for c in client.list_collections() if c.name.startswith("chunks")]
