"""The `local` backend with the real model: Qwen2.5 1.5B assembled from its PyPI parts, run by llama.cpp."""

import re

import pytest

from assistant.answering.answerability import sources_answer
from assistant.answering.generative import FALLBACK, NOT_IN_SOURCES, GenerativeAnswerer
from assistant.answering.local_model import MODEL_SHA256, MODEL_SIZE, model_path
from assistant.answering.prompt import build_messages
from assistant.conversation import model_rewrite
from assistant.service import Klimawissen
from assistant.verification import verify_answer
from indexing.language import detect_language
from tests.conftest import write_tiny_corpus
from tests.helpers import GEMMA_FOLDER


@pytest.fixture(scope="module")
def local_service(tmp_path_factory, local_model_data_dir):
    from assistant.config import Settings

    service = Klimawissen(Settings(data_dir=local_model_data_dir, answer_backend="local", embedder_model_path=str(GEMMA_FOLDER)))
    assert all(r.ok for r in service.ingest([write_tiny_corpus(tmp_path_factory.mktemp("corpus"))]))
    assert isinstance(service.answerer, GenerativeAnswerer), service.backend_notice
    return service


def test_model_is_assembled_once_and_verified(local_service):
    path = model_path(local_service.settings.data_dir / "models")
    assert path.stat().st_size == MODEL_SIZE
    assert path.with_suffix(".verified").read_text() == MODEL_SHA256


@pytest.mark.parametrize(
    "question",
    [
        "Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei pro Jahr?",
        "Wer sind die Initialpartner des Klimapakts?",
        "Um wie viel Prozent sank der Stromverbrauch der Kompressoren?",
    ],
)
def test_local_answers_are_german_cited_and_every_number_is_supported(local_service, question):
    answer = local_service.ask(question)

    assert answer.backend == "local"
    assert detect_language(answer.text) == "de"
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers and numbers <= {c.number for c in answer.citations}
    if answer.check != FALLBACK:
        recheck = verify_answer(answer.text, [c.passage.text for c in sorted(answer.citations, key=lambda c: c.number)])
        assert all(check.ok for check in recheck.checks), [c.problems for c in recheck.checks]


def test_the_local_model_streams_its_tokens_after_the_draft(local_service):
    updates = list(local_service.ask_stream("Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei pro Jahr?"))

    stages = [u.stage for u in updates]
    assert stages[0] == "draft" and stages[-1] == "final"
    assert stages.count("generating") >= 3  # token by token, not one block at the end
    assert updates[-1].first_token_seconds is not None


@pytest.mark.parametrize("question", ["Wie viel CO2 spart die Rheinbahn durch ihre Elektrobusse?",
                                      "How much CO2 does the Rheinbahn save with electric buses?"])
def test_the_local_model_says_when_the_sources_do_not_answer(local_service, question):
    # On topic (CO2 savings), but no document mentions the Rheinbahn or buses: EmbeddingGemma's top score
    # may already fall below the relevance floor. Without the floor the model's own check must say it:
    # without that check the model answers with the bakery's figure, which the number check lets through.
    assert local_service.ask(question).abstained
    answer = local_service.variant(min_relevance=0.0).ask(question)

    assert answer.abstained and answer.check == NOT_IN_SOURCES
    assert question in [q.question for q in local_service.unanswered.all()]


def test_the_sources_check_margin_decides_between_the_models_yes_and_no(local_service):
    messages, _ = build_messages("Wer sind die Initialpartner des Klimapakts?",
                                 local_service.retrieve("Wer sind die Initialpartner des Klimapakts?").passages, "de", 2000)
    model = local_service.answerer.llm

    assert sources_answer(model, messages, "de", margin=0.5)
    assert not sources_answer(model, messages, "de", margin=100.0)  # "yes" can be asked to be far likelier


def test_the_log_odds_the_check_compares_are_those_of_the_models_own_first_token(local_service):
    """Read independently: llama.cpp's sampler with both words lifted far above all others, "Ja" by a
    margin less, must pick "Ja" just below the log-odds and "Nein" just above."""
    from assistant.answering.answerability import YES_NO, check_messages, sources_log_odds
    from assistant.answering.local_model import _plain

    question = "Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei pro Jahr?"
    messages, _ = build_messages(question, local_service.retrieve(question).passages, "de", 2000)
    model = local_service.answerer.llm
    odds = sources_log_odds(model, messages, "de")

    yes, no = YES_NO["de"]
    with model.turn() as turn:
        llama = turn._llama
        tokens = [llama.tokenize(word.encode(), add_bos=False)[0] for word in (yes, no)]
        first_pieces = [llama.detokenize([token]).decode() for token in tokens]  # "Nein" starts with "Ne"
        for margin, expected in ((odds - 0.05, first_pieces[0]), (odds + 0.05, first_pieces[1])):
            reply = llama.create_chat_completion(
                messages=_plain(check_messages(messages, "de")), temperature=0.0, max_tokens=1,
                logit_bias={tokens[0]: 100.0 - margin, tokens[1]: 100.0})
            assert reply["choices"][0]["message"]["content"].strip() == expected, (margin, odds)


def test_choosing_the_margin_reads_each_question_the_products_way(local_service, tmp_path):
    """eval/sources_check.py with the real model: a question the sources answer gets higher log-odds than
    one they do not, a follow-up (read with its chat) gets its value too, and retrieval's floor turns
    questions away."""
    from eval.datasets import golden_set
    from eval.sources_check import log_odds
    from tests.conftest import golden_record, write_jsonl

    questions = write_jsonl(
        tmp_path / "questions.jsonl",
        golden_record("answered", question="Wie viel CO2e spart die Wärmerückgewinnung der Großbäckerei pro Jahr?"),
        golden_record("follow-up", question="Und wie viel Erdgas?", type="follow-up", follow_up_of="answered"),
        golden_record("open", question="Wie viele Elektrobusse hat die Rheinbahn 2024 gekauft?", type="unanswerable",
                      expected=[], facts=[]),
    )
    eval_set = golden_set("tiny", tmp_path, questions)
    rows = {row["id"]: row for row in log_odds(local_service.variant(min_relevance=0.0), eval_set, progress=lambda _: None)}

    assert rows["answered"]["log_odds"] > rows["open"]["log_odds"]
    assert rows["answered"]["answerable"] and not rows["open"]["answerable"]
    assert isinstance(rows["follow-up"]["log_odds"], float)
    floored = log_odds(local_service.variant(min_relevance=1.01), eval_set, progress=lambda _: None)
    assert [row["log_odds"] for row in floored] == [None, None, None]


def test_the_model_is_loaded_once_per_process(local_service):
    other = local_service.variant(top_k=3)
    assert isinstance(other.answerer, GenerativeAnswerer)
    assert other.answerer.llm.load() is local_service.answerer.llm.load()


def test_the_generation_queue_runs_one_answer_and_turns_away_more_than_it_may_hold():
    import threading

    from assistant.answering.local_model import GenerationQueue, LocalModelBusy

    queue = GenerationQueue(max_waiting=1)
    running, release, waiter_done = threading.Event(), threading.Event(), threading.Event()
    order = []

    def first():
        with queue.slot():
            order.append("first")
            running.set()
            release.wait(30)

    def second():
        with queue.slot():
            order.append("second")
        waiter_done.set()

    threading.Thread(target=first).start()
    assert running.wait(30)
    waiter = threading.Thread(target=second)
    waiter.start()
    while queue._waiting < 1:  # the second answer has taken its place in the queue
        waiter.join(0.01)
    with pytest.raises(LocalModelBusy):
        with queue.slot():
            pass
    with pytest.raises(LocalModelBusy):  # asked without waiting while the first answer runs
        with queue.slot(wait=False):
            pass
    release.set()
    assert waiter_done.wait(30)
    with queue.slot(wait=False):  # free again: taken at once
        order.append("third")
    assert order == ["first", "second", "third"]


def test_the_local_model_restates_a_follow_up_and_leaves_a_self_contained_question(local_service):
    earlier = ["Wie viel Erdgas spart die Wärmerückgewinnung der Großbäckerei?"]
    model = local_service.answerer.llm

    restated = model_rewrite(model, "Und wie viel CO2e spart sie im Jahr?", earlier)

    assert restated and "Großbäckerei" in restated and "CO2e" in restated and detect_language(restated) == "de"
    assert model_rewrite(model, "Wer sind die Initialpartner des Klimapakts?", earlier) == (
        "Wer sind die Initialpartner des Klimapakts?")
