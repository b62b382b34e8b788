"""Ingestion: files in, per-file results out. One bad file never stops the batch or touches the index.

Per file: read → (skip if these bytes are already indexed) → apply the metadata staff corrected →
split → embed → replace the document's chunks in the store → record it in the registry. Everything
that can fail on bad input happens before the store is written, so a rejected file leaves the index
as it was.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from indexing.embedding import LocalEmbedding
from indexing.errors import IngestError, UnsupportedFileError
from indexing.fact_store import FactStore
from indexing.facts import extract_facts
from indexing.keyword import KeywordIndex
from indexing.readers import SUPPORTED_EXTENSIONS, ReadDocument, read_file
from indexing.readers.base import content_hash
from indexing.registry import INDEXING, READY, Registry
from indexing.splitting import Chunker, embedding_text
from indexing.store import ChunkStore

log = logging.getLogger(__name__)

ADDED, UPDATED, UNCHANGED, FAILED = "added", "updated", "unchanged", "failed"

# Measure facts are read from case studies; a document without a declared type may be one.
CASE_STUDY = "case-study"

# Bump when readers or splitting change what a file turns into: every file is then processed again.
PIPELINE_VERSION = 4  # 4: measure facts are extracted from case studies


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


ProgressCallback = Callable[[int, int, Path], None]


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
        facts: FactStore | None = None,
    ):
        self.registry = registry
        self.facts = facts
        self.store = store
        self.keyword = keyword
        self.embedder = embedder
        self.chunker = chunker
        # Files indexed by another reader version or chunking are not "unchanged", even with equal bytes.
        self.fingerprint = f"v{PIPELINE_VERSION}/size{chunker.chunk_size}/overlap{chunker.chunk_overlap}"

    def ingest(self, paths: Iterable[Path], progress: ProgressCallback | None = None) -> list[FileResult]:
        files = collect_files(paths)
        results = []
        for position, path in enumerate(files, start=1):
            results.append(self.ingest_file(path))
            if progress:
                progress(position, len(files), path)
        return results

    def ingest_file(self, path: Path, force: bool = False) -> FileResult:
        """Index one file; `force` processes unchanged bytes again (after staff corrected its metadata)."""
        source = str(path.resolve())
        try:
            if not path.is_file():
                raise UnsupportedFileError("Die Datei wurde nicht gefunden.")
            known = None if force else self.registry.find_unchanged(
                source, content_hash(path.read_bytes()), self.fingerprint
            )
            if known:
                return FileResult(path, UNCHANGED, known.doc_id, known.title, known.chunk_count, "unverändert")
            document = read_file(path)
            self._apply_overrides(document)
            nodes = self.chunker.split(document)
            if not nodes:
                raise IngestError("Die Datei enthält keinen verwertbaren Text.")
            embeddings = self._embed(document.doc_id, nodes)
            facts = extract_facts(document) if document.metadata.get("doc_type", CASE_STUDY) == CASE_STUDY else []
        except IngestError as error:
            return FileResult(path, FAILED, message=str(error))
        except OSError as error:
            return FileResult(path, FAILED, message=f"Die Datei kann nicht gelesen werden: {error.strerror}")

        previous = self.registry.get(document.doc_id)
        record = dict(
            title=document.title, source_path=source, file_type=document.file_type,
            content_hash=document.content_hash, pipeline=self.fingerprint, chunk_count=len(nodes),
            metadata=document.metadata,
        )
        self.registry.upsert(document.doc_id, status=INDEXING, **record)
        self.store.delete_document(document.doc_id)
        self.store.add(nodes, embeddings)
        self.keyword.delete_document(document.doc_id)
        self.keyword.add(nodes)
        if self.facts is not None:
            self.facts.replace(document.doc_id, facts)
        self.registry.upsert(document.doc_id, status=READY, **record)
        log.info("indexed %s as %s (%d chunks)", path, document.doc_id, len(nodes))
        return FileResult(path, UPDATED if previous else ADDED, document.doc_id, document.title, len(nodes))

    def _apply_overrides(self, document: ReadDocument) -> None:
        """Staff corrections win over what the reader found, so chunks, filters and registry show them."""
        for key, value in self.registry.overrides(document.doc_id).items():
            if value is None:
                document.metadata.pop(key, None)
            else:
                document.metadata[key] = value

    def _embed(self, doc_id: str, nodes: list) -> list[list[float]]:
        """Vectors for the nodes, reusing those the document already has for identical text."""
        texts = [embedding_text(node) for node in nodes]
        keys = [hashlib.sha256(text.encode()).hexdigest()[:24] for text in texts]
        for node, key in zip(nodes, keys):
            node.metadata["embedding_key"] = key
        known = self.store.embeddings_by_key(doc_id)
        todo = [i for i, key in enumerate(keys) if key not in known]
        fresh = dict(zip(todo, self.embedder.get_text_embedding_batch([texts[i] for i in todo]))) if todo else {}
        return [fresh[i] if i in fresh else known[keys[i]] for i in range(len(nodes))]

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
        """Remove a document and every chunk of it; False if it was not known."""
        known = self.registry.get(doc_id) is not None or self.store.count(doc_id) > 0
        self.store.delete_document(doc_id)
        self.keyword.delete_document(doc_id)
        if self.facts is not None:
            self.facts.delete_document(doc_id)
        self.registry.delete(doc_id)
        return known
