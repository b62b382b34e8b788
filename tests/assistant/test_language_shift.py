"""Moving an English question towards German before German passages are searched."""

import numpy as np

from assistant.language_shift import LanguageShift
from assistant.retrieval import DenseRetriever, HybridRetriever
from indexing.store import StoredChunk

PAIRS = [
    ("Wie viel Strom spart die Anlage im Jahr?", "How much electricity does the system save per year?"),
    ("Wie viel Gas spart die Bäckerei?", "How much gas does the bakery save?"),
    ("Wer hat die Wärmepumpe eingebaut?", "Who installed the heat pump?"),
]


def cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def write_pairs(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{de}\t{en}\n" for de, en in PAIRS) + "\n", encoding="utf-8")
    return path


def test_an_english_question_moves_towards_its_german_wording(tmp_path, fake_embedder):
    shift = LanguageShift.measure(fake_embedder, pairs=write_pairs(tmp_path))
    english = fake_embedder.get_query_embedding("How much electricity does the printer save?")
    german = fake_embedder.get_query_embedding("Wie viel Strom spart die Druckerei?")

    moved = shift.move(english, "en", "de")

    assert cosine(moved, german) > cosine(english, german) + 0.1
    assert abs(np.linalg.norm(moved) - 1.0) < 1e-6


def test_only_english_questions_over_german_passages_are_moved(tmp_path, fake_embedder):
    shift = LanguageShift.measure(fake_embedder, pairs=write_pairs(tmp_path))
    vector = fake_embedder.get_query_embedding("Wie viel Strom spart die Druckerei?")
    for question_language, passage_language in (("de", "en"), ("de", "de"), ("en", "en"), ("en", "")):
        assert shift.move(vector, question_language, passage_language) == vector
    assert LanguageShift(shift.direction, strength=0.0).move(vector, "en", "de") == vector


def test_the_shipped_pairs_measure_e5s_language_gap(e5):
    """On questions outside the pairs file, the move brings an English question nearer its German twin."""
    shift = LanguageShift.measure(e5)
    twins = [
        ("Which bakery uses the waste heat of its ovens?", "Welche Bäckerei nutzt die Abwärme ihrer Öfen?"),
        ("How many delivery vans were replaced by electric ones?",
         "Wie viele Lieferwagen wurden durch elektrische ersetzt?"),
    ]
    for english, german in twins:
        question, twin = e5.get_query_embedding(english), e5.get_query_embedding(german)
        assert cosine(shift.move(question, "en", "de"), twin) > cosine(question, twin)


class RecordingStore:
    """Answers every query with one chunk of the asked partition and keeps the vectors it was given."""

    def __init__(self):
        self.vectors: dict[str, list[float]] = {}

    def query(self, vector, k, where):
        language = where["language"]
        self.vectors[language] = vector
        return [StoredChunk(language, "", {"language": language}, 0.8)]


def test_the_german_partition_is_searched_with_the_moved_question(tmp_path, fake_embedder):
    shift = LanguageShift.measure(fake_embedder, pairs=write_pairs(tmp_path))
    store = RecordingStore()
    question = "How much gas does the laundry save?"
    raw = fake_embedder.get_query_embedding(question)

    DenseRetriever(store, fake_embedder, shift).search(question, 5, per_language=("de", "en"), language="en")

    assert store.vectors["en"] == raw
    assert store.vectors["de"] == shift.move(raw, "en", "de") != raw


def test_the_boost_is_left_out_where_the_shift_already_evens_out_the_language(tmp_path, fake_embedder):
    shift = LanguageShift.measure(fake_embedder, pairs=write_pairs(tmp_path))
    retriever = HybridRetriever(None, None, fake_embedder, cross_lingual_boost=0.03, language_shift=shift)
    chunks = [StoredChunk("en", "", {"language": "en"}, 0.86), StoredChunk("de", "", {"language": "de"}, 0.84)]

    english_question = {c.chunk_id: c.score for c in retriever._balance_languages(chunks, "en")}
    german_question = {c.chunk_id: c.score for c in retriever._balance_languages(chunks, "de")}

    assert english_question == {"en": 0.86, "de": 0.84}
    assert german_question["en"] == 0.86 + 0.03 and german_question["de"] == 0.84
