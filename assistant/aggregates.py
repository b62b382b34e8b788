"""Questions over many case studies ("Wie viel CO2 sparen die Partner aus der Logistik zusammen?",
"Which measure has the shortest payback?") answered from the measure facts, not from passages.

A passage search finds a few chunks; a total needs every case study. The answer is a small table, one
row per case study, each row citing the sentence its figure came from, and the text says what a total
includes and which case studies had no figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.base import Answer
from assistant.citations import Citation
from assistant.retrieval import Passage
from indexing.facts import Fact, format_number
from indexing.language import detect_language
from indexing.registry import DocumentRecord
from indexing.vocabulary import MEASURE_TYPES, SECTORS, label

# Field -> (words that name it in a question, German unit, English unit).
_FIELD_WORDS = {
    "co2e_saved_t_per_year": (r"co2|co₂|emission|treibhausgas|thg|klimagas", "t CO2e/Jahr", "t CO2e/year"),
    "energy_saved_mwh_per_year": (r"energie|strom|mwh|energy|electricity", "MWh/Jahr", "MWh/year"),
    "investment_eur": (r"invest|kosten|gekostet|cost", "€", "€"),
    "funding_eur": (r"förder|zuschuss|funding|grant|subsid", "€", "€"),
    "payback_years": (r"amortis|payback|pays? back|rechnet sich|rechnen sich", "Jahre", "years"),
}
_TOTAL = re.compile(r"\b(zusammen|insgesamt|in summe|gesamt\w*|total|altogether|combined|in sum)\b", re.IGNORECASE)
_LOWEST = re.compile(r"\b(kürzeste\w*|schnellste\w*|niedrigste\w*|geringste\w*|wenigste\w*|billigste\w*|günstigste\w*|"
                     r"shortest|fastest|lowest|least|cheapest|smallest)\b", re.IGNORECASE)
_HIGHEST = re.compile(r"\b(längste\w*|höchste\w*|größte\w*|meiste\w*|teuerste\w*|longest|highest|largest|most|"
                      r"biggest|greatest)\b", re.IGNORECASE)
_ROWS_SHOWN = 5
# Only questions about the partners as a group: "die Partner", "welche Maßnahme", "which companies".
_GROUP = re.compile(r"\b(partner\w*|unternehmen|betriebe|firmen|fallbeispiel\w*|welche\w*|which|companies|"
                    r"case stud\w*|alle\w*|all|members|mitglied\w*)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AggregateQuestion:
    field: str
    operation: str  # "sum", "min" or "max"
    sector: str = ""
    measure: str = ""


def parse_aggregate(question: str) -> AggregateQuestion | None:
    """What a question over all case studies asks for, or None for an ordinary question."""
    text = question.lower()
    if not _GROUP.search(text):
        return None
    operation = "sum" if _TOTAL.search(text) else "min" if _LOWEST.search(text) else "max" if _HIGHEST.search(text) else ""
    if not operation:
        return None
    fields = [field for field, (words, _, _) in _FIELD_WORDS.items() if re.search(words, text)]
    if not fields:
        return None
    # "Förderung" also matches inside other words less often than "Kosten"; the first named field wins,
    # except that payback is what "kürzeste Amortisation" is about even when costs are mentioned too.
    field = "payback_years" if "payback_years" in fields else fields[0]
    if operation == "sum" and field == "payback_years":
        return None
    return AggregateQuestion(field, operation, _mentioned(SECTORS, text), _mentioned(MEASURE_TYPES, text))


def _mentioned(vocabulary: dict[str, tuple[str, str]], text: str) -> str:
    """The vocabulary key whose German or English label the question names (every word of it, inflected:
    "Wärmepumpen" names "Wärmepumpe", "energy" alone does not name "Energy management")."""
    for key, labels in vocabulary.items():
        for name in labels:
            words = [w for w in re.findall(r"\w+", name.lower()) if len(w) >= 3 and w not in ("und", "and", "des")]
            if words and all(re.search(r"\b" + re.escape(w[: max(4, len(w) - 2)]), text) for w in words):
                return key
    return ""


def answer_aggregate(question: str, facts: list[Fact], documents: list[DocumentRecord]) -> Answer | None:
    asked = parse_aggregate(question)
    if asked is None:
        return None
    language = "en" if detect_language(question) == "en" else "de"
    records = {d.doc_id: d for d in documents if d.metadata.get("doc_type", "case-study") == "case-study"}
    if any(_names_company(question, record) for record in records.values()):
        return None  # "Wie viel CO2 spart die Hirschberg-Klinik insgesamt?" is about one case study
    in_scope = [
        record for record in records.values()
        if (not asked.sector or record.metadata.get("sector") == asked.sector)
        and (not asked.measure or asked.measure in record.metadata.get("measure_types", []))
    ]
    by_doc = {f.doc_id: f for f in facts if f.field == asked.field and isinstance(f.value, (int, float))}
    with_figure = [(record, by_doc[record.doc_id]) for record in in_scope if record.doc_id in by_doc]
    without = [record for record in in_scope if record.doc_id not in by_doc]
    if not with_figure:
        return None
    reverse = asked.operation != "min"
    with_figure.sort(key=lambda pair: pair[1].value, reverse=reverse)
    shown = with_figure if asked.operation == "sum" else with_figure[:_ROWS_SHOWN]
    passages = [_fact_passage(record, fact) for record, fact in shown]
    citations = [Citation(number, passage) for number, passage in enumerate(passages, 1)]
    unit = _FIELD_WORDS[asked.field][2 if language == "en" else 1]
    rows = [[record.title, format_number(fact.value, language) + f" {unit}", f"[{n}]"]
            for n, (record, fact) in enumerate(shown, 1)]
    text = _summary(asked, with_figure, without, unit, language)
    return Answer(question, text, citations, passages, backend="facts", table=rows)


def _names_company(question: str, record: DocumentRecord) -> bool:
    company = str(record.metadata.get("company") or "")
    first = re.split(r"[\s:]", company.strip())[0].lower() if company else ""
    return len(first) >= 4 and first in question.lower()


def _summary(asked: AggregateQuestion, with_figure: list, without: list, unit: str, language: str) -> str:
    scope = _scope_words(asked, language)
    count = len(with_figure)
    if asked.operation == "sum":
        total = format_number(sum(fact.value for _, fact in with_figure), language)
        markers = " ".join(f"[{n}]" for n in range(1, count + 1)) if count <= 5 else f"[1] … [{count}]"
        if language == "en":
            text = f"Together, the {count} case studies {scope} report {total} {unit} {markers}. "
            text += "The total adds the figures each case study states for its own measures."
            if without:
                text += f" {len(without)} case studies in scope give no figure and are not included."
            return text
        text = f"Zusammen nennen die {count} Fallbeispiele {scope} {total} {unit} {markers}. "
        text += "Die Summe addiert die Angaben, die jedes Fallbeispiel für seine eigenen Maßnahmen macht."
        if without:
            text += f" {len(without)} Fallbeispiele im Bereich nennen keinen Wert und fehlen in der Summe."
        return text
    record, fact = with_figure[0]
    name = record.title
    value = format_number(fact.value, language)
    if language == "en":
        which = "lowest" if asked.operation == "min" else "highest"
        return (f"Of the {count} case studies {scope} with a figure, {name} has the {which} value: {value} {unit} [1]. "
                "The table shows the leading case studies.")
    which = "den niedrigsten" if asked.operation == "min" else "den höchsten"
    return (f"Von den {count} Fallbeispielen {scope} mit Angabe hat {name} {which} Wert: {value} {unit} [1]. "
            "Die Tabelle zeigt die vordersten Fallbeispiele.")


def _scope_words(asked: AggregateQuestion, language: str) -> str:
    parts = []
    if asked.sector:
        parts.append(("in " if language == "en" else "der Branche ") + label(SECTORS, asked.sector, language))
    if asked.measure:
        parts.append(("on " if language == "en" else "zur Maßnahme ") + label(MEASURE_TYPES, asked.measure, language))
    if not parts:
        return "in the pact" if language == "en" else "im Pakt"
    return " ".join(parts)


def _fact_passage(record: DocumentRecord, fact: Fact) -> Passage:
    """The place a figure came from, in the form every citation has."""
    metadata = {**record.metadata, "doc_id": record.doc_id, "title": record.title}
    if fact.page is not None:
        metadata["page"] = fact.page
    if fact.heading:
        metadata["heading"] = fact.heading
    text = fact.passage or f"{fact.label}: {fact.value} (Angabe im Kopfbereich des Dokuments)"
    return Passage(f"{record.doc_id}::fact::{fact.field}", text, 1.0, metadata)
