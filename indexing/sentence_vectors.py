"""Each chunk's sentences, embedded one by one and kept in the chunk's own metadata.

A chunk's vector blends all its sentences and its document's title, so e5 gives every chunk of a case
study nearly the same similarity, while a question usually asks about one sentence. Retrieval therefore
also scores a candidate by its best sentence (assistant/retrieval.py; figures in docs/retrieval.md).
The vectors travel in the chunk's metadata (float16, base64): they are written, replaced, deleted and
backed up with their chunk, and there is no second store to keep consistent with Chroma.
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

METADATA_KEY = "sentence_vectors"


def encode(vectors: Sequence[Sequence[float]]) -> str:
    array = np.asarray(vectors, dtype=np.float16)
    return f"{array.shape[1]}:" + base64.b64encode(array.tobytes()).decode("ascii")


def decode(text: str) -> np.ndarray:
    dimensions, data = text.split(":", 1)
    return np.frombuffer(base64.b64decode(data), dtype=np.float16).reshape(-1, int(dimensions)).astype(np.float32)


def split_off(metadata: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray | None]:
    """The metadata without the vectors (what callers and citations see), and the vectors, if any.
    Chunks indexed before the vectors existed have none."""
    rest = dict(metadata)
    encoded = rest.pop(METADATA_KEY, None)
    return rest, decode(encoded) if encoded else None
