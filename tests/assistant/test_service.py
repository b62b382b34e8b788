"""Ask end to end with the real e5 embedder: the right page is cited and every [n] points to a source."""

import re

import pytest

from assistant.config import Settings
from assistant.service import Klimawissen
from tests.conftest import write_tiny_corpus


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = write_tiny_corpus(tmp_path_factory.mktemp("corpus"))
    service = Klimawissen(Settings(data_dir=tmp_path_factory.mktemp("data"), chunk_size=120, chunk_overlap=20))
    assert all(result.ok for result in service.ingest([folder]))
    return service


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_numeric_question_cites_the_right_pdf_page(service):
    answer = service.ask("Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei pro Jahr?")

    top = answer.citations[0].passage
    assert top.doc_id == "baeckerei-abwaerme" and top.page == 3
    assert "28,1 t CO2e" in answer.text


def test_every_marker_points_to_a_listed_citation(service):
    answer = service.ask("Wer sind die Initialpartner des Klimapakts?")

    assert markers(answer.text) == {c.number for c in answer.citations} != set()
    assert answer.citations[0].passage.doc_id == "klimapakt-ziele"
    assert answer.citations[0].passage.heading == "Partner"
    assert "IHK Düsseldorf" in answer.text


def test_english_question_finds_the_german_document(service):
    answer = service.ask("By when should Düsseldorf become climate neutral?")
    assert answer.citations[0].passage.doc_id == "klimapakt-ziele"
    assert "2035" in answer.text


def test_empty_index_says_nothing_was_found(settings):
    answer = Klimawissen(settings).ask("Was kostet eine Wärmepumpe?")
    assert answer.citations == [] and "nichts gefunden" in answer.text
