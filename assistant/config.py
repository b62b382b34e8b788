"""All settings in one place: defaults in code, overridden by a TOML file, overridden by the environment.

The TOML file is `klimawissen.toml` in the working directory, or the path in `KLIMAWISSEN_CONFIG`.
Every field can be set from the environment as `KLIMAWISSEN_<FIELD>` (e.g. `KLIMAWISSEN_PORT=8080`).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from indexing.readers.limits import ReaderLimits

ENV_PREFIX = "KLIMAWISSEN_"
DEFAULT_CONFIG_FILE = "klimawissen.toml"


class ConfigError(ValueError):
    """A setting is missing, unknown or has the wrong type."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    # Chroma: embedded PersistentClient under data_dir unless a server URL is given.
    chroma_url: str = ""
    collection: str = "klimawissen_chunks"
    # Embedder: "gemma" (EmbeddingGemma-300M, installed into models_dir by `make install`), "e5" (the
    # bundled multilingual-e5-small: lighter, weaker) or "sentence-transformers" with a local model folder
    # (embedder_model_path; for "gemma" it replaces the installed folder).
    embedder: str = "gemma"
    embedder_model_path: str = ""
    # Texts handed to the embedder at once (progress is reported after each batch) and its torch threads.
    embed_batch_size: int = 32
    embed_threads: int = 2
    # EmbeddingGemma only: vector dimensions (768, or 512/256/128 Matryoshka truncations) and precision
    # ("auto": bfloat16 where the CPU computes it in hardware, else float32; or "bf16", "fp32").
    embed_dimensions: int = 768
    embed_precision: str = "auto"
    # Where the models are installed (EmbeddingGemma, the local answer model); "" is data_dir/models.
    models_dir: str = ""
    # Splitting, in tokens of the tiktoken cl100k tokenizer llama-index uses.
    chunk_size: int = 120
    chunk_overlap: int = 20
    # Retrieval: "weighted" (min-max normalised sum) or "rrf" fusion of dense and keyword candidates;
    # the weights were chosen on the golden set and XQuAD dev (docs/evaluation.md).
    fusion: str = "weighted"
    keyword_weight: float = 0.3
    # English question over German text: BM25 can only match names and numbers, so it counts less.
    cross_lingual_keyword_weight: float = 0.1
    # Added to the dense similarity of passages in the other language than the question's (e5 favours
    # its own language); tuned on the golden set's English questions.
    cross_lingual_boost: float = 0.03
    # How far an English question's vector is moved towards German before German passages are
    # searched, in units of the German−English gap measured on our own question pairs (0 = off;
    # assistant/language_shift.py). Where it applies it replaces the boost above.
    cross_lingual_shift: float = 1.0
    # Weight of each candidate's best sentence (sentences embedded one by one at ingestion) in the
    # fusion, beside the dense list's 1.0 and BM25's keyword_weight (0 = off); docs/retrieval.md.
    sentence_weight: float = 0.0
    # Embed every chunk's sentences one by one at ingestion (for the list above and the extractive answer).
    # Pays for e5 only: with EmbeddingGemma and short chunks it cost 1.5x the ingestion for +2.5 points of
    # page R@1 and lost comparative questions (docs/retrieval.md).
    embed_sentences: bool = False
    # Follow-up questions restated by the answer model (generating backends only) instead of being read
    # with the earlier turns by a rule. Off: the local 1.5B model's restatements retrieved worse than
    # the rule (docs/retrieval.md); meant for a stronger model on an OpenAI-compatible server.
    follow_up_model: bool = False
    # Optional CrossEncoder reranking of the top candidates: a local sentence-transformers model folder.
    reranker_model_path: str = ""
    rerank_candidates: int = 20
    # Below this best dense similarity the assistant says it found nothing. Set just below the lowest
    # EmbeddingGemma top scores of golden part A's answerable questions (0.397–0.45; 1 of 113 turned away,
    # 1 of 21 unanswerable caught), so it only catches clearly off-topic questions: the top score alone
    # does not separate the rest (docs/retrieval.md); `make eval` reports how it and a calibrated
    # threshold do. e5's similarities are compressed near 0.8–0.9, hence its own floor below.
    min_relevance: float = 0.4
    # Answering: "extractive" (always available), "local" (the bundled Qwen2.5 1.5B through llama.cpp)
    # or "openai" (any OpenAI-compatible server).
    answer_backend: str = "extractive"
    # Before a generating model answers, it is asked whether the sources state what the question asks;
    # "no" gives the plain "nothing found" answer (assistant/answering/answerability.py). The local model
    # leans to "yes", so its "yes" counts only when this many log-odds likelier than "no". Its log-odds
    # run ~0.4–0.5 lower for English questions over the German case studies, so English questions have a
    # margin of their own. Both are chosen by `make calibrate` on all 284 golden questions as the largest
    # margin with under 10 % of that language's answerable ones turned away, and checked on the held-out
    # sets (docs/answers.md). An OpenAI-compatible model's own yes/no is taken as it is.
    check_sources: bool = True
    sources_check_margin: float = 0.6
    sources_check_margin_en: float = 0.2
    llm_threads: int = 2
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: str = ""
    llm_timeout: float = 60.0
    # Passage text given to a generating model, in characters: bounds the prompt and so the wait for the
    # first token. Measured with the local model on this 2-core machine (docs/benchmarks.md): TTFT p50
    # 4.9 s at 1,500, 7.9 s at 2,000, 11.3 s at 3,000 characters (~100 prompt tokens/s).
    max_context_chars: int = 2000
    # Measure facts at ingestion with the chat model as a helper (indexing/fact_llm.py): the model of the
    # answers (the OpenAI-compatible server with answer_backend "openai", else the local model) picks
    # figures, and only numbers the text states next to a fitting unit are taken. On case studies nobody
    # had read it raised CO2e + investment from PDFs from 78-81 % (rules) to 89-100 %. Off by default: the
    # local model needs ~19 s per case study on 2 idle cores (minutes under load) and holds the answer
    # queue meanwhile (docs/evaluation-facts-llm.md).
    facts_llm: bool = False
    top_k: int = 5
    answer_sentences: int = 3
    # Questions worked on at once per process (embedding, search, extractive answer; model generation
    # has its own queue). More would share the same cores: every answer slower, none sooner.
    parallel_questions: int = 2
    # Web server.
    host: str = "127.0.0.1"
    port: int = 7860
    # How long a login lasts before the user must sign in again, in hours.
    session_hours: float = 8.0
    # Failed logins allowed per user name and client address within 15 minutes.
    login_attempts: int = 5
    # Largest file staff may upload, in megabytes: bigger ones are refused before anything is written.
    # Files ingested from a folder are held to it too.
    max_upload_mb: int = ReaderLimits.max_mb
    # Reading one file: at most this many PDF pages, seconds and MB of memory, else it is refused with a
    # message; the defaults and why they suffice are in indexing/readers/limits.py.
    max_pdf_pages: int = ReaderLimits.max_pages
    max_read_seconds: float = ReaderLimits.max_seconds
    max_read_memory_mb: int = ReaderLimits.max_memory_mb
    # Require a login (partner or staff) for the chat too, not only for the staff functions.
    chat_requires_login: bool = False

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir) if self.models_dir else self.data_dir / "models"

    @property
    def registry_path(self) -> Path:
        return self.data_dir / "registry.sqlite3"

    @property
    def language_gap_path(self) -> Path:
        return self.data_dir / "language_gap.npz"

    @property
    def sources_check_margins(self) -> dict[str, float]:
        """The sources check's margin per question language ("de" also stands for any other language)."""
        return {"de": self.sources_check_margin, "en": self.sources_check_margin_en}

    @property
    def reader_limits(self) -> ReaderLimits:
        return ReaderLimits(self.max_upload_mb, self.max_pdf_pages, self.max_read_seconds, self.max_read_memory_mb)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


# Retrieval settings tuned per embedder on the development sets (docs/retrieval.md): their scores differ
# in scale (e5's similarities are compressed near 0.8–0.9) and in what they need help with (e5 favours
# passages in the question's language). The field defaults above are the default embedder's; choosing
# another embedder brings its tuning, unless the TOML file or the environment sets a value itself.
EMBEDDER_TUNING: dict[str, dict[str, Any]] = {
    "gemma": {"chunk_size": 120, "chunk_overlap": 20, "keyword_weight": 0.3, "cross_lingual_keyword_weight": 0.1,
              "cross_lingual_boost": 0.03, "cross_lingual_shift": 1.0, "sentence_weight": 0.0,
              "embed_sentences": False, "min_relevance": 0.4},
    "e5": {"chunk_size": 220, "chunk_overlap": 40, "keyword_weight": 0.6, "cross_lingual_keyword_weight": 0.1,
           "cross_lingual_boost": 0.03, "cross_lingual_shift": 1.0, "sentence_weight": 1.5,
           "embed_sentences": True, "min_relevance": 0.76},
}


def tuned_for(settings: Settings, embedder: str) -> Settings:
    """The settings with another embedder and that embedder's tuned retrieval settings (for measuring
    embedders side by side; a configured deployment chooses through load_settings)."""
    return settings.replace(embedder=embedder, **EMBEDDER_TUNING.get(embedder, {}))


def _coerce(name: str, raw: Any, target: type) -> Any:
    try:
        if target is Path:
            return Path(raw)
        if target is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        return target(raw)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Setting '{name}' must be {target.__name__}, got {raw!r}") from error


def _field_types() -> dict[str, type]:
    types = {"Path": Path, "str": str, "int": int, "float": float, "bool": bool}
    return {f.name: types[f.type] for f in dataclasses.fields(Settings) if f.type in types}


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from code defaults, then the TOML file, then environment, then keyword overrides."""
    environ = os.environ if environ is None else environ
    types = _field_types()
    values: dict[str, Any] = {}

    path = config_file or Path(environ.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_FILE))
    if path.is_file():
        with path.open("rb") as handle:
            try:
                from_file = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"{path}: {error}") from error
        unknown = set(from_file) - set(types)
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
        values.update(from_file)
    elif config_file is not None:
        raise ConfigError(f"Config file {config_file} does not exist")

    for name in types:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
    values.update(overrides)
    embedder = str(values.get("embedder", Settings.embedder))
    values = {**{k: v for k, v in EMBEDDER_TUNING.get(embedder, {}).items() if k not in values}, **values}
    return Settings(**{name: _coerce(name, raw, types[name]) for name, raw in values.items()})
