"""Ingestion: files in, per-file results out. One bad file never stops the batch or touches the index.

Per file: read → (skip if these bytes are already indexed) → apply the metadata staff corrected →
split → embed → write the document's new version → publish it → drop the old version. Everything
that can fail on bad input happens before the store is written, so a rejected file leaves the index
as it was.

Writing is crash-safe per document: the new version's chunks go into Chroma beside the old ones (which
stay answerable, retrieval serves only the version the registry names), then one SQLite transaction
switches registry row, keyword rows and facts to the new version, then the old chunks are deleted. A
process killed in between leaves chunks of a version no registry row names and a marked, unpublished
write; indexing/consistency.py finds and repairs both, and the next ingest of the file redoes it.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from indexing.embedding import LocalEmbedding
from indexing.errors import IngestError, UnsupportedFileError
from indexing.fact_store import FactStore
from indexing.facts import extract_facts
from indexing.keyword import KeywordIndex
from indexing.readers import SUPPORTED_EXTENSIONS, ReadDocument, ReaderLimits, check_size, read_file
from indexing.readers.base import content_hash
from indexing.registry import READY, Registry
from indexing.sentence_vectors import METADATA_KEY as SENTENCE_VECTORS
from indexing.sentence_vectors import encode
from indexing.splitting import Chunker, embedding_input, input_key, sentence_inputs
from indexing.store import ChunkStore

log = logging.getLogger(__name__)

ADDED, UPDATED, UNCHANGED, FAILED = "added", "updated", "unchanged", "failed"

# Measure facts are read from case studies; a document without a declared type may be one.
CASE_STUDY = "case-study"

# Bump when readers or splitting change what a file turns into: every file is then processed again.
PIPELINE_VERSION = 7  # 7: each chunk's sentences embedded one by one; 6: fact rules from four blind sets (totals, scales, named amounts); 5: more notations

# Test hook, used by tests/indexing/test_crash_safety.py: with KLIMAWISSEN_TEST_STOP_AT="chunks-written:2"
# the process stops itself (SIGSTOP) the 2nd time a document write reaches that stage ("begun",
# "chunks-written", "published"), so the test can SIGKILL it at that exact point of a batch.
STOP_AT_VARIABLE = "KLIMAWISSEN_TEST_STOP_AT"
_stages_reached: Counter[str] = Counter()


def _stage_reached(stage: str) -> None:
    _stages_reached[stage] += 1
    if os.environ.get(STOP_AT_VARIABLE) == f"{stage}:{_stages_reached[stage]}":
        os.kill(os.getpid(), signal.SIGSTOP)


@dataclass(frozen=True)
class FileResult:
    path: Path
    status: str
    doc_id: str = ""
    title: str = ""
    chunks: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != FAILED


# (files done, files in the batch, current file); `done` grows in fractions while a long file is embedded.
ProgressCallback = Callable[[float, int, Path], None]
# Share of the current file's embedding done, 0 … 1.
FileProgress = Callable[[float], None]


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the supported files in them; files named explicitly are kept whatever their type."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            files.append(path)
    return files


class IngestPipeline:
    def __init__(
        self, registry: Registry, store: ChunkStore, keyword: KeywordIndex, embedder: LocalEmbedding, chunker: Chunker,
        facts: FactStore | None = None, limits: ReaderLimits = ReaderLimits(), fact_helper=None,
        embed_sentences: bool = False,
    ):
        self.registry = registry
        self.facts = facts
        self.fact_helper = fact_helper  # indexing.fact_llm.FactHelper when the setting facts_llm is on
        self.store = store
        self.keyword = keyword
        self.embedder = embedder
        self.chunker = chunker
        self.limits = limits
        # Files indexed by another reader version or chunking are not "unchanged", even with equal bytes.
        self.fingerprint = f"v{PIPELINE_VERSION}/size{chunker.chunk_size}/overlap{chunker.chunk_overlap}"
        if fact_helper is not None:  # switching the model helper on (or off) reads the case studies again
            self.fingerprint += "/facts-llm"
        # Each chunk's sentences embedded one by one, for retrieval's best-sentence list and the
        # extractive answer; switching it on embeds the documents again.
        self.embed_sentences = embed_sentences
        if not embed_sentences:
            self.fingerprint += "/no-sentences"

    def ingest(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        files = collect_files(paths)
        results = []
        for position, path in enumerate(files, start=1):
            within = (lambda share, p=position, f=path: progress(p - 1 + share, len(files), f)) if progress else None
            results.append(self.ingest_file(path, progress=within))
            if progress:
                progress(position, len(files), path)
        return results

    def ingest_file(self, path: Path, force: bool = False, progress: FileProgress | None = None) -> FileResult:
        """Index one file; `force` processes unchanged bytes again (after staff corrected its metadata);
        `progress` hears how much of the file's embedding is done, so a 300-page report shows movement."""
        source = str(path.resolve())
        try:
            if not path.is_file():
                raise UnsupportedFileError("Die Datei wurde nicht gefunden.")
            check_size(path.stat().st_size, self.limits)
            known = None if force else self.registry.find_unchanged(
                source, content_hash(path.read_bytes()), self.fingerprint
            )
            if known:
                return FileResult(path, UNCHANGED, known.doc_id, known.title, known.chunk_count, "unverändert")
            document = read_file(path, self.limits)
            self._apply_overrides(document)
            nodes = self.chunker.split(document)
            if not nodes:
                raise IngestError("Die Datei enthält keinen verwertbaren Text.")
            embeddings = self._embed(document.doc_id, nodes, progress)
            is_case_study = document.metadata.get("doc_type", CASE_STUDY) == CASE_STUDY
            facts = extract_facts(document, self.fact_helper) if is_case_study else []
        except IngestError as error:
            return FileResult(path, FAILED, message=str(error))
        except OSError as error:
            return FileResult(path, FAILED, message=f"Die Datei kann nicht gelesen werden: {error.strerror}")

        record = dict(
            title=document.title, source_path=source, file_type=document.file_type,
            content_hash=document.content_hash, pipeline=self.fingerprint, chunk_count=len(nodes),
            metadata=document.metadata,
        )
        version = _new_version(nodes)
        with self.registry.write_lock.held():
            previous = self.registry.get(document.doc_id)
            self.registry.begin_write(document.doc_id, version, **record)
            _stage_reached("begun")
            self.store.add(nodes, embeddings)
            _stage_reached("chunks-written")
            writes = self.keyword.replace_writes(document.doc_id, nodes)
            if self.facts is not None:
                writes += self.facts.replace_writes(document.doc_id, facts)
            self.registry.publish(document.doc_id, version, writes, **record)
            _stage_reached("published")
            self.store.delete_other_versions(document.doc_id, version)
        log.info("indexed %s as %s (%d chunks)", path, document.doc_id, len(nodes))
        status = UPDATED if previous and previous.status == READY else ADDED
        return FileResult(path, status, document.doc_id, document.title, len(nodes))

    def _apply_overrides(self, document: ReadDocument) -> None:
        """Staff corrections win over what the reader found, so chunks, filters and registry show them."""
        for key, value in self.registry.overrides(document.doc_id).items():
            if value is None:
                document.metadata.pop(key, None)
            else:
                document.metadata[key] = value

    def _embed(self, doc_id: str, nodes: list, progress: FileProgress | None = None) -> list[list[float]]:
        """Vectors for the nodes and, into their metadata, for each of their sentences, reusing those the
        document already has for identical text; embedded in the embedder's batches, shortest texts
        first (a batch of like lengths pads little), reporting after each."""
        inputs = [embedding_input(node) for node in nodes]
        keys = [input_key(item) for item in inputs]
        for node, key in zip(nodes, keys):
            node.metadata["embedding_key"] = key
        known, known_sentences = self.store.vectors_by_key(doc_id)
        todo = [i for i, key in enumerate(keys) if key not in known]
        sentences = {i: sentence_inputs(nodes[i]) for i, key in enumerate(keys)
                     if key not in known_sentences and self.embed_sentences}
        jobs = [(i, None, inputs[i]) for i in todo] + [
            (i, n, item) for i, items in sentences.items() for n, item in enumerate(items)
        ]
        jobs.sort(key=lambda job: len(job[2][0]) + len(job[2][1]))
        vectors: dict[tuple, list[float]] = {}
        batch = max(1, self.embedder.embed_batch_size)
        for start in range(0, len(jobs), batch):
            part = jobs[start:start + batch]
            embedded = self.embedder.embed_documents([item for _, _, item in part])
            vectors.update(((i, n), vector) for (i, n, _), vector in zip(part, embedded))
            if progress and len(vectors) < len(jobs):  # the file's end is reported by the caller
                progress(len(vectors) / len(jobs))
        for i, key in enumerate(keys):
            if i in sentences:
                nodes[i].metadata[SENTENCE_VECTORS] = encode([vectors[(i, n)] for n in range(len(sentences[i]))])
            elif self.embed_sentences:
                nodes[i].metadata[SENTENCE_VECTORS] = known_sentences[key]
        return [vectors[(i, None)] if (i, None) in vectors else known[keys[i]] for i in range(len(nodes))]

    def prune_missing(self, folder: Path) -> list[str]:
        """Delete documents that were ingested from inside `folder` but whose file is gone from it."""
        root = folder.resolve()
        gone = [
            record.doc_id for record in self.registry.all()
            if Path(record.source_path).is_relative_to(root) and not Path(record.source_path).exists()
        ]
        for doc_id in gone:
            self.delete(doc_id)
        return gone

    def delete(self, doc_id: str) -> bool:
        """Remove a document and every chunk of it; False if it was not known. Registry row, keyword rows
        and facts go first, in one transaction, so a crash can only leave chunks that no document owns."""
        with self.registry.write_lock.held():
            known = self.registry.get(doc_id) is not None or self.store.count(doc_id) > 0
            writes = self.keyword.delete_writes(doc_id)
            if self.facts is not None:
                writes += self.facts.delete_writes(doc_id)
            self.registry.delete(doc_id, writes)
            self.store.delete_document(doc_id)
        return known


def _new_version(nodes: list) -> str:
    """Give the chunks of this write their own version: in their metadata, and in their ids, so they can
    stand in the store beside the document's live version until they replace it."""
    version = secrets.token_hex(4)
    for node in nodes:
        node.metadata["version"] = version
        node.id_ = f"{node.id_}@{version}"
    return version
