"""Do the sources answer the question? The model is asked before it writes an answer.

Retrieval cannot tell an on-topic question the documents leave open ("Wie viel CO2 spart die Rheinbahn
durch ihre Elektrobusse?") from one they answer: the passages look alike to the embedder, and asked
anyway the small local model answers with a figure from a neighbouring case study, which the number
check then finds in the cited passage. Reading the passages is the model's job, so it is asked, with
the answer's own rules and sources, whether they state what is asked. The question is appended to the
answer prompt, so llama.cpp reuses the evaluated prompt for the answer and the check costs a few dozen
tokens. The local model leans to "yes"; its "yes" counts only when it is `margin` (log-odds) likelier
than its "no" (chosen and measured in docs/answers.md).
"""

from __future__ import annotations

import re

from llama_index.core.llms import ChatMessage

QUESTION = {
    "de": "Steht die Antwort auf die Frage wirklich in den Quellen? Antworte nur mit Ja oder Nein.",
    "en": "Is the answer to the question really in the sources? Answer only Yes or No.",
}
YES_NO = {"de": ("Ja", "Nein"), "en": ("Yes", "No")}
_NO = re.compile(r"^\W*(nein|no)\b", re.IGNORECASE)


def check_messages(messages: list[ChatMessage], language: str) -> list[ChatMessage]:
    """The answer prompt with the yes/no question added to its last message (the prefix stays the same)."""
    *head, last = messages
    return [*head, ChatMessage(role=last.role, content=f"{last.content}\n\n{QUESTION[language]}")]


def sources_answer(llm, messages: list[ChatMessage], language: str, margin: float) -> bool:
    """True when the model says the sources answer the question. The local model's first token is read
    with the calibrated margin; any other chat model (an OpenAI-compatible server) answers in words."""
    language = language if language in QUESTION else "de"
    asked = check_messages(messages, language)
    if hasattr(llm, "says_yes"):
        return llm.says_yes(asked, *YES_NO[language], margin=margin)
    reply = llm.chat(asked, max_tokens=3).message.content or ""
    return not _NO.match(reply)


def sources_log_odds(llm, messages: list[ChatMessage], language: str) -> float:
    """The local model's log-odds of "yes" against "no": what `sources_answer` compares with the margin
    (eval/sources_check.py reads it to choose the margin)."""
    language = language if language in QUESTION else "de"
    with llm.turn() as turn:
        return turn.yes_log_odds(check_messages(messages, language), *YES_NO[language])
