"""docs/loadtest.md from the run's results: the command, the machine, the verdicts, then the figures."""

from __future__ import annotations


def targets(results: dict) -> list[dict]:
    """What a run must show; each with what was measured and whether it was met."""
    load, sessions, citations = results["load"], results["sessions"], results["citations"]
    rows = [
        ("errors (HTTP, timeouts, malformed or empty answers)", "0", load["errors"], load["errors"] == 0),
        ("every cited doc_id was a published document", "all", citations["all_cited_sources_exist"],
         citations["all_cited_sources_exist"]),
        ("sessions that got all their answers", f"{sessions['sessions']}", sessions["complete"],
         sessions["complete"] == sessions["sessions"]),
        ("staff upload, replace, delete and the chat's answers after each", "all ok",
         "ok" if results["staff"]["ok"] else "failed", results["staff"]["ok"]),
    ]
    if "busy" in results:
        busy = results["busy"]
        rows.append(("full model queue answers 'busy' faster than the model, no timeouts", "yes",
                     f"{busy['busy']['n']} busy, p95 {busy['busy']['p95']} s; {busy['timeouts']} timeouts",
                     busy["busy_answers_quickly"]))
    return [{"what": w, "target": t, "measured": m, "met": ok} for w, t, m, ok in rows]


def _latency_row(name: str, figures: dict) -> str:
    return (f"| {name} | {figures['n']} | {figures['p50']} | {figures['p95']} | {figures['p99']} | "
            f"{figures['min']} | {figures['max']} |")


def markdown_report(results: dict) -> str:
    config, machine, load = results["config"], results["machine"], results["load"]
    sessions, citations, server = results["sessions"], results["citations"], results["server"]
    error_kinds = ", ".join(f"{kind} ×{count}" for kind, count in load["errors_by_kind"].items())
    lines = [
        "# Load test",
        "",
        f"Command: `{results['command']}` — started {results['started']}, {results['seconds']} s in all.",
        "",
        f"{'Quick run (a check of the harness, not a measurement). ' if results['quick'] else ''}"
        f"{config['sessions']} concurrent chat sessions × {config['questions_per_session']} golden questions "
        f"(follow-ups sent with the session's earlier questions as history) against one `klimawissen serve` on "
        f"127.0.0.1, answer backend **{config['backend']}**, {config['documents_indexed']} documents indexed; "
        f"meanwhile a staff user uploads a case study through the API, replaces it and deletes it. Request "
        f"timeout {config['request_timeout_s']} s, run deadline {config['deadline_s']} s.",
        "",
        f"Machine: {machine['cpu']}, {machine['cpu_count']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, {machine['platform']}; load average at start "
        f"{machine['load_average_at_start']}, at end {machine['load_average_at_end']}. "
        "Client and server share the machine.",
        "",
        "## Targets",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
        *(f"| {t['what']} | {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |"
          for t in results["targets"]),
        "",
        "## Throughput and latency",
        "",
        f"**{load['throughput_answers_per_s']} answers/s**: {load['answered']} answers of {load['asked']} "
        f"questions asked in {load['span_s']} s (first question sent → last answer received); "
        f"{load['errors']} errors{': ' + error_kinds if error_kinds else ''}.",
        "",
        f"Longest time in which no answer was delivered: {load['longest_silence']['seconds']} s (from "
        f"{load['longest_silence']['from_s']} s to {load['longest_silence']['to_s']} s of the run).",
        "",
        "| latency (s) | n | p50 | p95 | p99 | min | max |",
        "|---|---|---|---|---|---|---|",
        _latency_row("all answers", load["latency_s"]),
        _latency_row("standalone questions", load["latency_standalone_s"]),
        _latency_row("follow-ups", load["latency_follow_ups_s"]),
        _latency_row("open while staff uploaded/replaced/deleted", results["staff_overlap"]["during_staff_writes_s"]),
        _latency_row("all other answers", results["staff_overlap"]["otherwise_s"]),
    ]
    if "busy" in results:
        lines += [_latency_row("local model: 'busy' answers", results["busy"]["busy"]),
                  _latency_row("local model: generated answers", results["busy"]["generated"])]
    writes = results["staff_overlap"]["writes"]
    answers = results["answers"]
    lines += [
        "",
        "Answers delivered while a staff write ran: "
        + "; ".join(f"{action} ({w['seconds']} s): {w['answers_delivered_during']} of {w['answers_open']} open"
                    for action, w in writes.items()) + ".",
        "",
        f"Answers by backend {answers['backends']}, by check {answers['checks']}; {answers['abstained']} said "
        "the documents do not answer the question.",
        "",
        "## No session starved",
        "",
        f"{sessions['complete']} of {sessions['sessions']} sessions got all their answers"
        f"{'; incomplete: ' + ', '.join(map(str, sessions['starved_sessions'])) if sessions['starved_sessions'] else ''}. "
        f"Longest single wait {sessions['max_latency_s']} s. A whole session took p50 "
        f"{sessions['session_seconds']['p50']} s, max {sessions['session_seconds']['max']} s.",
        "",
        "Slowest answers (every ask is in the JSON's sessions.timeline: session, turn, question, sent at, seconds, error):",
        "",
        "| session | turn | question | sent at (s) | seconds |",
        "|---|---|---|---|---|",
        *(f"| {a['session']} | {a['turn']} | {a['question_id']} | {a['started_s']} | {a['seconds']} |"
          for a in sessions["slowest_asks"]),
        "",
        "## Citations",
        "",
        f"{citations['answers_with_citations']} of {citations['answers']} answers cite sources, "
        f"{citations['citations']} citations of {citations['distinct_cited_documents']} documents; "
        f"{citations['answers_citing_upload']} cite the uploaded case study. Unknown doc_ids: "
        f"{citations['unknown_doc_ids'] or 'none'}; the upload cited outside its lifetime: "
        f"{citations['upload_cited_outside_its_lifetime'] or 'never'}. (Known = every id GET /api/documents "
        "listed during the run.)",
        "",
        "## Staff during the load",
        "",
        "| step | at (s) | seconds | ok | detail |",
        "|---|---|---|---|---|",
        *(f"| {s['action']} | {s['started']} | {s['seconds']} | {'yes' if s['ok'] else '**no**'} | {s['detail']} |"
          for s in results["staff"]["steps"]),
        "",
        "## Server",
        "",
        f"RSS of the `klimawissen serve` process: {server['rss_mb_at_start']} MB when the load began, "
        f"{server['rss_mb_max_sampled']} MB at most while it ran (sampled every {server['sample_interval_s']} s), "
        f"{server['rss_mb_at_end']} MB at the end; peak (VmHWM) {server['peak_rss_mb_vmhwm']} MB. Threads: "
        f"{server['threads_at_start']} when the load began, {server['threads_max_sampled']} at most. "
        f"CPU while the load ran: server {server['cpu_seconds']} s ({server['cpu_ms_per_answer']} ms per session "
        f"answer, the staff's indexing and questions included), load-test client {results['client']['cpu_seconds']} s.",
        "",
    ]
    return "\n".join(lines)
