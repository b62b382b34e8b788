"""`klimawissen eval`: our retriever and the baselines, side by side, in one process and one run.

Writes the figures as JSON and as a Markdown report (docs/evaluation.json, docs/evaluation.md).
"""

from __future__ import annotations

import platform
import re
import time
from collections import defaultdict
from pathlib import Path

from assistant.config import Settings, tuned_for
from assistant.service import Klimawissen
from eval.answers import evaluate_answers, sample
from eval.facts import evaluate_fact_extraction, markdown_section as facts_section
from eval.datasets import EvalSet, histories
from eval.metrics import (
    abstention_scores, auroc, average, calibrate_threshold, doc_ranking, page_ranking, percentile, ranking_scores,
    relevant_items,
)
from eval.systems import DEPTH, Bm25Baseline, DenseBaseline, FollowUpsRestated, Ours, ablations
from indexing.pipeline import collect_files


def index_corpus(corpus_dir: Path, data_dir: Path, base: Settings) -> Klimawissen:
    """The corpus indexed into `data_dir`; a folder indexed before is only brought up to date. A README.md
    in the folder describes the data set and is not one of its documents."""
    service = Klimawissen(base.replace(data_dir=data_dir, top_k=DEPTH))
    results = service.ingest([path for path in collect_files([corpus_dir]) if path.name.lower() != "readme.md"])
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} files of {corpus_dir} failed to index: {failed[0].message}")
    return service


def index_name(corpus_dir: Path, settings: Settings) -> str:
    """One index folder per corpus, embedder and chunking, so a kept work folder is reused only alike."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(corpus_dir.resolve()).lower()).strip("-")[-60:]
    sentences = "" if settings.embed_sentences else "-nosentences"
    return (f"index-{slug}-{settings.embedder}{settings.embed_dimensions}-{settings.chunk_size}-{settings.chunk_overlap}"
            f"{sentences}")


def evaluate_system(system, eval_set: EvalSet) -> dict:
    history = histories(eval_set.questions)
    if isinstance(system, FollowUpsRestated):
        system.restated = 0
    rows, latencies, relevance, answerable, ids = [], [], [], [], []
    for question in eval_set.questions:
        started = time.perf_counter()
        hits, signal = system.search(question.question, history[question.id])
        latencies.append((time.perf_counter() - started) * 1000)
        relevance.append(signal)
        answerable.append(question.type != "unanswerable")
        ids.append(question.id)
        if question.type == "unanswerable":
            continue
        doc = ranking_scores(doc_ranking(hits), relevant_items(question, "doc"))
        page = ranking_scores(page_ranking(hits), relevant_items(question, "page"))
        rows.append((question, {**{f"doc {k}": v for k, v in doc.items()}, **{f"page {k}": v for k, v in page.items()}}))
    groups: dict[str, list] = defaultdict(list)
    for question, scores in rows:
        groups["all answerable"].append(scores)
        groups[f"type: {question.type}"].append(scores)
        groups[f"language: {question.language}"].append(scores)
        groups["standalone (not follow-up)" if question.type != "follow-up" else "follow-up"].append(scores)
    report = {
        "questions": len(eval_set.questions),
        "answerable": len(rows),
        "metrics": {name: average(group) for name, group in sorted(groups.items())},
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1)},
    }
    if isinstance(system, FollowUpsRestated):
        follow_ups = sum(bool(history[i]) for i in ids)
        report["restated by the model"] = (
            f"{system.restated} of {follow_ups} follow-ups (the rule read the others)"
            + (f"; model unavailable: {system.service.backend_notice}" if system.service.backend_notice else ""))
    if not all(answerable) and hasattr(system, "threshold"):
        report["abstention"] = abstention_report(ids, relevance, answerable, system.threshold)
    return report


def abstention_report(ids: list[str], relevance: list[float], answerable: list[bool], configured: float) -> dict:
    """How well the relevance signal separates answerable from unanswerable questions (AUROC); the
    configured threshold; and one calibrated on part A of the golden set (ga-*) measured on part B."""
    part_a = [i for i, qid in enumerate(ids) if qid.startswith("ga-")]
    part_b = [i for i, qid in enumerate(ids) if not qid.startswith("ga-")]
    pick = lambda values, idx: [values[i] for i in idx]  # noqa: E731
    threshold = calibrate_threshold(pick(relevance, part_a), pick(answerable, part_a)) if part_a else 0.0
    return {
        "auroc": auroc(relevance, answerable),
        "configured (min_relevance)": abstention_scores(relevance, answerable, configured),
        "calibrated on ga-*, measured on gb-*": abstention_scores(
            pick(relevance, part_b), pick(answerable, part_b), threshold
        ),
    }


def systems_for(services: dict[str, Klimawissen], eval_set_name: str, answer_backends: tuple[str, ...]) -> list:
    """Every embedder's retriever and its plain dense peer; BM25 once; the ablations of the first
    (configured) embedder's choices, and its follow-ups restated by the local model where asked for."""
    primary, *others = services.values()
    systems = [Ours(primary), Bm25Baseline(primary), DenseBaseline(primary), *ablations(primary)]
    if "local" in answer_backends and not eval_set_name.startswith("xquad"):  # XQuAD has no follow-ups
        systems.append(FollowUpsRestated(primary, "local"))
    for service in others:
        systems += [Ours(service), DenseBaseline(service)]
    return systems


def run(sets: list[EvalSet], workdir: Path, base: Settings, progress=print, answer_backends: tuple[str, ...] = (),
        answer_sample: tuple[int, int] = (40, 10), embedders: tuple[str, ...] = (), with_facts: bool = True) -> dict:
    """Retrieval metrics for every set and embedder (the configured one first, then `embedders`, each with
    its own tuning); answer metrics per backend on a fixed sample of each question set over documents
    (XQuAD: the gold span in answers, with the first set), with the configured embedder. Indexes are
    kept in `workdir` by corpus, embedder and chunking, so a second run on the same folder reuses them."""
    results: dict = {"machine": f"{platform.machine()}, {platform.python_version()}", "sets": {}, "answers": {},
                     "indexes": {}}
    settings = [base, *(tuned_for(base, e) for e in embedders if e != base.embedder)]
    services: dict[Path, dict[str, Klimawissen]] = {}
    for eval_set in sets:
        if eval_set.corpus_dir not in services:
            services[eval_set.corpus_dir] = {}
            for each in settings:
                progress(f"indexing {eval_set.corpus_dir} with {each.embedder} …")
                started = time.perf_counter()
                service = index_corpus(eval_set.corpus_dir, workdir / index_name(eval_set.corpus_dir, each), each)
                service.warm_up()
                seconds = time.perf_counter() - started
                results["indexes"][f"{eval_set.corpus_dir} ({each.embedder})"] = {
                    "chunks": service.store.count(), "seconds (0 when reused)": round(seconds, 1)}
                progress(f"  {service.store.count()} chunks in {seconds:.0f} s")
                services[eval_set.corpus_dir][each.embedder] = service
        results["sets"][eval_set.name] = {}
        for system in systems_for(services[eval_set.corpus_dir], eval_set.name, answer_backends):
            progress(f"{eval_set.name}: {system.name} …")
            results["sets"][eval_set.name][system.name] = evaluate_system(system, eval_set)
    if sets and with_facts:
        progress("measure facts from the text …")
        results["facts"] = evaluate_fact_extraction(sets[0].corpus_dir)
        for name, (folder, _) in FACT_SETS.items():
            if folder.is_dir():
                results[name] = evaluate_fact_extraction(folder)
    span_sets = [s for s in sets if s.name == "xquad-de-de"]
    primary = lambda eval_set: services[eval_set.corpus_dir][base.embedder]  # noqa: E731
    for answer_set in [s for s in sets if not s.name.startswith("xquad")] if answer_backends else []:
        questions = sample(answer_set, *answer_sample)
        results["answers"][answer_set.name] = {}
        for backend in answer_backends:
            progress(f"{answer_set.name}: answers with {backend} on {len(questions)} questions …")
            answering = primary(answer_set).variant(answer_backend=backend, top_k=base.top_k)
            report = evaluate_answers(answering, answer_set, questions)
            report["backend actually used"] = "extractive (stand-in)" if answering.backend_notice else backend
            results["answers"][answer_set.name][backend] = report
            for span_set in span_sets if answer_set is sets[0] else []:  # XQuAD: is the gold span in the answer?
                span_questions = sample(span_set, XQUAD_ANSWER_SAMPLE, 0)
                progress(f"{span_set.name}: answers with {backend} on {len(span_questions)} questions …")
                spans = evaluate_answers(primary(span_set).variant(answer_backend=backend, top_k=base.top_k), span_set,
                                         span_questions)
                report[f"{span_set.name}: gold span in answer ({len(span_questions)} questions)"] = spans[
                    "gold fact contained"]
    return results


# XQuAD questions answered per backend (evenly spaced over the dev split): the local model needs ~13 s each.
XQUAD_ANSWER_SAMPLE = 20
# Case studies written without sight of the fact extractor: all but the last were measured blind and
# then used to improve it, the last never was (eval/facts-*/README.md).
_EVAL = Path(__file__).resolve().parent
FACT_SETS = {
    "facts_dev": (_EVAL / "facts-dev" / "documents",
                  "eval/facts-dev (first measured blind, then used to improve the extractor)"),
    "facts_holdout": (_EVAL / "facts-holdout" / "documents",
                      "eval/facts-holdout (measured blind once, since 2026-11-30 used to improve the extractor)"),
    "facts_holdout_2": (_EVAL / "facts-holdout-2" / "documents",
                        "eval/facts-holdout-2 (measured blind once, since 2026-11-30 used to improve the extractor)"),
    "facts_holdout_3": (_EVAL / "facts-holdout-3" / "documents",
                        "eval/facts-holdout-3 (measured blind once, since 2026-11-30 used to improve the extractor)"),
    "facts_holdout_4": (_EVAL / "facts-holdout-4" / "documents",
                        "eval/facts-holdout-4 (blind: never used to develop the extractor)"),
}

KEY_METRICS = (
    "doc recall@1", "doc recall@5", "doc hit@5", "doc mrr", "doc ndcg@10",
    "page recall@1", "page hit@1", "page recall@5", "page hit@5", "page mrr",
)


def markdown_report(results: dict, command: str) -> str:
    lines = [
        "# Retrieval evaluation",
        "",
        f"Produced by `{command}` on this project's 2-core machine ({results['machine']}).",
        "All systems of one embedder search the same chunks with the same vectors, in one process and one run;",
        "the first system of each table is the configured one, its ablations switch off one choice each.",
        "Recall@k counts the share of expected documents (or pages/sections) in the top k.",
        "",
    ]
    if results.get("indexes"):
        lines += ["| index | chunks | seconds to index (0 when reused) |", "|---|---|---|"]
        lines += [f"| {name} | {i['chunks']} | {i['seconds (0 when reused)']} |" for name, i in results["indexes"].items()]
        lines.append("")
    header = " | ".join(KEY_METRICS) + " | p50 ms | p95 ms |"
    for set_name, systems in results["sets"].items():
        lines += [f"## {set_name}", ""]
        first_name, first = next(iter(systems.items()))
        lines += [f"{first['questions']} questions, {first['answerable']} answerable.", ""]
        lines += ["| system | " + header, "|" + "---|" * (len(KEY_METRICS) + 3)]
        for system_name, report in systems.items():
            lines.append(f"| {system_name} | {_cells(report['metrics'].get('all answerable', {}))} | "
                         f"{report['latency_ms']['p50']} | {report['latency_ms']['p95']} |")
        groups = {g: m for g, m in first["metrics"].items() if g != "all answerable"}
        if len(groups) > 2:
            lines += ["", f"By group ({first_name}):", "", "| group | " + " | ".join(KEY_METRICS) + " |",
                      "|" + "---|" * (len(KEY_METRICS) + 1)]
            lines += [f"| {group} | {_cells(metrics)} |" for group, metrics in groups.items()]
        for system_name, report in systems.items():
            if "restated by the model" in report:
                lines += ["", f"{system_name}: {report['restated by the model']}."]
        abstaining = {name: report["abstention"] for name, report in systems.items() if "abstention" in report}
        if abstaining:
            lines += ["", "Abstention on unanswerable questions by the relevance signal (best dense similarity):", "",
                      "| system | AUROC | threshold | value | precision | recall | answerable turned away |",
                      "|---|---|---|---|---|---|---|"]
            for system_name, report in abstaining.items():
                for label, values in report.items():
                    if label == "auroc":
                        continue
                    lines.append(
                        f"| {system_name} | {report['auroc']} | {label} | {values['threshold']} | "
                        f"{values['abstention_precision']:.3f} | {values['abstention_recall']:.3f} | "
                        f"{values['false_abstention_rate']:.3f} |"
                    )
        lines.append("")
    if results.get("facts", {}).get("documents"):
        lines += facts_section(results["facts"], "the sample corpus (the extractor was developed on it: in-sample)")
    for name, (_, which) in FACT_SETS.items():
        if results.get(name, {}).get("documents"):
            lines += facts_section(results[name], which)
    if any(results.get(name, {}).get("documents") for name in FACT_SETS):
        lines += ["The rules alone. With the chat model as a helper (`facts_llm = true`; minutes per set, so not",
                  "run here): docs/evaluation-facts-llm.md.", ""]
    for set_name, by_backend in results.get("answers", {}).items():
        lines += [f"## Answers (fixed sample of {set_name})", ""]
        backends = list(by_backend)
        keys = [k for k in next(iter(by_backend.values())) if k != "backend actually used"]
        lines += ["| metric | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
        for key in keys + ["backend actually used"]:
            lines.append(f"| {key} | " + " | ".join(str(by_backend[b].get(key, "–")) for b in backends) + " |")
        lines.append("")
    return "\n".join(lines)


def _cells(metrics: dict) -> str:
    return " | ".join(f"{metrics.get(m, 0):.3f}" for m in KEY_METRICS)
