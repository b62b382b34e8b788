"""Fact extraction measured on the sample corpus: for every case study with front-matter figures, the
figures are held out (the PDFs never contain them; for Markdown they are ignored) and the extractor reads
the text alone; per field, precision and recall against the held-out figures."""

from __future__ import annotations

from pathlib import Path

from indexing.facts import FIELDS, extract_from_text, same_value
from indexing.frontmatter import read_front_matter
from indexing.readers import read_file


def held_out_figures(path: Path, corpus_dir: Path) -> dict:
    """The figures of a case study: its own front matter, or for a PDF that of its source in pdf-sources/."""
    source = path if path.suffix == ".md" else corpus_dir.parent / "pdf-sources" / f"{path.stem}.md"
    if not source.is_file():
        return {}
    declared, _ = read_front_matter(source)
    figures = declared.get("figures")
    return figures if isinstance(figures, dict) else {}


def evaluate_fact_extraction(corpus_dir: Path) -> dict:
    counts = {field: {"correct": 0, "extracted": 0, "expected": 0} for field in FIELDS}
    pdf = {field: {"correct": 0, "expected": 0} for field in FIELDS}
    documents = 0
    for path in sorted(corpus_dir.iterdir()):
        figures = held_out_figures(path, corpus_dir)
        if not figures or path.suffix not in (".md", ".pdf"):
            continue
        documents += 1
        found = {fact.field: fact.value for fact in extract_from_text(read_file(path))}
        for field in FIELDS:
            expected = figures.get(field)
            if expected in (None, "none"):
                expected = None
            correct = expected is not None and field in found and same_value(found[field], expected)
            counts[field]["expected"] += expected is not None
            counts[field]["extracted"] += field in found
            counts[field]["correct"] += correct
            if path.suffix == ".pdf":
                pdf[field]["expected"] += expected is not None
                pdf[field]["correct"] += correct
    report = {"documents": documents, "fields": {}}
    for field, c in counts.items():
        report["fields"][field] = {
            "precision": round(c["correct"] / c["extracted"], 3) if c["extracted"] else 0.0,
            "recall": round(c["correct"] / c["expected"], 3) if c["expected"] else 0.0,
            "pdf correct": f"{pdf[field]['correct']}/{pdf[field]['expected']}",
            **c,
        }
    return report


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
