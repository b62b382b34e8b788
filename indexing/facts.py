"""Measure facts: the comparable figures of a case study (CO2e and energy saved, investment, funding,
payback, scope), each with the page and sentence it came from.

Front matter `figures` are taken as they are; otherwise the figures are found in the text. Every number
with a unit is a candidate for the fields its unit fits, scored by the words just before it ("Investition
… 180.000 €", "zusammen 169,8 t CO2e pro Jahr") and by its section heading; the best candidate per field
wins. German and English number notation are both read (1.200,5 / 1,200.5).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from indexing.readers.base import ReadDocument
from indexing.sentences import ABBREVIATIONS, split_sentences

# Field -> (unit kind, label for people). Units: "t" CO2e, "mwh" energy, "eur" money, "years".
FIELDS: dict[str, tuple[str, str]] = {
    "co2e_saved_t_per_year": ("t", "CO2e-Einsparung (t/a)"),
    "energy_saved_mwh_per_year": ("mwh", "Energieeinsparung (MWh/a)"),
    "investment_eur": ("eur", "Investition (€)"),
    "funding_eur": ("eur", "Förderung (€)"),
    "payback_years": ("years", "Amortisation (Jahre)"),
    "funding_programme": ("text", "Förderprogramm"),
    "scope": ("scopes", "Scope"),
    "employees": ("people", "Beschäftigte"),
}
FRONT_MATTER, TEXT, STAFF = "front-matter", "text", "staff"

_NUMBER = r"(?<![\d.,])(?P<whole>[1-9]\d{0,2}(?:[.,\u202f ]\d{3})+|\d+)(?P<fraction>[.,]\d+)?"
QUANTITY = re.compile(
    r"(?:(?P<currency>EUR|€)\s?)?" + _NUMBER +
    # "1,25 Mio. €", "€1.18m", "486 T€", "35 k€", "€212k", "120 Tsd. Euro"
    r"\s*(?P<scale>Mio\.?|Millionen|million|Tsd\.?|(?<=\d)(?:m|mn)(?![\w²³])|T(?=€)|k(?=€|EUR\b)|(?<=\d)k(?![\w²³]))?\s*"
    # After "EUR 1.68 million" a currency starts the next amount ("Total EUR 1.68 million €585k").
    r"(?(currency)(?!€|EUR\b|Euro|TEUR\b))"
    # "t" also glued to its gas: "135.3 tCO2e"
    r"(?P<unit>t\b|t(?=CO)|Tonnen|tonnes|tons|kt\b|MWh|GWh|kWh|€|TEUR\b|EUR\b|Euro|Jahren|Jahre|years?\b|Monaten|Monate|months?\b|"
    r"Beschäftigte[n]?|Mitarbeitende[n]?|Mitarbeiter(?:innen)?|Personen|employees|staff|people)?",
    re.IGNORECASE,
)
_UNIT_KIND = {"t": "t", "tonnen": "t", "teur": "eur", "tonnes": "t", "tons": "t", "kt": "t", "mwh": "mwh", "gwh": "mwh",
              "kwh": "mwh", "€": "eur", "eur": "eur", "euro": "eur", "jahren": "years", "jahre": "years",
              "year": "years", "years": "years", "monaten": "years", "monate": "years", "month": "years", "months": "years", "beschäftigte": "people", "beschäftigten": "people",
              "mitarbeitende": "people", "mitarbeitenden": "people", "mitarbeiter": "people",
              "mitarbeiterinnen": "people", "personen": "people", "employees": "people", "staff": "people",
              "people": "people"}
_UNIT_FACTOR = {"kt": 1000.0, "gwh": 1000.0, "kwh": 0.001, "teur": 1000.0,
                "monaten": 1 / 12, "monate": 1 / 12, "month": 1 / 12, "months": 1 / 12}
_SCALE = {"mio": 1e6, "mio.": 1e6, "millionen": 1e6, "million": 1e6, "tsd": 1e3, "tsd.": 1e3, "t": 1e3, "k": 1e3}
# "m"/"mn" (million) only after a currency sign: "€1.18m"; elsewhere it is a metre.
_CURRENCY_SCALE = {"m": 1e6, "mn": 1e6}

# Words that make a number the field's value (+) or another figure with the same unit (−), looked for in
# the words just before the number, and in the section heading.
_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "co2e_saved_t_per_year": (
        (r"co2|co₂|thg|emission|treibhaus", 2.0),
        (r"zusammen|insgesamt|gesamt|total|in sum|together|combined|overall|netto|\bnet\b|\bor\b$", 2.0),
        (r"vermeid|vermied|avoid", 1.0),
        (r"spar|weniger|einsparung|sinkt|sank|reduz|sav|less|lower|cut|fall|drop|declin|verbesser|improv", 1.0),
        (r"\b(um|by)$", 1.5),  # "verbessert sich um 128,2 t", "reduced by 96 t": a change
        (r"jährlich|annual", 0.5),
        (r"vorher|bisher|ausgang|referenzjahr|baseline|before|bilanz|verursacht|ausstoß|emittiert|emitted", -2.0),
        (r"verbleibend|restlich|remaining|footprint|fußabdruck|standort(?:es|s)? (?:gesamt|insgesamt)|site's", -2.0),
        # A level, not a change: "its emissions were about 5,200 t", "die Emissionen des Betriebs lagen bei".
        (r"emission\w* (?:\w+ ){0,3}(?:were|was|are|is|amounted|totall?ed|betrugen|betragen|lagen|liegen)\b", -2.0),
        (r"faktor|factor", -3.0),
    ),
    "energy_saved_mwh_per_year": (
        (r"zusammen|insgesamt|gesamt|total|energieeinsparung|energy sav|endenergie|final energy", 2.0),
        (r"spar|weniger|einsparung|sinkt|sank|reduz|sav|less|lower|cut|ersetzt|replac", 1.0),
        (r"verbrauch|bedarf|consum|demand|vorher|ausgang|referenz|baseline|erzeugt|liefert|produz|generat", -1.5),
    ),
    "investment_eur": (
        (r"(wartungs|energie|betriebs|strom|gas|diesel|kraftstoff|heiz)kosten|kosteneinsparung|einnahmen"
         r"|(energy|electricity|power|gas|fuel|heating|operating|running|maintenance) costs?\b|cost sav"
         r"|\b[mkg]wh\b", -3.0),  # "at EUR 155 per MWh costs EUR 65,100", "712 MWh 149.520 €": energy bills
        (r"investition|investiert|investment|invested|gesamtkosten|summe|kosten|kostete|kosteten|cost|capex", 2.0),
        (r"gesamtinvest|investition gesamt|total invest|investment in total|gesamtkosten|total cost|project cost"
         r"|projektkosten", 1.5),
        (r"summe|gesamt|insgesamt|total|zusammen", 1.0),
        (r"förder|zuschuss|zuschüsse|gefördert|funding|grant|subsid|eigenanteil|own share|einspar|spar|saving"
         r"|nettoinvest|net of|\bnet investment"
         r"|pro jahr|/a\b|per year|jährlich|miete|umsatz|einnahmen|überschuss", -3.0),
    ),
    "funding_eur": (
        (r"förder|zuschuss|gefördert|funding|grant|subsid|bafa|beg\b|kfw|progres|\beew\b", 2.0),
        (r"insgesamt|zusammen|total", 0.5),
        (r"eigenanteil|own share|investition|investment|kredit|loan|pro jahr|per year|kosten|kostete|cost"
         r"|einspar|saving", -2.0),
    ),
    "employees": (
        (r"beschäftigt|mitarbeit|team|unternehmen|betrieb|company|employs|firm|mit\s*$|with\s*$|hat\s*$|has\s*$", 1.0),
        (r"davon|of them|including|fahrdienst|schicht", -2.0),
    ),
    "payback_years": (
        (r"amortis|payback|pays? (for (itself|themselves)|back)|paid (for itself|back)|rechnet sich|refinanz", 3.0),
        (r"förder|zuschuss|funding|grant|eigenanteil", 0.5),
        (r"ohne förder|without (the )?(funding|grant)", -1.0),
    ),
}
_HEADING_CUES = r"auf einen blick|kurzfassung|ergebnis|zusammenfassung|at a glance|summary|result|kennzahl|key figures"
# Funding programmes as short codes, so "Bundesförderung für Energie- und Ressourceneffizienz in der
# Wirtschaft (EEW), Modul 4" and "BAFA EEW Module 4" compare equal.
_PROGRAMMES = (
    ("BAFA EEW", re.compile(r"\bEEW\b|Energie- und Ressourceneffizienz in der Wirtschaft", re.IGNORECASE)),
    ("BEG EM", re.compile(r"\bBEG\b|Bundesförderung für effiziente Gebäude", re.IGNORECASE)),
    ("KfW", re.compile(r"\bKfW\b", re.IGNORECASE)),
    ("progres.nrw", re.compile(r"progres\.nrw", re.IGNORECASE)),
    ("Umweltbonus", re.compile(r"Umweltbonus", re.IGNORECASE)),
    ("Stadt Düsseldorf", re.compile(r"Klimafreundliches Wohnen und Arbeiten", re.IGNORECASE)),
)
_MODULE = re.compile(r"\bModule?\s+(\d)", re.IGNORECASE)
_KFW_NUMBER = re.compile(r"\bKfW[- ](?:programme |Programm )?(\d{3})", re.IGNORECASE)
_LOAN_ONLY = re.compile(r"kredit|loan|darlehen", re.IGNORECASE)


def programme_codes(text: str) -> list[str]:
    """The funding programmes a text names, as codes: "BAFA EEW Modul 4", "BEG EM", "KfW 270" …"""
    codes = []
    for code, pattern in _PROGRAMMES:
        if not pattern.search(text):
            continue
        if code == "BAFA EEW":
            modules = sorted(set(_MODULE.findall(text)))
            codes += [f"BAFA EEW Modul {m}" for m in modules] or [code]
        elif code == "KfW":
            codes += [f"KfW {n}" for n in sorted(set(_KFW_NUMBER.findall(text)))] or [code]
        else:
            codes.append(code)
    return codes


_SCOPE = re.compile(r"\bScope\s+([123])(?:\s*(?:und|and|,|/|&)\s*([123]))?(?:\s*(?:und|and|,|/|&)\s*([123]))?", re.IGNORECASE)
LEFT_CONTEXT = 70


@dataclass(frozen=True)
class Fact:
    doc_id: str
    field: str
    value: Any  # float for figures, str for the programme, list[int] for scope
    page: int | None = None
    heading: str = ""
    passage: str = ""  # the sentence the value was read from ("" for front matter)
    origin: str = TEXT  # front-matter, text or staff
    confirmed: bool = False

    @property
    def label(self) -> str:
        return FIELDS.get(self.field, (None, self.field))[1]


def format_number(value: float, language: str = "de", decimals: int | None = None) -> str:
    """1.234,5 in German, 1,234.5 in English; whole numbers without decimals, others with one (or more
    where one would show 0)."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1 if round(value, 1) else 2
    text = f"{value:,.{decimals}f}"
    if language == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def format_value(value: Any, language: str = "de") -> str:
    """A fact's value for people: numbers in the language's notation, scopes as "1, 2", text as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(float(value), language)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_number(whole: str, fraction: str | None, language: str) -> float:
    """A number in German or English notation: "1.200,5" (de) and "1,200.5" (en) are both 1200.5."""
    thousands = "." if language == "de" else ","
    decimal = "," if language == "de" else "."
    separators = set(re.findall(r"[.,\u202f ]", whole))
    if separators and separators <= {thousands, "\u202f", " "}:
        whole = re.sub(r"[.,\u202f ]", "", whole)
    elif separators:  # the other notation after all (an English table in a German document)
        whole = re.sub(r"[.,\u202f ]", "", whole)
    value = float(whole)
    if fraction:
        digits = fraction[1:]
        if fraction[0] == decimal or len(digits) != 3:
            value += float("0." + digits)
        else:
            value = value * 1000 + float(digits)
    return value


def extract_facts(document: ReadDocument, helper: Any = None) -> list[Fact]:
    """The document's facts: front-matter figures where declared, the text for the rest. `helper` (an
    `indexing.fact_llm.FactHelper`, optional) lets a chat model choose figures the text then has to prove."""
    declared = document.figures
    text_facts = extract_from_text(document)
    if helper is not None and any(field not in declared for field in FIELDS):
        text_facts = helper.improve(document, text_facts)
    found = {fact.field: fact for fact in text_facts}
    facts = []
    for field in FIELDS:
        if field not in declared:
            if field in found:
                facts.append(found[field])
            continue
        value = declared[field] if FIELDS[field][0] in ("text", "scopes") else float(declared[field])
        fact = Fact(document.doc_id, field, value, origin=FRONT_MATTER, confirmed=True)
        if field in found and same_value(found[field].value, value):  # the text says it too: cite that place
            fact = replace(found[field], value=value, origin=FRONT_MATTER, confirmed=True)
        facts.append(fact)
    return facts


def same_value(found: Any, expected: Any) -> bool:
    """Equal figures (within rounding, 0.5 %), equal scope lists, or the same funding programmes."""
    if isinstance(expected, (int, float)) and isinstance(found, (int, float)):
        return abs(float(found) - float(expected)) <= 0.005 * max(1.0, abs(float(expected)))
    if isinstance(expected, list):
        return sorted(found) == sorted(expected) if isinstance(found, list) else False
    return set(programme_codes(str(expected))) == set(str(found).split("; "))


def extract_from_text(document: ReadDocument) -> list[Fact]:
    best: dict[str, tuple[float, Fact]] = {}
    for candidate in candidates(document):
        if candidate.score > 0 and (candidate.field not in best or candidate.score > best[candidate.field][0]):
            best[candidate.field] = (candidate.score, candidate.fact)
    for unit in document.units:
        _find_programme(document, unit, unit.text, best)
        _find_scope(document, unit, unit.text, best)
    return [fact for _, fact in best.values()]


@dataclass(frozen=True)
class Candidate:
    """A number with a unit in the text, as a possible value of one field, with the rules' score for it
    (> 0: the rules would take it; the best one per field wins)."""
    field: str
    score: float
    fact: Fact
    written: str  # the number and unit as the text has them: "930.000 kWh"


def candidates(document: ReadDocument) -> list[Candidate]:
    """Every number with a unit that fits a figure field, for every field it fits, scored by its cues,
    in the order of the text."""
    language = str(document.metadata.get("language", "de"))
    found: list[Candidate] = []
    # (value, score) so far, per field, across units: a cost table may run on over a page break.
    earlier: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for unit in document.units:
        text = unit.text
        heading_bonus = 0.5 if re.search(_HEADING_CUES, unit.heading, re.IGNORECASE) else 0.0
        previous_end = 0
        flat, sentences = " ".join(text.split()), None  # the unit's sentences, split once when needed
        for match in QUANTITY.finditer(text):
            unit_word = match.group("unit") or match.group("currency")
            if not unit_word:
                continue
            value, kind = read_quantity(match, language)
            # "Amortisation (68.400 € − 11.670 €) / 6.200 € | 9,2 Jahre": the cue comes before other numbers.
            wide = _left_context(text, match.start(), 0).lower()
            near = _left_context(text, match.start(), previous_end).lower()
            # "… liegen bei 72.900 €: 58.300 € für Strom" has no words of its own, "rund 1 Mio. € (genau
            # 1.029.000 €)" only says it is exact, "… 2,410 MWh a year and 854.9 t" only joins: these take
            # the words before the previous number.
            if not re.search(r"[^\W\d_]", re.sub(_EXACTLY + "|" + _CONNECTORS, "", near)):
                near = wide
            right = _right_context(text, match.end())
            previous_end = match.end()
            passage = None
            for field, (field_kind, _) in FIELDS.items():
                if field_kind != kind or field not in _CUES:
                    continue
                score = _score(field, wide if field == "payback_years" else near, right, unit.heading.lower())
                if score > 0:
                    adds_up = field in _SUMMED_FIELDS and _sums_up(value, earlier[field], field in _SAVINGS_FIELDS)
                    score += heading_bonus + (TOTAL_BONUS if adds_up else 0.0)
                earlier[field].append((value, score))
                if passage is None:
                    sentences = split_sentences(flat) if sentences is None else sentences
                    passage = _sentence_at(flat, _flat_position(text, match.start()), sentences)
                fact = Fact(document.doc_id, field, round(value, 3), unit.page, unit.heading, passage)
                found.append(Candidate(field, score, fact, " ".join(match.group(0).split())))
    return found


# A figure that is the sum of the figures of its field just before it ("Der Kälteteil kostete 698.000 €,
# die Photovoltaik 426.000 €; … 1,124 Mio. €", a table's total column) is the total, not one of its parts.
TOTAL_BONUS = 1.5
# Not funding: a cost table under "Investition und Förderung" would add up to a grant by its heading.
_SUMMED_FIELDS = ("co2e_saved_t_per_year", "energy_saved_mwh_per_year", "investment_eur")
_MAX_PARTS = 6


def _sums_up(value: float, earlier: list[tuple[float, float]], part_must_fit: bool) -> bool:
    """Is `value` the sum of the last two or more `earlier` (value, score) figures, none of which the
    rules rate as another figure (score < 0; grants that add up are no investment)? With
    `part_must_fit`, one of the parts must be a figure the rules would take on its own (score > 0):
    a site's consumption table adds up too."""
    total, fits = 0.0, not part_must_fit
    for count, (part, score) in enumerate(reversed(earlier[-_MAX_PARTS:]), 1):
        if score < 0:
            return False
        total, fits = total + part, fits or score > 0
        if count >= 2 and fits and value > 0 and abs(total - value) <= 0.005 * value:
            return True
    return False


def read_quantity(match: re.Match, language: str) -> tuple[float, str | None]:
    """A QUANTITY match as a value in its kind's unit (t, MWh, €, years) and that kind; without a unit
    word the number with its scale, and kind None."""
    unit_word = (match.group("unit") or match.group("currency") or "").lower()
    scale = (match.group("scale") or "").lower()
    whole, fraction = match.group("whole"), match.group("fraction")
    if scale and not fraction and re.fullmatch(r"\d{1,3}[.,]\d{3}", whole):
        value = float(f"{whole[:-4]}.{whole[-3:]}")  # "1,124 Mio. €", "EUR 1.125m": a decimal, not thousands
    else:
        value = parse_number(whole, fraction, language)
    value *= _UNIT_FACTOR.get(unit_word, 1.0) * _scale_factor(scale, bool(match.group("currency")))
    return value, _UNIT_KIND[unit_word] if unit_word else None


def _scale_factor(scale: str, after_currency: bool) -> float:
    if scale in _CURRENCY_SCALE:
        return _CURRENCY_SCALE[scale] if after_currency else 1.0
    return _SCALE.get(scale, 1.0)


_EXACTLY = r"\b(genau|exakt|exactly|precisely)\b"
# "saves 2,410 MWh a year and 854.9 t CO2e": the second figure shares the first one's words.
_CONNECTORS = r"\b(und|and|sowie|as well as|plus|a year|per year|pro jahr|im jahr|jährlich|annually)\b"


def _right_context(text: str, position: int) -> str:
    """The words just after a number, within its table cell or row: in "| 17.500 € |\n| **Gesamt** |"
    (or a PDF's "17.500 €\nGesamt 94.000 €") the next row's label is about the next number. Other line
    breaks in a PDF fall inside sentences ("94.000 €\ninvestiert", "80,5 t\nCO₂")."""
    right = text[position:position + 25]
    return re.split(r"\||\n\W*(?=(?:Gesamt|Summe|Insgesamt|Total)\b)", right)[0].lower()


def _sentence_start(text: str, start: int, position: int) -> int:
    """Where the sentence holding `position` begins, looking back no further than `start`; "Mio. €" or
    "ca. 5 t" end no sentence."""
    end = text.rfind(". ", start, position)
    while end >= start:
        word = re.split(r"\s", text[start:end])[-1].lower()
        if word not in ABBREVIATIONS:
            return end + 2
        end = text.rfind(". ", start, end)
    return start


def _left_context(text: str, position: int, previous_end: int) -> str:
    """The words that introduce the number at `position`: back to the previous number, the end of the
    previous sentence, or, in a table or a list, the start of the row or item (a column header says little
    about a row; the item before is about another figure)."""
    start = max(previous_end, position - LEFT_CONTEXT)
    line_start = text.rfind("\n", 0, position) + 1
    line = text[line_start:position]
    if line.lstrip().startswith(("|", "•", "- ", "* ", "– ")):  # a table row or a list item stands alone
        start = max(start, line_start)
    else:
        start = max(start, _sentence_start(text, start, position))
        # A PDF wraps list items: "• Investition: rund 1 Mio. € (genau\n1.029.000 €)" is still that item.
        start = max(start, text.rfind("•", start, position) + 1)
    return " ".join(text[start:position].split())


# For savings: a number in a "change" column (−303,8 t) or the result of a calculation (= 363,3 t) is the
# saving itself; one followed by "aus Erdgas" / "from electricity" is only a part of it.
_SAVINGS_FIELDS = ("co2e_saved_t_per_year", "energy_saved_mwh_per_year")


def _score(field: str, left: str, right: str, heading: str) -> float:
    score = 0.0
    if field in ("investment_eur", "funding_eur") and re.search(r"pro jahr|im jahr|per year|a year|/a\b|jährlich", right):
        return 0.0  # a yearly amount is a saving or a cost, not what was invested
    if re.search(r"\b(rund|etwa|ca\.|circa|knapp|gut|about|around|roughly|approximately|some|nearly|almost)\s*(€|eur)?\s*$", left):
        score -= 0.5  # "about €0.74m" when the table says EUR 735,000: the exact figure wins
    if field == "payback_years" and re.search(r"^\W*(amortisiert|refinanziert|bezahlt gemacht|zurückverdient)", right):
        score += 3.0  # German puts the verb last: "… nach 30 Monaten amortisiert"
    if field == "investment_eur" and re.search(r"^\W*(investiert|invested|investition|investment|in total|insgesamt|gesamt)\b", right):
        score += 1.5
    # "742,5 T€ Investition · 297 T€ Zuschuss", "EUR 615.5k in grants": named after the number.
    if re.search(r"^\W*(in )?(zuschuss|zuschüsse|förder|grants?\b|funding|subsid)", right):
        if field == "investment_eur":
            return 0.0
        if field == "funding_eur":
            score += 2.0
    # "cost EUR 14,050 less", "EUR 14,000 each", "€145.5k remained after the grant": not the project's cost.
    if field == "investment_eur" and re.search(
            r"^\W*(less|weniger|lower|günstiger|each|je\b|pro (stück|fahrzeug|gerät)|per (car|vehicle|unit|piece)"
            r"|remain|verbl[ie]|übrig)", right):
        return 0.0
    if field in _SAVINGS_FIELDS:
        if re.search(r"[−–-]\s*$|=\s*$", left):
            score += 2.5
        # "fallen von 1.420 t auf rund 940 t": both are levels, the saving is their difference.
        if re.search(r"\b(von|from)\s*$", left) and re.search(r"^\s*(t|mwh)?\s*(co2e?|co₂e?)?\s*(auf|to)\b", right):
            return 0.0
        if re.search(r"\b(von|from)\b[^.]*\b(auf|to)\s+(rund|etwa|ca\.|about|around)?\s*$", left):
            return 0.0
        if re.search(r"^\s*((co2|co₂)e?\s*)?(aus|from|für|for|durch|by)\b", right):
            score -= 1.0
        if re.search(r"pro jahr|im jahr|per year|a year|/a\b|jährlich|annually|yearly|per annum", right):
            score += 0.5
    for pattern, weight in _CUES[field]:
        if re.search(pattern, left):
            score += weight
        elif weight > 0 and re.search(pattern, heading):
            score += weight / 2
    if field == "co2e_saved_t_per_year" and not re.search(r"co2|co₂|thg|emission", left + right):
        return 0.0
    if field == "co2e_saved_t_per_year" and re.search(r"^\s*(co2e?|co₂e?)?\s*(/|per|pro|je)\s*(mwh|kwh|gwh)", right):
        return 0.0  # an emission factor (0,380 t/MWh), not a saving
    if field == "co2e_saved_t_per_year" and re.search(r"^[,;]?\s*(strom|erdgas|gas|heizöl|diesel|electricity|natural gas)\b", right):
        return 0.0  # a list of factors: "(Erdgas 0,201 t, Strom 0,380 t CO2e je MWh)"
    return score


def _find_programme(document: ReadDocument, unit, text: str, best: dict) -> None:
    """The programmes named in the sentences about funding (grants, not loans)."""
    flat = " ".join(text.split())
    for sentence in split_sentences(flat):
        if not re.search(r"förder|zuschuss|funding|grant|bafa|umweltbonus", sentence, re.IGNORECASE):
            continue
        codes = programme_codes(sentence)
        if codes and _LOAN_ONLY.search(sentence) and not re.search(r"zuschuss|grant", sentence, re.IGNORECASE):
            continue
        if codes:
            known = best.get("funding_programme")
            merged = list(dict.fromkeys((known[1].value.split("; ") if known else []) + codes))
            fact = known[1] if known else Fact(document.doc_id, "funding_programme", "", unit.page, unit.heading,
                                               sentence)
            best["funding_programme"] = (1.0, Fact(fact.doc_id, fact.field, "; ".join(merged), fact.page,
                                                   fact.heading, fact.passage))


def _find_scope(document: ReadDocument, unit, text: str, best: dict) -> None:
    scopes = sorted({int(s) for match in _SCOPE.finditer(text) for s in match.groups() if s})
    if scopes and ("scope" not in best or len(scopes) > len(best["scope"][1].value)):
        first = _SCOPE.search(text)
        best["scope"] = (1.0, Fact(document.doc_id, "scope", scopes, unit.page, unit.heading,
                                   _sentence_at(" ".join(text.split()), _flat_position(text, first.start()))))


def _flat_position(text: str, position: int) -> int:
    """Where `position` of `text` lands once its whitespace runs are squeezed to single spaces."""
    return len(" ".join(text[:position].split())) + (1 if position and text[position - 1].isspace() else 0)


def _sentence_at(text: str, position: int, sentences: list[str] | None = None) -> str:
    """The sentence of `text` that contains the character at `position` (`sentences`: the text's, if split
    already)."""
    offset = 0
    for sentence in split_sentences(text) if sentences is None else sentences:
        start = text.find(sentence, offset)
        if start < 0:
            continue
        end = start + len(sentence)
        if start <= position < end:
            return sentence
        offset = end
    return text[max(0, position - 100):position + 100]
