"""The harness end to end on a tiny corpus: ours and both baselines, one report."""

import json

from assistant.config import Settings
from eval.datasets import golden_set
from eval.run import markdown_report, run
from tests.helpers import GEMMA_FOLDER


def test_harness_measures_all_systems_on_any_corpus_and_question_file(tmp_path, tiny_corpus):
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "ga-001", "question": "Wie viel Erdgas spart die Großbäckerei mit der Wärmerückgewinnung?", "language": "de",
         "type": "numeric", "expected": [{"doc_id": "baeckerei-abwaerme", "page": 3, "section": None}],
         "facts": ["140 MWh"], "follow_up_of": None},
        {"id": "ga-002", "question": "Was kostete das Abdichten?", "language": "de", "type": "follow-up",
         "expected": [{"doc_id": "druckluft-notiz", "page": None, "section": None}], "facts": ["6.500 Euro"],
         "follow_up_of": "ga-001"},
        {"id": "gb-001", "question": "Wie hoch ist der CO2-Preis in Norwegen?", "language": "de", "type": "unanswerable",
         "expected": [], "facts": [], "follow_up_of": None},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")

    results = run([golden_set("tiny", tiny_corpus, questions)], tmp_path / "work", Settings(embedder_model_path=str(GEMMA_FOLDER)),
                  progress=lambda message: None, answer_backends=("extractive",), answer_sample=(2, 1))

    systems = results["sets"]["tiny"]
    assert len(systems) == 9 and sum(name.startswith("ablation") for name in systems) == 6
    assert "ablation: no best-sentence list" not in systems  # the default index embeds no sentences
    ours = systems["klimawissen (hybrid, gemma)"]
    assert ours["answerable"] == 2 and ours["metrics"]["type: numeric"]["page recall@1"] == 1.0
    assert set(ours["abstention"]) == {"auroc", "configured (min_relevance)", "calibrated on ga-*, measured on gb-*"}
    assert 0.0 <= ours["abstention"]["auroc"] <= 1.0
    assert "abstention" not in systems["BM25 only (bm25s)"]
    answers = results["answers"]["tiny"]["extractive"]
    assert answers["questions"] == 3 and answers["citation validity"] == 1.0
    assert answers["gold fact contained"] >= 0.5  # "140 MWh" comes straight from the bakery PDF
    report = markdown_report(results, "make eval")
    assert "`make eval`" in report and "BM25 only" in report and "VectorStoreIndex" in report
    assert "## Answers (fixed sample of tiny)" in report and "gold fact contained" in report


def test_the_cli_measures_several_question_files_over_one_index(tmp_path, tiny_corpus, monkeypatch):
    from assistant.cli import main

    for name, question in (("tuned", "Wie viel Erdgas spart die Großbäckerei?"), ("held-out", "Wo spart die Bäckerei Gas?")):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(
            {"id": f"{name}-001", "question": question, "language": "de", "type": "numeric",
             "expected": [{"doc_id": "baeckerei-abwaerme", "page": 3, "section": None}], "facts": ["140 MWh"],
             "follow_up_of": None}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--corpus", str(tiny_corpus), "--questions", "tuned.jsonl", "--questions", "held-out.jsonl",
                 "--embedders", "e5", "--output", "report"]) == 0
    results = json.loads((tmp_path / "report" / "evaluation.json").read_text(encoding="utf-8"))
    names = [f"tuned ({tiny_corpus.name}/)", f"held-out ({tiny_corpus.name}/)"]
    assert list(results["sets"]) == names
    for name in names:  # each embedder with its own tuning, beside its plain dense peer
        for embedder in ("gemma", "e5"):
            assert results["sets"][name][f"klimawissen (hybrid, {embedder})"]["questions"] == 1
            assert f"dense only (llama-index VectorStoreIndex, {embedder})" in results["sets"][name]
    assert len(results["indexes"]) == 2  # one index per embedder, shared by both question files
