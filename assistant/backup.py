"""Backup and restore of a data directory as one .tar.gz archive.

The archive holds the SQLite database (documents, keyword index, facts, accounts, sessions, feedback,
audit log, unanswered questions) copied with SQLite's online backup API, every chunk of the vector store
with its vector (read through Chroma's API, so this works alike for the embedded store and a `chroma run`
server), and the uploaded files. Database and chunks are taken while holding the index write lock, so
they show the same document versions. Not included: the local answer model (data/models, rebuilt from
its packages) and files ingested from folders outside the data directory (they stay where they are).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from llama_index.core.schema import TextNode

from assistant.config import Settings
from indexing.registry import READY, Registry
from indexing.store import WRITE_BATCH, ChunkStore, connect, drop_store, stored_embedder

FORMAT = 1
MANIFEST, DATABASE, CHUNKS, UPLOADS = "manifest.json", "registry.sqlite3", "chunks.jsonl", "documents"
STAGING = ".staging"  # uploads being checked (assistant/service.py)
# Kept by `restore --force`: big, and rebuilt from packages anyway.
KEPT_ON_FORCE = ("models",)


class BackupError(Exception):
    """A backup or restore cannot be done; the message (German) says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    archive: Path
    documents: int
    chunks: int
    uploads: int
    vector_source: str  # where the vectors were read from, for the message


def backup(settings: Settings, destination: Path) -> BackupSummary:
    """Write the archive to `destination` (a file name, or a folder to put a dated archive in)."""
    if destination.is_dir():
        destination = destination / f"klimawissen-backup-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    destination.parent.mkdir(parents=True, exist_ok=True)
    registry = Registry(settings.registry_path)
    client = connect(settings.chroma_url, settings.chroma_path)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".klimawissen-backup-") as work:
        work_dir = Path(work)
        with registry.write_lock.held():
            _copy_database(settings.registry_path, work_dir / DATABASE)
            embedder = stored_embedder(client, settings.collection)
            chunks = _export_chunks(ChunkStore(client, settings.collection, embedder), work_dir / CHUNKS) if embedder else 0
            documents = sum(record.status == READY for record in registry.all())
        registry.close()
        uploads = settings.data_dir / UPLOADS
        manifest = {
            "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "data_dir": str(settings.data_dir.resolve()), "collection": settings.collection,
            "embedder": embedder, "chunks": chunks, "documents": documents,
        }
        (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            for name in (MANIFEST, DATABASE, CHUNKS):
                if (work_dir / name).exists():
                    archive.add(work_dir / name, arcname=name)
            if uploads.is_dir():
                archive.add(uploads, arcname=UPLOADS, filter=_without_staging)
        partial.replace(destination)
    source = f"Chroma-Server {settings.chroma_url}" if settings.chroma_url else "eingebetteter Chroma-Index"
    return BackupSummary(destination, documents, chunks, _count_files(uploads), source)


def restore(settings: Settings, archive_path: Path, force: bool = False) -> int:
    """Restore an archive into the configured data directory (and vector store); the number of chunks."""
    data_dir = settings.data_dir
    client = connect(settings.chroma_url, settings.chroma_path) if settings.chroma_url else None
    occupied = _occupied(data_dir, client, settings.collection)
    if occupied and not force:
        raise BackupError(f"{occupied} ist nicht leer. Wiederherstellen nur in ein leeres Datenverzeichnis, "
                          "oder mit --force (ersetzt den bisherigen Inhalt).")
    with tempfile.TemporaryDirectory(prefix="klimawissen-restore-") as work:
        work_dir = Path(work)
        manifest = _unpack(archive_path, work_dir)
        if occupied:
            _empty(data_dir, client, settings.collection)
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work_dir / DATABASE, settings.registry_path)
        if (work_dir / UPLOADS).is_dir():
            shutil.copytree(work_dir / UPLOADS, data_dir / UPLOADS)
        registry = Registry(settings.registry_path)
        registry.relocate_sources(Path(manifest["data_dir"]), data_dir.resolve())
        registry.close()
        if not manifest["embedder"]:
            return 0
        store = ChunkStore(client or connect("", settings.chroma_path), settings.collection, manifest["embedder"])
        return _import_chunks(store, work_dir / CHUNKS)


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy even while other processes write (WAL included), unlike copying the file."""
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        live.close()
        copy.close()


def _export_chunks(store: ChunkStore, target: Path) -> int:
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for page in store.pages(["documents", "metadatas", "embeddings"]):
            for chunk_id, text, metadata, vector in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
                row = {"id": chunk_id, "text": text, "metadata": metadata, "embedding": [float(v) for v in vector]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count


def _import_chunks(store: ChunkStore, source: Path) -> int:
    count = 0
    batch: list[dict] = []
    with source.open(encoding="utf-8") as rows:
        for line in rows:
            batch.append(json.loads(line))
            if len(batch) == WRITE_BATCH:
                count += _add(store, batch)
                batch = []
    return count + _add(store, batch)


def _add(store: ChunkStore, rows: list[dict]) -> int:
    store.add([TextNode(id_=r["id"], text=r["text"], metadata=r["metadata"]) for r in rows], [r["embedding"] for r in rows])
    return len(rows)


def _unpack(archive_path: Path, work_dir: Path) -> dict:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(work_dir, filter="data")
        manifest = json.loads((work_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, ValueError) as error:
        raise BackupError(f"{archive_path} ist keine lesbare Klimawissen-Sicherung ({error}).") from error
    if manifest.get("format") != FORMAT or not (work_dir / DATABASE).is_file():
        raise BackupError(f"{archive_path} ist keine Klimawissen-Sicherung im Format {FORMAT}.")
    return manifest


def _occupied(data_dir: Path, client, collection: str) -> str:
    """What a restore would overwrite, named for the message; '' if nothing."""
    if data_dir.is_dir() and any(p.name not in KEPT_ON_FORCE for p in data_dir.iterdir()):
        return f"Das Datenverzeichnis {data_dir}"
    if client is not None and stored_embedder(client, collection) is not None:
        return f"Die Sammlung {collection} auf dem Chroma-Server"
    return ""


def _empty(data_dir: Path, client, collection: str) -> None:
    if data_dir.is_dir():
        for path in data_dir.iterdir():
            if path.name in KEPT_ON_FORCE:
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if client is not None:
        drop_store(client, collection)


def _without_staging(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Half-uploaded files waiting in the staging folder are no part of the index."""
    return None if STAGING in Path(member.name).parts else member


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and STAGING not in p.parts) if folder.is_dir() else 0
