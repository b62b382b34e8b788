"""Follow-up questions: turn "Und wie lange hat sich das amortisiert?" into a query retrieval can use.

Without an LLM, a rule decides: a short question that starts like a continuation or leans on a
pronoun ("das", "dafür", "sie", "it", "they") is read together with the previous question.
"""

from __future__ import annotations

import re

_CONTINUATION = re.compile(
    r"^\s*(und|aber|also|sowie|and|but|so|what about|how about|wie sieht es|was ist mit)\b", re.IGNORECASE
)
_ANAPHORA = re.compile(
    r"\b(dies|diese[rsmn]?|dafür|dabei|damit|davon|dadurch|darauf|dort|deren|dessen|ihnen|"
    r"it|its|they|them|their|this|that|these|those|there)\b"
    # "das"/"es" are articles and expletives too; only "… hat das gekostet?" at the end points back.
    r"|\b(das|es)\s+\w+\s*\?\s*$",
    re.IGNORECASE,
)
# Lower-case "sie" is "they"/"she" (a polite "Sie" is capitalised); "das Ganze" is the whole project.
_BACK_REFERENCE = re.compile(r"\bsie\b|\b[Dd]as Ganze\b")
MAX_FOLLOW_UP_WORDS = 14


def is_follow_up(question: str) -> bool:
    words = question.split()
    if not words or len(words) > MAX_FOLLOW_UP_WORDS:
        return False
    return any(pattern.search(question) for pattern in (_CONTINUATION, _ANAPHORA, _BACK_REFERENCE))


def standalone_query(question: str, previous_queries: list[str]) -> str:
    """The query to retrieve with: the question itself, or with the previous one when it is a follow-up."""
    if previous_queries and is_follow_up(question):
        return f"{previous_queries[-1]} {question}"
    return question
