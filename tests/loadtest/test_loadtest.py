"""`make loadtest` in its quick mode against a real `klimawissen serve` (two documents, 5 sessions x 2
questions, a staff upload, replace and delete), plus the checks that decide its verdicts."""

from __future__ import annotations

import json

import pytest

from eval.golden import Expected, GoldenQuestion
from loadtest import run as loadtest_run
from loadtest.analysis import citation_check, longest_silence
from loadtest.document import UPLOAD_ID
from loadtest.plan import conversations, session_plans
from loadtest.sessions import Ask
from loadtest.staff import StaffLog
from tests.conftest import CORPUS_DOCUMENTS

# Two Markdown documents of the quick corpus (19 chunks): one with a golden follow-up conversation, one English.
CORPUS = [CORPUS_DOCUMENTS / "cs-achterberg-absaugung-led.md", CORPUS_DOCUMENTS / "pact-background-and-goals-en.md"]

STAFF_STEPS = ["upload", "listed after upload", "answer cites upload", "replace", "answer cites corrected version",
               "delete", "not listed after delete", "answer no longer cites upload"]


def test_quick_run_against_a_real_server(tmp_path, network_guard):
    """One quick run end to end (the index of two documents is built in the run's own workdir); the
    network guard fails any connection beyond loopback."""
    status = loadtest_run.main(["--quick", "--workdir", str(tmp_path / "work"), "--output", str(tmp_path / "out"),
                                "--corpus", *map(str, CORPUS), "--command-line", "pytest quick run"])
    results = json.loads((tmp_path / "out" / "loadtest.json").read_text(encoding="utf-8"))
    markdown = (tmp_path / "out" / "loadtest.md").read_text(encoding="utf-8")
    assert status == 0, [t for t in results["targets"] if not t["met"]]
    assert network_guard == []

    # every question answered, no errors, consistent figures
    load = results["load"]
    assert (results["config"]["sessions"], results["config"]["questions_per_session"]) == (5, 2)
    assert load["asked"] == load["answered"] == 10 and load["errors"] == 0 and load["errors_by_kind"] == {}
    latency = load["latency_s"]
    assert latency["n"] == 10 and 0 < latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert load["throughput_answers_per_s"] == pytest.approx(10 / load["span_s"], rel=0.02)
    assert 0 < load["longest_silence"]["seconds"] <= load["span_s"]
    assert results["answers"]["backends"] == {"extractive": 10}
    assert load["latency_follow_ups_s"]["n"] == 5  # every session's second question continues its first

    # no session starved
    sessions = results["sessions"]
    assert sessions["complete"] == 5 and sessions["starved_sessions"] == []
    assert [(s["planned"], s["answered"]) for s in sessions["per_session"]] == [(2, 2)] * 5
    assert sessions["max_latency_s"] == latency["max"]

    # every answer cites documents that were published
    citations = results["citations"]
    assert citations["all_cited_sources_exist"] is True
    assert citations["unknown_doc_ids"] == [] and citations["upload_cited_outside_its_lifetime"] == []
    assert citations["answers_with_citations"] >= 5 and citations["citations"] >= citations["answers_with_citations"]
    assert results["config"]["documents_indexed"] == len(CORPUS)

    # the staff's upload, replace and delete worked while the chat answered, and the chat followed them
    steps = results["staff"]["steps"]
    assert [s["action"] for s in steps] == STAFF_STEPS
    assert all(s["ok"] for s in steps), [s for s in steps if not s["ok"]]
    assert [s["started"] for s in steps] == sorted(s["started"] for s in steps)
    writes = results["staff_overlap"]["writes"]
    assert set(writes) == {"upload", "replace", "delete"}
    assert all(0 <= w["answers_delivered_during"] <= w["answers_open"] <= 10 for w in writes.values())

    # server memory and threads, machine and command in the report
    server = results["server"]
    assert server["samples"] >= 1 and 100 < server["rss_mb_at_start"] <= server["rss_mb_max_sampled"]
    assert server["peak_rss_mb_vmhwm"] >= server["rss_mb_at_start"] and server["cpu_seconds"] > 0
    assert 1 < server["threads_at_start"] <= server["threads_max_sampled"]
    assert results["machine"]["cpu_count"] >= 1 and results["command"] == "pytest quick run"
    for text in ("# Load test", "`pytest quick run`", "Quick run", "## Targets", "## Throughput and latency",
                 "answers/s", "## No session starved", "## Citations", "## Staff during the load", "## Server", "VmHWM"):
        assert text in markdown
    assert "**no**" not in markdown


def _question(id_: str, doc: str | None, follow_up_of: str | None = None) -> GoldenQuestion:
    expected = (Expected(doc, 1, None),) if doc else ()
    return GoldenQuestion(id_, f"Frage {id_}?", "de", "follow-up" if follow_up_of else "factual", expected, (),
                          follow_up_of)


def test_sessions_ask_follow_ups_right_after_their_question_and_only_about_indexed_documents():
    questions = [_question("q1", "a"), _question("q2", "a", "q1"), _question("q3", "missing"),
                 _question("q4", None), _question("q5", "b"), _question("q6", "b", "q5")]
    talks = conversations(questions, {"a", "b"})
    assert [[q.id for q in talk] for talk in talks] == [["q1", "q2"], ["q4"], ["q5", "q6"]]
    plans = session_plans(talks, sessions=3, questions=4)
    assert [[q.id for q in plan] for plan in plans] == [["q1", "q2", "q4", "q5"], ["q5", "q6", "q4", "q1"],
                                                        ["q1", "q2", "q5", "q6"]]


def test_a_follow_up_of_a_follow_up_stays_in_its_chat():
    questions = [_question("q1", "a"), _question("q2", "a", "q1"), _question("q3", "a", "q2"), _question("q4", "b")]
    assert [[q.id for q in talk] for talk in conversations(questions, {"a", "b"})] == [["q1", "q2", "q3"], ["q4"]]


def test_citation_check_flags_unknown_documents_and_an_upload_cited_after_its_delete():
    log = StaffLog(known_doc_ids={"a", UPLOAD_ID})
    log.steps = [{"action": "upload", "started": 1.0, "seconds": 1.0, "ok": True, "detail": ""},
                 {"action": "delete", "started": 5.0, "seconds": 0.5, "ok": True, "detail": ""}]
    fine = [Ask(0.0, 0.5, 200, cited_doc_ids=("a",)), Ask(4.0, 2.0, 200, cited_doc_ids=(UPLOAD_ID,))]
    assert citation_check(fine, log)["all_cited_sources_exist"] is True
    unknown = citation_check(fine + [Ask(0.0, 1.0, 200, cited_doc_ids=("gone",))], log)
    assert unknown["unknown_doc_ids"] == ["gone"] and unknown["all_cited_sources_exist"] is False
    stale = citation_check(fine + [Ask(6.0, 0.5, 200, cited_doc_ids=(UPLOAD_ID,), session=3, turn=1)], log)
    assert stale["upload_cited_outside_its_lifetime"] == ["session 3 turn 1 at 6.0-6.5 s"]
    assert stale["all_cited_sources_exist"] is False


def test_longest_silence_is_the_longest_stretch_without_any_answer_delivered():
    asks = [Ask(0.0, 5.0, 200), Ask(0.0, 5.5, 200), Ask(1.0, 8.0, 200, error="HTTP 500"), Ask(5.5, 1.0, 200)]
    assert longest_silence(asks) == {"seconds": 5.0, "from_s": 0.0, "to_s": 5.0}
