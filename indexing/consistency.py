"""Do registry, vector store (Chroma), keyword index and facts agree? `inspect` says where they do not,
`repair` puts it right. Run by `klimawissen check [--repair]`, and at a server start when `counts_agree`
fails.

What can be found (the pipeline writes so that a crash leaves only the first two, see indexing/pipeline.py):
- an interrupted write: a document write began and was never published;
- orphan chunks: chunks in Chroma of no published document version (a cut-short or replaced write);
- orphan keyword rows, orphan facts: rows of no published document;
- a published document with chunks missing in Chroma, or keyword rows missing or doubled.

Repair deletes orphans, rebuilds a document's keyword rows from its chunks, and ingests an interrupted
or incomplete document again from its file; without the file an unpublished document is dropped, an
interrupted new version is discarded (the old one stays) and an incomplete document is removed.
Everything is read and cleaned while holding the write lock, so no ingest runs meanwhile.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from indexing.pipeline import IngestPipeline
from indexing.registry import READY, DocumentRecord

INTERRUPTED = "interrupted"
ORPHAN_CHUNKS = "orphan-chunks"
ORPHAN_KEYWORD = "orphan-keyword"
ORPHAN_FACTS = "orphan-facts"
MISSING_CHUNKS = "missing-chunks"
KEYWORD_MISMATCH = "keyword-mismatch"


@dataclass(frozen=True)
class Problem:
    kind: str
    doc_id: str
    message: str  # German, for the pact office
    chunk_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    documents: int  # published
    chunks: int  # in the vector store
    keyword_rows: int
    fact_documents: int
    embedder: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RepairResult:
    actions: list[str]  # German, one line per thing done
    report: Report  # the state afterwards


def inspect(pipeline: IngestPipeline) -> Report:
    """Compare the four stores; hold the write lock, so no half-finished write is mistaken for a leftover."""
    with pipeline.registry.write_lock.held():
        return _inspect(pipeline)


def counts_agree(pipeline: IngestPipeline) -> bool:
    """The check a server start can afford: no write interrupted, and as many chunks in Chroma and rows in
    the keyword index as the published documents have, facts only of published documents. Reading every
    chunk's metadata takes 10 s at 100k chunks; this needs counts only. Every state a killed ingest can
    leave (an interrupted write, orphan chunks of a replaced version) fails it; the full `inspect` is
    for everything else (`klimawissen check`)."""
    with pipeline.registry.write_lock.held():
        records = pipeline.registry.all()
        if any(record.interrupted for record in records):
            return False
        published = [record for record in records if record.status == READY]
        expected = sum(record.chunk_count for record in published)
        facts = pipeline.facts.documents() if pipeline.facts is not None else set()
        return (pipeline.store.count() == expected and pipeline.keyword.count() == expected
                and facts <= {record.doc_id for record in published})


def repair(pipeline: IngestPipeline) -> RepairResult:
    """Fix what `inspect` finds; documents to ingest again are ingested after the clean-up."""
    with pipeline.registry.write_lock.held():
        found = _inspect(pipeline)
        if found.ok:
            return RepairResult([], found)
        records = {record.doc_id: record for record in pipeline.registry.all()}
        actions, again = _clean_up(pipeline, found, records)
    incomplete = {problem.doc_id for problem in found.problems if problem.kind == MISSING_CHUNKS}
    for record in again:
        actions.append(_ingest_again(pipeline, record, record.doc_id in incomplete))
    return RepairResult(actions, inspect(pipeline))


def report_lines(report: Report) -> list[str]:
    """The report as staff read it."""
    lines = [
        f"Dokumente: {report.documents} verfügbar",
        f"Suchindex: {report.chunks} Abschnitte (Vektoren), {report.keyword_rows} Einträge (Stichwörter); "
        f"Kennzahlen zu {report.fact_documents} Dokumenten",
        f"Embedder: {report.embedder} (passt zur Konfiguration)",
    ]
    if report.ok:
        return lines + ["Alles in Ordnung: Register, Suchindex, Stichwortindex und Kennzahlen stimmen überein."]
    lines.append(f"{len(report.problems)} Problem(e) gefunden:")
    return lines + [f"  - {problem.message}" for problem in report.problems]


def _inspect(pipeline: IngestPipeline) -> Report:
    records = {record.doc_id: record for record in pipeline.registry.all()}
    live = {doc_id: record.version for doc_id, record in records.items() if record.status == READY}
    live_chunks: dict[str, set[str]] = defaultdict(set)
    orphan_chunks: dict[str, list[str]] = defaultdict(list)
    versions = pipeline.store.versions()
    for chunk_id, doc_id, version in versions:
        if doc_id in live and live[doc_id] == version:
            live_chunks[doc_id].add(chunk_id)
        else:
            orphan_chunks[doc_id].append(chunk_id)
    live_ids = set().union(*live_chunks.values())
    keyword_rows = pipeline.keyword.chunks()
    keyword_counts = Counter(chunk_id for chunk_id, _ in keyword_rows)
    orphan_keyword: dict[str, list[str]] = defaultdict(list)
    for chunk_id, doc_id in keyword_rows:
        if chunk_id not in live_ids:
            orphan_keyword[doc_id].append(chunk_id)
    fact_documents = pipeline.facts.documents() if pipeline.facts is not None else set()

    def name(doc_id: str) -> str:
        return f"„{records[doc_id].title}“ ({doc_id})" if doc_id in records else f"„{doc_id}“"

    problems = [_interrupted(record, name(record.doc_id)) for record in records.values() if record.interrupted]
    for doc_id, ids in orphan_chunks.items():
        problems.append(Problem(ORPHAN_CHUNKS, doc_id, (
            f"{name(doc_id)}: {len(ids)} übrig gebliebene Abschnitte im Suchindex, die zu keiner gültigen "
            "Fassung gehören."), tuple(ids)))
    for doc_id, ids in orphan_keyword.items():
        problems.append(Problem(ORPHAN_KEYWORD, doc_id, (
            f"{name(doc_id)}: {len(ids)} übrig gebliebene Einträge im Stichwortindex ohne Abschnitt im Suchindex."),
            tuple(ids)))
    for doc_id in sorted(fact_documents - set(live)):
        problems.append(Problem(ORPHAN_FACTS, doc_id, f"{name(doc_id)}: Kennzahlen zu einem Dokument, das nicht verfügbar ist."))
    for doc_id in live:
        record, present = records[doc_id], live_chunks[doc_id]
        if len(present) != record.chunk_count:
            problems.append(Problem(MISSING_CHUNKS, doc_id, (
                f"{name(doc_id)}: unvollständig, {len(present)} von {record.chunk_count} Abschnitten im Suchindex.")))
        elif any(keyword_counts[chunk_id] != 1 for chunk_id in present):
            missing = sum(keyword_counts[chunk_id] == 0 for chunk_id in present)
            doubled = sum(keyword_counts[chunk_id] > 1 for chunk_id in present)
            problems.append(Problem(KEYWORD_MISMATCH, doc_id, (
                f"{name(doc_id)}: Stichwortindex passt nicht ({missing} Abschnitte fehlen, {doubled} doppelt).")))
    return Report(
        documents=len(live), chunks=len(versions), keyword_rows=len(keyword_rows),
        fact_documents=len(fact_documents), embedder=pipeline.store.embedder_identity, problems=problems,
    )


def _interrupted(record: DocumentRecord, name: str) -> Problem:
    if record.status == READY:
        message = (f"{name}: Die Aufnahme einer neuen Fassung wurde unterbrochen; "
                   "beantwortet wird weiter aus der bisherigen Fassung.")
    else:
        message = f"{name}: Die Aufnahme wurde unterbrochen; das Dokument ist noch nicht verfügbar."
    return Problem(INTERRUPTED, record.doc_id, message)


def _clean_up(
    pipeline: IngestPipeline, found: Report, records: dict[str, DocumentRecord]
) -> tuple[list[str], list[DocumentRecord]]:
    """Delete leftovers and rebuild keyword rows; return what was done and the documents to ingest again."""
    actions: list[str] = []
    again: dict[str, DocumentRecord] = {}
    for problem in found.problems:
        record = records.get(problem.doc_id)
        if problem.kind == ORPHAN_CHUNKS:
            pipeline.store.delete_chunks(list(problem.chunk_ids))
            actions.append(f"{len(problem.chunk_ids)} übrig gebliebene Abschnitte von „{problem.doc_id}“ gelöscht.")
        elif problem.kind == ORPHAN_KEYWORD:
            pipeline.keyword.delete_chunks(problem.chunk_ids)
            actions.append(f"{len(problem.chunk_ids)} übrig gebliebene Stichwort-Einträge von „{problem.doc_id}“ gelöscht.")
        elif problem.kind == ORPHAN_FACTS:
            pipeline.facts.drop_facts(problem.doc_id)
            actions.append(f"Kennzahlen ohne verfügbares Dokument „{problem.doc_id}“ gelöscht.")
        elif problem.kind == KEYWORD_MISMATCH:
            pipeline.keyword.replace_document(problem.doc_id, pipeline.store.nodes(problem.doc_id, record.version))
            actions.append(f"Stichwortindex von „{record.title}“ aus dem Suchindex neu aufgebaut.")
        elif problem.kind == INTERRUPTED:
            pipeline.registry.abandon_write(problem.doc_id)
            again[problem.doc_id] = record
        elif problem.kind == MISSING_CHUNKS:
            again[problem.doc_id] = record
    return actions, list(again.values())


def _ingest_again(pipeline: IngestPipeline, record: DocumentRecord, incomplete: bool) -> str:
    """Ingest a document from its file again; without the file, keep only what is whole."""
    source = Path(record.source_path)
    name = f"„{record.title}“ ({record.doc_id})"
    if source.is_file():
        result = pipeline.ingest_file(source, force=True)
        if result.ok:
            return f"{name} aus der Datei {source} neu aufgenommen ({result.chunks} Abschnitte)."
        return f"{name} konnte nicht neu aufgenommen werden: {result.message}"
    if incomplete:
        pipeline.delete(record.doc_id)
        return f"{name} entfernt: unvollständig im Suchindex, und die Datei {source} fehlt. Bitte neu hochladen."
    if record.status == READY:
        return f"Unterbrochene neue Fassung von {name} verworfen (Datei {source} fehlt); die bisherige Fassung bleibt."
    return f"{name} entfernt: die Aufnahme war unterbrochen, und die Datei {source} fehlt. Bitte neu hochladen."
