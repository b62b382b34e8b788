"""The facilitator's tab: the partners' case studies as cards to search, filter, compare and show on a
projector, with a link that opens the same view again.

All figures and texts come from assistant/cases.py; everything taken from documents is HTML-escaped
here. The view is one function of its inputs (search, facets, comparison, similar, presenter mode), so
the page after any click and the page opened from the shared link look the same.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

import gradio as gr
from gradio.context import Context

from assistant.cases import (
    SIZES, CaseCard, SimilarCase, all_cases, case_cards, cards_by_id, co2e_per_euro_by_measure, comparison_rows,
    format_fact, format_number, similar_cases,
)
from assistant.service import Klimawissen
from indexing.vocabulary import MEASURE_TYPES, SECTORS, label
from ui.texts import TEXTS

log = logging.getLogger(__name__)

TAB_ID = "beispiele"
TAB_NAMES = ("beispiele", "examples")
MAX_COMPARED = 4
MAX_QUERY_CHARS = 200
# URL parameters of a shared view; sizes are written without "ß" so a link survives any mail client.
SIZE_PARAMS = {"klein": "klein", "mittel": "mittel", "groß": "gross"}
CARD_FIGURES = (("co2e_saved_t_per_year", "fig_co2e"), ("investment_eur", "fig_investment"),
                ("funding_eur", "fig_funding"), ("payback_years", "fig_payback"))

# Buttons inside the cards tell the server which card they belong to (gr.HTML's custom events).
CARD_BUTTONS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  trigger('click', {action: button.dataset.action, doc_id: button.dataset.docId});
  if (button.dataset.action === 'similar') {
    const target = document.getElementById('similar-select');
    if (target) target.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
});
"""

FACILITATOR_CSS = """
@font-face{font-family:'KW Sans';src:url('static/fonts/SourceSansPro/SourceSansPro-Regular.woff2') format('woff2');
  font-weight:400;font-style:normal}
@font-face{font-family:'KW Sans';src:url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2');
  font-weight:600 800;font-style:normal}
#facilitator{font-family:'KW Sans','Source Sans Pro',ui-sans-serif,system-ui,sans-serif;
  --kw-accent:#0b6e4f;--kw-accent-soft:rgba(11,110,79,.10);
  --kw-muted:color-mix(in srgb,var(--body-text-color,#1f2933) 68%,transparent)}
.dark #facilitator{--kw-accent:#5fd3a5;--kw-accent-soft:rgba(95,211,165,.14)}
#facilitator .kw-intro{color:var(--kw-muted);margin:0 0 .2rem}
#case-count p{margin:.2rem 0;color:var(--kw-muted)}
.kw-cases-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(19rem,1fr));gap:1rem}
.kw-case{display:flex;flex-direction:column;gap:.55rem;border:1px solid var(--border-color-primary,#d6dde1);
  border-top:4px solid var(--kw-accent);border-radius:.7rem;padding:.9rem 1.05rem;
  background:var(--block-background-fill,#fff);box-shadow:0 1px 3px rgba(0,0,0,.06)}
.kw-case-company{font-size:.82rem;font-weight:600;letter-spacing:.02em;text-transform:uppercase;color:var(--kw-accent)}
.kw-case .kw-case-title{font-size:1.12rem;line-height:1.3;margin:0;font-weight:700}
.kw-case-meta{font-size:.85rem;color:var(--kw-muted)}
.kw-chips{display:flex;flex-wrap:wrap;gap:.35rem;margin:0;padding:0;list-style:none}
.kw-chips li{background:var(--kw-accent-soft);color:var(--kw-accent);border-radius:999px;padding:.12rem .6rem;
  font-size:.8rem;font-weight:600;margin:0}
.kw-case-figures{display:grid;grid-template-columns:1fr 1fr;gap:.45rem .9rem;margin:.1rem 0}
.kw-case-figures div{margin:0}
.kw-case-figures dt{font-size:.74rem;color:var(--kw-muted);margin:0}
.kw-case-figures dd{font-size:1.22rem;font-weight:700;margin:0;font-variant-numeric:tabular-nums}
.kw-case-lesson{margin:0;padding:.45rem .7rem;border-left:4px solid #e0a800;background:rgba(224,168,0,.10);
  border-radius:0 .4rem .4rem 0;font-size:.95rem}
.kw-case-lesson b{margin-right:.15rem}
.kw-case-actions{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin-top:auto;padding-top:.4rem;
  border-top:1px solid var(--border-color-primary,#e3e8eb)}
.kw-case-actions .kw-open{flex-basis:100%;text-align:left;font-weight:600;color:var(--kw-accent)}
.kw-case-actions button{border:1px solid var(--kw-accent);color:var(--kw-accent);background:transparent;
  border-radius:.45rem;padding:.25rem .65rem;font-size:.85rem;cursor:pointer}
.kw-case-actions button.kw-on{background:var(--kw-accent);color:var(--block-background-fill,#fff)}
.kw-case-reasons{font-size:.85rem;color:var(--kw-muted)}
.kw-similar-to{margin:0 0 .7rem}
.kw-empty-note{color:var(--kw-muted);font-style:italic}
.kw-compare-wrap{overflow-x:auto}
#facilitator table.kw-compare{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;border:none;
  table-layout:fixed}
#facilitator table.kw-compare col.kw-label-column{width:13rem}
#facilitator table.kw-compare th,#facilitator table.kw-compare td{border:none;
  border-bottom:1px solid var(--border-color-primary,#d6dde1);padding:.5rem .8rem;text-align:left;vertical-align:top}
#facilitator table.kw-compare thead th{border-bottom:2px solid var(--kw-accent);vertical-align:bottom}
#facilitator table.kw-compare tbody th{font-weight:600;white-space:nowrap}
#facilitator table.kw-compare tr{border:none}
#facilitator table.kw-compare tbody tr:nth-child(even){background:rgba(11,110,79,.035)}
.kw-compare-company{display:block;font-size:1.02rem;color:var(--kw-accent)}
.kw-compare-title{display:block;font-weight:400;font-size:.8rem;color:var(--kw-muted)}
.kw-cell-value{font-weight:600;margin-right:.35rem}
a.kw-cite{display:block;width:fit-content;font-size:.8rem;color:var(--kw-accent);margin-top:.1rem}
.kw-chart{margin:0}
.kw-chart figcaption{margin-bottom:.6rem}
.kw-chart figcaption b{display:block;font-size:1.05rem}
.kw-chart figcaption span,.kw-chart-note{color:var(--kw-muted);font-size:.85rem}
.kw-chart-note{margin:.6rem 0 0}
.kw-bars{display:grid;grid-template-columns:max-content 1fr max-content;gap:.45rem .8rem;align-items:center}
.kw-bar-row{display:contents}
.kw-bar-label{font-weight:600;text-align:right}
.kw-bar-track{background:var(--kw-accent-soft);border-radius:.3rem;height:1.35rem;overflow:hidden}
.kw-bar{display:block;height:100%;background:var(--kw-accent);border-radius:.3rem}
.kw-bar-value{font-weight:700;font-variant-numeric:tabular-nums}
.kw-bar-value small{font-weight:400;color:var(--kw-muted)}
#facilitator.kw-presenter .kw-intro{display:none}
/* On the projector the page header gives way to the examples (only while their tab is shown). */
body:has(.tabitem:not([style*="display: none"]) #facilitator.kw-presenter) .row:has(> #language-switch){display:none}
#facilitator.kw-presenter .kw-cases-grid{grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:1.4rem}
#facilitator.kw-presenter .kw-case{padding:1.3rem 1.5rem;gap:.8rem}
#facilitator.kw-presenter .kw-case-company{font-size:1.15rem}
#facilitator.kw-presenter .kw-case .kw-case-title{font-size:1.9rem}
#facilitator.kw-presenter .kw-case-meta,#facilitator.kw-presenter .kw-chips li{font-size:1.1rem}
#facilitator.kw-presenter .kw-case-figures dt{font-size:1.05rem}
#facilitator.kw-presenter .kw-case-figures dd{font-size:2rem}
#facilitator.kw-presenter .kw-case-lesson{font-size:1.4rem}
#facilitator.kw-presenter .kw-case-actions,#facilitator.kw-presenter .kw-case-actions button{font-size:1.1rem}
#facilitator.kw-presenter table.kw-compare{font-size:1.35rem}
#facilitator.kw-presenter .kw-compare-company{font-size:1.45rem}
#facilitator.kw-presenter .kw-compare-title,#facilitator.kw-presenter a.kw-cite{font-size:1rem}
#facilitator.kw-presenter table.kw-compare col.kw-label-column{width:17rem}
#facilitator.kw-presenter .kw-case-reasons,#facilitator.kw-presenter .kw-similar-to{font-size:1.2rem}
#facilitator.kw-presenter .kw-chart{font-size:1.3rem}
#facilitator.kw-presenter .kw-chart figcaption b{font-size:1.6rem}
#facilitator.kw-presenter .kw-chart figcaption span,#facilitator.kw-presenter .kw-chart-note{font-size:1.05rem}
/* Few controls on the projector: the cards' buttons pick what is compared and what is similar. */
#facilitator.kw-presenter #case-filters,#facilitator.kw-presenter #share-link,
#facilitator.kw-presenter #compare-select,#facilitator.kw-presenter #similar-select,
#facilitator.kw-presenter .form:has(#compare-select),#facilitator.kw-presenter .form:has(#similar-select){display:none}
#facilitator.kw-presenter:has(#comparison .kw-empty-note) #compare-heading,
#facilitator.kw-presenter #comparison:has(.kw-empty-note),
#facilitator.kw-presenter:has(#similar .kw-empty-note) #similar-heading,
#facilitator.kw-presenter #similar:has(.kw-empty-note){display:none}
#facilitator.kw-presenter .kw-bar-track{height:2rem}
#facilitator.kw-presenter h2,#facilitator.kw-presenter h3{font-size:1.8rem}
#facilitator.kw-presenter #case-count p{font-size:1.2rem}
"""


@dataclass
class ViewState:
    """What a shared link fixes: search, facets, the compared and the 'similar' case, presenter mode."""

    query: str = ""
    sector: str = ""
    measure: str = ""
    size: str = ""
    year: str = ""
    compare: list[str] = field(default_factory=list)
    similar: str = ""
    presenter: bool = False

    def params(self) -> dict[str, str]:
        values = {
            "tab": TAB_ID, "q": self.query, "branche": self.sector, "massnahme": self.measure,
            "groesse": SIZE_PARAMS.get(self.size, ""), "jahr": self.year, "vergleich": ",".join(self.compare),
            "aehnlich": self.similar, "praesentation": "1" if self.presenter else "",
        }
        return {key: value for key, value in values.items() if value}


def state_from_query(params: dict[str, str], case_ids: set[str]) -> ViewState:
    """The view a link asks for; anything unknown in it is ignored rather than shown."""
    sizes = {value: size for size, value in SIZE_PARAMS.items()} | {size: size for size in SIZES}
    year = str(params.get("jahr", "")).strip()
    return ViewState(
        query=str(params.get("q", "")).strip()[:MAX_QUERY_CHARS],
        sector=params.get("branche", "") if params.get("branche", "") in SECTORS else "",
        measure=params.get("massnahme", "") if params.get("massnahme", "") in MEASURE_TYPES else "",
        size=sizes.get(params.get("groesse", ""), ""),
        year=year if year.isdecimal() and len(year) == 4 else "",
        compare=[d for d in dict.fromkeys(str(params.get("vergleich", "")).split(",")) if d in case_ids][:MAX_COMPARED],
        similar=params.get("aehnlich", "") if params.get("aehnlich", "") in case_ids else "",
        presenter=params.get("praesentation", "") in ("1", "ja", "true", "yes"),
    )


def page_base(request: gr.Request | None) -> str:
    """The address of the page the request came from (/ or /en/), for the shared link."""
    url = str(getattr(request, "url", "") or "") if request is not None else ""
    if "gradio_api/" in url:
        return url.split("gradio_api/", 1)[0]
    return "/"


def share_url(base: str, state: ViewState) -> str:
    return f"{base}?{urlencode(state.params(), safe=',')}"


# --- HTML ---------------------------------------------------------------------------------------------

def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _where(page: int | None, heading: str, language: str) -> str:
    """Where a figure stands, as a link text: "S. 3", "„Ergebnisse“" or "Dokument"."""
    words = TEXTS[language]
    if page is not None:
        return f"{words['page']} {page}"
    if heading:
        return f"„{heading}“" if language == "de" else f"“{heading}”"
    return words["in_document"]


def _meta_line(card: CaseCard, language: str, words: dict) -> str:
    parts = []
    if card.sector:
        parts.append(label(SECTORS, card.sector, language))
    if card.year:
        parts.append(str(card.year))
    if card.employees is not None:
        parts.append(f"{format_number(card.employees, language)} {words['employees']}")
    return " · ".join(_e(p) for p in parts)


def card_html(card: CaseCard, language: str, compared: bool = False, reasons: str = "") -> str:
    """One case study as a card; every text from the document is escaped."""
    words = TEXTS[language]
    chips = "".join(f"<li>{_e(label(MEASURE_TYPES, m, language))}</li>" for m in card.measure_types)
    figures = []
    for name, key in CARD_FIGURES:
        fact = card.facts.get(name)
        value = format_fact(fact, language) if fact is not None else ""
        if name == "co2e_saved_t_per_year" and value:
            value = value.split(" ")[0] + " t"  # the label says "CO2e per year"
        figures.append(f"<div><dt>{_e(words[key])}</dt><dd>{_e(value or '–')}</dd></div>")
    lesson = (f'<p class="kw-case-lesson"><b>{_e(words["lesson"])}:</b> {_e(card.lesson)}</p>'
              if card.lesson else "")
    where = _where(card.link_page, card.link_heading, language)
    open_text = words["open_source"] + (f" ({where})" if where != words["in_document"] else "")
    compare_label = words["compared_button"] if compared else words["compare_button"]
    return (
        f'<article class="kw-case" data-doc-id="{_e(card.doc_id)}">'
        f'<div class="kw-case-company">{_e(card.company or card.title)}</div>'
        f'<h3 class="kw-case-title">{_e(card.title)}</h3>'
        f'<div class="kw-case-meta">{_meta_line(card, language, words)}</div>'
        f'<ul class="kw-chips">{chips}</ul>'
        + (f'<div class="kw-case-reasons">{_e(reasons)}</div>' if reasons else "")
        + f'<dl class="kw-case-figures">{"".join(figures)}</dl>{lesson}'
        f'<div class="kw-case-actions">'
        f'<a class="kw-open" href="{_e(card.link)}" target="_blank" rel="noopener">{_e(open_text)}</a>'
        f'<button type="button" class="kw-compare-button{" kw-on" if compared else ""}" data-action="compare" '
        f'data-doc-id="{_e(card.doc_id)}" aria-pressed="{"true" if compared else "false"}">{_e(compare_label)}</button>'
        f'<button type="button" data-action="similar" data-doc-id="{_e(card.doc_id)}">'
        f'{_e(words["similar_button"])}</button>'
        "</div></article>"
    )


def cards_html(cards: list[CaseCard], language: str, compared: list[str]) -> str:
    if not cards:
        return f'<p class="kw-empty-note">{_e(TEXTS[language]["no_cases"])}</p>'
    return '<div class="kw-cases-grid">' + "".join(card_html(c, language, c.doc_id in compared) for c in cards) + \
        "</div>"


def comparison_html(cards: list[CaseCard], language: str) -> str:
    """The compared case studies side by side; every figure links to the page or section it stands on."""
    words = TEXTS[language]
    if len(cards) < 2:
        return f'<p class="kw-empty-note">{_e(words["compare_hint"])}</p>'
    head = "".join(
        f'<th scope="col" data-doc-id="{_e(c.doc_id)}">'
        f'<span class="kw-compare-company">{_e(c.company or c.title)}</span>'
        f'<span class="kw-compare-title">{_e(", ".join(label(MEASURE_TYPES, m, language) for m in c.measure_types))}'
        "</span></th>"
        for c in cards
    )
    rows = []
    for row in comparison_rows(cards, language):
        cells = []
        for cell in row.cells:
            if not cell.text:
                cells.append('<td class="kw-missing">–</td>')
                continue
            cells.append(
                f'<td><span class="kw-cell-value">{_e(cell.text)}</span>'
                f'<a class="kw-cite" href="{_e(cell.link)}" target="_blank" rel="noopener">'
                f'{_e(_where(cell.page, cell.heading, language))}</a></td>'
            )
        rows.append(f'<tr data-field="{_e(row.field)}"><th scope="row">{_e(words["field_" + row.field])}</th>'
                    f'{"".join(cells)}</tr>')
    return (f'<div class="kw-compare-wrap"><table class="kw-compare"><colgroup><col class="kw-label-column">'
            f'{"<col>" * len(cards)}</colgroup><thead><tr><th>{_e(words["figure"])}</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def chart_html(cards: list[CaseCard], language: str) -> str:
    """Horizontal bars: kg CO2e saved per year per 1,000 € invested, by measure type."""
    words = TEXTS[language]
    caption = f'<figcaption><b>{_e(words["chart_title"])}</b><span>{_e(words["chart_unit"])}</span></figcaption>'
    bars = co2e_per_euro_by_measure(cards)
    if not bars:
        empty = f'<p class="kw-empty-note">{_e(words["chart_empty"])}</p>'
        return f'<figure class="kw-chart" id="kw-chart">{caption}{empty}</figure>'
    top = max(b.kg_co2e_per_1000_eur for b in bars) or 1.0
    rows = []
    for bar in bars:
        count = words["chart_cases_one"] if len(bar.doc_ids) == 1 else words["chart_cases"].format(n=len(bar.doc_ids))
        width = max(1.0, 100.0 * bar.kg_co2e_per_1000_eur / top)
        rows.append(
            f'<div class="kw-bar-row" data-measure="{_e(bar.measure_type)}">'
            f'<span class="kw-bar-label">{_e(label(MEASURE_TYPES, bar.measure_type, language))}</span>'
            f'<span class="kw-bar-track"><span class="kw-bar" style="width:{width:.1f}%"></span></span>'
            f'<span class="kw-bar-value">{_e(format_number(round(bar.kg_co2e_per_1000_eur), language))} kg '
            f"<small>({_e(count)})</small></span></div>"
        )
    return (f'<figure class="kw-chart" id="kw-chart">{caption}<div class="kw-bars">{"".join(rows)}</div>'
            f'<p class="kw-chart-note">{_e(words["chart_note"])}</p></figure>')


def similar_html(service: Klimawissen, doc_id: str, language: str, compared: list[str]) -> str:
    words = TEXTS[language]
    if not doc_id:
        return f'<p class="kw-empty-note">{_e(words["similar_hint"])}</p>'
    found: list[SimilarCase] = similar_cases(service, doc_id)
    if not found:
        return f'<p class="kw-empty-note">{_e(words["no_cases"])}</p>'
    cards = []
    for item in found:
        reasons = [words["similar_text"].format(percent=round(max(0.0, item.similarity) * 100))]
        if item.shared_measures:
            reasons.append(words["similar_measure"].format(
                measures=", ".join(label(MEASURE_TYPES, m, language) for m in item.shared_measures)))
        if item.same_sector:
            reasons.append(words["similar_sector"])
        cards.append(card_html(item.card, language, item.card.doc_id in compared, " · ".join(reasons)))
    base = cards_by_id(service, [doc_id])
    name = (base[0].company or base[0].title) if base else doc_id
    return (f'<p class="kw-similar-to">{_e(words["similar_to"]).format(company=f"<b>{_e(name)}</b>")}</p>'
            '<div class="kw-cases-grid">' + "".join(cards) + "</div>")


# --- the tab ------------------------------------------------------------------------------------------

def _count_text(cards: list[CaseCard], state: ViewState, words: dict) -> str:
    count = words["case_count_one"] if len(cards) == 1 else words["case_count"].format(n=len(cards))
    order = words["case_order_query"] if state.query else words["case_order_co2e"]
    return f"{count} · {order}" if cards else count


def _case_choices(cases: list[CaseCard]) -> list[tuple[str, str]]:
    return [(c.company or c.title, c.doc_id) for c in cases]


def _facet_choices(cases: list[CaseCard], language: str, words: dict):
    sectors = sorted({c.sector for c in cases if c.sector}, key=lambda s: label(SECTORS, s, language))
    measures = sorted({m for c in cases for m in c.measure_types}, key=lambda m: label(MEASURE_TYPES, m, language))
    years = sorted({str(c.year) for c in cases if c.year}, reverse=True)
    return (
        [(words["any"], "")] + [(label(SECTORS, s, language), s) for s in sectors],
        [(words["any"], "")] + [(label(MEASURE_TYPES, m, language), m) for m in measures],
        [(words["any"], "")] + [(words[f"size_{s}"], s) for s in SIZES],
        [(words["any"], "")] + [(y, y) for y in years],
    )


def build_facilitator_tab(service: Klimawissen, language: str = "de") -> None:
    """The "Beispiele" tab; call it inside the app's gr.Tabs. It registers its own page-load event, which
    reads a shared view from the address (?tab=beispiele&branche=…&q=…&praesentation=1)."""
    words = TEXTS[language]
    tabs = Context.block if isinstance(Context.block, gr.Tabs) else None
    try:
        cases = all_cases(service)
    except Exception as error:  # an index that cannot be opened yet: the page still loads, the tab fills on load
        log.warning("case studies not available while building the page: %s", error)
        cases = []
    sector_choices, measure_choices, size_choices, year_choices = _facet_choices(cases, language, words)

    def view(state: ViewState, request: gr.Request | None):
        shown = case_cards(service, state.query, state.sector, state.measure, state.size, state.year)
        everything = all_cases(service)
        compared = cards_by_id(service, state.compare)
        return (
            cards_html(shown, language, state.compare),
            _count_text(shown, state, words),
            gr.Dropdown(choices=_case_choices(everything), value=[c.doc_id for c in compared]),
            comparison_html(compared, language),
            chart_html(shown, language),
            gr.Dropdown(choices=_case_choices(everything), value=state.similar or None),
            similar_html(service, state.similar, language, state.compare),
            share_url(page_base(request), state),
            gr.Column(elem_classes=["kw-facilitator"] + (["kw-presenter"] if state.presenter else [])),
        )

    def state_of(query, sector, measure, size, year, compare, similar, presenter) -> ViewState:
        return ViewState((query or "").strip()[:MAX_QUERY_CHARS], sector or "", measure or "", size or "",
                         str(year or ""), list(compare or [])[:MAX_COMPARED], similar or "", bool(presenter))

    def update(query, sector, measure, size, year, compare, similar, presenter, request: gr.Request):
        return view(state_of(query, sector, measure, size, year, compare, similar, presenter), request)

    def card_action(query, sector, measure, size, year, compare, similar, presenter, event: gr.EventData,
                    request: gr.Request):
        """A card's "Vergleichen" (toggle) or "Ähnliche Beispiele" button."""
        state = state_of(query, sector, measure, size, year, compare, similar, presenter)
        data = getattr(event, "_data", None) or {}
        doc_id = str(data.get("doc_id", ""))
        if doc_id in {c.doc_id for c in all_cases(service)}:
            if data.get("action") == "compare":
                chosen = [d for d in state.compare if d != doc_id]
                state.compare = chosen if doc_id in state.compare else (chosen + [doc_id])[-MAX_COMPARED:]
            elif data.get("action") == "similar":
                state.similar = doc_id
        return view(state, request)

    def load(request: gr.Request):
        """The view a shared link asks for (or the default one), and the tab it names."""
        everything = all_cases(service)
        params = dict(request.query_params) if request is not None else {}
        state = state_from_query(params, {c.doc_id for c in everything})
        sectors, measures, sizes, years = _facet_choices(everything, language, words)
        wanted = params.get("tab", "") in TAB_NAMES
        selected = [gr.Tabs(selected=TAB_ID) if wanted else gr.Tabs()] if tabs is not None else []
        return (
            state.query,
            gr.Dropdown(choices=sectors, value=state.sector),
            gr.Dropdown(choices=measures, value=state.measure),
            gr.Dropdown(choices=sizes, value=state.size),
            gr.Dropdown(choices=years, value=state.year),
            state.presenter,
            *view(state, request),
            *selected,
        )

    with gr.Tab(words["cases_tab"], id=TAB_ID):
        with gr.Column(elem_id="facilitator", elem_classes=["kw-facilitator"]) as root:
            gr.Markdown(words["cases_intro"], elem_classes=["kw-intro"])
            with gr.Row(elem_id="case-filters", equal_height=True):
                search = gr.Textbox(label=words["case_search"], placeholder=words["case_search_placeholder"],
                                    elem_id="case-search", scale=3, max_length=MAX_QUERY_CHARS, submit_btn=True)
                sector = gr.Dropdown(sector_choices, value="", label=words["sector"], elem_id="facet-sector",
                                     scale=2)
                measure = gr.Dropdown(measure_choices, value="", label=words["measure"], elem_id="facet-measure",
                                      scale=2)
                size = gr.Dropdown(size_choices, value="", label=words["company_size"], elem_id="facet-size",
                                   scale=2)
                year = gr.Dropdown(year_choices, value="", label=words["year"], elem_id="facet-year", scale=1)
            with gr.Row(equal_height=True):
                presenter = gr.Checkbox(label=words["presenter"], value=False, elem_id="presenter", scale=1)
                share = gr.Textbox(label=words["share_link"], interactive=False, buttons=["copy"],
                                   elem_id="share-link", scale=4)
            count = gr.Markdown(elem_id="case-count")
            cards = gr.HTML(elem_id="cases", js_on_load=CARD_BUTTONS_JS)
            chart = gr.HTML(elem_id="chart")
            gr.Markdown(f"### {words['compare_title']}", elem_id="compare-heading")
            compare = gr.Dropdown(_case_choices(cases), value=[], multiselect=True, max_choices=MAX_COMPARED,
                                  label=words["compare_select"], elem_id="compare-select")
            comparison = gr.HTML(elem_id="comparison")
            gr.Markdown(f"### {words['similar_title']}", elem_id="similar-heading")
            similar_select = gr.Dropdown(_case_choices(cases), value=None, label=words["similar_select"],
                                         elem_id="similar-select")
            similar = gr.HTML(elem_id="similar", js_on_load=CARD_BUTTONS_JS)

    inputs = [search, sector, measure, size, year, compare, similar_select, presenter]
    outputs = [cards, count, compare, comparison, chart, similar_select, similar, share, root]
    events = dict(show_progress="hidden", trigger_mode="always_last")
    search.submit(update, inputs, outputs, **events)
    for control in (sector, measure, size, year, compare, similar_select, presenter):
        control.input(update, inputs, outputs, **events)
    cards.click(card_action, inputs, outputs, **events)
    similar.click(card_action, inputs, outputs, **events)
    if Context.root_block is not None:
        loaded = [search, sector, measure, size, year, presenter, *outputs] + ([tabs] if tabs is not None else [])
        Context.root_block.load(load, None, loaded, show_progress="hidden")
