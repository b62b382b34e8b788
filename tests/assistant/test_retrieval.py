"""Hybrid retrieval on real Chroma and the real keyword index (fake embedder: the fusion is under test)."""

import pytest

from assistant.retrieval import DenseRetriever, chroma_where, is_examples_question, one_per_document
from assistant.retrieval import Passage
from assistant.service import Klimawissen
from indexing.sentences import split_sentences

CASES = {
    "cs-a.md": ("Bäckerei A", "food-production", "waste-heat-recovery", 2023,
                "Die Bäckerei A nutzt die Abwärme ihrer Öfen. Die Wärmerückgewinnung spart 120 MWh Erdgas."),
    "cs-b.md": ("Druckerei B", "printing", "waste-heat-recovery", 2024,
                "Die Druckerei B gewinnt Abwärme aus den Kompressoren zurück und heizt damit die Halle."),
    "cs-c.md": ("Spedition C", "logistics", "fleet-electrification", 2024,
                "Die Spedition C hat zwölf Transporter durch Elektrofahrzeuge ersetzt."),
}


@pytest.fixture
def service(settings, fake_embedder, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for name, (company, sector, measure, year, body) in CASES.items():
        text = "\n".join(body.split(". "))
        (folder / name).write_text(
            f"---\ntitle: {company}\ncompany: {company}\nsector: {sector}\nmeasure_types: [{measure}]\n"
            f"year: {year}\nlanguage: de\ndoc_type: case-study\n---\n## Maßnahme\n{body}\n\n## Mehr\n{text} Weitere Details.\n",
            encoding="utf-8",
        )
    service = Klimawissen(settings.replace(top_k=5), embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([folder]))
    return service


def test_keyword_and_dense_candidates_are_fused(service):
    retrieval = service.retrieve("Wärmerückgewinnungsanlage Bäckerei")
    assert retrieval.passages[0].doc_id == "cs-a"
    assert retrieval.relevance > 0


def test_filters_apply_to_both_retrievers(service):
    for filters, expected in [
        ({"sector": "printing"}, {"cs-b"}),
        ({"measure_types": "fleet-electrification"}, {"cs-c"}),
        ({"year": 2024, "measure_types": "waste-heat-recovery"}, {"cs-b"}),
    ]:
        retrieval = service.retrieve("Abwärme Transporter Halle", filters=filters)
        assert {p.doc_id for p in retrieval.passages} == expected, filters


def test_examples_questions_spread_over_documents(service):
    retrieval = service.retrieve("Welche Beispiele für Abwärme gibt es?")
    first_two = [p.doc_id for p in retrieval.passages[:2]]
    assert sorted(first_two) == ["cs-a", "cs-b"]


def test_follow_up_is_retrieved_with_the_previous_question(service):
    alone = service.retrieve("Und wie viele hat sie ersetzt?")
    with_history = service.retrieve("Und wie viele hat sie ersetzt?", history=["Was hat die Spedition C umgestellt?"])
    assert with_history.passages[0].doc_id == "cs-c"
    assert with_history.query != alone.query


def test_below_the_relevance_threshold_the_answer_says_nothing_was_found(service):
    strict = Klimawissen(service.settings.replace(min_relevance=1.01), embedder=service.embedder)
    answer = strict.ask("Abwärme der Bäckerei")
    assert answer.abstained and "nichts gefunden" in answer.text and "Bäckerei A [1]" in answer.text
    # The nearest documents are cited, one passage each, so the reader can look for himself.
    titles = [c.passage.title for c in answer.citations]
    assert titles and len(titles) == len(set(titles)) and titles[0] == "Bäckerei A"


def test_helpers():
    assert chroma_where({}) is None
    assert chroma_where({"sector": "x", "measure_types": "y"}) == {
        "$and": [{"sector": "x"}, {"measure_types": {"$contains": "y"}}]
    }
    with pytest.raises(ValueError, match="unknown filter"):
        chroma_where({"colour": "green"})
    assert is_examples_question("Give me two examples of heat pumps") and not is_examples_question("Was kostet das?")
    passages = [Passage(str(i), "", 0.0, {"doc_id": d}) for i, d in enumerate("aab")]
    assert [p.doc_id for p in one_per_document(passages)] == ["a", "b", "a"]


def test_cross_lingual_boost_lifts_passages_in_the_other_language():
    from assistant.retrieval import HybridRetriever
    from indexing.store import StoredChunk

    chunks = [StoredChunk("en", "", {"language": "en"}, 0.86), StoredChunk("de", "", {"language": "de"}, 0.84)]
    balanced = HybridRetriever(None, None, None, cross_lingual_boost=0.03)._balance_languages(chunks, "en")
    assert [c.chunk_id for c in balanced] == ["de", "en"]
    unbalanced = HybridRetriever(None, None, None, cross_lingual_boost=0.0)._balance_languages(chunks, "en")
    assert [c.chunk_id for c in unbalanced] == ["en", "de"]


def test_questions_the_documents_cannot_answer_are_queued_for_staff(service):
    strict = Klimawissen(service.settings.replace(min_relevance=1.01), embedder=service.embedder)
    strict.ask("Wie viel kostet ein Windrad?")
    strict.ask("   ")
    queued = strict.unanswered.all()
    assert [q.question for q in queued] == ["Wie viel kostet ein Windrad?"]
    assert queued[0].closest and queued[0].asked_at
    lenient = Klimawissen(service.settings.replace(min_relevance=0.0), embedder=service.embedder)
    assert not lenient.ask("Abwärme der Bäckerei").abstained  # answered: not queued
    assert len(lenient.unanswered.all()) == 1


@pytest.mark.parametrize("question", ["Abwärme der Öfen", "waste heat of the ovens", "Elektrofahrzeuge Spedition"])
def test_the_search_per_language_finds_each_languages_k_best(settings, fake_embedder, tmp_path, question):
    """Checked against Chroma's own language filter on one collection holding all chunks."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for n in range(12):
        language, words = ("en", "waste heat ovens fleet electric") if n % 4 == 0 else ("de", "Abwärme Öfen Elektrofahrzeuge")
        (folder / f"doc-{n}.md").write_text(
            f"---\ntitle: Dokument {n}\nlanguage: {language}\n---\n## Teil\n{words} Nummer {n} {'x' * n}.\n", encoding="utf-8")
    service = Klimawissen(settings, embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([folder]))
    everything = service.store.records(include=["documents", "metadatas", "embeddings"])
    reference = service.chroma_client.create_collection(
        "reference", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    reference.add(ids=everything["ids"], documents=everything["documents"], metadatas=everything["metadatas"],
                  embeddings=[list(v) for v in everything["embeddings"]])
    dense = DenseRetriever(service.store, fake_embedder)
    vector = fake_embedder.get_query_embedding(question)

    for k in (2, 3, 8):  # English holds 3 chunks
        found = dense.search(question, k, None, ("de", "en")).chunks
        expected = []
        for language, held in (("de", 9), ("en", 3)):
            result = reference.query(query_embeddings=[vector], n_results=min(k, held), where={"language": language},
                                     include=["metadatas", "distances"])
            expected += [(meta["language"], round(1 - d, 6)) for meta, d in zip(result["metadatas"][0], result["distances"][0])]
        # Compared by language and similarity: chunks at the same distance may come in either order.
        assert sorted((c.metadata["language"], round(c.score, 6)) for c in found) == sorted(expected)
        assert sum(c.metadata["language"] == "en" for c in found) == min(k, 3)


def test_a_passage_whose_one_sentence_answers_outranks_a_closer_blend(settings, fake_embedder, tmp_path):
    """The answer is one sentence among many unrelated ones: the passage's own vector is diluted, its
    best sentence is not. Without the sentence list the short near-miss wins."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "near-miss.txt").write_text("Abwärme und Kompressor.\n", encoding="utf-8")
    filler = " ".join(f"Satz {n} über Parkplatz, Kantine, Fenster, Bücher und Telefone." for n in range(8))
    (folder / "answer.txt").write_text(f"{filler} Abwärme vom Kompressor heizt die Halle.\n", encoding="utf-8")
    service = Klimawissen(settings.replace(top_k=2, chunk_size=400, keyword_weight=0.0, sentence_weight=1.5, embed_sentences=True), embedder=fake_embedder)
    assert [r.chunks for r in service.ingest([folder])] == [1, 1]
    question = "Abwärme Kompressor Halle heizen"

    assert service.variant(sentence_weight=0.0).retrieve(question).passages[0].doc_id == "near-miss"
    assert service.retrieve(question).passages[0].doc_id == "answer"


def test_each_passage_carries_its_sentences_similarities_to_the_question(settings, fake_embedder, tmp_path):
    """One score per sentence, in reading order, highest for the sentence nearest the question: the
    extractive answer reads them to pick its sentences."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "halle.txt").write_text(
        "Die Kantine bietet mittags zwei Gerichte an. Abwärme vom Kompressor heizt die Halle. "
        "Der Parkplatz hat vierzig Stellplätze.\n", encoding="utf-8")
    service = Klimawissen(settings.replace(top_k=1, embed_sentences=True), embedder=fake_embedder)
    service.ingest([folder])

    passage = service.retrieve("Abwärme Kompressor Halle heizen").passages[0]

    assert len(passage.sentence_scores) == len(split_sentences(passage.text)) == 3
    assert max(range(3), key=lambda i: passage.sentence_scores[i]) == 1
