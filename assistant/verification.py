"""Checks on a generated answer, in code: every [n] points to a given passage, and every number with
its unit appears in a passage the sentence cites. What fails is dropped; too little left means the
answer falls back to the extractive one.

Numbers are compared as values, so "1.200 kW", "1,200 kW" and "1200 kW" agree, and "28,1 t" matches
"28.1 t"; an ambiguous "1.200" may mean 1200 (German) or 1.2 (English), and either reading counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexing.sentences import split_sentences

_MARKER = re.compile(r"\[(\d+)\]")
# A number, optionally with thousands separators and a decimal part, optionally followed by a unit.
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,](\d+))?\s*"
    r"(%|prozent|percent|kt|t|tonnen|tons|gwh|mwh|kwh|kwp|kw|mw|€|eur|euro|jahre|jahren|years|ct)?(?![\w])",
    re.IGNORECASE,
)
_UNIT_FAMILIES = {
    "%": "%", "prozent": "%", "percent": "%", "t": "t", "tonnen": "t", "tons": "t", "kt": "kt",
    "gwh": "gwh", "mwh": "mwh", "kwh": "kwh", "kwp": "kwp", "kw": "kw", "mw": "mw", "€": "€", "eur": "€",
    "euro": "€", "jahre": "years", "jahren": "years", "years": "years", "ct": "ct",
}
# Years and small counts in prose ("3 Transporter", "2035") are not figures we hold an answer to.
_CHECKED_WITHOUT_UNIT_ABOVE = 9999


# Share of a sentence's content words that a passage must contain for a marker to be added in code;
# less when the sentence has numbers and the passage holds every one of them (strong evidence already).
ATTRIBUTION_OVERLAP = 0.5
ATTRIBUTION_OVERLAP_WITH_NUMBERS = 0.35

# Small models write "Laut Quelle 2, …" / "According to Source 1, …" instead of a marker.
_LEADING_MENTION = re.compile(
    r"^(?:laut|gemäß|nach|wie|according to|as (?:stated|shown) in|in)\s+(?:der\s+)?(?:quelle|source)\s+\[?(\d+)\]?"
    r"\s*[,:]\s*",
    re.IGNORECASE,
)
_INLINE_MENTION = re.compile(r"\b(Quelle|Source)\s+(\d+)\b", re.IGNORECASE)


def normalise_source_mentions(sentence: str) -> str:
    """Turn written-out source mentions into [n] markers: "According to Source 1, X." becomes "X [1].",
    "Laut Quelle 3 spart …" becomes "Laut Quelle [3] spart …"."""
    match = _LEADING_MENTION.match(sentence)
    if match:
        rest = sentence[match.end():]
        rest = rest[:1].upper() + rest[1:]
        end = re.search(r"[.!?]?\s*$", rest)
        return f"{rest[:end.start()]} [{match.group(1)}]{rest[end.start():]}".strip()
    return _INLINE_MENTION.sub(lambda m: f"{m.group(1)} [{m.group(2)}]", sentence)


def _attribute(sentence: str, passages: list[str]) -> int | None:
    """The passage (1-based) that holds an unmarked sentence: best word overlap, all numbers present."""
    from indexing.keyword import analyse

    words = set(analyse(sentence)[0])
    if not words:
        return None
    needed = [q for q in quantities(sentence) if q.unit or max(q.values) > _CHECKED_WITHOUT_UNIT_ABOVE]
    best, best_overlap = None, ATTRIBUTION_OVERLAP_WITH_NUMBERS if needed else ATTRIBUTION_OVERLAP
    for number, passage in enumerate(passages, start=1):
        overlap = len(words & set(analyse(passage)[0])) / len(words)
        available = quantities(passage)
        if overlap >= best_overlap and all(any(q.matches(a) for a in available) for q in needed):
            best, best_overlap = number, overlap
    return best


@dataclass(frozen=True)
class Quantity:
    values: frozenset[float]
    unit: str  # unit family, "" when none was written

    def matches(self, other: "Quantity") -> bool:
        return bool(self.values & other.values) and (not self.unit or not other.unit or self.unit == other.unit)


def quantities(text: str) -> list[Quantity]:
    found = []
    for match in _NUMBER.finditer(text):
        whole, fraction, unit = match.group(1), match.group(2), (match.group(3) or "").lower()
        found.append(Quantity(frozenset(_readings(whole, fraction)), _UNIT_FAMILIES.get(unit, "")))
    return found


def _readings(whole: str, fraction: str | None) -> set[float]:
    """All values a written number can mean in German or English notation."""
    digits = re.sub(r"[.,\s]", "", whole)
    readings = {float(digits + ("." + fraction if fraction else ""))}
    groups = re.split(r"[.,\s]", whole)
    if len(groups) == 2 and fraction is None:  # "1.200" / "1,200": thousands, or a decimal with 3 places
        readings.add(float(f"{groups[0]}.{groups[1]}"))
    return readings


@dataclass
class SentenceCheck:
    sentence: str
    markers: list[int]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Verification:
    checks: list[SentenceCheck]

    @property
    def kept(self) -> list[SentenceCheck]:
        return [check for check in self.checks if check.ok]

    @property
    def dropped(self) -> list[SentenceCheck]:
        return [check for check in self.checks if not check.ok]

    @property
    def text(self) -> str:
        return " ".join(check.sentence for check in self.kept)

    def supported_share(self) -> float:
        return len(self.kept) / len(self.checks) if self.checks else 0.0


def verify_answer(answer: str, passages: list[str]) -> Verification:
    """Check each sentence of a generated answer against the passages it cites ([1] = passages[0]).

    A sentence the model left without a marker gets one in code when a single passage clearly holds it
    (most of its words and all of its numbers); otherwise it counts as unsupported.
    """
    checks = []
    for sentence in split_sentences(answer):
        sentence = normalise_source_mentions(sentence)
        markers = [int(n) for n in _MARKER.findall(sentence)]
        if not markers:
            source = _attribute(sentence, passages)
            if source:
                sentence, markers = f"{sentence} [{source}]", [source]
        check = SentenceCheck(sentence, markers)
        if not markers:
            check.problems.append("keine Quellenangabe")
        invalid = [n for n in markers if not 1 <= n <= len(passages)]
        if invalid:
            check.problems.append(f"Quelle {', '.join(map(str, invalid))} existiert nicht")
        cited = " ".join(passages[n - 1] for n in markers if 1 <= n <= len(passages))
        available = quantities(cited)
        for quantity in quantities(_MARKER.sub(" ", sentence)):
            if not quantity.unit and max(quantity.values) <= _CHECKED_WITHOUT_UNIT_ABOVE:
                continue
            if not any(quantity.matches(candidate) for candidate in available):
                check.problems.append("Zahl nicht in der zitierten Quelle belegt")
                break
        checks.append(check)
    return Verification(checks)
