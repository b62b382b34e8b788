"""The web app: the partners' chat and the staff's document tab, in German (/) and English (/en/).

Thin on purpose: every action calls the assistant's service; logins are checked on the server for each
staff action (ui/staff.py), not only by hiding the tab.
"""

from __future__ import annotations

import html

import gradio as gr

from assistant.feedback import RATING_LABELS, RATINGS
from assistant.service import Klimawissen
from indexing.vocabulary import LANGUAGES, MEASURE_TYPES, SECTORS, label
from ui.auth import user_from_cookies
from ui.facilitator import FACILITATOR_CSS, build_facilitator_tab
from ui.rendering import answer_markdown, answer_status, sources_html
from ui.staff import build_staff_tab
from ui.texts import EXAMPLE_QUESTIONS, TEXTS

CSS = """
.kw-source{border:1px solid #ccc;border-radius:.5rem;padding:.6rem .8rem;margin-bottom:.7rem}
.kw-source-where{color:#555;font-size:.9em;margin:.2rem 0}
.kw-source blockquote{margin:.4rem 0;padding-left:.6rem;border-left:3px solid #8bb}
.kw-source mark{background:#fff3a8}
""" + FACILITATOR_CSS


def _message_text(content) -> str:
    """A chat message's text, whether gradio hands it back as a string or as a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _choices(vocabulary: dict, language: str, words: dict) -> list[tuple[str, str]]:
    return [(words["any"], "")] + [(label(vocabulary, key, language), key) for key in vocabulary]


def _filters(sector: str, measure: str, year: str, source_language: str) -> dict:
    filters = {"sector": sector, "measure_types": measure, "language": source_language}
    filters = {key: value for key, value in filters.items() if value}
    if year:
        filters["year"] = int(year)
    return filters


def _example_text(event: gr.SelectData) -> str:
    return event.value["text"]


def user_line(service: Klimawissen, request: gr.Request, words: dict) -> str:
    user = user_from_cookies(service, request.cookies) if request else None
    if user is None:
        return f'<a href="/login?next=/" id="login-link">{words["login"]}</a>'
    return (
        f'{html.escape(user.username)} ({html.escape(user.role)}) · '
        f'<form method="post" action="/logout" style="display:inline">'
        f'<button type="submit" id="logout">{words["logout"]}</button></form>'
    )


def build_app(service: Klimawissen, language: str = "de") -> gr.Blocks:
    words = TEXTS[language]

    def year_choices() -> list[tuple[str, str]]:
        years = sorted({str(d.metadata["year"]) for d in service.documents() if d.metadata.get("year")})
        return [(words["any"], "")] + [(y, y) for y in years]

    def respond(question: str, history: list[dict], sector: str, measure: str, year: str, source_language: str):
        """Streams: sources and the extractive draft first, then the model's words, then the checked answer."""
        question = (question or "").strip()
        if not question:
            yield "", history, gr.update(), gr.update()
            return
        earlier = [_message_text(m["content"]) for m in history if m["role"] == "user"]
        history = history + [{"role": "user", "content": question}]
        for answer in service.ask_stream(question, earlier, _filters(sector, measure, year, source_language)):
            reply = {"role": "assistant", "content": f"{answer_markdown(answer)}\n\n*{answer_status(answer, language, question)}*"}
            rated = {"question": question, "answer": answer.text,
                     "sources": [c.label() for c in answer.citations]} if answer.final else None
            yield "", history + [reply], sources_html(answer, language), rated

    def send_feedback(last: dict | None, rating: str, comment: str, request: gr.Request):
        if not last:
            return words["feedback_nothing"], comment
        user = user_from_cookies(service, request.cookies) if request else None
        try:
            service.feedback.record(last["question"], last["answer"], last["sources"], rating, comment or "",
                                    user.username if user else "")
        except ValueError as error:
            return str(error), comment
        return words["feedback_thanks"], ""

    with gr.Blocks(title=words["title"]) as app:
        with gr.Row():
            gr.Markdown(f"## {words['title']}\n{words['intro']}")
            account = gr.HTML(elem_id="account")
            gr.Markdown(words["switch"], elem_id="language-switch")
        service.answerer  # start the answer backend now; if it cannot run, say so on the page
        if service.backend_notice:
            gr.Markdown(f"**Hinweis:** {service.backend_notice}", elem_id="backend-notice")
        with gr.Tabs():
            with gr.Tab(words["chat_tab"], id="chat"):
                last_answer = gr.State(None)
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label=words["chat"], elem_id="chat", height=480,
                            examples=[{"text": q} for q in EXAMPLE_QUESTIONS[language]],
                        )
                        question = gr.Textbox(label=words["question"], elem_id="question",
                                              placeholder=words["placeholder"])
                        with gr.Row():
                            send = gr.Button(words["ask"], variant="primary", elem_id="ask")
                            new = gr.Button(words["new"], elem_id="new-conversation")
                        with gr.Accordion(words["filters"], open=False, elem_id="filters"):
                            with gr.Row():
                                sector = gr.Dropdown(_choices(SECTORS, language, words), value="",
                                                     label=words["sector"], elem_id="filter-sector")
                                measure = gr.Dropdown(_choices(MEASURE_TYPES, language, words), value="",
                                                      label=words["measure"], elem_id="filter-measure")
                                year = gr.Dropdown(year_choices(), value="",
                                                   label=words["year"], elem_id="filter-year")
                                source_language = gr.Dropdown(_choices(LANGUAGES, language, words), value="",
                                                              label=words["language"], elem_id="filter-language")
                        with gr.Accordion(words["feedback"], open=False, elem_id="feedback"):
                            rating = gr.Radio([(RATING_LABELS[r], r) for r in RATINGS], value=RATINGS[0],
                                              label=words["feedback"], elem_id="rating")
                            comment = gr.Textbox(label=words["comment"], max_length=2000, elem_id="comment")
                            send_rating = gr.Button(words["send_feedback"], elem_id="send-feedback")
                            feedback_status = gr.Markdown(elem_id="feedback-status")
                    with gr.Column(scale=2):
                        gr.Markdown(f"### {words['sources']}")
                        sources = gr.HTML(f"<p>{words['no_sources']}</p>", elem_id="sources")
                inputs = [question, chat, sector, measure, year, source_language]
                outputs = [question, chat, sources, last_answer]
                question.submit(respond, inputs, outputs)
                send.click(respond, inputs, outputs)
                chat.example_select(_example_text, None, question).then(respond, inputs, outputs)
                new.click(lambda: ("", [], f"<p>{words['no_sources']}</p>", None), None, outputs)
                send_rating.click(send_feedback, [last_answer, rating, comment], [feedback_status, comment])
            build_facilitator_tab(service, language)
            build_staff_tab(service, language)

        def on_page_load(request: gr.Request):
            """The account line, and the years of the documents as they are now (staff may have added some)."""
            return user_line(service, request, words), gr.update(choices=year_choices())

        app.load(on_page_load, None, [account, year])
    return app
