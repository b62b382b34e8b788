"""Choose the sources check's margin: the local model's log-odds that the sources answer, for every
question of a golden set, and how many answerable questions each margin turns away and how many
unanswerable ones it catches.

    python -m eval.sources_check --questions eval/golden --output docs

Every question goes the product's way (follow-up rule, retrieval, answer prompt); the model evaluates
the check prompt once per question (~7 s here), so all 284 golden questions take ~35 min. The margin
proposed is the largest that turns away fewer than `max_turned_away` of the answerable questions.
Questions over all case studies that the product answers from measure facts without the check (2 of
the golden set: ga-109, gb-044) are counted like any other.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from assistant.answering.answerability import sources_log_odds
from assistant.config import load_settings
from assistant.service import Klimawissen
from eval.datasets import EvalSet, golden_set, histories
from eval.run import index_corpus

MARGINS = (0.0, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.25)


def log_odds(service: Klimawissen, eval_set: EvalSet, progress=print) -> list[dict]:
    """One row per question: its log-odds, or None when retrieval's floor already says "nothing found"."""
    answerer = service.answerer
    history = histories(eval_set.questions)
    rows = []
    for number, question in enumerate(eval_set.questions, 1):
        query, asked, earlier = service.read_question(question.question, history[question.id])
        retrieval = service.retrieve(query)
        value = None
        if retrieval.passages and retrieval.relevance >= service.settings.min_relevance:
            messages, _, language = answerer.prompt(asked, retrieval.passages, earlier)
            value = round(sources_log_odds(answerer.llm, messages, language), 3)
        rows.append({"id": question.id, "answerable": question.type != "unanswerable", "log_odds": value})
        progress(f"{number}/{len(eval_set.questions)} {question.id}: {value}")
    return rows


def margin_table(rows: list[dict], margins=MARGINS) -> list[dict]:
    """Per margin: answerable questions turned away and unanswerable ones caught (a question is turned
    away when its log-odds are not above the margin, or retrieval's floor turned it away)."""
    def turned_away(row, margin):
        return row["log_odds"] is None or row["log_odds"] <= margin

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return [{
        "margin": margin,
        "answerable turned away": sum(turned_away(r, margin) for r in answerable),
        "answerable": len(answerable),
        "unanswerable caught": sum(turned_away(r, margin) for r in unanswerable),
        "unanswerable": len(unanswerable),
    } for margin in margins]


def proposed_margin(table: list[dict], max_turned_away: float = 0.10) -> float | None:
    """The largest margin in the table that turns away fewer than `max_turned_away` of the answerable."""
    fitting = [row["margin"] for row in table if row["answerable turned away"] < max_turned_away * row["answerable"]]
    return max(fitting) if fitting else None


def markdown(table: list[dict], proposed: float | None, configured: float, command: str) -> str:
    lines = [
        "# Sources check: choosing the margin",
        "",
        f"Command: `{command}`. Configured margin: {configured}; proposed (largest with under 10 % of",
        f"answerable questions turned away): {proposed}.",
        "",
        "| margin | answerable turned away | unanswerable caught |",
        "|---|---|---|",
    ]
    for row in table:
        lines.append(f"| {row['margin']} | {row['answerable turned away'] / max(1, row['answerable']):.1%} "
                     f"({row['answerable turned away']}/{row['answerable']}) | "
                     f"{row['unanswerable caught'] / max(1, row['unanswerable']):.1%} "
                     f"({row['unanswerable caught']}/{row['unanswerable']}) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus/documents"))
    parser.add_argument("--questions", type=Path, default=Path("eval/golden"))
    parser.add_argument("--output", type=Path, default=Path("docs"))
    parser.add_argument("--command-line", default="python -m eval.sources_check")
    args = parser.parse_args(argv)
    base = load_settings()
    eval_set = golden_set(args.questions.name, args.corpus, args.questions)
    with tempfile.TemporaryDirectory(prefix="klimawissen-check-") as workdir:
        service = index_corpus(args.corpus, Path(workdir), base.replace(data_dir=Path(workdir)))
        service = service.variant(answer_backend="local", top_k=base.top_k)
        if service.backend_notice:
            raise SystemExit(service.backend_notice)
        started = time.perf_counter()
        rows = log_odds(service, eval_set)
    table = margin_table(rows)
    proposed = proposed_margin(table)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "sources-check.json").write_text(json.dumps(
        {"command": args.command_line, "configured": base.sources_check_margin, "proposed": proposed,
         "minutes": round((time.perf_counter() - started) / 60, 1), "table": table, "questions": rows},
        indent=1), encoding="utf-8")
    report = markdown(table, proposed, base.sources_check_margin, args.command_line)
    (args.output / "sources-check.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
