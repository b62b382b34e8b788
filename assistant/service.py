"""The one API that the CLI, the web app, the evaluation and the tests call.

Parts are built lazily, so `klimawissen docs list` never loads an embedding model.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

from assistant.accounts import Accounts, LoginGuard
from assistant.aggregates import answer_aggregate, parse_aggregate
from assistant.answering import Answer, ExtractiveAnswerer
from assistant.answering.generative import GenerativeAnswerer
from assistant.answering.llms import openai_compatible_llm
from assistant.answering.local_model import LocalChatModel, LocalModelUnavailable
from assistant.audit import AuditLog
from assistant.config import ConfigError, Settings
from assistant.feedback import FeedbackStore
from assistant.language_shift import LanguageShift, stored_gap
from assistant.offline import enforce_offline
from assistant.conversation import model_rewrite, prompt_turns, standalone_query
from assistant.retrieval import HybridRetriever, Retrieval
from assistant.sessions import Sessions
from assistant.unanswered import UnansweredQueue
from indexing.database import open_database
from indexing.embedding import LocalEmbedding, make_embedder
from indexing.fact_store import FactStore
from indexing.facts import Fact
from indexing.errors import IngestError, UnsupportedFileError
from indexing.keyword import KeywordIndex
from indexing.pipeline import FAILED, UNCHANGED, FileProgress, FileResult, IngestPipeline, ProgressCallback
from indexing.readers import ReadDocument, check_size, read_file
from indexing.registry import READY, DocumentRecord, Registry
from indexing.splitting import Chunker
from indexing.store import ChunkStore, connect, drop_store
from indexing.vocabulary import DOC_TYPES, LANGUAGES, MEASURE_TYPES, SECTORS

enforce_offline()

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 120
# File systems allow 255 bytes per name, and an umlaut or emoji takes several bytes in UTF-8.
MAX_NAME_BYTES = 255
# A longer "extension" is no file type: such a name is cut like any other.
MAX_SUFFIX_CHARS = 10

# The metadata staff may correct, with the German name used in messages.
FIELD_LABELS = {
    "title": "Titel", "company": "Unternehmen", "sector": "Branche", "measure_types": "Maßnahmenart",
    "year": "Jahr", "language": "Sprache", "doc_type": "Dokumentart",
}
# Every document needs a title to be listed and a language for per-language retrieval.
REQUIRED_FIELDS = ("title", "language")
VOCABULARIES = {"sector": SECTORS, "measure_types": MEASURE_TYPES, "language": LANGUAGES, "doc_type": DOC_TYPES}
FIRST_YEAR, LAST_YEAR = 1990, 2100


def safe_file_name(filename: str) -> str:
    """The name an upload is stored under: its last path component, without control characters or leading
    dots, at most 120 characters with the extension kept, so no upload lands outside the uploads folder
    or hides from a folder sync there."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c) not in ("Cc", "Cf"))
    name = name.strip().lstrip(".")
    if not name:
        raise UnsupportedFileError("Der Dateiname ist ungültig. Bitte die Datei umbenennen.")
    suffix = Path(name).suffix if len(Path(name).suffix) <= MAX_SUFFIX_CHARS else ""
    stem = name[: len(name) - len(suffix)][: MAX_NAME_CHARS - len(suffix)]
    stem = stem.encode()[: MAX_NAME_BYTES - len(suffix.encode())].decode(errors="ignore")
    return stem + suffix


def checked_metadata(changes: dict[str, Any]) -> dict[str, Any]:
    """Staff's metadata changes as the index stores them, None for a cleared field; ValueError (German) if wrong."""
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        label = FIELD_LABELS.get(key)
        if label is None:
            raise ValueError(
                f"Das Feld „{key}“ kann nicht geändert werden; änderbar sind: {', '.join(FIELD_LABELS)}."
            )
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            if key in REQUIRED_FIELDS:
                raise ValueError(f"{label} darf nicht leer sein.")
            checked[key] = None
        elif key == "year":
            year = str(value).strip()
            if isinstance(value, bool) or not year.isdecimal() or not FIRST_YEAR <= int(year) <= LAST_YEAR:
                raise ValueError(f"Das Jahr muss eine Zahl von {FIRST_YEAR} bis {LAST_YEAR} sein, nicht „{value}“.")
            checked[key] = int(year)
        elif key == "measure_types":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, (list, tuple)):
                raise ValueError(f"{label}: bitte eine Liste von Maßnahmenarten angeben.")
            checked[key] = list(dict.fromkeys(_vocabulary_key(key, v) for v in values))
        elif key in VOCABULARIES:
            checked[key] = _vocabulary_key(key, value)
        elif isinstance(value, str):
            checked[key] = value
        else:
            raise ValueError(f"{label} muss ein Text sein.")
    return checked


def _vocabulary_key(field: str, value: Any) -> str:
    vocabulary = VOCABULARIES[field]
    key = value.strip() if isinstance(value, str) else value
    if not isinstance(key, str) or key not in vocabulary:
        raise ValueError(f"Unbekannte {FIELD_LABELS[field]} „{value}“; erlaubt sind: {', '.join(vocabulary)}.")
    return key


def _outcome(result: FileResult) -> str:
    """A file result as one line of the audit log."""
    return f"{result.status}: {result.message or f'{result.chunks} Abschnitte'}"


def _not_found(doc_id: str, path: Path) -> FileResult:
    return FileResult(path, FAILED, doc_id, message=f"Dokument „{doc_id}“ nicht gefunden.")


class IndexGeneration:
    """How often the index was rebuilt from nothing, in the SQLite file all app processes share.

    A re-index replaces the Chroma collection; another process still holding the old one open would fail
    every question until restarted. Reading this one number tells it to open the new one.
    """

    _SCHEMA = "CREATE TABLE IF NOT EXISTS index_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER)"

    def __init__(self, path: Path):
        self._db = open_database(path, self._SCHEMA)

    def current(self) -> int:
        row = self._db.execute("SELECT generation FROM index_generation").fetchone()
        return row[0] if row else 0

    def advance(self) -> None:
        self._db.execute(
            "INSERT INTO index_generation VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET generation = generation + 1"
        )


class index_part(cached_property):
    """A cached part built on the Chroma collection (store, pipeline, retriever): every use first checks
    the index generation, so the part is built anew after a re-index by this or another process."""

    def __get__(self, service, owner=None):
        if service is not None:
            service.follow_reindex()
        return super().__get__(service, owner)

    def __set__(self, service, value):
        # A data descriptor is asked on every use, also once the part is cached in the instance.
        service.__dict__[self.attrname] = value


class Klimawissen:
    def __init__(self, settings: Settings, embedder: LocalEmbedding | None = None):
        self.settings = settings
        self._embedder = embedder
        # Set when the configured answer backend could not start and a simpler one stands in.
        self.backend_notice = ""

    def variant(self, **changes: Any) -> "Klimawissen":
        """The same index (embedder, vectors, keyword index) with other retrieval or answer settings."""
        other = Klimawissen(self.settings.replace(**changes), embedder=self.embedder)
        other.__dict__.update(store=self.store, keyword=self.keyword)
        if "language_gap" in self.__dict__:
            other.__dict__["language_gap"] = self.language_gap
        return other

    @cached_property
    def embedder(self) -> LocalEmbedding:
        if self._embedder is not None:
            return self._embedder
        s = self.settings
        return make_embedder(s.embedder, s.embedder_model_path, s.embed_batch_size, s.embed_threads, s.models_path,
                             s.embed_dimensions, s.embed_precision)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.settings.registry_path)

    @cached_property
    def chroma_client(self):
        return connect(self.settings.chroma_url, self.settings.chroma_path)

    @index_part
    def store(self) -> ChunkStore:
        return ChunkStore(self.chroma_client, self.settings.collection, self.embedder.identity)

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.settings.registry_path)

    @index_part
    def pipeline(self) -> IngestPipeline:
        chunker = Chunker(self.settings.chunk_size, self.settings.chunk_overlap)
        return IngestPipeline(
            self.registry, self.store, self.keyword, self.embedder, chunker, self.fact_store,
            self.settings.reader_limits, fact_helper=self.fact_helper, embed_sentences=self.settings.embed_sentences,
        )

    @cached_property
    def fact_helper(self):
        """The chat model as a helper for measure facts (setting facts_llm); None: rules only."""
        if not self.settings.facts_llm:
            return None
        from indexing.fact_llm import FactHelper

        if isinstance(self.answerer, GenerativeAnswerer):
            return FactHelper(self.answerer.llm)  # the very model object the answers use
        # Same key (folder, threads, context) as the answerer's, so one loaded copy per process.
        return FactHelper(LocalChatModel(self.settings.models_path, threads=self.settings.llm_threads))

    @cached_property
    def fact_store(self) -> FactStore:
        return FactStore(self.settings.registry_path)

    def measure_facts(self, doc_id: str | None = None) -> list[Fact]:
        """The typed figures of the case studies (all, or one document's), each with its source."""
        return self.fact_store.for_document(doc_id) if doc_id else self.fact_store.all()

    def correct_fact(self, doc_id: str, field: str, value: Any, actor: str) -> None:
        """Staff set (or, with None, confirm) a fact; it stays so through re-ingest and new versions."""
        if self.registry.get(doc_id) is None:
            raise ValueError(f"Dokument „{doc_id}“ nicht gefunden.")
        self.fact_store.correct(doc_id, field, value)
        self.audit.record(actor, "fact.confirm" if value is None else "fact.correct", doc_id,
                          f"{field}: {value}" if value is not None else field)

    @index_part
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.store, self.keyword, self.embedder, s.fusion, s.keyword_weight, s.cross_lingual_keyword_weight,
            s.cross_lingual_boost, s.sentence_weight, self.reranker, live_versions=self.registry.live_versions,
            language_shift=self.language_shift,
        )

    @cached_property
    def language_gap(self):
        """e5's German−English gap, measured once per embedder and data directory, shared with variants."""
        return stored_gap(self.embedder, self.settings.language_gap_path)

    @property
    def language_shift(self) -> LanguageShift | None:
        if not self.settings.cross_lingual_shift:
            return None
        return LanguageShift(self.language_gap, self.settings.cross_lingual_shift)

    @cached_property
    def reranker(self):
        if not self.settings.reranker_model_path:
            return None
        from assistant.reranking import CrossEncoderReranker

        return CrossEncoderReranker(self.settings.reranker_model_path, self.settings.rerank_candidates)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer | GenerativeAnswerer:
        s = self.settings
        extractive = ExtractiveAnswerer(s.answer_sentences)
        if s.answer_backend == "extractive":
            return extractive
        margins = s.sources_check_margins if s.check_sources else None
        if s.answer_backend == "openai":
            return GenerativeAnswerer(openai_compatible_llm(s), "openai", extractive, s.max_context_chars,
                                      sources_check_margins=margins)
        if s.answer_backend == "local":
            model = LocalChatModel(s.models_path, threads=s.llm_threads)
            try:
                model.load()
            except LocalModelUnavailable as error:
                log.warning("local model unavailable (%s): answering extractively", error)
                self.backend_notice = (
                    f"Das lokale Sprachmodell ist nicht verfügbar ({error}); "
                    "Antworten werden als Auszug aus den Quellen gegeben."
                )
                return extractive
            return GenerativeAnswerer(model, "local", extractive, s.max_context_chars, sources_check_margins=margins)
        raise ConfigError(f"Unknown answer_backend '{s.answer_backend}': use 'extractive', 'local' or 'openai'")

    def ingest(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        return self.pipeline.ingest([Path(p) for p in paths], progress)

    def sync_folder(self, folder: Path, progress: ProgressCallback | None = None) -> tuple[list[FileResult], list[str]]:
        """Make the index mirror a folder: ingest new and changed files, drop documents whose file is gone."""
        return self.ingest([folder], progress), self.pipeline.prune_missing(Path(folder))

    def reindex(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        """Start over: drop all chunks and registry rows (e.g. after changing the embedder), then ingest."""
        # Held, so no other process publishes a document between the drop and the cleared registry.
        with self.registry.write_lock.held():
            drop_store(self.chroma_client, self.settings.collection)
            # After the drop: a process that reopens on the new generation must not find the old collection.
            self.index_generation.advance()
            self.registry.clear()
            self.keyword.clear()
            self.fact_store.clear()
        return self.ingest(paths, progress)

    @cached_property
    def index_generation(self) -> IndexGeneration:
        return IndexGeneration(self.settings.registry_path)

    def follow_reindex(self) -> None:
        """Forget the parts built on a Chroma collection that a re-index has replaced since."""
        generation = self.index_generation.current()
        opened = self.__dict__.setdefault("opened_generation", generation)  # the parts' first use opens them
        if opened != generation:
            for part in ("store", "pipeline", "retriever"):
                self.__dict__.pop(part, None)
            self.opened_generation = generation

    @cached_property
    def warmed_up(self) -> threading.Event:
        return threading.Event()

    def warm_up(self) -> None:
        """Open the index, load the embedder and (with the language shift on) measure its language gap
        now, so the first question does not pay for them."""
        self.store.count()
        self.embedder.get_query_embedding("Aufwärmen")
        _ = self.language_shift
        self.warmed_up.set()

    def retrieve(
        self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None
    ) -> Retrieval:
        """Passages for a question; `history` holds the earlier questions of the conversation."""
        query, _ = self.standalone(question.strip(), history)
        if not query:
            return Retrieval(query)
        return self.retriever.retrieve(query, self.settings.top_k, filters)

    def standalone(self, question: str, history: list[str] | None) -> tuple[str, str]:
        """(what retrieval searches with, what the answer reads). With `follow_up_model` and a generating
        backend the model's restatement is both; otherwise (and whenever the model gives none) the rule's
        query and the question as asked."""
        restated = None
        if self.settings.follow_up_model and history and isinstance(self.answerer, GenerativeAnswerer):
            restated = model_rewrite(self.answerer.llm, question, history)
        return (restated, restated) if restated else (standalone_query(question, history or []), question)

    def read_question(self, question: str, history: list[str] | None) -> tuple[str, str, list[str]]:
        """`standalone`'s (query, question the answer reads) and the earlier turns shown beside it: a
        follow-up the rule read with earlier turns is answered with those turns in the prompt."""
        query, read = self.standalone(question, history)
        return query, read, prompt_turns(history) if history and query != read else []

    @cached_property
    def question_slots(self) -> threading.BoundedSemaphore:
        """Many chats at once queue here in arrival order instead of all slowing down together."""
        return threading.BoundedSemaphore(self.settings.parallel_questions)

    @cached_property
    def unanswered(self) -> UnansweredQueue:
        return UnansweredQueue(self.settings.registry_path)

    def ask(self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None) -> Answer:
        *_, final = self.ask_stream(question, history, filters)
        return final

    def ask_stream(
        self, question: str, history: list[str] | None = None, filters: dict[str, Any] | None = None
    ) -> Iterator[Answer]:
        """Answers as they improve: with a generating backend first the sources and the extractive draft,
        then the model's text while it is written, last the checked answer (`answer.final`)."""
        question = question.strip()
        # Only a question over all case studies reads the facts; every other question goes straight on.
        aggregate = (answer_aggregate(question, self.measure_facts(), self.documents())
                     if not history and parse_aggregate(question) else None)
        if aggregate is not None:
            yield aggregate
            return
        query, question, earlier = self.read_question(question, history)  # a restated follow-up is what the answer reads
        with self.question_slots:  # the part that needs the cores: embedding, search, the extractive answer
            retrieval = self.retrieve(query, None, filters)  # the history is in `query` already
            if retrieval.passages and retrieval.relevance < self.settings.min_relevance:
                stream = iter([self.answerer.nothing_found(question, retrieval.passages)])
            else:
                stream = self.answerer.stream(question, retrieval.passages, earlier)
            first = next(stream)
        for answer in itertools.chain([first], stream):
            if answer.final and answer.abstained and question:
                self.unanswered.record(question, list(dict.fromkeys(p.title for p in retrieval.passages))[:3])
            yield answer

    def documents(self) -> list[DocumentRecord]:
        return self.registry.all()

    def document_metadata(self, doc_id: str) -> dict[str, Any]:
        """The metadata a document is indexed with, corrections included; {} for an unknown id."""
        record = self.registry.get(doc_id)
        return dict(record.metadata) if record else {}

    def document_file(self, doc_id: str) -> Path | None:
        """The original file of a published document, for download. The id is only looked up in the
        registry, never joined into a path, so no other file under the data directory can be reached."""
        record = self.registry.get(doc_id)
        if record is None or record.status != READY:
            return None
        path = Path(record.source_path)
        return path if path.is_file() else None

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "documents"

    def upload(
        self, files: list[tuple[str, bytes]], actor: str, progress: ProgressCallback | None = None
    ) -> list[FileResult]:
        """Store uploaded files in the uploads folder and index them; each is checked first, so a bad
        file (or a bad new version of an uploaded one) changes nothing."""
        results = []
        for position, (filename, data) in enumerate(files, start=1):
            try:
                name = safe_file_name(filename)
            except IngestError as error:
                name = filename
                result = FileResult(Path(filename), FAILED, message=str(error))
            else:
                within = (lambda share, p=position, n=name: progress(p - 1 + share, len(files), Path(n))) if progress else None
                result = self._publish(self.uploads_dir / name, data, progress=within)
            self.audit.record(actor, "document.upload", result.doc_id or name, _outcome(result))
            results.append(result)
            if progress:
                progress(position, len(files), Path(name))
        return results

    def replace_document(self, doc_id: str, filename: str, data: bytes, actor: str) -> FileResult:
        """A new version of a document. It is stored in the uploads folder under the document's own file
        name, which keeps its id, even where the original came from another folder."""
        record = self.registry.get(doc_id)
        if record is None:
            result = _not_found(doc_id, Path(filename))
        elif Path(filename).suffix.lower() != Path(record.source_path).suffix.lower():
            result = FileResult(
                Path(filename), FAILED, doc_id, record.title,
                message=f"Die neue Fassung muss wie die bisherige eine {Path(record.source_path).suffix}-Datei sein.",
            )
        else:
            result = self._publish(self.uploads_dir / Path(record.source_path).name, data, replaces=doc_id)
        self.audit.record(actor, "document.replace", doc_id, _outcome(result))
        return result

    def _publish(self, target: Path, data: bytes, replaces: str = "", progress: FileProgress | None = None) -> FileResult:
        """Check `data` as the file `target`, then store and index it there.

        The previous file is kept aside until the new one is indexed and put back if that fails, so a
        bad version leaves file, registry row and chunks as they were.
        """
        try:
            check_size(len(data), self.settings.reader_limits)
        except IngestError as error:
            return FileResult(target, FAILED, replaces, message=str(error))
        staging = self.uploads_dir / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=staging))
        try:
            staged, backup = work / target.name, work / "vorherige-fassung"
            try:
                staged.write_bytes(data)
                self._check_identity(read_file(staged, self.settings.reader_limits), target, replaces)
                if target.exists():
                    shutil.copy2(target, backup)
                os.replace(staged, target)
            except IngestError as error:
                return FileResult(target, FAILED, replaces, message=str(error))
            except OSError as error:
                return FileResult(
                    target, FAILED, replaces, message=f"Die Datei kann nicht gespeichert werden: {error.strerror}"
                )
            result = None
            try:
                result = self.pipeline.ingest_file(target, progress=progress)
            finally:
                if result is None or not result.ok:
                    if backup.exists():
                        os.replace(backup, target)
                    else:
                        target.unlink(missing_ok=True)
            return result
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _check_identity(self, document: ReadDocument, target: Path, replaces: str) -> None:
        """Refuse a file that would overwrite another document, under its id or in its file."""
        if replaces and document.doc_id != replaces:
            raise IngestError(
                f"Die neue Fassung hätte die Dokument-ID „{document.doc_id}“ statt „{replaces}“ "
                "(die ID steht im Kopfbereich bzw. in den PDF-Metadaten)."
            )
        owner = self.registry.get(document.doc_id)
        if not replaces and owner and Path(owner.source_path) != target.resolve():
            raise IngestError(
                f"Es gibt schon das Dokument „{owner.title}“ mit der ID „{owner.doc_id}“ aus der Datei "
                f"{Path(owner.source_path).name}. Bitte die Datei dort als neue Version hochladen."
            )
        previous = self.registry.from_source(str(target.resolve()))
        if previous and previous.doc_id != document.doc_id:
            raise IngestError(
                f"Die Datei {target.name} gehört zum Dokument „{previous.title}“ ({previous.doc_id}); "
                f"die neue Fassung hätte die ID „{document.doc_id}“."
            )

    def update_metadata(self, doc_id: str, changes: dict[str, Any], actor: str) -> FileResult:
        """Correct a document's metadata. Kept as overrides in the registry, so they also hold for every
        later ingest, re-index or new version of the document."""
        record = self.registry.get(doc_id)
        changed: dict[str, Any] = {}
        if record is None:
            result = _not_found(doc_id, Path(doc_id))
        else:
            try:
                changed = {k: v for k, v in checked_metadata(changes).items() if record.metadata.get(k) != v}
            except ValueError as error:
                result = FileResult(
                    Path(record.source_path), FAILED, doc_id, record.title, record.chunk_count, str(error)
                )
            else:
                result = self._apply_metadata(record, changed)
        detail = _outcome(result) + (f"; {json.dumps(changed, ensure_ascii=False)}" if changed else "")
        self.audit.record(actor, "document.metadata", doc_id, detail)
        return result

    def _apply_metadata(self, record: DocumentRecord, changed: dict[str, Any]) -> FileResult:
        """Save the changes and ingest the stored file again with them; undo the save if that fails.

        Vectors are reused by text, so only chunks whose embedded text changed (a new title) are embedded.
        """
        source = Path(record.source_path)
        if not changed:
            return FileResult(source, UNCHANGED, record.doc_id, record.title, record.chunk_count, "Keine Änderungen.")
        previous = self.registry.overrides(record.doc_id)
        self.registry.set_overrides(record.doc_id, {**previous, **changed})
        result = None
        try:
            result = self.pipeline.ingest_file(source, force=True)
        finally:
            if result is None or not result.ok:
                self.registry.set_overrides(record.doc_id, previous)
        if not result.ok:
            return result
        return dataclasses.replace(result, message="Metadaten geändert: " + ", ".join(changed))

    def delete_document(self, doc_id: str, actor: str = "cli") -> bool:
        """Remove a document and its corrections; an uploaded original is deleted too, or a later sync of
        the uploads folder would bring it back."""
        record = self.registry.get(doc_id)
        if record and Path(record.source_path).is_relative_to(self.uploads_dir.resolve()):
            Path(record.source_path).unlink(missing_ok=True)
        deleted = self.pipeline.delete(doc_id)
        if deleted:
            self.audit.record(actor, "document.delete", doc_id, record.title if record else "")
        return deleted

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.settings.registry_path)

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.settings.registry_path)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.settings.registry_path)

    @cached_property
    def sessions(self) -> Sessions:
        return Sessions(self.settings.registry_path, self.settings.session_hours * 3600)

    @cached_property
    def login_guard(self) -> LoginGuard:
        return LoginGuard(self.settings.registry_path, attempts=self.settings.login_attempts)
