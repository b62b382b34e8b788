"""Ask end to end with the real default embedder (EmbeddingGemma): the right page is cited and every [n] points to a source."""

import dataclasses
import re
import threading

import pytest

from assistant.config import Settings
from assistant.retrieval import Retrieval
from assistant.service import Klimawissen
from tests.conftest import write_tiny_corpus
from tests.helpers import GEMMA_FOLDER


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = write_tiny_corpus(tmp_path_factory.mktemp("corpus"))
    service = Klimawissen(Settings(data_dir=tmp_path_factory.mktemp("data"), embedder_model_path=str(GEMMA_FOLDER)))
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


@pytest.mark.parametrize("slots", [1, 2])
def test_questions_beyond_the_parallel_limit_wait_their_turn(settings, slots):
    """Two chats ask at once: with one slot the second retrieval starts only after the first ended."""
    service = Klimawissen(dataclasses.replace(settings, parallel_questions=slots))
    both_inside = threading.Barrier(2, timeout=2)
    inside, most_inside = [], []

    def retrieve(question, history=None, filters=None):
        inside.append(question)
        most_inside.append(len(inside))
        try:
            both_inside.wait()  # only passes if a second question got in while this one is still working
        except threading.BrokenBarrierError:
            pass
        inside.remove(question)
        return Retrieval(question)

    service.retrieve = retrieve
    askers = [threading.Thread(target=service.ask, args=(f"Frage {n}",)) for n in (1, 2)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()

    assert max(most_inside) == slots
