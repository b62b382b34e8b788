"""Serve the web app with uvicorn: login and API routes, the chat in German (/) and English (/en/)."""

from __future__ import annotations

import logging
import threading

from assistant.config import Settings
from assistant.service import Klimawissen

log = logging.getLogger(__name__)

NO_STAFF_HINT = (
    "Es gibt noch kein Team-Konto. Anlegen mit:\n"
    "  .venv/bin/klimawissen users add NAME --role staff"
)


def create_server_app(service: Klimawissen):
    import gradio as gr
    from fastapi import FastAPI

    from ui.api import install_api_routes
    from ui.app import CSS, build_app
    from ui.auth import install_login_routes, user_from_cookies

    api = FastAPI(title="Klimawissen")

    @api.get("/healthz")
    def health() -> dict:
        """Answers from the first moment on; `search` says whether the embedding model is loaded yet."""
        return {"status": "ok", "documents": len(service.documents()),
                "search": "ready" if service.warmed_up.is_set() else "loading"}

    install_login_routes(api, service)
    install_api_routes(api, service)

    def signed_in(request) -> str | None:
        """With a protected chat, gradio answers 401 to anyone without a session."""
        user = user_from_cookies(service, request.cookies)
        return user.username if user else None

    protection = {"auth_dependency": signed_in} if service.settings.chat_requires_login else {}
    protection["footer_links"] = []  # no "use via API" / "built with" links on a projector
    api = gr.mount_gradio_app(api, build_app(service, "en"), path="/en", css=CSS, **protection)
    return gr.mount_gradio_app(api, build_app(service, "de"), path="/", css=CSS, **protection)


def repair_index(service: Klimawissen) -> None:
    """Before serving, clean up what an ingest killed midway left behind and say what was done."""
    from indexing.consistency import counts_agree, repair

    if counts_agree(service.pipeline):
        return
    result = repair(service.pipeline)
    for action in result.actions:
        print(f"Index repariert: {action}", flush=True)
    for problem in result.report.problems:
        print(f"Index-Problem, bitte `klimawissen check` ausführen: {problem.message}", flush=True)


def serve(settings: Settings) -> None:
    import uvicorn

    service = Klimawissen(settings)
    repair_index(service)
    app = create_server_app(service)
    # The embedding model loads while the server already listens: health checks answer at once, and a
    # question asked meanwhile waits for the model instead of failing.
    threading.Thread(target=service.warm_up, name="warm-up", daemon=True).start()
    if not service.accounts.has_staff():
        print(NO_STAFF_HINT, flush=True)
    print(f"Klimawissen läuft: http://{settings.host}:{settings.port}/", flush=True)
    # Open chat streams must not keep a stopping server alive for long.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)
