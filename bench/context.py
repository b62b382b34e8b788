"""What every section shares: the run's sizes (full or --quick), one warmed-up embedder, the golden
questions, and an index of the sample corpus that the start-up, memory and model sections serve from."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from assistant.config import Settings
from indexing.embedding import LocalEmbedding, make_embedder
from indexing.pipeline import collect_files

REPO = Path(__file__).resolve().parent.parent
CORPUS_DOCUMENTS = REPO / "corpus" / "documents"
GOLDEN = REPO / "eval" / "golden"
XQUAD = REPO.parent / "shared" / "eval-data" / "xquad-de-dev"
VENV_BIN = Path(sys.executable).parent
DEFAULT_WORKDIR = Path("/tmp/klimawissen-bench")

SECTIONS = ("ingestion", "reingest", "query", "coldstart", "local", "memory", "threads")

# --quick ingests four files of the sample corpus (two PDFs, German and English Markdown).
QUICK_CORPUS = (
    "cs-backhaus-conradi-ofenabwaerme.pdf",
    "cs-kontraktlogistik-hoven-led-pv.pdf",
    "cs-achterberg-absaugung-led.md",
    "pact-background-and-goals-en.md",
)


@dataclass
class BenchConfig:
    workdir: Path
    corpus: list[Path]
    quick: bool = False
    reps: int = 3
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    questions: int = 50
    pool: int = 3_000  # chunk texts really embedded for the synthetic stores
    caps: tuple[int, ...] = (1000, 1500, 2000, 3000)
    local_questions: int = 10
    gen_tokens: int = 160  # answer tokens generated per local-model measurement
    thread_texts: int = 96  # passages embedded per thread-count measurement
    simple_max: int = 10_000  # largest store the in-memory llama-index baseline is built for
    models_dir: Path | None = None
    settings: Settings = field(default_factory=Settings)

    @property
    def model_dir(self) -> Path:
        return self.models_dir or self.workdir / "models"


def make_config(quick: bool = False, workdir: Path = DEFAULT_WORKDIR, corpus: list[Path] | None = None,
                **overrides) -> BenchConfig:
    """Full sizes, or tiny ones for --quick; explicit overrides (None = keep) win over both."""
    sizes = dict(
        reps=2, sizes=(300, 1_000), questions=3, pool=150, caps=(1000, 2000), local_questions=3, gen_tokens=32,
        thread_texts=16,
    ) if quick else {}
    if corpus is None:
        corpus = [CORPUS_DOCUMENTS / name for name in QUICK_CORPUS] if quick else [CORPUS_DOCUMENTS]
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    return BenchConfig(workdir=Path(workdir), corpus=[Path(p) for p in corpus], quick=quick, **sizes)


def subprocess_env(data_dir: Path | None = None, **settings: str) -> dict[str, str]:
    """Environment for a `klimawissen` child: offline, default settings (no developer config), our data dir,
    and the EmbeddingGemma folder `make install` put in the repository's models folder (a child's data
    dir holds only the bench's local model)."""
    from assistant.offline import OFFLINE_ENVIRONMENT
    from indexing.embeddinggemma import installed_model

    env = {k: v for k, v in os.environ.items() if not k.startswith("KLIMAWISSEN_") and k != "OMP_NUM_THREADS"}
    env.update(OFFLINE_ENVIRONMENT)
    env["KLIMAWISSEN_CONFIG"] = str(REPO / ".bench-no-config.toml")  # a file that does not exist: defaults only
    if data_dir is not None:
        env["KLIMAWISSEN_DATA_DIR"] = str(data_dir)
    env["KLIMAWISSEN_EMBEDDER_MODEL_PATH"] = str(installed_model(REPO / "data" / "models"))
    env.update({f"KLIMAWISSEN_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def pick_questions(n: int, english_share: float = 0.3):
    """`n` golden questions spread evenly over both parts, about 30 % English; follow-ups (which need
    the earlier question) are left out, unanswerable ones stay in as real traffic has them."""
    from eval.golden import load_golden

    usable = [q for q in load_golden(GOLDEN) if q.type != "follow-up"]
    english = [q for q in usable if q.language == "en"]
    german = [q for q in usable if q.language == "de"]
    n_en = min(len(english), round(n * english_share)) if n > 1 else 0
    chosen = _spread(german, n - n_en) + _spread(english, n_en)
    order = {q.id: i for i, q in enumerate(usable)}
    return sorted(chosen, key=lambda q: order[q.id])


def _spread(items: list, k: int) -> list:
    k = min(k, len(items))
    return [items[i * len(items) // k] for i in range(k)] if k else []


class Context:
    def __init__(self, config: BenchConfig, progress: Callable[[str], None] = print):
        self.config = config
        self.progress = progress
        config.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @cached_property
    def files(self) -> list[Path]:
        files = collect_files(self.config.corpus)
        if not files:
            raise ValueError(f"no supported files in {', '.join(map(str, self.config.corpus))}")
        return files

    @cached_property
    def embedder(self) -> LocalEmbedding:
        """The configured embedder, loaded before any timing starts."""
        s = self.settings
        embedder = make_embedder(s.embedder, s.embedder_model_path, s.embed_batch_size, s.embed_threads, s.models_path,
                                 s.embed_dimensions, s.embed_precision)
        embedder.get_query_embedding("Aufwärmen")
        return embedder

    @cached_property
    def questions(self):
        return pick_questions(self.config.questions)

    @cached_property
    def corpus_key(self) -> str:
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(str(path.resolve()).encode() + path.read_bytes())
        return digest.hexdigest()[:12]

    def sample_index(self) -> Path:
        """A data dir with the run's corpus indexed by our pipeline (kept in the workdir; an unchanged
        corpus is only checked, not embedded again)."""
        from assistant.service import Klimawissen

        data_dir = self.config.workdir / f"index-{self.corpus_key}"
        if "_sample_index_ready" not in self.__dict__:
            self.progress(f"  sample index {data_dir} …")
            service = Klimawissen(self.settings.replace(data_dir=data_dir), embedder=self.embedder)
            failed = [r for r in service.ingest(self.files) if not r.ok]
            if failed:
                raise RuntimeError(f"{len(failed)} corpus files failed to index: {failed[0].path}: {failed[0].message}")
            self.__dict__["_sample_index_ready"] = True
        return data_dir

    def models_link(self, data_dir: Path) -> None:
        """Let a service on `data_dir` find the local model where the bench keeps it (no second 1 GB copy)."""
        link = data_dir / "models"
        self.config.model_dir.mkdir(parents=True, exist_ok=True)
        if not link.exists() and not link.is_symlink():
            link.symlink_to(self.config.model_dir.resolve(), target_is_directory=True)
