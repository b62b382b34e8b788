"""The web chat: a question in, an answer with [n] markers and its numbered sources out."""

from __future__ import annotations

import gradio as gr

from assistant.service import Klimawissen
from ui.rendering import answer_markdown, answer_status, sources_markdown

TITLE = "Klimawissen – Klimapakt mit der Wirtschaft Düsseldorf"


def _message_text(content) -> str:
    """A chat message's text, whether gradio hands it back as a string or as a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def build_app(service: Klimawissen) -> gr.Blocks:
    def respond(question: str, history: list[dict]):
        """Streams: sources and the extractive draft first, then the model's words, then the checked answer."""
        question = (question or "").strip()
        if not question:
            yield "", history, gr.update()
            return
        earlier = [_message_text(m["content"]) for m in history if m["role"] == "user"]
        history = history + [{"role": "user", "content": question}]
        for answer in service.ask_stream(question, history=earlier):
            reply = {"role": "assistant", "content": f"{answer_markdown(answer)}\n\n*{answer_status(answer)}*"}
            yield "", history + [reply], sources_markdown(answer)

    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(f"## {TITLE}\nFragen Sie nach Klimaschutz-Maßnahmen der Partner. "
                    "Jede Antwort nennt ihre Quellen mit Seite und Textstelle.")
        service.answerer  # start the answer backend now; if it cannot run, say so on the page
        if service.backend_notice:
            gr.Markdown(f"**Hinweis:** {service.backend_notice}", elem_id="backend-notice")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", elem_id="chat", height=480)
                question = gr.Textbox(label="Ihre Frage", elem_id="question",
                                      placeholder="z. B. Welche Förderung gibt es für Druckluft?")
                send = gr.Button("Fragen", variant="primary", elem_id="ask")
            with gr.Column(scale=2):
                gr.Markdown("### Quellen")
                sources = gr.Markdown("*Noch keine Frage gestellt.*", elem_id="sources")
        question.submit(respond, [question, chat], [question, chat, sources])
        send.click(respond, [question, chat], [question, chat, sources])
    return app
