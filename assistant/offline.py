"""Keep every library we use from reaching out to a hub or telemetry endpoint, and set how their thread
pools wait.

Must run before huggingface_hub, transformers, torch, gradio or chromadb are imported, so the CLI, the
web app and the test suite call it first thing.
"""

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    # Idle OpenMP threads (torch's) sleep instead of spinning: with anything else busy on the two cores,
    # spinning made one EmbeddingGemma query take 2.4 s instead of 0.22 s; idle, sleeping costs ~5 ms
    # a query (docs/benchmarks.md, threads).
    "OMP_WAIT_POLICY": "PASSIVE",
}


def enforce_offline() -> None:
    """Set the libraries' offline switches unless the operator set them explicitly."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
