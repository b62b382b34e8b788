"""Document text reaches the page only as text: no HTML or Markdown from a PDF is ever interpreted."""

from assistant.answering import Answer
from assistant.citations import Citation
from assistant.retrieval import Passage
from ui.rendering import answer_markdown, escape_text, section_anchor, source_link, sources_html

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


def test_source_cards_show_title_page_and_passage_escaped():
    cards = sources_html(hostile_answer())
    assert "S. 2" in cards and 'href="/dokumente/d#page=2"' in cards
    assert "<b>" not in cards.replace("<b>[1]", "") and "<script>" not in cards and "<img" not in cards
    assert "&lt;b&gt;Titel&lt;/b&gt;" in cards


def test_source_card_highlights_the_sentence_the_answer_rests_on():
    text = "Die Bäckerei wurde 1950 gegründet. Die Abwärme spart 140 MWh Erdgas im Jahr. Danach kam der Sommer."
    passage = Passage("b::00001", text, 0.9, {"doc_id": "b", "title": "Bäckerei", "heading": "Ergebnis"})
    answer = Answer("Wie viel Erdgas?", "Die Abwärme spart 140 MWh Erdgas [1].", [Citation(1, passage)], [passage])

    cards = sources_html(answer)

    assert "<mark>Die Abwärme spart 140 MWh Erdgas im Jahr.</mark>" in cards
    assert source_link(passage) == "/dokumente/b#abschnitt-ergebnis" == f"/dokumente/b#{section_anchor('Ergebnis')}"
    assert 'href="/dokumente/b#abschnitt-ergebnis"' in cards


def test_status_line_names_the_backend_and_what_the_checks_did():
    from ui.rendering import answer_status

    answer = hostile_answer()
    assert answer_status(answer) == "Antwort: Auszug aus den Quellen"
    answer.backend, answer.check, answer.dropped = "openai", "corrected", ["x", "y"]
    assert answer_status(answer) == "Antwort: Sprachmodell (Server) – nicht belegte Sätze wurden entfernt (2 Sätze)"
    answer.abstained = True
    assert answer_status(answer) == "Keine passenden Dokumente gefunden."
    answer.check = "not in sources"  # the model read the sources and said they do not answer
    assert answer_status(answer).startswith("Das Sprachmodell hat die gefundenen Quellen gelesen")


def test_status_line_shows_how_a_restated_follow_up_was_understood():
    from ui.rendering import answer_status

    answer = hostile_answer()
    answer.question = "Wie viel CO2 spart die **Großbäckerei** im Jahr?"

    assert answer_status(answer, "de", asked=answer.question) == "Antwort: Auszug aus den Quellen"
    restated = answer_status(answer, "de", asked="Und wie viel CO2 spart sie?")
    assert restated == ("Verstanden als: „Wie viel CO2 spart die \\*\\*Großbäckerei\\*\\* im Jahr?“ · "
                        "Antwort: Auszug aus den Quellen")
    assert answer_status(answer, "en", asked="And how much?").startswith("Understood as: “Wie viel CO2")


def test_status_line_says_when_an_answer_is_still_a_draft_or_unchecked():
    from ui.rendering import answer_status

    answer = hostile_answer()
    answer.backend, answer.stage = "local", "draft"
    assert "Auszug" in answer_status(answer) and "formuliert" in answer_status(answer)
    answer.stage = "generating"
    assert "noch nicht geprüft" in answer_status(answer)
    answer.stage, answer.check = "final", "verified"
    assert answer_status(answer) == "Antwort: Lokales Sprachmodell – alle Aussagen durch die Quellen belegt"


def test_a_facts_table_is_rendered_with_its_cells_escaped():
    answer = hostile_answer()
    answer.backend, answer.table = "facts", [["<b>Firma</b> | x", "12,5 t CO2e/Jahr", "[1]"]]
    markdown = answer_markdown(answer)
    assert "|---|---:|---|" in markdown and markdown.rstrip().endswith("| [1] |")
    assert "<b>" not in markdown and "\\|" in markdown  # a "|" from a title cannot break the table


def test_the_english_page_gets_the_status_line_in_english():
    from ui.rendering import answer_status

    answer = hostile_answer()
    answer.backend, answer.check = "local", "busy"
    assert answer_status(answer, "en") == (
        "Answer: local language model – the language model is busy, an excerpt from the sources is shown instead")
