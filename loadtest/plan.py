"""What each chat session asks: conversations from the golden set, every follow-up right after the
question it continues, so that the session's history makes it answerable as in a partner's chat."""

from __future__ import annotations

from eval.golden import GoldenQuestion


def conversations(questions: list[GoldenQuestion], indexed_doc_ids: set[str]) -> list[list[GoldenQuestion]]:
    """Each question with the follow-ups that continue it, in the set's order. Only conversations whose
    questions the indexed documents can answer (a quick run indexes a few files); unanswerable questions
    stay in, as real traffic has them."""
    def answerable_here(question: GoldenQuestion) -> bool:
        return {e.doc_id for e in question.expected} <= indexed_doc_ids

    talks: dict[str, list[GoldenQuestion]] = {}
    opening_of: dict[str, str] = {}  # question id → the id of the question its chat opened with
    for question in questions:
        if question.follow_up_of is None:
            opening_of[question.id] = question.id
            talks[question.id] = [question]
        elif question.follow_up_of in opening_of:  # a follow-up of a follow-up joins the same chat
            opening_of[question.id] = opening_of[question.follow_up_of]
            talks[opening_of[question.id]].append(question)
    return [c for c in talks.values() if all(answerable_here(q) for q in c)]


def session_plans(conversations: list[list[GoldenQuestion]], sessions: int, questions: int) -> list[list[GoldenQuestion]]:
    """Every session opens with a conversation that has follow-ups (taken in turn), so the history is at
    work in each; then it goes on from its own place in the set (spread over all of it), wrapping around
    and not repeating its opening, until it has `questions` questions."""
    if not conversations:
        raise ValueError("no golden question can be answered from the indexed documents")
    threads = [c for c in conversations if len(c) > 1] or conversations
    plans = []
    for session in range(sessions):
        opening, position = threads[session % len(threads)], session * len(conversations) // sessions
        plan = list(opening)
        while len(plan) < questions:
            talk = conversations[position % len(conversations)]
            position += 1
            if talk is not opening or len(conversations) == 1:
                plan.extend(talk)
        plans.append(plan[:questions])
    return plans
