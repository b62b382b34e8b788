"""Moving an English question towards German before German passages are searched."""

import numpy as np
import pytest

import assistant.language_shift as language_shift
from assistant.language_shift import LanguageShift, measure_gap, stored_gap
from assistant.retrieval import HybridRetriever
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
    shift = LanguageShift(measure_gap(fake_embedder, write_pairs(tmp_path)))
    english = fake_embedder.get_query_embedding("How much electricity does the printer save?")
    german = fake_embedder.get_query_embedding("Wie viel Strom spart die Druckerei?")

    moved = shift.move(english, "en", "de")

    assert cosine(moved, german) > cosine(english, german) + 0.1
    assert abs(np.linalg.norm(moved) - 1.0) < 1e-6


def test_only_english_questions_over_german_passages_are_moved(tmp_path, fake_embedder):
    shift = LanguageShift(measure_gap(fake_embedder, write_pairs(tmp_path)))
    vector = fake_embedder.get_query_embedding("Wie viel Strom spart die Druckerei?")
    for question_language, passage_language in (("de", "en"), ("de", "de"), ("en", "en"), ("en", "")):
        assert shift.move(vector, question_language, passage_language) == vector
    assert LanguageShift(shift.direction, strength=0.0).move(vector, "en", "de") == vector


@pytest.mark.parametrize("name", ["gemma", "e5"])
def test_the_shipped_pairs_measure_each_embedders_language_gap(name, request):
    """On questions outside the pairs file, the move brings an English question nearer its German twin."""
    embedder = request.getfixturevalue(name)
    shift = LanguageShift(measure_gap(embedder))
    twins = [
        ("Which bakery uses the waste heat of its ovens?", "Welche Bäckerei nutzt die Abwärme ihrer Öfen?"),
        ("How many delivery vans were replaced by electric ones?",
         "Wie viele Lieferwagen wurden durch elektrische ersetzt?"),
    ]
    for english, german in twins:
        question, twin = embedder.get_query_embedding(english), embedder.get_query_embedding(german)
        assert cosine(shift.move(question, "en", "de"), twin) > cosine(question, twin)


class RecordingStore:
    """Answers every query with one chunk of the asked partition, scored by a fixed function of the
    vector it was given, and keeps those vectors in order."""

    def __init__(self):
        self.vectors: dict[str, list[list[float]]] = {}

    @staticmethod
    def score(vector) -> float:
        return float(np.dot(vector, np.linspace(-1, 1, len(vector))))

    def query(self, vector, k, where):
        language = where["language"]
        self.vectors.setdefault(language, []).append(vector)
        return [StoredChunk(f"{language}-{len(self.vectors[language])}", "", {"language": language}, self.score(vector))]

    def get(self, chunk_ids):
        return {}


class NoKeywordHits:
    def search(self, question, k, filters):
        return []


def test_retrieval_moves_an_english_question_for_the_german_partition_only(tmp_path, fake_embedder):
    shift = LanguageShift(measure_gap(fake_embedder, write_pairs(tmp_path)))
    question = "How much gas does the laundry save?"
    raw = fake_embedder.get_query_embedding(question)
    moved = shift.move(raw, "en", "de")

    def searched(question, filters=None):
        store = RecordingStore()
        retrieval = HybridRetriever(store, NoKeywordHits(), fake_embedder, language_shift=shift).retrieve(question, 5, filters)
        return store.vectors, retrieval

    vectors, retrieval = searched(question)
    assert moved != raw
    # Every partition, also without a boost; German with the moved question, then once as asked.
    assert vectors == {"de": [moved, raw], "en": [raw], "other": [raw]}
    assert retrieval.relevance == RecordingStore.score(raw) != RecordingStore.score(moved)
    assert searched(question, {"language": "de"})[0] == {"de": [moved, raw]}
    german = "Wie viel Gas spart die Wäscherei?"
    as_asked = fake_embedder.get_query_embedding(german)
    assert searched(german)[0] == {"de": [as_asked], "en": [as_asked], "other": [as_asked]}


def test_the_service_measures_the_gap_once_and_shares_it_with_its_variants(settings, fake_embedder, monkeypatch):
    from assistant.service import Klimawissen

    service = Klimawissen(settings, embedder=fake_embedder)
    service.warm_up()
    variant = service.variant(top_k=3)
    assert "language_gap" in variant.__dict__  # not measured again
    assert variant.language_shift.direction is service.language_shift.direction
    assert variant.retriever.dense.language_shift is not None
    assert service.variant(cross_lingual_shift=0.0).retriever.dense.language_shift is None
    switched_off = Klimawissen(settings.replace(cross_lingual_shift=0.0), embedder=fake_embedder)
    switched_off.warm_up()
    assert "language_gap" not in switched_off.__dict__  # nothing measured that nothing uses
    measured = count_measurements(monkeypatch)
    restarted = Klimawissen(settings, embedder=fake_embedder)
    restarted.warm_up()  # the next start reads what this one measured
    assert np.array_equal(restarted.language_gap, service.language_gap) and not measured


def count_measurements(monkeypatch) -> list:
    measured = []
    monkeypatch.setattr(language_shift, "measure_gap",
                        lambda embedder, pairs: measured.append(pairs) or measure_gap(embedder, pairs))
    return measured


def test_the_gap_is_kept_and_measured_again_when_the_pairs_or_the_embedder_change(tmp_path, fake_embedder, monkeypatch):
    measured = count_measurements(monkeypatch)
    pairs, path = write_pairs(tmp_path), tmp_path / "data" / "language_gap.npz"
    first = stored_gap(fake_embedder, path, pairs)
    assert np.array_equal(stored_gap(fake_embedder, path, pairs), first) and len(measured) == 1
    with pairs.open("a", encoding="utf-8") as more:
        more.write("Wann wurde die Anlage gebaut?\tWhen was the system built?\n")
    changed = stored_gap(fake_embedder, path, pairs)
    assert len(measured) == 2 and not np.array_equal(changed, first)
    assert np.array_equal(changed, measure_gap(fake_embedder, pairs))
    monkeypatch.setattr(type(fake_embedder), "identity", property(lambda self: "another-model/64"))
    stored_gap(fake_embedder, path, pairs)
    assert len(measured) == 3
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no half-written files left behind


def test_a_damaged_or_unwritable_gap_file_costs_a_measurement_not_the_start(tmp_path, fake_embedder, monkeypatch):
    measured = count_measurements(monkeypatch)
    pairs, path = write_pairs(tmp_path), tmp_path / "language_gap.npz"
    expected = measure_gap(fake_embedder, pairs)
    plain_array = tmp_path / "plain.npy"
    np.save(plain_array, expected)
    for damaged in (b"PK\x03\x04 cut off", b"not numpy at all", plain_array.read_bytes()):
        path.write_bytes(damaged)
        assert np.array_equal(stored_gap(fake_embedder, path, pairs), expected)
        with np.load(path) as replaced:  # a good file took its place
            assert np.array_equal(replaced["gap"], expected)
    blocked = tmp_path / "a-file" / "language_gap.npz"
    blocked.parent.write_text("not a directory")
    assert np.array_equal(stored_gap(fake_embedder, blocked, pairs), expected)
    assert len(measured) == 4


def test_the_boost_is_left_out_where_the_shift_already_evens_out_the_language(tmp_path, fake_embedder):
    shift = LanguageShift(measure_gap(fake_embedder, write_pairs(tmp_path)))
    retriever = HybridRetriever(None, None, fake_embedder, cross_lingual_boost=0.03, language_shift=shift)
    chunks = [StoredChunk("en", "", {"language": "en"}, 0.86), StoredChunk("de", "", {"language": "de"}, 0.84)]

    english_question = {c.chunk_id: c.score for c in retriever._balance_languages(chunks, "en")}
    german_question = {c.chunk_id: c.score for c in retriever._balance_languages(chunks, "de")}

    assert english_question == {"en": 0.86, "de": 0.84}
    assert german_question["en"] == 0.86 + 0.03 and german_question["de"] == 0.84
