"""The case studies as cards for a facilitator: search and facets, similar examples, a comparison table
with one cited source per cell, and CO2e saved per euro invested by measure type.

Everything is read from what the index already holds: the registry (metadata), the measure facts and
the chunks in the store. No file is read again; lessons and document vectors are cached per document
and content hash, so a new version of a document is picked up and an unchanged one costs nothing.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from indexing.facts import Fact, format_number
from indexing.readers.base import document_id_for
from indexing.registry import READY, DocumentRecord
from indexing.sentences import split_sentences

CASE_STUDY = "case-study"

# Company size from the number of employees (the EU's small / medium / large, without micro).
SIZES = ("klein", "mittel", "groß")
SMALL_BELOW, LARGE_FROM = 50, 250

# Similar examples: cosine of the documents' mean chunk vectors, plus these for shared metadata.
SHARED_MEASURE_BONUS = 0.1
SAME_SECTOR_BONUS = 0.05

# Passages looked at when a query ranks the case studies (the answer step only needs top_k of them).
RETRIEVAL_DEPTH = 200

# Sections that hold the lesson of a case study, and the summary to fall back on.
_LESSON_HEADING = re.compile(
    r"lessons?\s+learned|erfahrung|tipps?\b|was andere .*lernen|empfehlung|recommendation|what others can learn"
    r"|tips?\b",
    re.IGNORECASE,
)
_SUMMARY_HEADING = re.compile(r"kurzfassung|auf einen blick|zusammenfassung|summary|at a glance", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
LESSON_MAX_CHARS = 180

# The figures a comparison shows, in this order (all measure facts).
COMPARISON_FIELDS = (
    "co2e_saved_t_per_year", "energy_saved_mwh_per_year", "investment_eur", "funding_eur", "payback_years",
    "funding_programme", "scope", "employees",
)
_UNITS = {
    "co2e_saved_t_per_year": ("t CO2e/a", "t CO2e/yr"),
    "energy_saved_mwh_per_year": ("MWh/a", "MWh/yr"),
    "investment_eur": ("€", "€"),
    "funding_eur": ("€", "€"),
    "payback_years": ("Jahre", "years"),
    "employees": ("Beschäftigte", "employees"),
}


@dataclass
class CaseCard:
    doc_id: str
    title: str
    company: str
    sector: str
    measure_types: list[str]
    year: int | None
    employees: int | None
    facts: dict[str, Fact]
    lesson: str
    link: str  # where the card's key figure (CO2e saved, else the next one with a place) stands
    lesson_link: str = ""  # where the lesson stands
    link_page: int | None = None  # the page or section `link` points to, for its label
    link_heading: str = ""

    @property
    def size(self) -> str:
        return size_bucket(self.employees)

    def figure(self, name: str) -> float | None:
        fact = self.facts.get(name)
        return float(fact.value) if fact is not None and isinstance(fact.value, (int, float)) else None


@dataclass(frozen=True)
class SimilarCase:
    card: CaseCard
    score: float
    similarity: float  # cosine of the two documents' mean chunk vectors
    shared_measures: tuple[str, ...]
    same_sector: bool


@dataclass(frozen=True)
class ComparisonCell:
    text: str  # the value as people read it, "" where the case study has no such figure
    page: int | None = None
    heading: str = ""
    link: str = ""


@dataclass(frozen=True)
class ComparisonRow:
    field: str
    cells: list[ComparisonCell]


@dataclass(frozen=True)
class MeasureEfficiency:
    measure_type: str
    kg_co2e_per_1000_eur: float  # kg CO2e saved per year per 1,000 € invested, mean over the cases
    doc_ids: tuple[str, ...]  # the case studies it is the mean of


# --- sizes, links, numbers ----------------------------------------------------------------------------

def size_bucket(employees: float | None) -> str:
    """"klein" (< 50 employees), "mittel" (50–249), "groß" (≥ 250); "" if the number is not known."""
    if employees is None:
        return ""
    if employees < SMALL_BELOW:
        return "klein"
    return "mittel" if employees < LARGE_FROM else "groß"


def section_anchor(heading: str) -> str:
    """The fragment of a section in the document view: the same as ui.rendering.section_anchor."""
    return "abschnitt-" + (document_id_for(Path("abschnitt"), declared=heading) if heading else "start")


def document_link(doc_id: str) -> str:
    return f"/dokumente/{quote(doc_id, safe='')}"


def place_link(doc_id: str, page: int | None, heading: str) -> str:
    """The PDF at its page, else the document view at its section, else the document."""
    if page is not None:
        return f"{document_link(doc_id)}#page={page}"
    if heading:
        return f"{document_link(doc_id)}#{section_anchor(heading)}"
    return document_link(doc_id)


def fact_link(fact: Fact) -> str:
    return place_link(fact.doc_id, fact.page, fact.heading)


def format_fact(fact: Fact | None, language: str = "de") -> str:
    """A fact's value with its unit: "169,8 t CO2e/a", "180.000 €", "Scope 1, 2"; "" for no fact."""
    if fact is None or fact.value is None or fact.value == "":
        return ""
    value = fact.value
    if fact.field == "scope":
        return "Scope " + ", ".join(str(s) for s in value) if isinstance(value, list) else str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        unit = _UNITS.get(fact.field, ("", ""))[1 if language == "en" else 0]
        if fact.field == "payback_years" and value == 1:
            unit = "year" if language == "en" else "Jahr"
        number = format_number(float(value), language)
        if unit == "€" and language == "en":
            return f"€{number}"
        return f"{number} {unit}".strip()
    return str(value)


# --- per-service caches -------------------------------------------------------------------------------

class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.lessons: dict[tuple[str, str], tuple[str, str]] = {}  # (doc_id, content hash) -> (lesson, link)
        self.vectors: dict[tuple[str, str], list[float] | None] = {}  # -> normalised mean chunk vector


_CACHES: "weakref.WeakKeyDictionary[Any, _Cache]" = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(service) -> _Cache:
    with _CACHES_LOCK:
        cache = _CACHES.get(service)
        if cache is None:
            cache = _CACHES[service] = _Cache()
        return cache


# --- cards --------------------------------------------------------------------------------------------

def case_records(service) -> list[DocumentRecord]:
    """The published case studies."""
    return [r for r in service.documents() if r.status == READY and r.metadata.get("doc_type") == CASE_STUDY]


def _facts_by_document(service) -> dict[str, dict[str, Fact]]:
    facts: dict[str, dict[str, Fact]] = {}
    for fact in service.measure_facts():
        facts.setdefault(fact.doc_id, {})[fact.field] = fact
    return facts


def _card_source(record: DocumentRecord, facts: dict[str, Fact]) -> tuple[str, int | None, str]:
    """Link, page and section of the card's headline figure; the PDF's first page if no figure has a place."""
    for name in COMPARISON_FIELDS:
        fact = facts.get(name)
        if fact is not None and (fact.page is not None or fact.heading):
            return fact_link(fact), fact.page, fact.heading
    if record.file_type == "pdf":
        return f"{document_link(record.doc_id)}#page=1", 1, ""
    return document_link(record.doc_id), None, ""


def _make_cards(service, records: list[DocumentRecord]) -> list[CaseCard]:
    facts = _facts_by_document(service)
    lessons = _lessons(service, records)
    cards = []
    for record in records:
        metadata = record.metadata
        own = facts.get(record.doc_id, {})
        employees = own.get("employees")
        headcount = employees.value if employees is not None else None
        year = metadata.get("year")
        lesson, lesson_link = lessons.get(record.doc_id, ("", ""))
        link, link_page, link_heading = _card_source(record, own)
        cards.append(CaseCard(
            doc_id=record.doc_id, title=record.title, company=str(metadata.get("company") or ""),
            sector=str(metadata.get("sector") or ""), measure_types=list(metadata.get("measure_types") or []),
            year=int(year) if year else None,
            employees=int(headcount) if isinstance(headcount, (int, float)) else None,
            facts=own, lesson=lesson, link=link, lesson_link=lesson_link, link_page=link_page,
            link_heading=link_heading,
        ))
    return cards


def all_cases(service) -> list[CaseCard]:
    """Every case study as a card, by company name."""
    return sorted(_make_cards(service, case_records(service)), key=lambda c: (c.company or c.title).lower())


def _matches(card: CaseCard, sector: str, measure: str, size: str, year: int | None) -> bool:
    return ((not sector or card.sector == sector) and (not measure or measure in card.measure_types)
            and (not size or card.size == size) and (year is None or card.year == year))


def _year(year: Any) -> int | None:
    if year is None or year == "":
        return None
    try:
        return int(year)
    except (TypeError, ValueError):
        return None


def case_cards(service, query: str = "", sector: str = "", measure: str = "", size: str = "",
               year: int | str | None = None) -> list[CaseCard]:
    """The case studies that fit the facets, one card per document.

    With a query they come in the order of their best passage in the retrieval (the hybrid search of
    the chat, spread over documents); without one, by CO2e saved per year, largest first.
    """
    year = _year(year)
    cards = [c for c in _make_cards(service, case_records(service)) if _matches(c, sector, measure, size, year)]
    query = (query or "").strip()
    if not query:
        return sorted(cards, key=lambda c: (-(c.figure("co2e_saved_t_per_year") or -1.0), c.title.lower()))
    filters: dict[str, Any] = {"doc_type": CASE_STUDY}
    if sector:
        filters["sector"] = sector
    if measure:
        filters["measure_types"] = measure
    if year is not None:
        filters["year"] = year
    # The retriever itself, not service.retrieve: that stops at the answer's top_k passages (5 documents).
    retrieval = service.retriever.retrieve(query, RETRIEVAL_DEPTH, filters, diverse=True)
    if not retrieval.passages or retrieval.relevance < service.settings.min_relevance:
        return []
    by_id = {card.doc_id: card for card in cards}
    order = list(dict.fromkeys(p.doc_id for p in retrieval.passages if p.doc_id in by_id))
    return [by_id[doc_id] for doc_id in order]


def cards_by_id(service, doc_ids: list[str]) -> list[CaseCard]:
    """The cards of these case studies, in the given order; unknown ids are left out."""
    records = {r.doc_id: r for r in case_records(service)}
    wanted = [records[d] for d in dict.fromkeys(doc_ids) if d in records]
    return _make_cards(service, wanted)


# --- lessons ------------------------------------------------------------------------------------------

def _document_chunks(service, doc_ids: list[str]) -> dict[str, list[tuple[dict, str]]]:
    """(metadata, text) of the documents' chunks from the store, in document order."""
    if not doc_ids:
        return {}
    where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
    result = service.store.records(where, ["documents", "metadatas"])
    chunks: dict[str, list[tuple[dict, str]]] = {}
    for metadata, text in zip(result["metadatas"], result["documents"]):
        metadata = dict(metadata or {})
        chunks.setdefault(str(metadata.get("doc_id", "")), []).append((metadata, text or ""))
    for items in chunks.values():
        items.sort(key=lambda item: item[0].get("chunk_index", 0))
    return chunks


def first_sentence(text: str, limit: int = LESSON_MAX_CHARS) -> str:
    """The first sentence of a section, without list marks and Markdown emphasis, at most `limit` characters."""
    text = text.replace("**", "").replace("__", "")
    sentences = split_sentences(text)
    if not sentences:
        return ""
    sentence = _LIST_MARK.sub("", sentences[0]).strip()
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:–- ") + " …"
    return sentence


def _lesson_from_chunks(doc_id: str, chunks: list[tuple[dict, str]]) -> tuple[str, str]:
    for pattern in (_LESSON_HEADING, _SUMMARY_HEADING):
        for metadata, text in chunks:
            heading = str(metadata.get("heading", ""))
            if heading and pattern.search(heading):
                sentence = first_sentence(text)
                if sentence:
                    return sentence, place_link(doc_id, metadata.get("page"), heading)
    return "", ""


def _lessons(service, records: list[DocumentRecord]) -> dict[str, tuple[str, str]]:
    cache = _cache(service)
    keys = {r.doc_id: (r.doc_id, r.content_hash) for r in records}
    missing = [doc_id for doc_id, key in keys.items() if key not in cache.lessons]
    if missing:
        chunks = _document_chunks(service, missing)
        with cache.lock:
            for doc_id in missing:
                cache.lessons[keys[doc_id]] = _lesson_from_chunks(doc_id, chunks.get(doc_id, []))
    return {doc_id: cache.lessons[key] for doc_id, key in keys.items()}


def lesson(service, doc_id: str) -> str:
    """One line a case study teaches: the first sentence of its lessons section ("Lessons learned",
    "Erfahrungen", "Tipps", "Empfehlung" …), else of its summary ("Auf einen Blick", "Kurzfassung" …)."""
    record = service.registry.get(doc_id)
    if record is None:
        return ""
    return _lessons(service, [record])[doc_id][0]


# --- similar examples ---------------------------------------------------------------------------------

def _mean_vectors(service, records: list[DocumentRecord]) -> dict[str, list[float] | None]:
    cache = _cache(service)
    keys = {r.doc_id: (r.doc_id, r.content_hash) for r in records}
    missing = [doc_id for doc_id, key in keys.items() if key not in cache.vectors]
    for doc_id in missing:
        vectors = list(service.store.embeddings_by_key(doc_id).values())
        mean = None
        if vectors:
            sums = [sum(column) for column in zip(*vectors)]
            norm = math.sqrt(sum(v * v for v in sums)) or 1.0
            mean = [v / norm for v in sums]
        with cache.lock:
            cache.vectors[keys[doc_id]] = mean
    return {doc_id: cache.vectors[key] for doc_id, key in keys.items()}


def similar_cases(service, doc_id: str, k: int = 4) -> list[SimilarCase]:
    """Other case studies like this one: cosine of the whole documents (mean of their chunk vectors),
    plus 0.1 per shared measure type and 0.05 for the same sector. Never the document itself."""
    records = case_records(service)
    if doc_id not in {r.doc_id for r in records}:
        return []
    vectors = _mean_vectors(service, records)
    cards = {card.doc_id: card for card in _make_cards(service, records)}
    own, own_vector = cards[doc_id], vectors.get(doc_id)
    similar = []
    for other_id, card in cards.items():
        if other_id == doc_id:
            continue
        other_vector = vectors.get(other_id)
        cosine = sum(a * b for a, b in zip(own_vector, other_vector)) if own_vector and other_vector else 0.0
        shared = tuple(m for m in own.measure_types if m in card.measure_types)
        same_sector = bool(own.sector) and own.sector == card.sector
        score = cosine + SHARED_MEASURE_BONUS * len(shared) + (SAME_SECTOR_BONUS if same_sector else 0.0)
        similar.append(SimilarCase(card, score, cosine, shared, same_sector))
    similar.sort(key=lambda s: (-s.score, s.card.title.lower()))
    return similar[:k]


# --- comparison and chart -----------------------------------------------------------------------------

def comparison_rows(cards: list[CaseCard], language: str = "de") -> list[ComparisonRow]:
    """One row per figure that any of the cases has, one cell per case: the value and where it stands."""
    rows = []
    for name in COMPARISON_FIELDS:
        if not any(name in card.facts for card in cards):
            continue
        cells = []
        for card in cards:
            fact = card.facts.get(name)
            text = format_fact(fact, language)
            if not text:
                cells.append(ComparisonCell(""))
                continue
            cells.append(ComparisonCell(text, fact.page, fact.heading, fact_link(fact)))
        rows.append(ComparisonRow(name, cells))
    return rows


def co2e_per_euro_by_measure(cards: list[CaseCard]) -> list[MeasureEfficiency]:
    """kg CO2e saved per year per 1,000 € invested, the mean over the cases of each measure type (a case
    with two measure types counts for both); only cases with both figures. Highest first."""
    ratios: dict[str, list[tuple[str, float]]] = {}
    for card in cards:
        co2e, investment = card.figure("co2e_saved_t_per_year"), card.figure("investment_eur")
        if co2e is None or not investment or investment <= 0:
            continue
        ratio = co2e * 1000.0 / (investment / 1000.0)
        for measure in dict.fromkeys(card.measure_types):
            ratios.setdefault(measure, []).append((card.doc_id, ratio))
    result = [
        MeasureEfficiency(measure, sum(r for _, r in items) / len(items), tuple(d for d, _ in items))
        for measure, items in ratios.items()
    ]
    return sorted(result, key=lambda m: (-m.kg_co2e_per_1000_eur, m.measure_type))
