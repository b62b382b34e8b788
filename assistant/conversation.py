"""Follow-up questions: turn "Und wie lange hat sich das amortisiert?" into a query retrieval can use.

A rule decides by default: a short question that starts like a continuation or leans on a pronoun
("das", "dafür", "sie", "it", "they") is read together with the previous question, and with the ones
before it while those were follow-ups too. With `follow_up_model` on, the answer model restates the
follow-up as a question of its own instead ("Wie lange hat sich die Wärmepumpe der Bäckerei
amortisiert?"), which the answer step can read too; the rule stands in whenever the model is busy,
fails or replies with something that is not a question. Every question after the first goes to the
model, which keeps a self-contained one as it is: it also catches follow-ups the rule misses. The
local 1.5B model retrieved worse that way than the rule does (docs/retrieval.md), so it is off by
default.
"""

from __future__ import annotations

import logging
import re

from llama_index.core.llms import ChatMessage, MessageRole

from indexing.language import detect_language

log = logging.getLogger(__name__)

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
# A chain of follow-ups is read back at most this many turns, so that a long chat does not pile every
# earlier question into the query (not measured: no golden chat is longer than four turns).
MAX_CONTEXT_TURNS = 3
# Each earlier turn goes into a model prompt (the rewrite's, the answer's) up to this length.
MAX_TURN_CHARS = 500


def is_follow_up(question: str) -> bool:
    words = question.split()
    if not words or len(words) > MAX_FOLLOW_UP_WORDS:
        return False
    return any(pattern.search(question) for pattern in (_CONTINUATION, _ANAPHORA, _BACK_REFERENCE))


def conversation_turns(previous_queries: list[str]) -> list[str]:
    """The earlier turns a follow-up leans on: the last question and, while that one was a follow-up
    too, the ones before it back to the question that stood on its own (at most MAX_CONTEXT_TURNS).
    In "Was hat Teekanne umgestellt?" → "Was hat das gekostet?" → "Und wann war es bezahlt?" the last
    turn needs the first one's company and the second one's topic."""
    turns: list[str] = []
    for earlier in reversed(previous_queries):
        turns.insert(0, earlier)
        if len(turns) == MAX_CONTEXT_TURNS or not is_follow_up(earlier):
            break
    return turns


def prompt_turns(previous_queries: list[str]) -> list[str]:
    """The turns a follow-up leans on as a model prompt shows them: each cut to MAX_TURN_CHARS, so that
    a long earlier question cannot crowd out the passages or delay the first token."""
    return [turn[:MAX_TURN_CHARS] for turn in conversation_turns(previous_queries)]


def standalone_query(question: str, previous_queries: list[str]) -> str:
    """The query to retrieve with: the question itself, or with the turns it leans on when it is a follow-up."""
    if previous_queries and is_follow_up(question):
        return " ".join([*conversation_turns(previous_queries), question])
    return question


REWRITE_RULES = {
    "de": "Du formulierst Rückfragen aus einem Chat so um, dass man sie ohne den Chat versteht. Ersetze Wörter "
          "wie „das“, „dafür“ oder „sie“ durch das, worauf sie sich beziehen (Firma, Anlage, Maßnahme), und "
          "übernimm Namen aus der vorigen Frage. Beantworte die Frage nicht. Ist sie schon für sich "
          "verständlich, gib sie unverändert zurück. Antworte nur mit der einen Frage.",
    "en": "You restate a follow-up question from a chat so that it can be understood without the chat. Replace "
          "words such as 'it', 'that' or 'they' with what they refer to (company, plant, measure), and keep the "
          "names from the earlier question. Do not answer the question. If it is already self-contained, "
          "return it unchanged. Reply with the one question only.",
}
REWRITE_TURN = {
    "de": "{earlier}\nRückfrage: {question}\nEigenständige Frage:",
    "en": "{earlier}\nFollow-up: {question}\nSelf-contained question:",
}
# One earlier turn on the line itself; two or three (a chain of follow-ups) one per line, oldest first.
EARLIER_TURNS = {
    "de": ("Vorige Frage: {turn}", "Vorige Fragen, die älteste zuerst:"),
    "en": ("Earlier question: {turn}", "Earlier questions, oldest first:"),
}
# Worked examples (fictional firms) shown as earlier chat turns; the last one is already self-contained.
REWRITE_EXAMPLES = {
    "de": [
        ("Wie viel hat die Bäckerei Sonnenkorn in den neuen Backofen investiert?", "Und wie viel CO2 spart er?",
         "Wie viel CO2 spart der neue Backofen der Bäckerei Sonnenkorn?"),
        ("Welche Förderung bekam die Spedition Weber für ihre E-Lkw?", "Wann hat sich das gerechnet?",
         "Wann hat sich die Investition der Spedition Weber in die E-Lkw amortisiert?"),
        ("Wie viel Strom spart die LED-Beleuchtung im Lager der Firma Kessler?",
         "Welche Förderprogramme gibt es für Wärmepumpen?", "Welche Förderprogramme gibt es für Wärmepumpen?"),
    ],
    "en": [
        ("How much electricity does the solar roof of the Kessler print shop produce?", "And what did it cost?",
         "What did the solar roof of the Kessler print shop cost?"),
        ("Which funding did the Weber haulage firm get for its electric trucks?", "When did that pay off?",
         "When did the Weber haulage firm's investment in electric trucks pay off?"),
        ("How much electricity does the LED lighting in the Kessler warehouse save?",
         "Which funding programmes exist for heat pumps?", "Which funding programmes exist for heat pumps?"),
    ],
}
_LABEL = re.compile(r"^\W*(eigenständige frage|self-contained question|rückfrage|follow-up|frage|question)\W*:\s*",
                    re.IGNORECASE)
MAX_REWRITE_TOKENS = 80
# A restatement may be this much longer than the follow-up and the longest earlier turn together:
# more is an answer, or the turns copied out.
REWRITE_SLACK_CHARS = 40


def _earlier(turns: list[str], language: str) -> str:
    one, several = EARLIER_TURNS[language]
    if len(turns) == 1:
        return one.format(turn=turns[0])
    return "\n".join([several, *(f"- {turn}" for turn in turns)])


def rewrite_messages(question: str, turns: list[str], language: str) -> list[ChatMessage]:
    language = language if language in REWRITE_RULES else "de"
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=REWRITE_RULES[language])]
    for earlier, follow_up, restated in REWRITE_EXAMPLES[language]:
        example = REWRITE_TURN[language].format(earlier=_earlier([earlier], language), question=follow_up)
        messages += [ChatMessage(role=MessageRole.USER, content=example),
                     ChatMessage(role=MessageRole.ASSISTANT, content=restated)]
    turn = REWRITE_TURN[language].format(earlier=_earlier(turns, language), question=question)
    return messages + [ChatMessage(role=MessageRole.USER, content=turn)]


def model_rewrite(llm, question: str, previous_queries: list[str]) -> str | None:
    """The follow-up restated by `llm` as a question of its own; None when there is nothing to restate,
    the model is busy or fails, or it replies with no restated question (an answer, a copy of the
    earlier turns, another language than the follow-up's). The model reads the turns the rule would
    (`prompt_turns`). A local model is asked only if it is free now (`chat_if_free`): the rule
    is better than waiting behind someone else's answer."""
    if not previous_queries or not question.strip():
        return None
    turns = prompt_turns(previous_queries)
    language = detect_language(question)
    ask = getattr(llm, "chat_if_free", llm.chat)
    try:
        reply = ask(rewrite_messages(question, turns, language), max_tokens=MAX_REWRITE_TOKENS,
                    temperature=0.0).message.content or ""
    except Exception as error:  # a busy, missing or failing model: the rule reads the follow-up instead
        log.info("follow-up rewriting: no restatement from the model (%s); the rule reads the question", error)
        return None
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    restated = _LABEL.sub("", lines[0]).strip(" \"'„“”»«") if lines else ""
    copies = {text.strip().casefold() for text in [*previous_queries, " ".join(turns)]}
    if (not restated.endswith("?") or restated.casefold() in copies
            or len(restated) > len(question) + max(map(len, turns)) + REWRITE_SLACK_CHARS
            or detect_language(restated) != language):
        log.info("follow-up rewriting: the model's reply %r is no restated question; the rule reads it", reply[:200])
        return None
    return restated
