"""The facilitator's "Beispiele" tab in Debian chromium against `klimawissen serve` over the sample corpus:
facets, source links, comparison, similar examples, presenter mode and the shared link. The journey also
takes docs/screenshots/facilitator.png. Two small tests check the HTML escaping and the link parsing."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from assistant.cases import CaseCard
from indexing.facts import Fact
from tests.ui.test_chat_browser import SCREENSHOTS, start_server
from ui.facilitator import ViewState, card_html, comparison_html, state_from_query

CARD_IDS = "Array.from(document.querySelectorAll('#cases .kw-case')).map(e => e.dataset.docId)"
TITLE_SIZE = "e => parseFloat(getComputedStyle(e).fontSize)"


@pytest.fixture(scope="module")
def facilitator_url(indexed_corpus, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("facilitator-server") / "serve.log"
    process, log, url = start_server(indexed_corpus, log_path)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


def case_studies(data_dir) -> dict[str, dict]:
    """doc id -> metadata of the case studies in the index, read the way the server reads them."""
    from assistant.config import Settings
    from indexing.registry import Registry

    registry = Registry(Settings(data_dir=data_dir).registry_path)
    try:
        return {r.doc_id: r.metadata for r in registry.all() if r.metadata.get("doc_type") == "case-study"}
    finally:
        registry.close()


def wait_for_cards(page, expected: set[str]) -> None:
    page.wait_for_function(
        f"ids => {{ const shown = {CARD_IDS};"
        " return shown.length === ids.length && shown.every(i => ids.includes(i)); }",
        arg=sorted(expected), timeout=60_000,
    )


def choose(page, elem_id: str, option: str) -> None:
    """Pick an option of a gradio dropdown the way a person does: open it, click the option."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_facilitator_filters_compares_presents_and_shares_the_view(facilitator_url, browser, indexed_corpus):
    cases = case_studies(indexed_corpus)
    logistics = {doc_id for doc_id, meta in cases.items() if meta.get("sector") == "logistics"}
    assert len(cases) == 26 and len(logistics) >= 3

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(facilitator_url + "/")
    page.get_by_role("tab", name="Beispiele").click()
    wait_for_cards(page, set(cases))  # every case study, one card each

    # Filter by sector: only the logistics case studies stay.
    choose(page, "facet-sector", "Logistik")
    wait_for_cards(page, logistics)
    for meta in page.locator("#cases .kw-case-meta").all_inner_texts():
        assert meta.startswith("Logistik")

    # A card's source link opens the page or section its key figure stands on.
    first = page.locator("#cases .kw-case").first
    doc_id = first.get_attribute("data-doc-id")
    href = first.locator("a.kw-open").get_attribute("href")
    match = re.fullmatch(rf"/dokumente/{re.escape(doc_id)}#(page=(\d+)|abschnitt-[a-z0-9-]+)", href)
    assert match, href
    response = httpx.get(facilitator_url + href.split("#")[0], timeout=30)
    assert response.status_code == 200
    if match.group(2):
        import pypdf

        assert response.headers["content-type"] == "application/pdf"
        assert int(match.group(2)) <= len(pypdf.PdfReader(io.BytesIO(response.content)).pages)
    else:
        assert f'id="{match.group(1)}"' in response.text  # the section the link jumps to exists

    # Two case studies in the comparison: one column each, every figure with its source link.
    shown = page.evaluate(CARD_IDS)
    compared = shown[:2]
    for compared_id in compared:
        choose(page, "compare-select", cases[compared_id]["company"])
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelectorAll('#comparison thead th[data-doc-id]').length === 2",
                           timeout=30_000)
    head = page.locator("#comparison thead").inner_text()
    assert all(cases[d]["company"] in head for d in compared)
    columns = page.eval_on_selector_all("#comparison thead th[data-doc-id]", "ths => ths.map(t => t.dataset.docId)")
    assert columns == compared
    co2e_cells = page.locator('#comparison tr[data-field="co2e_saved_t_per_year"] td')
    for position, column in enumerate(columns):
        cell = co2e_cells.nth(position)
        assert re.search(r"\d t CO2e/a", cell.inner_text())
        assert cell.locator("a.kw-cite").get_attribute("href").startswith(f"/dokumente/{column}#")
    assert page.locator("#chart .kw-bar-row").count() >= 1
    # The card's own button adds a third case study, and the card says so.
    third = shown[2]
    page.locator(f'#cases .kw-case[data-doc-id="{third}"] button[data-action="compare"]').click()
    page.wait_for_function("document.querySelectorAll('#comparison thead th[data-doc-id]').length === 3",
                           timeout=30_000)
    assert page.locator(f'#cases .kw-case[data-doc-id="{third}"] button[data-action="compare"]').get_attribute(
        "aria-pressed") == "true"

    # "Similar examples" from a card: other case studies, never the card's own.
    page.locator(f'#cases .kw-case[data-doc-id="{third}"] button[data-action="similar"]').click()
    page.wait_for_function("document.querySelectorAll('#similar .kw-case').length === 4", timeout=30_000)
    similar = page.eval_on_selector_all("#similar .kw-case", "cards => cards.map(c => c.dataset.docId)")
    assert third not in similar and set(similar) <= set(cases)
    assert cases[third]["company"] in page.locator("#similar-select").inner_text() or \
        page.locator("#similar-select input").input_value() == cases[third]["company"]

    # Presenter mode: larger type, no filters.
    normal = page.eval_on_selector("#cases .kw-case-title", TITLE_SIZE)
    page.locator("#presenter input").check()
    page.wait_for_function(
        "least => parseFloat(getComputedStyle(document.querySelector('#cases .kw-case-title')).fontSize) > least",
        arg=normal * 1.4, timeout=30_000)
    presented = page.eval_on_selector("#cases .kw-case-title", TITLE_SIZE)
    assert not page.locator("#case-filters").is_visible()
    assert not page.locator("#language-switch").is_visible()  # the page header makes room

    # The shared link opens the same view in a new page.
    page.wait_for_function("document.querySelector('#share-link textarea').value.includes('praesentation=1')",
                           timeout=30_000)
    link = page.locator("#share-link textarea").input_value()
    params = parse_qs(urlparse(link).query)
    assert link.startswith(facilitator_url + "/?")
    assert params["tab"] == ["beispiele"] and params["branche"] == ["logistics"]
    assert params["vergleich"] == [",".join(compared + [third])] and params["aehnlich"] == [third]
    page.close()

    shared = browser.new_page(viewport={"width": 1400, "height": 1000})
    shared.goto(link)
    wait_for_cards(shared, logistics)
    assert shared.get_by_role("tab", name="Beispiele").get_attribute("aria-selected") == "true"
    assert shared.locator("#facet-sector input").input_value() == "Logistik"
    shared.wait_for_function("document.querySelectorAll('#comparison thead th[data-doc-id]').length === 3",
                             timeout=30_000)
    shared_columns = shared.eval_on_selector_all("#comparison thead th[data-doc-id]",
                                                 "ths => ths.map(t => t.dataset.docId)")
    assert shared_columns == compared + [third]
    assert shared.eval_on_selector_all("#similar .kw-case", "cards => cards.map(c => c.dataset.docId)") == similar
    assert shared.locator("#presenter input").is_checked()
    assert shared.eval_on_selector("#cases .kw-case-title", TITLE_SIZE) == presented
    assert not shared.locator("#case-filters").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shared.screenshot(path=str(SCREENSHOTS / "facilitator.png"), full_page=True)
    shared.close()


def test_the_english_page_opens_a_shared_view_in_english(facilitator_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(facilitator_url + "/en/?tab=beispiele&branche=logistics&groesse=mittel&q=refrigeration")
    page.locator("#cases .kw-case").first.wait_for(timeout=60_000)
    assert page.get_by_role("tab", name="Examples").get_attribute("aria-selected") == "true"
    assert page.locator("#facet-sector input").input_value() == "Logistics"
    assert page.locator("#facet-size input").input_value() == "medium (50–249 employees)"
    assert page.locator("#case-search textarea").input_value() == "refrigeration"
    assert "ordered by match to the search" in page.locator("#case-count").inner_text()
    first = page.locator("#cases .kw-case").first
    assert first.get_attribute("data-doc-id") == "cs-polarkai-kuehllogistik-co2-kaelte"  # the cold store
    assert "Open source" in first.locator("a.kw-open").inner_text()
    assert "CO2e saved per year" in first.inner_text()
    assert page.locator("#share-link textarea").input_value().startswith(facilitator_url + "/en/?tab=beispiele")
    page.close()


def test_cards_and_comparison_escape_everything_from_documents():
    evil = '<img src=x onerror="alert(1)">'
    fact = Fact("boese", "co2e_saved_t_per_year", 12.5, None, f"Ergebnisse {evil}", evil)
    card = CaseCard("boese", f"Titel {evil}", f"Firma {evil}", "logistics", ["heat-pump"], 2024, 12,
                    {"co2e_saved_t_per_year": fact}, f"Lehre {evil}", '/dokumente/boese#"><script>alert(1)</script>')
    other = CaseCard("brav", "Brav", "Brav GmbH", "retail", [], 2023, None, {}, "", "/dokumente/brav")
    rendered = card_html(card, "de") + comparison_html([card, other], "de")

    assert "<img" not in rendered and "<script" not in rendered
    assert "Firma &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in rendered
    assert "„Ergebnisse &lt;img" in rendered  # the section name in the citation, escaped too


def test_a_shared_link_is_read_back_and_unknown_values_are_ignored():
    known = {"cs-a", "cs-b", "cs-c"}
    state = ViewState("Abwärme", "logistics", "heat-pump", "groß", "2024", ["cs-b", "cs-a"], "cs-c", True)

    assert state_from_query(state.params(), known) == state
    assert state.params()["groesse"] == "gross"
    odd = state_from_query({"branche": "<b>", "massnahme": "zauberei", "groesse": "riesig", "jahr": "20x4",
                            "vergleich": "cs-a,gibt-es-nicht,cs-a", "aehnlich": "../etc", "praesentation": "0",
                            "q": "x" * 500}, known)
    assert odd == ViewState("x" * 200, "", "", "", "", ["cs-a"], "", False)
