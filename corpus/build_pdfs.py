"""Build the corpus PDFs from their Markdown sources, reproducibly.

Every corpus/pdf-sources/<id>.md (YAML front matter + Markdown body) becomes corpus/documents/<id>.pdf,
laid out like a printed case-study handout so that the PDF reader is tested on realistic files:
title block, headings, paragraphs, bullet lists, real tables, page numbers and, for `layout: two-column`,
two text columns. The front matter (minus the held-out `figures`) is stored as JSON under the custom
info-dictionary key /KlimawissenMeta, which the product's PDF reader picks up.

Builds are byte-identical for unchanged sources (fixed creation date, deterministic font subsetting),
so the PDFs can be committed and `--check` can tell whether they are stale.

    python corpus/build_pdfs.py            # rebuild every PDF
    python corpus/build_pdfs.py --check    # exit 1 if a committed PDF differs from a fresh build
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.output import OutputProducer, PDFInfo
from fpdf.syntax import PDFString
from fpdf.text_region import TextColumns

CORPUS_DIR = Path(__file__).resolve().parent
try:
    from indexing.frontmatter import FrontMatterError, read_front_matter
    from indexing.vocabulary import DOC_TYPES, MEASURE_TYPES, SECTORS, label
except ModuleNotFoundError:  # run from a plain checkout without PYTHONPATH / installed package
    sys.path.insert(0, str(CORPUS_DIR.parent))
    from indexing.frontmatter import FrontMatterError, read_front_matter
    from indexing.vocabulary import DOC_TYPES, MEASURE_TYPES, SECTORS, label

SOURCES_DIR = CORPUS_DIR / "pdf-sources"
DOCUMENTS_DIR = CORPUS_DIR / "documents"

# Fixed so that a rebuild of an unchanged source gives the same bytes (the date also feeds the file /ID).
CREATION_DATE = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
CREATOR = "Klimawissen corpus/build_pdfs.py"

# DejaVu Sans covers ä ö ü ß € – and friends; the core PDF fonts cannot encode €.
# Only the upright faces, so the one Debian package fonts-dejavu-core is enough.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT = "DejaVu"
FONT_PACKAGE = "fonts-dejavu-core"

# Front-matter fields copied into /KlimawissenMeta; `figures` stays out (held out for an extraction test).
META_FIELDS = ("id", "title", "company", "sector", "measure_types", "year", "language", "doc_type",
               "source", "fictional")
LAYOUT_COLUMNS = {"one-column": 1, "two-column": 2}

GREEN = (0, 92, 64)
LIGHT_GREEN = (225, 240, 231)
ZEBRA = (246, 249, 247)
TEXT = (33, 33, 33)
MUTED = (95, 99, 104)
WHITE = (255, 255, 255)

BODY_SIZE = 10
LINE_HEIGHT = 1.35

WORDS = {
    "de": {"page": "Seite {n} von {total}", "source": "Quelle", "company": "Unternehmen",
           "publisher": "Herausgeber", "sector": "Branche", "year": "Jahr", "measures": "Maßnahmen",
           "doc_type": "Dokumentart"},
    "en": {"page": "Page {n} of {total}", "source": "Source", "company": "Company",
           "publisher": "Publisher", "sector": "Sector", "year": "Year", "measures": "Measures",
           "doc_type": "Document type"},
}


class BuildError(Exception):
    """A source cannot be turned into a PDF; the message names the file and the problem."""


# --------------------------------------------------------------------------------------------------
# Markdown body -> blocks


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    text: str
    quote: bool = False


@dataclass
class BulletList:
    items: list[tuple[str, int]] = field(default_factory=list)  # (text, nesting level)
    ordered: bool = False


@dataclass
class Table:
    header: list[str]
    aligns: list[str]
    rows: list[list[str]]
    heading: Heading | None = None  # a heading directly above the table is laid out with it


@dataclass
class PageBreak:
    pass


Block = Heading | Paragraph | BulletList | Table | PageBreak

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_PAGEBREAK = re.compile(r"^\s*<!--\s*pagebreak\s*-->\s*$", re.IGNORECASE)


def parse_blocks(body: str) -> list[Block]:
    """Split a Markdown body into the block types a handout needs; anything else reads as a paragraph.

    A small purpose-built parser keeps the layout under our control (and the build free of extra
    dependencies); the corpus only uses headings, paragraphs, lists, pipe tables and block quotes.
    """
    blocks: list[Block] = []
    lines = body.splitlines()
    paragraph: list[str] = []
    i = 0

    def flush() -> None:
        if paragraph:
            blocks.append(Paragraph(_join_lines(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _PAGEBREAK.match(line):
            flush()
            blocks.append(PageBreak())
        elif stripped.startswith("<!--"):
            flush()
            while "-->" not in lines[i] and i + 1 < len(lines):  # skip the whole comment
                i += 1
        elif not stripped or _RULE.match(line):
            flush()
        elif match := _HEADING.match(line):
            flush()
            blocks.append(Heading(len(match.group(1)), match.group(2)))
        elif stripped.startswith("|") and i + 1 < len(lines) and _TABLE_SEPARATOR.match(lines[i + 1]):
            flush()
            table, i = _parse_table(lines, i)
            blocks.append(table)
            continue
        elif _BULLET.match(line) or _ORDERED.match(line):
            flush()
            bullets, i = _parse_list(lines, i)
            blocks.append(bullets)
            continue
        elif stripped.startswith(">"):
            flush()
            quote, i = _parse_quote(lines, i)
            blocks.append(quote)
            continue
        else:
            paragraph.append(line)
        i += 1
    flush()
    return blocks


def _join_lines(lines: list[str]) -> str:
    """Join source lines into one paragraph; a trailing backslash or two spaces is a hard line break."""
    text = ""
    for line in lines:
        hard_break = line.endswith("  ") or line.rstrip().endswith("\\")
        text += line.strip().rstrip("\\").rstrip() + ("\n" if hard_break else " ")
    return text.strip()


def _parse_table(lines: list[str], start: int) -> tuple[Table, int]:
    """Read a pipe table (header, separator, rows); column alignment comes from the separator colons."""
    header = _table_cells(lines[start])
    aligns = [_column_align(cell) for cell in _table_cells(lines[start + 1])]
    rows, i = [], start + 2
    while i < len(lines) and lines[i].strip().startswith("|"):
        rows.append(_table_cells(lines[i]))
        i += 1
    width = len(header)
    aligns = (aligns + ["LEFT"] * width)[:width]
    rows = [(row + [""] * width)[:width] for row in rows]
    return Table(header, aligns, rows), i


def _table_cells(line: str) -> list[str]:
    """Cells of one pipe-table line; an escaped pipe (\\|) stays inside its cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", inner)]


def _column_align(separator_cell: str) -> str:
    cell = separator_cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "CENTER"
    return "RIGHT" if cell.endswith(":") else "LEFT"


def _parse_list(lines: list[str], start: int) -> tuple[BulletList, int]:
    """Read consecutive list items; indented lines continue the previous item."""
    ordered = bool(_ORDERED.match(lines[start]))
    bullets, i = BulletList(ordered=ordered), start
    while i < len(lines):
        line = lines[i]
        match = _ORDERED.match(line) if ordered else _BULLET.match(line)
        if match:
            indent, text = match.group(1), match.group(match.lastindex)
            bullets.items.append((text.strip(), min(len(indent.expandtabs(4)) // 2, 1)))
        elif line.strip() and line.startswith((" ", "\t")) and bullets.items:
            text, level = bullets.items[-1]
            bullets.items[-1] = (f"{text} {line.strip()}", level)
        else:
            break
        i += 1
    return bullets, i


def _parse_quote(lines: list[str], start: int) -> tuple[Paragraph, int]:
    quoted, i = [], start
    while i < len(lines) and lines[i].strip().startswith(">"):
        quoted.append(lines[i].strip()[1:].strip())
        i += 1
    return Paragraph(_join_lines(quoted), quote=True), i


# --------------------------------------------------------------------------------------------------
# Inline Markdown


@dataclass
class Span:
    text: str
    bold: bool = False
    italic: bool = False


_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|__(?P<bold2>.+?)__"
    r"|(?<![\w*])\*(?P<italic>[^*\s](?:.*?[^*\s])?)\*(?![\w*])"
    r"|(?<!\w)_(?P<italic2>[^_\s](?:.*?[^_\s])?)_(?!\w)"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<link>[^\]]+)\]\([^)]*\)"
)


def parse_inline(text: str) -> list[Span]:
    """Split text into styled spans: **bold**, *italic*, `code` (plain) and [links](url) (their text)."""
    spans: list[Span] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            spans.append(Span(text[position:match.start()]))
        kind = match.lastgroup
        inner = match.group(kind)
        if kind in ("bold", "bold2"):
            spans.extend(Span(s.text, bold=True, italic=s.italic) for s in parse_inline(inner))
        elif kind in ("italic", "italic2"):
            spans.extend(Span(s.text, bold=s.bold, italic=True) for s in parse_inline(inner))
        else:
            spans.append(Span(inner))
        position = match.end()
    if position < len(text):
        spans.append(Span(text[position:]))
    return [Span(s.text.replace("\\*", "*").replace("\\_", "_"), s.bold, s.italic) for s in spans]


def plain_text(text: str) -> tuple[str, bool]:
    """Text without inline markup, and whether all of it was bold (for table cells)."""
    spans = [s for s in parse_inline(text) if s.text]
    joined = "".join(s.text for s in spans)
    all_bold = bool(spans) and all(s.bold for s in spans if s.text.strip())
    return joined, all_bold


# --------------------------------------------------------------------------------------------------
# The PDF document


class MetadataOutputProducer(OutputProducer):
    """Adds /KlimawissenMeta to the info dictionary; fpdf2 has setters only for the standard keys."""

    def _add_info(self) -> PDFInfo:
        info = super()._add_info()
        meta = getattr(self.fpdf, "klimawissen_meta", None)
        if meta:
            # attribute name klimawissen_meta is serialised as /KlimawissenMeta
            info.klimawissen_meta = PDFString(meta, encrypt=True)
        return info


class HandoutPDF(FPDF):
    """A4 handout with a page-number footer in the document's language."""

    def __init__(self, meta: dict[str, Any]):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.meta = meta
        self.words = WORDS[meta["language"]]
        self.set_margins(left=20, top=18, right=20)
        self.set_auto_page_break(auto=True, margin=22)
        _register_fonts(self)

    def footer(self) -> None:
        """Source on the left, 'Seite N von M' on the right, on one baseline.

        Both parts share one line of extracted text ending in the page number, so a PDF reader that
        looks for headings or strips page numbers sees one recognisable footer line.
        """
        self.set_y(-15)
        self.set_draw_color(*GREEN)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        page = self.words["page"].format(n=self.page_no(), total=self.str_alias_nb_pages)
        source = _fit(self, f"{self.words['source']}: {self.meta.get('source', '')}", self.epw - 35)
        self.set_y(-13)
        self.cell(self.epw - 35, 5, source, align="L")
        self.cell(35, 5, page, align="R")


def _register_fonts(pdf: FPDF) -> None:
    """Embed DejaVu Sans (regular and bold); fail with the Debian package name if it is missing."""
    for style, filename in FONT_FILES.items():
        path = FONT_DIR / filename
        if not path.is_file():
            raise BuildError(f"Font {path} not found: install the Debian package {FONT_PACKAGE}.")
        pdf.add_font(FONT, style, str(path))


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten text with an ellipsis so that it fits `width` in the current font (footer lines)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


class HandoutColumns(TextColumns):
    """fpdf2 text columns that never leave a heading alone at the foot of a column or page.

    fpdf2 has no keep-with-next; this lowers the column bottom so that the break falls before a
    heading that would otherwise be followed by fewer than MIN_LINES_AFTER_HEADING lines of text.
    It relies on fpdf2's internal line objects (pinned fpdf2 version; the PDFs are committed anyway).
    """

    MIN_LINES_AFTER_HEADING = 2

    def _render_column_lines(self, text_lines: list, top: float, bottom: float) -> float:
        bottom = self._bottom_before_orphan(text_lines, top, bottom)
        return super()._render_column_lines(text_lines, top, bottom)

    def _bottom_before_orphan(self, text_lines: list, top: float, bottom: float) -> float:
        """Simulate the column fill the way fpdf2 does; move the bottom up above a stranded heading."""
        y, heading_start, lines_after = top, None, 0
        for index, wrapper in enumerate(text_lines):
            if not hasattr(wrapper, "line"):  # an image paragraph: do not interfere
                return bottom
            paragraph = wrapper.paragraph
            y_before = y
            if wrapper.first_line and not paragraph.bullet and paragraph.top_margin and y > self.pdf.t_margin:
                y += paragraph.top_margin
            if y + wrapper.line.height > bottom:
                stranded = heading_start is not None and lines_after < self.MIN_LINES_AFTER_HEADING
                # a heading at the top of a page has nowhere better to go (and moving it would loop)
                movable = stranded and (heading_start[0] > 0 or top > self.pdf.t_margin + 1)
                return heading_start[1] + 0.01 if movable else bottom
            if getattr(paragraph, "keep_with_next", False):
                if wrapper.first_line:
                    heading_start, lines_after = (index, y_before), 0
            elif heading_start is not None:
                lines_after += 1
            y += wrapper.line.height
            if wrapper.last_line and paragraph.bottom_margin and y + paragraph.bottom_margin < bottom:
                y += paragraph.bottom_margin
            if wrapper.line.trailing_form_feed:
                return bottom
        return bottom


def render_title_block(pdf: HandoutPDF, meta: dict[str, Any]) -> None:
    """Coloured band, title, and the company/sector/year and measures lines of page 1.

    The band and info lines contain a colon on purpose: the PDF reader treats short colon-free lines
    as headings, and the title should be the first heading it finds.
    """
    language, words = meta["language"], pdf.words
    pdf.set_fill_color(*GREEN)
    pdf.rect(0, 0, pdf.w, 13, style="F")
    pdf.set_fill_color(*WHITE)
    pdf.set_xy(pdf.l_margin, 4)
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*WHITE)
    doc_type = label(DOC_TYPES, meta.get("doc_type", ""), language)
    pdf.cell(0, 5, f"Klimawissen · {words['doc_type']}: {doc_type}")

    pdf.set_xy(pdf.l_margin, 22)
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(0, 8, str(meta["title"]), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(*MUTED)
    who = words["company"] if meta.get("doc_type") == "case-study" else words["publisher"]
    sector = label(SECTORS, meta.get("sector", ""), language)
    items = [f"{who}: {meta.get('company', '')}", f"{words['sector']}: {sector}",
             f"{words['year']}: {meta.get('year', '')}"]
    for line in _pack(pdf, items, "  |  ", pdf.epw):
        pdf.multi_cell(0, 5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    measures = [label(MEASURE_TYPES, key, language) for key in meta.get("measure_types") or []]
    if measures:
        pdf.multi_cell(0, 5, f"{words['measures']}: {', '.join(measures)}", align="L", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)


def _pack(pdf: FPDF, items: list[str], separator: str, width: float) -> list[str]:
    """Join items into as few lines as fit `width`, breaking only between items ("Jahr: 2025" stays whole)."""
    lines: list[str] = []
    for item in items:
        candidate = f"{lines[-1]}{separator}{item}" if lines else item
        if lines and pdf.get_string_width(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(item)
    return lines


def render_body(pdf: HandoutPDF, blocks: list[Block], columns: int) -> None:
    """Lay out the body: runs of text go into (one or two) text columns, tables span the page width.

    Tables cannot live inside fpdf2 text columns, so a table closes the current column run (which
    is balanced, so the table starts below both columns) and a new run starts after it.
    """
    for group in _group_blocks(blocks):
        if isinstance(group, PageBreak):
            pdf.add_page()
        elif isinstance(group, Table):
            render_table(pdf, group)
        else:
            render_text_run(pdf, group, columns)


def _group_blocks(blocks: list[Block]) -> Iterator[Block | list[Block]]:
    """Yield tables and page breaks on their own and consecutive text blocks as one list.

    A heading directly above a table moves to the table, so that it spans the page with it instead
    of ending a text column or being stranded at the foot of a page.
    """
    run: list[Block] = []
    for block in blocks:
        if isinstance(block, Table) and run and isinstance(run[-1], Heading):
            block.heading = run.pop()
        if isinstance(block, (Table, PageBreak)):
            if run:
                yield run
                run = []
            yield block
        else:
            run.append(block)
    if run:
        yield run


def render_text_run(pdf: HandoutPDF, blocks: list[Block], columns: int) -> None:
    """Render headings, paragraphs and lists into a text-column region (fpdf2 text_columns)."""
    region = HandoutColumns(pdf, ncols=columns, gutter=8, balance=columns > 1, text_align="LEFT",
                            line_height=LINE_HEIGHT, wrapmode=WrapMode.WORD)
    with region:
        for block in blocks:
            if isinstance(block, Heading):
                _write_heading(pdf, region, block)
            elif isinstance(block, BulletList):
                _write_list(pdf, region, block)
            else:
                _write_paragraph(pdf, region, block)
    pdf.set_x(pdf.l_margin)


def _write_heading(pdf: HandoutPDF, region: Any, heading: Heading) -> None:
    size = {1: 14, 2: 12.5}.get(heading.level, 10.5)
    with region.paragraph(top_margin=4 if heading.level <= 2 else 2.5, bottom_margin=1.2) as par:
        par.keep_with_next = True  # read by HandoutColumns
        pdf.set_font(FONT, "B", size)
        pdf.set_text_color(*(GREEN if heading.level <= 2 else TEXT))
        par.write(plain_text(heading.text)[0])


def _write_paragraph(pdf: HandoutPDF, region: Any, paragraph: Paragraph) -> None:
    indent = 4 if paragraph.quote else 0
    with region.paragraph(indent=indent, bottom_margin=2.2) as par:
        _write_spans(pdf, par, paragraph.text, muted=paragraph.quote)


def _write_list(pdf: HandoutPDF, region: Any, bullets: BulletList) -> None:
    for number, (text, level) in enumerate(bullets.items, start=1):
        last = number == len(bullets.items)
        pdf.set_font(FONT, "", BODY_SIZE)
        pdf.set_text_color(*(GREEN if level == 0 else MUTED))
        marker = f"{number}." if bullets.ordered else ("•" if level == 0 else "–")
        with region.paragraph(indent=5 + 5 * level, bullet_string=marker, bullet_r_margin=1.5,
                              bottom_margin=2.2 if last else 0.8) as par:
            _write_spans(pdf, par, text)


def _write_spans(pdf: HandoutPDF, par: Any, text: str, muted: bool = False) -> None:
    """Write inline-styled text; italics are set in a muted colour (only the upright faces are embedded)."""
    for span in parse_inline(text):
        pdf.set_font(FONT, "B" if span.bold else "", BODY_SIZE)
        pdf.set_text_color(*(MUTED if span.italic or muted else TEXT))
        par.write(span.text)
    pdf.set_font(FONT, "", BODY_SIZE)
    pdf.set_text_color(*TEXT)


def render_table(pdf: HandoutPDF, table: Table) -> None:
    """A full-width table with a shaded heading row; column widths follow the amount of text."""
    pdf.ln(1.5)
    _keep_table_start_together(pdf, table)
    if table.heading:
        render_text_run(pdf, [table.heading], columns=1)
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(170, 190, 178)
    pdf.set_fill_color(*WHITE)  # the table takes its base style, fill included, from the current state
    pdf.set_line_width(0.2)
    headings_style = FontFace(emphasis="BOLD", color=GREEN, fill_color=LIGHT_GREEN)
    with pdf.table(width=pdf.epw, col_widths=_column_widths(pdf, table), text_align=tuple(table.aligns),
                   headings_style=headings_style, borders_layout="HORIZONTAL_LINES", line_height=5,
                   cell_fill_mode="ROWS", cell_fill_color=ZEBRA,
                   padding=(1.2, 1.5), first_row_as_headings=True) as rendered:
        for cells in [table.header, *table.rows]:
            row = rendered.row()
            for cell in cells:
                text, bold = plain_text(cell)
                row.cell(text, style=FontFace(emphasis="BOLD") if bold else None)
    pdf.ln(4)


def _keep_table_start_together(pdf: HandoutPDF, table: Table) -> None:
    """Start a new page if the heading row and the first rows would be stranded at the page bottom.

    fpdf2 splits long tables across pages (repeating the heading row), but a heading row with a
    single data row under it at the foot of a page reads badly. Row height is estimated, not measured.
    """
    estimated_row_height, estimated_heading_height = 7.5, 10
    needed = estimated_row_height * (1 + min(len(table.rows), 3))
    if table.heading:
        needed += estimated_heading_height
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()


def _column_widths(pdf: FPDF, table: Table) -> tuple[float, ...]:
    """Column widths (mm) from the measured text: every column fits its longest word, and the
    space left over goes to the columns with the most text. Counting characters is not enough:
    a bold heading like "Scope" in a narrow first column would otherwise break mid-word.
    """
    padding = 2 * 1.5 + 1.5
    columns = list(zip(table.header, *table.rows))
    minimum = [max(_longest_word_width(pdf, plain_text(c)[0]) for c in col) + padding for col in columns]
    preferred = [max(_text_width(pdf, plain_text(c)[0]) for c in col) + padding for col in columns]
    if sum(preferred) <= pdf.epw:
        return tuple(w * pdf.epw / sum(preferred) for w in preferred)
    spare = max(pdf.epw - sum(minimum), 0)
    extra = [p - m for p, m in zip(preferred, minimum)]
    return tuple(m + spare * e / (sum(extra) or 1) for m, e in zip(minimum, extra))


def _text_width(pdf: FPDF, text: str) -> float:
    """Width in the table's bold face, the wider of the two, so headings and bold cells fit too."""
    pdf.set_font(FONT, "B", 9)
    width = pdf.get_string_width(text)
    pdf.set_font(FONT, "", 9)
    return width


def _longest_word_width(pdf: FPDF, text: str) -> float:
    return max((_text_width(pdf, word) for word in text.split()), default=0)


# --------------------------------------------------------------------------------------------------
# Metadata and build


def load_source(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of a PDF source, with the fields the layout needs checked."""
    meta, body = read_front_matter(path)
    missing = [key for key in ("id", "title", "language") if not meta.get(key)]
    if missing:
        raise BuildError(f"{path.name}: front matter lacks {', '.join(missing)}")
    if meta["id"] != path.stem:
        raise BuildError(f"{path.name}: id '{meta['id']}' differs from the file name")
    if meta["language"] not in WORDS:
        raise BuildError(f"{path.name}: language must be one of {', '.join(WORDS)}")
    if meta.get("layout", "one-column") not in LAYOUT_COLUMNS:
        raise BuildError(f"{path.name}: layout must be one of {', '.join(LAYOUT_COLUMNS)}")
    return meta, body


def klimawissen_meta(meta: dict[str, Any]) -> str:
    """The JSON stored under /KlimawissenMeta: the document fields, never the held-out figures."""
    return json.dumps({key: meta.get(key) for key in META_FIELDS}, ensure_ascii=False,
                      separators=(",", ":"), default=str)


def set_metadata(pdf: HandoutPDF, meta: dict[str, Any]) -> None:
    """Info dictionary: title, author = company, subject and keywords in the document's language."""
    language = meta["language"]
    doc_type = label(DOC_TYPES, meta.get("doc_type", ""), language)
    sector = label(SECTORS, meta.get("sector", ""), language)
    measures = [label(MEASURE_TYPES, key, language) for key in meta.get("measure_types") or []]
    pdf.set_title(str(meta["title"]))
    pdf.set_author(str(meta.get("company", "")))
    pdf.set_subject(f"{doc_type} – {sector}")
    pdf.set_keywords(", ".join([sector, *measures, "Klimapakt mit der Wirtschaft Düsseldorf"]))
    pdf.set_creator(CREATOR)
    pdf.set_lang(language)
    pdf.set_creation_date(CREATION_DATE)
    pdf.klimawissen_meta = klimawissen_meta(meta)


def build_pdf(source: Path) -> bytes:
    """The PDF bytes for one source file."""
    meta, body = load_source(source)
    blocks = parse_blocks(body)
    if blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1 \
            and plain_text(blocks[0].text)[0].strip() == str(meta["title"]).strip():
        blocks = blocks[1:]  # the title block already shows it
    pdf = HandoutPDF(meta)
    set_metadata(pdf, meta)
    pdf.add_page()
    render_title_block(pdf, meta)
    render_body(pdf, blocks, LAYOUT_COLUMNS[meta.get("layout", "one-column")])
    return bytes(pdf.output(output_producer_class=MetadataOutputProducer))


def source_files(sources_dir: Path = SOURCES_DIR) -> list[Path]:
    return sorted(sources_dir.glob("*.md"))


def build_all(sources_dir: Path = SOURCES_DIR, out_dir: Path = DOCUMENTS_DIR) -> list[Path]:
    """Build every source into out_dir; files whose bytes did not change are left untouched."""
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for source in source_files(sources_dir):
        target = out_dir / f"{source.stem}.pdf"
        data = build_pdf(source)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
            written.append(target)
    return written


def find_outdated_pdfs(sources_dir: Path = SOURCES_DIR, documents_dir: Path = DOCUMENTS_DIR) -> list[str]:
    """Names of committed PDFs that are missing or differ from a fresh build in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="klimawissen-pdfs-") as tmp:
        fresh_dir = Path(tmp)
        build_all(sources_dir, fresh_dir)
        outdated = []
        for fresh in sorted(fresh_dir.glob("*.pdf")):
            committed = documents_dir / fresh.name
            if not committed.is_file():
                outdated.append(f"{fresh.name} (missing)")
            elif committed.read_bytes() != fresh.read_bytes():
                outdated.append(f"{fresh.name} (differs from its source)")
        return outdated


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed PDF is missing or out of date")
    parser.add_argument("--sources", type=Path, default=SOURCES_DIR, help="directory of Markdown sources")
    parser.add_argument("--out", type=Path, default=DOCUMENTS_DIR, help="directory for the PDFs")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        if args.check:
            outdated = find_outdated_pdfs(args.sources, args.out)
            for name in outdated:
                print(f"out of date: {name}")
            if outdated:
                print("Run: python corpus/build_pdfs.py", file=sys.stderr)
                return 1
            print(f"{len(source_files(args.sources))} PDFs up to date")
            return 0
        written = build_all(args.sources, args.out)
        for path in written:
            print(f"wrote {path}")
        print(f"{len(source_files(args.sources))} sources, {len(written)} PDFs (re)written")
        return 0
    except (BuildError, FrontMatterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
