"""Helpers that tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Where `make install` puts EmbeddingGemma (data/models, the default data directory's models folder):
# tests with their own data directory read the real model from here.
MODELS_DIR = REPO / "data" / "models"
GEMMA_FOLDER = MODELS_DIR / "embeddinggemma-300m"


def child_environment(**settings: str) -> dict[str, str]:
    """The environment for a `klimawissen` child process: none of the developer's KLIMAWISSEN_* settings,
    the installed EmbeddingGemma (each test has a data directory of its own), then the given settings
    as KLIMAWISSEN_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLIMAWISSEN_")}
    env["KLIMAWISSEN_EMBEDDER_MODEL_PATH"] = str(GEMMA_FOLDER)
    env.update({f"KLIMAWISSEN_{name.upper()}": str(value) for name, value in settings.items()})
    return env
