"""The staff tab: upload, correct, replace and delete documents; read the unanswered questions, the
feedback and the audit log. Every handler checks the login itself before it calls the service."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr

from assistant.accounts import STAFF, User
from assistant.service import Klimawissen
from indexing.facts import FIELDS, format_value
from indexing.pipeline import FAILED
from indexing.vocabulary import DOC_TYPES, LANGUAGES, MEASURE_TYPES, SECTORS, label
from ui.auth import user_from_cookies
from ui.texts import TEXTS

NOT_STAFF = "Bitte melden Sie sich als Team-Mitglied an: [Anmelden](/login)."
STATUS_LABELS = {"added": "neu aufgenommen", "updated": "aktualisiert", "unchanged": "unverändert", FAILED: "abgelehnt"}
DOCUMENT_COLUMNS = ["Titel", "ID", "Typ", "Status", "Abschnitte", "Branche", "Jahr", "Aktualisiert"]


def _staff(service: Klimawissen, request: gr.Request | None) -> User | None:
    user = user_from_cookies(service, request.cookies) if request else None
    return user if user is not None and user.role == STAFF else None


def _vocabulary_choices(vocabulary: dict) -> list[tuple[str, str]]:
    return [(label(vocabulary, key), key) for key in vocabulary]


def _parse_fact(field: str, value: str):
    """A corrected value as the facts store keeps it: a number (German or English notation), the scopes
    as a list, the programme as text."""
    kind = FIELDS[field][0]
    text = (value or "").strip()
    if not text:
        raise ValueError("Bitte einen Wert eingeben.")
    if kind == "text":
        return text
    if kind == "scopes":
        return sorted({int(s) for s in re.findall(r"[123]", text)})
    match = re.fullmatch(r"(\d{1,3}(?:[.\s]\d{3})+|\d+)(?:,(\d+))?|(\d+)\.(\d+)", text.replace("€", "").strip())
    if not match:
        raise ValueError(f"„{value}“ ist keine Zahl.")
    if match.group(3):
        return float(f"{match.group(3)}.{match.group(4)}")
    return float(re.sub(r"[.\s]", "", match.group(1)) + ("." + match.group(2) if match.group(2) else ""))


def document_rows(service: Klimawissen, search: str = "") -> list[list]:
    needle = (search or "").strip().lower()
    rows = []
    for record in service.documents():
        metadata = record.metadata
        row = [record.title, record.doc_id, record.file_type, record.status, record.chunk_count,
               label(SECTORS, metadata.get("sector", "")) if metadata.get("sector") else "",
               metadata.get("year", ""), record.updated_at]
        if not needle or any(needle in str(cell).lower() for cell in row):
            rows.append(row)
    return rows


def _result_rows(results) -> list[list]:
    return [[r.path.name, STATUS_LABELS.get(r.status, r.status), r.title, r.chunks, r.message] for r in results]


def build_staff_tab(service: Klimawissen, language: str = "de") -> None:
    words = TEXTS[language]

    def refresh(search: str, request: gr.Request):
        user = _staff(service, request)
        if user is None:
            return gr.update(visible=True, value=NOT_STAFF), gr.update(visible=False), [], gr.update(), [], [], []
        doc_ids = [(f"{d.title} ({d.doc_id})", d.doc_id) for d in service.documents()]
        return (
            gr.update(visible=True, value=f"Angemeldet als **{user.username}** (Team)."),
            gr.update(visible=True),
            document_rows(service, search),
            gr.update(choices=doc_ids),
            [[q.asked_at, q.question, q.closest] for q in service.unanswered.all()],
            [[f.at, f.label, f.question, f.comment, f.user] for f in service.feedback.recent()],
            [[e.at, e.actor, e.action, e.target, e.detail] for e in service.audit.recent()],
        )

    def upload(files, request: gr.Request, progress=gr.Progress()):
        user = _staff(service, request)
        if user is None:
            return NOT_STAFF, []
        files = files or []
        received = [(Path(f).name, Path(f).read_bytes()) for f in files]
        progress((0, len(received)), desc="Hochladen", unit="Dateien")

        def step(done: float, total: int, path: Path) -> None:
            state = "fertig" if done == int(done) else "wird indexiert"
            progress((done, total), desc=f"{path.name} {state}", unit="Dateien")

        results = service.upload(received, actor=user.username, progress=step)
        failed = sum(not r.ok for r in results)
        summary = f"{len(results) - failed} von {len(results)} Dateien aufgenommen."
        if failed:
            summary += f" {failed} abgelehnt – Gründe in der Tabelle."
        return summary, _result_rows(results)

    def load_metadata(doc_id: str, request: gr.Request):
        if _staff(service, request) is None or not doc_id:
            return [gr.update()] * 8
        metadata = service.document_metadata(doc_id)
        return (
            metadata.get("title", ""), metadata.get("company", ""), metadata.get("sector") or None,
            metadata.get("measure_types", []), metadata.get("year"), metadata.get("language") or None,
            metadata.get("doc_type") or None, fact_rows(doc_id),
        )

    def save_metadata(doc_id, title, company, sector, measures, year, doc_language, doc_type, request: gr.Request):
        user = _staff(service, request)
        if user is None:
            return NOT_STAFF
        if not doc_id:
            return "Bitte zuerst ein Dokument wählen."
        changes = {"title": title, "company": company, "sector": sector, "measure_types": measures or [],
                   "year": int(year) if year else None, "language": doc_language, "doc_type": doc_type}
        # Title and language cannot be cleared; an empty form field there means "leave as it is".
        changes = {key: value for key, value in changes.items() if value or key not in ("title", "language")}
        result = service.update_metadata(doc_id, changes, actor=user.username)
        return f"Abgelehnt: {result.message}" if not result.ok else f"Gespeichert: {result.title}"

    def fact_rows(doc_id: str) -> list[list]:
        return [[f.label, format_value(f.value), f"S. {f.page}" if f.page else f.heading or "Kopfbereich",
                 "ja" if f.confirmed else "", f.passage] for f in service.measure_facts(doc_id)] if doc_id else []

    def set_fact(doc_id: str, field: str, value: str, confirm_only: bool, request: gr.Request):
        user = _staff(service, request)
        if user is None:
            return NOT_STAFF, []
        if not doc_id or not field:
            return "Bitte Dokument und Kennzahl wählen.", fact_rows(doc_id)
        try:
            service.correct_fact(doc_id, field, None if confirm_only else _parse_fact(field, value), actor=user.username)
        except ValueError as error:
            return f"Abgelehnt: {error}", fact_rows(doc_id)
        return ("Bestätigt." if confirm_only else "Korrigiert."), fact_rows(doc_id)

    def correct_fact(doc_id: str, field: str, value: str, request: gr.Request):
        return set_fact(doc_id, field, value, False, request)

    def confirm_fact(doc_id: str, field: str, value: str, request: gr.Request):
        return set_fact(doc_id, field, value, True, request)

    def replace(doc_id: str, file, request: gr.Request):
        user = _staff(service, request)
        if user is None:
            return NOT_STAFF
        if not doc_id or not file:
            return "Bitte ein Dokument wählen und die neue Fassung auswählen."
        result = service.replace_document(doc_id, Path(file).name, Path(file).read_bytes(), actor=user.username)
        return f"Abgelehnt: {result.message}" if not result.ok else f"Neue Fassung aufgenommen: {result.title}"

    def delete(doc_id: str, confirmed: bool, request: gr.Request):
        user = _staff(service, request)
        if user is None:
            return NOT_STAFF, False
        if not doc_id or not confirmed:
            return "Bitte ein Dokument wählen und das Löschen bestätigen.", False
        deleted = service.delete_document(doc_id, actor=user.username)
        return (f"Gelöscht: {doc_id}" if deleted else f"Dokument {doc_id} gibt es nicht."), False

    with gr.Tab(words["staff_tab"], id="staff") as tab:
        status = gr.Markdown(NOT_STAFF, elem_id="staff-status")
        with gr.Column(visible=False, elem_id="staff-panel") as panel:
            with gr.Accordion("Dokumente hochladen", open=True):
                files = gr.File(label="PDF-, Markdown- oder Textdateien", file_count="multiple",
                                file_types=[".pdf", ".md", ".txt"], elem_id="upload-files")
                upload_button = gr.Button("Hochladen und indexieren", variant="primary", elem_id="upload")
                upload_summary = gr.Markdown(elem_id="upload-summary")
                upload_results = gr.Dataframe(headers=["Datei", "Ergebnis", "Titel", "Abschnitte", "Hinweis"],
                                              interactive=False, elem_id="upload-results")
            with gr.Accordion("Dokumente", open=True):
                search = gr.Textbox(label="Suchen", elem_id="document-search")
                documents = gr.Dataframe(headers=DOCUMENT_COLUMNS, interactive=False, elem_id="documents")
                chosen = gr.Dropdown(label="Dokument bearbeiten", choices=[], value=None, elem_id="chosen-document")
                with gr.Row():
                    title = gr.Textbox(label="Titel", elem_id="meta-title")
                    company = gr.Textbox(label="Unternehmen", elem_id="meta-company")
                    year = gr.Number(label="Jahr", value=None, precision=0, elem_id="meta-year")
                with gr.Row():
                    sector = gr.Dropdown(_vocabulary_choices(SECTORS), value=None, label="Branche",
                                         elem_id="meta-sector")
                    measures = gr.Dropdown(_vocabulary_choices(MEASURE_TYPES), multiselect=True,
                                           label="Maßnahmen", elem_id="meta-measures")
                    doc_language = gr.Dropdown(_vocabulary_choices(LANGUAGES), value=None, label="Sprache",
                                               elem_id="meta-language")
                    doc_type = gr.Dropdown(_vocabulary_choices(DOC_TYPES), value=None, label="Dokumentart",
                                           elem_id="meta-type")
                save = gr.Button("Metadaten speichern", elem_id="save-metadata")
                with gr.Row():
                    new_version = gr.File(label="Neue Fassung", file_types=[".pdf", ".md", ".txt"],
                                          elem_id="replace-file")
                    replace_button = gr.Button("Fassung ersetzen", elem_id="replace")
                with gr.Row():
                    confirm = gr.Checkbox(label="Ja, dieses Dokument löschen", elem_id="confirm-delete")
                    delete_button = gr.Button("Löschen", variant="stop", elem_id="delete")
                action_status = gr.Markdown(elem_id="document-action-status")
                gr.Markdown("**Kennzahlen des Fallbeispiels** – aus dem Kopfbereich oder dem Text gelesen; "
                            "bitte prüfen, bestätigen oder korrigieren.")
                facts = gr.Dataframe(headers=["Kennzahl", "Wert", "Fundstelle", "bestätigt", "Textstelle"],
                                     interactive=False, elem_id="facts")
                with gr.Row():
                    fact_field = gr.Dropdown([(label, key) for key, (_, label) in FIELDS.items()], value=None,
                                             label="Kennzahl", elem_id="fact-field")
                    fact_value = gr.Textbox(label="Richtiger Wert", elem_id="fact-value")
                    correct_button = gr.Button("Korrigieren", elem_id="correct-fact")
                    confirm_button = gr.Button("Bestätigen", elem_id="confirm-fact")
                fact_status = gr.Markdown(elem_id="fact-status")
            with gr.Accordion("Unbeantwortete Fragen", open=False):
                unanswered = gr.Dataframe(headers=["Gefragt", "Frage", "Nächste Dokumente"], interactive=False,
                                          elem_id="unanswered")
            with gr.Accordion("Rückmeldungen", open=False):
                feedback = gr.Dataframe(headers=["Wann", "Bewertung", "Frage", "Kommentar", "Benutzer"],
                                        interactive=False, elem_id="feedback-list")
            with gr.Accordion("Protokoll", open=False):
                audit = gr.Dataframe(headers=["Wann", "Wer", "Aktion", "Ziel", "Details"], interactive=False,
                                     elem_id="audit")
            refresh_button = gr.Button("Aktualisieren", elem_id="refresh")

    views = [status, panel, documents, chosen, unanswered, feedback, audit]
    tab.select(refresh, [search], views)
    refresh_button.click(refresh, [search], views)
    search.submit(refresh, [search], views)
    upload_button.click(upload, [files], [upload_summary, upload_results]).then(refresh, [search], views)
    form = [title, company, sector, measures, year, doc_language, doc_type]
    chosen.change(load_metadata, [chosen], [*form, facts])
    correct_button.click(correct_fact, [chosen, fact_field, fact_value], [fact_status, facts])
    confirm_button.click(confirm_fact, [chosen, fact_field, fact_value], [fact_status, facts])
    save.click(save_metadata, [chosen, *form], [action_status]).then(refresh, [search], views)
    replace_button.click(replace, [chosen, new_version], [action_status]).then(refresh, [search], views)
    delete_button.click(delete, [chosen, confirm], [action_status, confirm]).then(refresh, [search], views)
