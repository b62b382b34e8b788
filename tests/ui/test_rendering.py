"""Document text reaches the page only as text: no HTML or Markdown from a PDF is ever interpreted."""

from assistant.answering import Answer
from assistant.citations import Citation
from assistant.retrieval import Passage
from ui.rendering import answer_markdown, escape_text, sources_markdown

HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> [Klick](javascript:alert(1)) **fett**'


def hostile_answer() -> Answer:
    passage = Passage("d::00000", HOSTILE, 0.9, {"doc_id": "d", "title": "<b>Titel</b>", "page": 2})
    return Answer("Frage?", HOSTILE + " [1]", [Citation(1, passage)], [passage])


def test_escaped_text_contains_no_markup():
    escaped = escape_text(HOSTILE)
    assert "<" not in escaped and ">" not in escaped
    assert "](" not in escaped and "**" not in escaped


def test_answer_keeps_citation_markers_but_escapes_document_text():
    markdown = answer_markdown(hostile_answer())
    assert markdown.endswith("[1]")
    assert "<script>" not in markdown and "<img" not in markdown


def test_sources_show_title_page_and_passage_escaped():
    markdown = sources_markdown(hostile_answer())
    assert "S\\. 2" in markdown
    assert "<b>" not in markdown and "<script>" not in markdown and "&lt;b&gt;Titel&lt;/b&gt;" in markdown


def test_status_line_names_the_backend_and_what_the_checks_did():
    from ui.rendering import answer_status

    answer = hostile_answer()
    assert answer_status(answer) == "Antwort: Auszug aus den Quellen"
    answer.backend, answer.check, answer.dropped = "openai", "corrected", ["x", "y"]
    assert answer_status(answer) == "Antwort: Sprachmodell (Server) – nicht belegte Sätze wurden entfernt (2 Sätze)"
    answer.abstained = True
    assert answer_status(answer) == "Keine passenden Dokumente gefunden."


def test_status_line_says_when_an_answer_is_still_a_draft_or_unchecked():
    from ui.rendering import answer_status

    answer = hostile_answer()
    answer.backend, answer.stage = "local", "draft"
    assert "Auszug" in answer_status(answer) and "formuliert" in answer_status(answer)
    answer.stage = "generating"
    assert "noch nicht geprüft" in answer_status(answer)
    answer.stage, answer.check = "final", "verified"
    assert answer_status(answer) == "Antwort: Lokales Sprachmodell – alle Aussagen durch die Quellen belegt"
