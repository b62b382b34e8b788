"""From the raw asks to the report's figures: throughput, latency percentiles, errors, whether every
citation names a published document, whether any session starved, and (local model) whether a full
queue answers "busy" quickly instead of letting requests time out."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from assistant.answering.generative import BUSY
from bench.stats import percentile, summary
from loadtest.document import UPLOAD_ID
from loadtest.sessions import Ask
from loadtest.staff import StaffLog

STAFF_WRITES = ("upload", "replace", "delete")


def latency(seconds: Sequence[float]) -> dict:
    """n, p50, p95, p99, min and max in seconds."""
    return {**summary(seconds, 3), "p99": round(percentile(seconds, 0.99), 3)}


def load_figures(asks: list[Ask]) -> dict:
    answered = [a for a in asks if not a.error]
    span = max(a.ended for a in asks) - min(a.started for a in asks) if asks else 0.0
    errors = Counter(a.error.split(":")[0] for a in asks if a.error)
    return {
        "asked": len(asks), "answered": len(answered), "errors": sum(errors.values()), "errors_by_kind": dict(errors),
        "error_samples": [a.error for a in asks if a.error][:5],
        "span_s": round(span, 2), "throughput_answers_per_s": round(len(answered) / span, 2) if span else 0.0,
        "longest_silence": longest_silence(asks),
        "latency_s": latency([a.seconds for a in answered]),
        "latency_standalone_s": latency([a.seconds for a in answered if not a.follow_up]),
        "latency_follow_ups_s": latency([a.seconds for a in answered if a.follow_up]),
    }


def longest_silence(asks: list[Ask]) -> dict:
    """The longest stretch, from the first question on, in which no answer at all was delivered: a server
    that works on every request at once (or stalls) delivers nothing for a long time, then all at once."""
    delivered = sorted(a.ended for a in asks if not a.error)
    if not delivered:
        return {"seconds": 0.0, "from_s": 0.0, "to_s": 0.0}
    moments = [min(a.started for a in asks), *delivered]
    start, end = max(zip(moments, moments[1:]), key=lambda pair: pair[1] - pair[0])
    return {"seconds": round(end - start, 3), "from_s": round(start, 2), "to_s": round(end, 2)}


def staff_overlap(asks: list[Ask], staff: StaffLog) -> dict:
    """Does publishing a document hold up the chat? Latency of the asks open while an upload, replace or
    delete ran, against all others; and per write how many answers were still delivered while it ran (a
    server whose event loop is busy indexing delivers none until it is done)."""
    answered = [a for a in asks if not a.error]
    windows = {action: window for action in STAFF_WRITES if (window := staff.window(action))}
    def overlaps(a: Ask) -> bool:
        return any(a.started < end and a.ended > start for start, end in windows.values())
    return {
        "during_staff_writes_s": latency([a.seconds for a in answered if overlaps(a)]),
        "otherwise_s": latency([a.seconds for a in answered if not overlaps(a)]),
        "writes": {action: {"seconds": round(end - start, 3),
                            "answers_open": sum(1 for a in answered if a.started < end and a.ended > start),
                            "answers_delivered_during": sum(1 for a in answered if start < a.ended < end)}
                   for action, (start, end) in windows.items()},
    }


def citation_check(asks: list[Ask], staff: StaffLog) -> dict:
    """Every cited doc_id was listed by /api/documents during the run, and the uploaded document is cited
    only by answers open while it existed (from its upload's start to its delete's end)."""
    upload, delete = staff.window("upload"), staff.window("delete")
    lifetime = (upload[0] if upload else float("inf"), delete[1] if delete else float("inf"))
    answered = [a for a in asks if not a.error]
    unknown = sorted({d for a in answered for d in a.cited_doc_ids if d not in staff.known_doc_ids})
    outside = [f"session {a.session} turn {a.turn} at {a.started:.1f}-{a.ended:.1f} s" for a in answered
               if UPLOAD_ID in a.cited_doc_ids and (a.ended < lifetime[0] or a.started > lifetime[1])]
    return {
        "answers": len(answered), "answers_with_citations": sum(1 for a in answered if a.cited_doc_ids),
        "citations": sum(len(a.cited_doc_ids) for a in answered),
        "distinct_cited_documents": len({d for a in answered for d in a.cited_doc_ids}),
        "answers_citing_upload": sum(1 for a in answered if UPLOAD_ID in a.cited_doc_ids),
        "unknown_doc_ids": unknown, "upload_cited_outside_its_lifetime": outside,
        "all_cited_sources_exist": not unknown and not outside,
    }


def session_figures(asks: list[Ask], plans: list[list]) -> dict:
    """Did every session get all its answers, and how far apart are the luckiest and the unluckiest?"""
    per_session = []
    for number, plan in enumerate(plans):
        own = [a for a in asks if a.session == number]
        span = max(a.ended for a in own) - min(a.started for a in own) if own else 0.0
        per_session.append({"session": number, "planned": len(plan), "answered": sum(1 for a in own if not a.error),
                            "seconds": round(span, 3), "max_latency_s": round(max((a.seconds for a in own), default=0.0), 3)})
    starved = [s["session"] for s in per_session if s["answered"] < s["planned"]]
    slowest = sorted((a for a in asks if not a.error), key=lambda a: -a.seconds)[:5]
    return {
        "sessions": len(plans), "complete": len(plans) - len(starved), "starved_sessions": starved,
        "session_seconds": latency([s["seconds"] for s in per_session]),
        "max_latency_s": round(max((a.seconds for a in asks), default=0.0), 3),
        "slowest_asks": [{"session": a.session, "turn": a.turn, "question_id": a.question_id,
                          "started_s": round(a.started, 2), "seconds": round(a.seconds, 3)} for a in slowest],
        "per_session": per_session,
        "timeline": [[a.session, a.turn, a.question_id, round(a.started, 3), round(a.seconds, 3), a.error]
                     for a in sorted(asks, key=lambda a: a.started)],
    }


def answer_kinds(asks: list[Ask]) -> dict:
    answered = [a for a in asks if not a.error]
    return {"backends": dict(Counter(a.backend for a in answered)),
            "checks": dict(Counter(a.check or "-" for a in answered)),
            "abstained": sum(1 for a in answered if a.abstained)}


def busy_check(asks: list[Ask]) -> dict:
    """With the local model: answers turned away by the full queue ("busy") against generated ones; a
    busy answer should come back faster than a generated one, and no request should time out."""
    answered = [a for a in asks if not a.error]
    busy = [a.seconds for a in answered if a.check == BUSY]
    generated = [a.seconds for a in answered if a.check != BUSY]
    timeouts = sum(1 for a in asks if "Timeout" in a.error)
    return {"busy": latency(busy), "generated": latency(generated), "timeouts": timeouts,
            "busy_answers_quickly": bool(busy) and timeouts == 0
            and (not generated or percentile(busy, 0.95) < percentile(generated, 0.5))}
