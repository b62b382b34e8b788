"""Choose the sources check's margins: the local model's log-odds that the sources answer, for every
question of a golden set, and per question language how many answerable questions each margin turns
away and how many unanswerable ones it catches.

    python -m eval.sources_check --questions eval/golden --output docs

Every question goes the product's way (follow-up rule, retrieval, answer prompt); the model evaluates
the check prompt once per question (~7 s here), so all 284 golden questions take ~35 min. The margin
proposed for a language is the largest that turns away fewer than `max_turned_away` of its answerable
questions: the model's log-odds for English questions over German sources run lower than for German
ones, so one margin for both turned away 21 % of the English answerable questions and 4 % of the German.
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

MARGINS = tuple(round(0.1 * step, 1) for step in range(-2, 13))  # -0.2 … 1.2
LANGUAGES = ("de", "en")


def log_odds(service: Klimawissen, eval_set: EvalSet, progress=print) -> list[dict]:
    """One row per question: its log-odds, or None when retrieval's floor already says "nothing found"."""
    answerer = service.answerer
    history = histories(eval_set.questions)
    rows = []
    for number, question in enumerate(eval_set.questions, 1):
        query, asked, earlier = service.read_question(question.question, history[question.id])
        retrieval = service.retrieve(query)
        value, language = None, question.language
        if retrieval.passages and retrieval.relevance >= service.settings.min_relevance:
            # The language the product detects in the question picks the margin it is checked with.
            messages, _, language = answerer.prompt(asked, retrieval.passages, earlier)
            value = round(sources_log_odds(answerer.llm, messages, language), 3)
        rows.append({"id": question.id, "language": language, "answerable": question.type != "unanswerable",
                     "log_odds": value})
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


def tables_by_language(rows: list[dict], margins=MARGINS) -> dict[str, list[dict]]:
    """The margin table of each question language's rows (the product checks a question with its
    language's margin)."""
    return {language: margin_table([r for r in rows if r["language"] == language], margins)
            for language in LANGUAGES}


def _rate(count: int, total: int) -> str:
    return f"{count / max(1, total):.1%} ({count}/{total})"


def markdown(tables: dict[str, list[dict]], proposed: dict[str, float | None], configured: dict[str, float],
             command: str) -> str:
    lines = [
        "# Sources check: choosing the margins",
        "",
        f"Command: `{command}`. For each question language the proposed margin is the largest with under",
        "10 % of that language's answerable questions turned away.",
        "",
        "| question language | configured | proposed | answerable turned away | unanswerable caught |",
        "|---|---|---|---|---|",
    ]
    for language, table in tables.items():
        at = {row["margin"]: row for row in table}.get(configured[language])
        rates = (f"{_rate(at['answerable turned away'], at['answerable'])} | "
                 f"{_rate(at['unanswerable caught'], at['unanswerable'])}") if at else "– | –"
        lines.append(f"| {language} | {configured[language]} | {proposed[language]} | {rates} |")
    lines.append("")
    lines.append("Rates at the configured margins. Every margin:")
    for language, table in tables.items():
        lines += ["", f"## Questions in {language}", "",
                  "| margin | answerable turned away | unanswerable caught |", "|---|---|---|"]
        lines += [f"| {row['margin']} | {_rate(row['answerable turned away'], row['answerable'])} | "
                  f"{_rate(row['unanswerable caught'], row['unanswerable'])} |" for row in table]
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
    tables = tables_by_language(rows)
    proposed = {language: proposed_margin(table) for language, table in tables.items()}
    configured = base.sources_check_margins
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "sources-check.json").write_text(json.dumps(
        {"command": args.command_line, "configured": configured, "proposed": proposed,
         "minutes": round((time.perf_counter() - started) / 60, 1), "tables": tables, "questions": rows},
        indent=1), encoding="utf-8")
    report = markdown(tables, proposed, configured, args.command_line)
    (args.output / "sources-check.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
