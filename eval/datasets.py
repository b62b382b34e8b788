"""Evaluation sets: a corpus folder plus questions in the golden format (see eval/golden/README.md).

XQuAD is converted into that same format (one text file per paragraph), so the harness has only one
kind of input and any other data set can be run by writing it the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eval.golden import Expected, GoldenQuestion, load_golden


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus_dir: Path
    questions: list[GoldenQuestion]


def histories(questions: list[GoldenQuestion]) -> dict[str, list[str]]:
    """The earlier questions of each follow-up's conversation, oldest first, as a chat would send them.
    A parent comes before its follow-ups (load_golden checks it); a missing one raises KeyError."""
    text = {q.id: q.question for q in questions}
    result: dict[str, list[str]] = {}
    for question in questions:
        parent = question.follow_up_of
        result[question.id] = [*result[parent], text[parent]] if parent else []
    return result


def golden_set(name: str, corpus_dir: Path, questions_path: Path) -> EvalSet:
    return EvalSet(name, corpus_dir, load_golden(questions_path))


def xquad_sets(folder: Path, workdir: Path) -> list[EvalSet]:
    """German paragraphs as documents; German and English questions about them as two sets."""
    corpus = workdir / "xquad-de-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for line in (folder / "contexts_de.jsonl").read_text(encoding="utf-8").splitlines():
        context = json.loads(line)
        (corpus / f"{context['context_id']}.txt").write_text(context["text"], encoding="utf-8")
    sets = []
    for language in ("de", "en"):
        questions = []
        for line in (folder / f"questions_{language}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            questions.append(
                GoldenQuestion(
                    id=record["id"], question=record["question"], language=language, type="factual",
                    expected=(Expected(record["context_id"], None, None),), facts=tuple(record["answers"]),
                    follow_up_of=None,
                )
            )
        sets.append(EvalSet(f"xquad-{language}-de", corpus, questions))
    return sets
