"""Answer quality per backend on a fixed sample of golden questions: is the gold fact in the answer,
do the citations hold, does any number lack support, is "nothing found" said when it should be."""

from __future__ import annotations

import re
import time

from assistant.answering.generative import FALLBACK, evidence
from assistant.service import Klimawissen
from assistant.verification import quantities, verify_answer
from eval.datasets import EvalSet, histories
from eval.metrics import percentile


def sample(eval_set: EvalSet, answerable: int, unanswerable: int) -> list:
    """n questions of each kind at even spacing, so the sample is fixed and spread over the whole set
    (a set is ordered by topic and language; its first n would leave out its end)."""
    def evenly_spaced(questions, n):
        n = min(n, len(questions))
        return [questions[i * len(questions) // n] for i in range(n)]

    kinds = [q for q in eval_set.questions if q.type != "unanswerable"], [q for q in eval_set.questions if q.type == "unanswerable"]
    return evenly_spaced(kinds[0], answerable) + evenly_spaced(kinds[1], unanswerable)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("\u00a0", " "))


def fact_contained(answer_text: str, facts: tuple[str, ...]) -> bool:
    text = _normalise(answer_text)
    return any(_normalise(fact) in text for fact in facts)


def fact_stated(answer_text: str, facts: tuple[str, ...]) -> bool:
    """The fact as written, or every number of it in any notation with its unit: an English answer from
    a German page writes "169.8 t" for "169,8 t", and "von 8,5 % auf 4,5 %" is "from 8.5 % to 4.5 %"."""
    if fact_contained(answer_text, facts):
        return True
    said = quantities(answer_text)
    return any(
        (wanted := quantities(fact)) and all(any(w.matches(s) for s in said) for w in wanted) for fact in facts
    )


def _claims(answer) -> str:
    """What the recheck reads: for an answer computed from measure facts, each table row's figure with its
    marker (the total is arithmetic over those rows, and the rest of the text says how it was made);
    otherwise the answer text itself."""
    if answer.table:
        return " ".join(f"{value} {marker}." for _, value, marker in answer.table)
    return answer.text


def evaluate_answers(service: Klimawissen, eval_set: EvalSet, questions: list) -> dict:
    history = histories(eval_set.questions)
    rows = []
    for question in questions:
        started = time.perf_counter()
        answer = service.ask(question.question, history=history[question.id])
        seconds = time.perf_counter() - started
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        cited = [evidence(c.passage) for c in sorted(answer.citations, key=lambda c: c.number)]
        # "Nothing found" cites the nearest documents for the reader to check; it claims nothing from them.
        recheck = verify_answer(_claims(answer), cited) if answer.citations and not answer.abstained else None
        rows.append({
            "answerable": question.type != "unanswerable",
            "fact": fact_contained(answer.text, question.facts),
            "fact stated": fact_stated(answer.text, question.facts),
            "citations_valid": markers <= {c.number for c in answer.citations},
            "unsupported_sentences": 0 if recheck is None else len(recheck.dropped),
            "sentences": 0 if recheck is None else len(recheck.checks),
            "abstained": answer.abstained,
            "fallback": answer.check == FALLBACK,
            "seconds": seconds,
            "first_token": answer.first_token_seconds,
        })
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    sentences = sum(r["sentences"] for r in rows)
    first_tokens = [r["first_token"] for r in rows if r["first_token"] is not None]
    return {
        "questions": len(rows),
        "gold fact contained": round(sum(r["fact"] for r in answerable) / max(1, len(answerable)), 3),
        "gold fact stated (numbers in any notation)": round(
            sum(r["fact stated"] for r in answerable) / max(1, len(answerable)), 3),
        "citation validity": round(sum(r["citations_valid"] for r in rows) / max(1, len(rows)), 3),
        "unsupported sentence rate": round(sum(r["unsupported_sentences"] for r in rows) / max(1, sentences), 3),
        "abstention on unanswerable": (round(sum(r["abstained"] for r in unanswerable) / len(unanswerable), 3)
                                       if unanswerable else "–"),
        "false abstention": round(sum(r["abstained"] for r in answerable) / max(1, len(answerable)), 3),
        "fallback to extractive": round(sum(r["fallback"] for r in rows) / max(1, len(rows)), 3),
        "seconds p50": round(percentile([r["seconds"] for r in rows], 0.5), 2),
        "seconds p95": round(percentile([r["seconds"] for r in rows], 0.95), 2),
        # Generated answers stream: the reader sees the model's first words after this long.
        "first token seconds p50": round(percentile(first_tokens, 0.5), 2) if first_tokens else "–",
        "first token seconds p95": round(percentile(first_tokens, 0.95), 2) if first_tokens else "–",
    }
