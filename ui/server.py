"""Serve the web app with uvicorn on the configured host and port."""

from __future__ import annotations

import logging

from assistant.config import Settings
from assistant.service import Klimawissen

log = logging.getLogger(__name__)


def create_server_app(service: Klimawissen):
    import gradio as gr
    from fastapi import FastAPI

    from ui.app import build_app

    api = FastAPI(title="Klimawissen")

    @api.get("/healthz")
    def health() -> dict:
        return {"status": "ok", "documents": len(service.documents())}

    return gr.mount_gradio_app(api, build_app(service), path="/")


def serve(settings: Settings) -> None:
    import uvicorn

    service = Klimawissen(settings)
    service.warm_up()
    app = create_server_app(service)
    print(f"Klimawissen läuft: http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
