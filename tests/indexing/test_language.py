import pytest

from indexing.language import detect_language
from indexing.readers import read_file


@pytest.mark.parametrize(
    "text, language",
    [
        ("What did the logistics partners do about their fleet?", "en"),
        ("How many points did the Panthers defense surrender?", "en"),
        ("Was hat die Spedition mit ihrem Fuhrpark gemacht?", "de"),
        ("Wie viele Punkte gab die Verteidigung der Panthers ab?", "de"),
        ("2035", "de"),
        # "in" and "was" belong to both languages; they used to tip these two the wrong way.
        ("In welchen Stufen sollten Betriebe ihre Klimaschutzmaßnahmen angehen?", "de"),
        ("Where was Teekanne founded?", "en"),
    ],
)
def test_detects_german_and_english(text, language):
    assert detect_language(text) == language


def test_documents_without_declared_language_get_the_detected_one(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("The warehouse replaced all of its lamps with LED fittings and it saved a lot.", encoding="utf-8")
    assert read_file(path).metadata["language"] == "en"
