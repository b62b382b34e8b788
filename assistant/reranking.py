"""Optional reranking: a sentence-transformers CrossEncoder reads question and passage together.

Off by default, because no cross-encoder ships its weights on PyPI; operators who have a model folder
set `reranker_model_path` and the top `rerank_candidates` fused passages are reordered by it.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from assistant.retrieval import Passage


class CrossEncoderReranker:
    def __init__(self, model_path: str, candidates: int = 20):
        if not Path(model_path).is_dir():
            raise ValueError(f"Reranker model folder {model_path} does not exist")
        self.model_path = model_path
        self.candidates = candidates

    @cached_property
    def model(self):
        from sentence_transformers import CrossEncoder

        return CrossEncoder(self.model_path, device="cpu", local_files_only=True)

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        head, tail = passages[: self.candidates], passages[self.candidates:]
        if len(head) < 2:
            return passages
        scores = self.model.predict([(question, passage.text) for passage in head], show_progress_bar=False)
        order = sorted(range(len(head)), key=lambda i: -float(scores[i]))
        return [head[i] for i in order] + tail
