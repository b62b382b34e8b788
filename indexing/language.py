"""German or English? Counted by function words: enough for whole documents and for questions."""

from __future__ import annotations

import re

# Words both languages use ("in", "an", "was") are in neither list: "in" tipped "In welchem Jahr …?" to English.
_GERMAN = frozenset(
    "der die das und ist nicht ein eine einen einem einer mit auf für den dem des sich auch wie wir wird wurde "
    "wurden werden im zu zum zur von bei aus nach oder aber wenn welche welcher welchen welchem welches wer "
    "wo wann warum weshalb wieso hat haben sind war es sein seine ihr ihre kann können soll sollte sollten "
    "muss dass über um bis seit viel viele".split()
)
_ENGLISH = frozenset(
    "the and is not a with on for to of it its were be been are has have had what which who whom whose how "
    "where why did does do this that from by at or but when they their there can could should would will "
    "many much".split()
)
_WORD = re.compile(r"[a-zäöüß]+")
DEFAULT_LANGUAGE = "de"  # the pact's working language decides when the words do not


def detect_language(text: str) -> str:
    words = _WORD.findall(text.lower())
    german = sum(word in _GERMAN for word in words)
    english = sum(word in _ENGLISH for word in words)
    return "en" if english > german else DEFAULT_LANGUAGE
