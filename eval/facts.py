"""Fact extraction measured on the sample corpus: for every case study with front-matter figures, the
figures are held out (the PDFs never contain them; for Markdown they are ignored) and the extractor reads
the text alone; per field, precision and recall against the held-out figures.

With a chat model as helper (indexing/fact_llm.py) the rules and rules+model are measured side by side on
the same documents, the model asked once per document:

    .venv/bin/python -m eval.facts eval/facts-dev/documents --llm local

(docs/evaluation-facts-llm.md has the figures and how they were made.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Callable

from indexing.facts import FIELDS, Fact, extract_from_text, same_value
from indexing.frontmatter import read_front_matter
from indexing.readers import read_file
from indexing.readers.base import ReadDocument


def held_out_figures(path: Path, corpus_dir: Path) -> dict:
    """The figures of a case study: its own front matter, or for a PDF that of its source in pdf-sources/."""
    source = path if path.suffix == ".md" else corpus_dir.parent / "pdf-sources" / f"{path.stem}.md"
    if not source.is_file():
        return {}
    declared, _ = read_front_matter(source)
    figures = declared.get("figures")
    return figures if isinstance(figures, dict) else {}


def evaluate_fact_extraction(corpus_dir: Path, helper=None, policies: tuple[str, ...] = ()) -> dict:
    """Per field, the rules' figures against the held-out ones. With `helper` (a FactHelper), also the
    rules combined with the model's proven figures, per policy (default: the helper's own), with the
    model's seconds per document; the report of the rules alone stays at the top level as before."""
    extractors: dict[str, Callable[[ReadDocument, list[Fact]], list[Fact]]] = {"rules": lambda doc, rules: rules}
    seconds: list[float] = []
    log: list[dict] = []
    if helper is not None:
        from indexing.fact_llm import combine

        state: dict = {}

        def suggestion(doc: ReadDocument):
            if state.get("doc") is not doc:  # one model call per document, whatever the number of policies
                state["doc"], state["suggestion"] = doc, helper.suggest(doc)
                seconds.append(state["suggestion"].seconds)
                log.append({"document": doc.path.name, "error": state["suggestion"].error,
                            "reply": state["suggestion"].reply,
                            "seconds": round(state["suggestion"].seconds, 1),
                            "proposed": state["suggestion"].proposed,
                            "accepted": {f: c.fact.value for f, c in state["suggestion"].accepted.items()},
                            "rejected": state["suggestion"].rejected})
            return state["suggestion"]

        for policy in policies or (helper.policy,):
            extractors[f"rules+llm ({policy})"] = (
                lambda doc, rules, p=policy: rules if suggestion(doc).error else combine(rules, suggestion(doc), p))
    counts = {name: _empty_counts() for name in extractors}
    documents = 0
    for path in sorted(corpus_dir.iterdir()):
        figures = held_out_figures(path, corpus_dir)
        if not figures or path.suffix not in (".md", ".pdf"):
            continue
        documents += 1
        document = read_file(path)
        rules = extract_from_text(document)
        for name, extract in extractors.items():
            found = {fact.field: fact.value for fact in extract(document, rules)}
            _count(counts[name], figures, found, path.suffix == ".pdf")
    report = {"documents": documents, "fields": _fields(counts["rules"])}
    if helper is not None:
        report["with llm"] = {name: _fields(c) for name, c in counts.items() if name != "rules"}
        report["llm seconds per document"] = {
            "mean": round(statistics.mean(seconds), 1) if seconds else 0.0,
            "median": round(statistics.median(seconds), 1) if seconds else 0.0,
            "max": round(max(seconds), 1) if seconds else 0.0,
        }
        report["llm malformed or failed"] = sum(1 for entry in log if entry["error"])
        report["llm log"] = log
    return report


def _empty_counts() -> tuple[dict, dict]:
    return ({field: {"correct": 0, "extracted": 0, "expected": 0} for field in FIELDS},
            {field: {"correct": 0, "expected": 0} for field in FIELDS})


def _count(counts: tuple[dict, dict], figures: dict, found: dict, is_pdf: bool) -> None:
    every, pdf = counts
    for field in FIELDS:
        expected = figures.get(field)
        if expected in (None, "none"):
            expected = None
        correct = expected is not None and field in found and same_value(found[field], expected)
        every[field]["expected"] += expected is not None
        every[field]["extracted"] += field in found
        every[field]["correct"] += correct
        if is_pdf:
            pdf[field]["expected"] += expected is not None
            pdf[field]["correct"] += correct


def _fields(counts: tuple[dict, dict]) -> dict:
    every, pdf = counts
    return {
        field: {
            "precision": round(c["correct"] / c["extracted"], 3) if c["extracted"] else 0.0,
            "recall": round(c["correct"] / c["expected"], 3) if c["expected"] else 0.0,
            "pdf correct": f"{pdf[field]['correct']}/{pdf[field]['expected']}",
            **c,
        }
        for field, c in every.items()
    }


def markdown_section(report: dict, which: str) -> list[str]:
    lines = [
        f"## Measure facts extracted from the text — {which}", "",
        f"{report['documents']} case studies; their front-matter figures are held out and the extractor reads "
        "the text alone (PDFs never contain the figures).", "",
        "| field | precision | recall | correct / extracted / expected | PDFs: correct / expected |",
        "|---|---|---|---|---|",
    ]
    for field, r in report["fields"].items():
        lines.append(f"| {field} | {r['precision']:.3f} | {r['recall']:.3f} | "
                     f"{r['correct']} / {r['extracted']} / {r['expected']} | {r['pdf correct']} |")
    return lines + [""]


# The figure fields the model is asked about (indexing/fact_llm.py KEYS).
LLM_FIELDS = ("co2e_saved_t_per_year", "energy_saved_mwh_per_year", "investment_eur", "payback_years")


def comparison_table(report: dict) -> list[str]:
    """Rules against rules+model, correct / expected per field (PDFs apart), for the model's fields."""
    variants = {"rules": report["fields"], **report.get("with llm", {})}
    lines = ["| field | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
    for field in LLM_FIELDS:
        cells = [f"{v[field]['correct']}/{v[field]['expected']} (PDF {v[field]['pdf correct']}, "
                 f"{v[field]['extracted'] - v[field]['correct']} wrong)" for v in variants.values()]
        lines.append(f"| {field} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure facts: rules alone and with a chat model as helper")
    parser.add_argument("folder", type=Path, help="documents/ of a fact set, e.g. eval/facts-dev/documents")
    parser.add_argument("--llm", choices=("none", "local", "openai"), default="none",
                        help="local: the bundled Qwen2.5 1.5B; openai: the configured OpenAI-compatible server")
    parser.add_argument("--models-dir", type=Path, help="folder of the local model (default: <data_dir>/models)")
    parser.add_argument("--policy", default="", help="how model and rules combine: candidates, override, fill, "
                                                     "or 'all' (one model run, every policy)")
    parser.add_argument("--json", type=Path, help="write the whole report, with the model's replies, here")
    args = parser.parse_args(argv)

    helper, policies = None, ()
    if args.llm != "none":
        from assistant.config import load_settings
        from indexing.fact_llm import POLICIES, FactHelper

        settings = load_settings()
        if args.llm == "local":
            from assistant.answering.local_model import LocalChatModel

            llm = LocalChatModel(args.models_dir or settings.models_path, threads=settings.llm_threads)
            started = time.perf_counter()
            llm.load()
            print(f"local model loaded in {time.perf_counter() - started:.1f} s")
        else:
            from assistant.answering.llms import openai_compatible_llm

            llm = openai_compatible_llm(settings)
        helper = FactHelper(llm)
        policies = POLICIES if args.policy == "all" else (args.policy,) if args.policy else ()
    started = time.perf_counter()
    report = evaluate_fact_extraction(args.folder, helper, policies)
    elapsed = time.perf_counter() - started
    print(f"{report['documents']} documents in {elapsed:.0f} s")
    if helper is not None:
        print(f"model seconds per document: {report['llm seconds per document']}; "
              f"malformed or failed replies: {report['llm malformed or failed']}")
    print("\n".join(comparison_table(report)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
