"""The HTTP API behind the web app: asking, feedback, the published documents, and the staff functions.

Every route calls the assistant's service (the same API as the CLI); each staff route checks the login
on the server (ui/auth.py), so a partner or anonymous request is refused whatever the page shows.
"""

from __future__ import annotations

import html
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.accounts import User
from assistant.answering import Answer
from assistant.service import Klimawissen
from indexing.pipeline import FileResult
from indexing.readers import read_file
from ui.auth import chat_user, staff_user
from ui.rendering import section_anchor, source_link


class AskRequest(BaseModel):
    question: str = Field(max_length=2000)
    history: list[Annotated[str, Field(max_length=2000)]] = Field(default_factory=list, max_length=20)
    filters: dict[str, Any] = Field(default_factory=dict)


class FeedbackRequest(BaseModel):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)
    sources: list[str] = Field(default_factory=list, max_length=20)
    rating: str
    comment: str = Field(default="", max_length=2000)


class MetadataRequest(BaseModel):
    changes: dict[str, Any]


def answer_json(answer: Answer) -> dict:
    return {
        # The question as answered: a follow-up the model restated (setting follow_up_model) reads in full.
        "question": answer.question,
        "text": answer.text, "backend": answer.backend, "check": answer.check, "abstained": answer.abstained,
        "dropped": answer.dropped,
        "citations": [
            {"number": c.number, "title": c.passage.title, "doc_id": c.passage.doc_id, "page": c.passage.page,
             "heading": c.passage.heading, "text": c.passage.text, "link": source_link(c.passage)}
            for c in answer.citations
        ],
    }


def result_json(result: FileResult) -> dict:
    return {"file": result.path.name, "status": result.status, "doc_id": result.doc_id, "title": result.title,
            "chunks": result.chunks, "message": result.message}


def install_api_routes(api: FastAPI, service: Klimawissen) -> None:
    def staff(request: Request) -> User:
        return staff_user(service, request)

    def asker(request: Request) -> User | None:
        return chat_user(service, request)

    @api.post("/api/ask")
    def ask(body: AskRequest, user: User | None = Depends(asker)) -> dict:
        try:
            return answer_json(service.ask(body.question, body.history, body.filters or None))
        except ValueError as error:  # an unknown filter column
            raise HTTPException(422, str(error)) from error

    @api.post("/api/feedback")
    def feedback(body: FeedbackRequest, user: User | None = Depends(asker)) -> dict:
        try:
            number = service.feedback.record(body.question, body.answer, body.sources, body.rating, body.comment,
                                             user.username if user else "")
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
        return {"id": number}

    @api.get("/dokumente/{doc_id}")
    def document(doc_id: str, user: User | None = Depends(asker)):
        """A published document: the PDF itself (opened at #page=N), else a page with its sections."""
        path = service.document_file(doc_id)
        if path is None:
            raise HTTPException(404, "Dieses Dokument gibt es nicht (mehr).")
        if path.suffix.lower() == ".pdf":
            return FileResponse(path, media_type="application/pdf",
                                headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})
        return HTMLResponse(_document_view(path))

    @api.get("/api/documents")
    def documents(user: User = Depends(staff)) -> list[dict]:
        return [
            {"doc_id": d.doc_id, "title": d.title, "status": d.status, "chunks": d.chunk_count,
             "file_type": d.file_type, "updated_at": d.updated_at, "metadata": d.metadata}
            for d in service.documents()
        ]

    @api.post("/api/documents")
    async def upload(files: list[UploadFile] = File(...), user: User = Depends(staff)) -> list[dict]:
        limit = service.settings.max_upload_mb * 1024 * 1024
        received = [(f.filename or "", await f.read(limit + 1)) for f in files]
        # Indexing takes seconds: off the event loop, or every chat answer of this process waits for it.
        results = await run_in_threadpool(service.upload, received, actor=user.username)
        return [result_json(r) for r in results]

    @api.put("/api/documents/{doc_id}")
    async def replace(doc_id: str, file: UploadFile = File(...), user: User = Depends(staff)) -> dict:
        data = await file.read(service.settings.max_upload_mb * 1024 * 1024 + 1)
        return result_json(await run_in_threadpool(
            service.replace_document, doc_id, file.filename or "", data, actor=user.username))

    @api.patch("/api/documents/{doc_id}")
    def update_metadata(doc_id: str, body: MetadataRequest, user: User = Depends(staff)) -> dict:
        return result_json(service.update_metadata(doc_id, body.changes, actor=user.username))

    @api.delete("/api/documents/{doc_id}")
    def delete(doc_id: str, user: User = Depends(staff)) -> dict:
        if not service.delete_document(doc_id, actor=user.username):
            raise HTTPException(404, "Dieses Dokument gibt es nicht.")
        return {"deleted": doc_id}

    @api.get("/api/unanswered")
    def unanswered(user: User = Depends(staff)) -> list[dict]:
        return [asdict(q) for q in service.unanswered.all()]

    @api.get("/api/feedback")
    def feedback_list(user: User = Depends(staff)) -> list[dict]:
        return [asdict(f) for f in service.feedback.recent()]

    @api.get("/api/audit")
    def audit(user: User = Depends(staff)) -> list[dict]:
        return [asdict(e) for e in service.audit.recent()]


def _document_view(path) -> str:
    """A Markdown or text document as a page with one anchored section per heading, all text escaped."""
    document = read_file(path)
    sections = []
    for unit in document.units:
        heading = f"<h2>{html.escape(unit.heading)}</h2>" if unit.heading else ""
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in unit.text.split("\n\n") if p.strip())
        sections.append(f'<section id="{section_anchor(unit.heading)}">{heading}{paragraphs}</section>')
    title = html.escape(document.title)
    return (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
        '<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}'
        'section:target{background:#fff6c2;outline:.4rem solid #fff6c2}</style></head>'
        f"<body><h1>{title}</h1>{''.join(sections)}</body></html>"
    )

