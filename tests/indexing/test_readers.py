"""Readers: real PDFs through pypdf, Markdown with front matter, plain text, and bad input."""

import os

import pytest

from indexing.errors import LimitExceededError, UnreadableFileError, UnsupportedFileError
from indexing.readers import ReaderLimits, read_file


def test_pdf_keeps_one_unit_per_page_with_its_number_and_umlauts(tmp_path, make_pdf):
    pages = [
        "Einführung\nDie Großbäckerei Müßig (fiktiv) backt in Düsseldorf-Oberbilk.",
        "Maßnahme\nÖfen geben Abwärme an einen Wärmetauscher ab.",
        "Ergebnis\nEs werden jährlich 28,1 t CO2e eingespart.",
    ]
    document = read_file(make_pdf(tmp_path / "Fall Bäckerei.pdf", pages, title="Bäckerei Müßig"))

    assert document.file_type == "pdf"
    assert document.title == "Bäckerei Müßig"
    assert document.doc_id == "fall-baeckerei"
    assert [unit.page for unit in document.units] == [1, 2, 3]
    assert "Großbäckerei Müßig" in document.units[0].text
    assert "28,1 t CO2e" in document.units[2].text
    assert [unit.heading for unit in document.units] == ["Einführung", "Maßnahme", "Ergebnis"]


def test_pdf_running_footer_and_header_are_left_out_but_body_lines_kept(tmp_path, make_pdf):
    """A footer on every page ("… Seite 2 von 4") would end each page's last passage, and a header shaped
    like a heading would become every section's heading; a line repeated mid-page is content."""
    pages = [
        "Klimawissen Fallbeispiel\n"
        "Ausgangslage\n"
        "Die Halle verbrauchte 118 MWh Strom.\n"
        "Leckagen kosten Geld.\n"
        f"Auf dieser Seite geht es um {topic}.\n"
        f"Quelle: Beispielbericht der Redaktion, Seite {number} von 4"
        for number, topic in enumerate(("Druckluft", "Licht", "Wärme", "Kälte"), start=1)
    ]
    pages[0] = "Dies ist ein Entwurf vom Mai.\n" + pages[0]
    document = read_file(make_pdf(tmp_path / "fall.pdf", pages))

    text = "\n".join(unit.text for unit in document.units)
    assert "Beispielbericht" not in text and "von 4" not in text
    assert "Klimawissen Fallbeispiel" not in text
    assert text.count("Leckagen kosten Geld.") == 4
    assert text.count("Die Halle verbrauchte 118 MWh Strom.") == 4
    assert "Dies ist ein Entwurf vom Mai." in text
    assert "Auf dieser Seite geht es um Kälte." in text
    # The header has a heading's shape: left in, it would have become part of every section's heading.
    assert [(unit.page, unit.heading) for unit in document.units] == [
        (1, ""), (1, "Ausgangslage"), (2, "Ausgangslage"), (3, "Ausgangslage"), (4, "Ausgangslage")]


def test_pdf_of_two_pages_keeps_its_footer(tmp_path, make_pdf):
    """Two pages are too few to tell a footer from a sentence that happens to repeat."""
    pages = [f"Ergebnis\nDie Anlage spart 40 MWh.\nQuelle: Bericht, Seite {n} von 2" for n in (1, 2)]
    document = read_file(make_pdf(tmp_path / "kurz.pdf", pages))

    assert sum("Quelle: Bericht" in unit.text for unit in document.units) == 2


def test_pdf_metadata_from_the_klimawissen_info_key(tmp_path, make_pdf):
    import json

    import pypdf

    path = make_pdf(tmp_path / "x.pdf", ["Text der Fallstudie mit genug Inhalt."])
    writer = pypdf.PdfWriter(clone_from=str(path))
    writer.add_metadata({"/KlimawissenMeta": json.dumps({"id": "cs-beispiel", "sector": "crafts", "year": 2024})})
    writer.write(str(path))

    document = read_file(path)

    assert document.doc_id == "cs-beispiel"
    assert document.metadata["sector"] == "crafts" and document.metadata["year"] == 2024


def test_markdown_front_matter_becomes_metadata_and_headings_sections(tmp_path):
    path = tmp_path / "fall.md"
    path.write_text(
        "---\nid: cs-tischlerei\ntitle: Tischlerei Holzwurm\ncompany: Holzwurm GmbH (fiktiv)\n"
        "sector: crafts\nmeasure_types: [heat-pump, photovoltaics]\nyear: 2024\nlanguage: de\n"
        "doc_type: case-study\n---\n# Tischlerei Holzwurm\n\nEinleitung mit **fettem** Text.\n\n"
        "## Ergebnisse\n\n| Kennzahl | Wert |\n|---|---|\n| CO2 | 12,5 t |\n",
        encoding="utf-8",
    )
    document = read_file(path)

    assert document.doc_id == "cs-tischlerei"
    assert document.metadata == {
        "title": "Tischlerei Holzwurm", "company": "Holzwurm GmbH (fiktiv)", "sector": "crafts",
        "measure_types": ["heat-pump", "photovoltaics"], "year": 2024, "language": "de", "doc_type": "case-study",
    }
    assert [(unit.heading, unit.page) for unit in document.units] == [
        ("Tischlerei Holzwurm", None), ("Ergebnisse", None)
    ]
    assert document.units[0].text == "Einleitung mit fettem Text."
    assert "|---|" not in document.units[1].text and "12,5 t" in document.units[1].text


def test_plain_text_uses_its_first_line_as_title(tmp_path):
    path = tmp_path / "notiz.txt"
    path.write_text("Druckluft-Notiz\nLeckagen kosten Geld.", encoding="cp1252")
    document = read_file(path)
    assert document.title == "Druckluft-Notiz"
    assert document.units[0].text.endswith("Leckagen kosten Geld.")


@pytest.mark.parametrize(
    "name, content, error, fragment",
    [
        ("leer.txt", b"", UnreadableFileError, "leer"),
        ("binär.txt", b"\x00\x01\x02binary", UnreadableFileError, "Binärdaten"),
        ("kaputt.md", b"---\ntitle: [nicht geschlossen\n---\nText", UnreadableFileError, "Kopfbereich"),
        ("bild.png", b"\x89PNG....", UnsupportedFileError, "nicht unterstützt"),
        ("ohne-endung", b"Text", UnsupportedFileError, "ohne Endung"),
    ],
)
def test_bad_files_raise_a_message_staff_understand(tmp_path, name, content, error, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=fragment):
        read_file(path)


def test_pdf_without_text_layer_is_rejected_as_scan(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50)  # a drawing, no text: what a scan looks like to a text extractor
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(UnreadableFileError, match="keinen lesbaren Text .*Scan ohne Textebene.*OCR"):
        read_file(path)


def test_pdf_protected_only_by_an_owner_password_is_read(tmp_path, make_pdf):
    path = make_pdf(tmp_path / "bericht.pdf", ["Nachhaltigkeitsbericht: 12 % weniger Strom."], owner_password="chef")
    document = read_file(path)
    assert "12 % weniger Strom" in document.units[0].text


def test_pdf_that_needs_a_user_password_is_rejected(tmp_path, make_pdf):
    path = make_pdf(tmp_path / "geheim.pdf", ["Vertraulich."], user_password="geheim")
    with pytest.raises(UnreadableFileError, match="passwortgeschützt"):
        read_file(path)


def test_size_and_page_limits_let_files_at_the_limit_in(tmp_path, make_pdf):
    pdf = make_pdf(tmp_path / "drei.pdf", ["Erste Seite.", "Zweite Seite.", "Dritte Seite."])
    text = tmp_path / "genau.txt"
    text.write_bytes(b"Abwaerme " * (1024 * 1024 // 9) + b"x" * (1024 * 1024 % 9))

    assert len(read_file(pdf, ReaderLimits(max_pages=3)).units) == 3
    assert read_file(text, ReaderLimits(max_mb=1)).units
    with pytest.raises(LimitExceededError, match="3 Seiten; erlaubt sind höchstens 2"):
        read_file(pdf, ReaderLimits(max_pages=2))
    text.write_bytes(text.read_bytes() + b"!")
    with pytest.raises(LimitExceededError, match=r"zu groß \(1.0 MB\); erlaubt sind höchstens 1 MB"):
        read_file(text, ReaderLimits(max_mb=1))


def test_a_reader_failing_in_an_unforeseen_way_is_reported_and_logged(tmp_path, monkeypatch, caplog):
    def broken_reader(path, text, data):
        return 1 / 0

    monkeypatch.setattr("indexing.readers.formats.read_text", broken_reader)  # the forked reader inherits it
    path = tmp_path / "notiz.txt"
    path.write_text("Ein ganz normaler Text.", encoding="utf-8")

    with pytest.raises(UnreadableFileError, match=r"ungewöhnlich aufgebaut .*\(ZeroDivisionError\)"):
        read_file(path)
    assert "broken_reader" in caplog.text and "ZeroDivisionError" in caplog.text


def test_a_reader_process_that_dies_is_reported_as_a_broken_file(tmp_path, monkeypatch):
    monkeypatch.setattr("indexing.readers.formats.read_text", lambda *args: os._exit(3))  # as a crashing parser would
    path = tmp_path / "notiz.txt"
    path.write_text("Ein ganz normaler Text.", encoding="utf-8")

    with pytest.raises(UnreadableFileError, match="unerwartet abgebrochen"):
        read_file(path)
