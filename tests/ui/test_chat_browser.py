"""The web app in Debian chromium driven by Playwright, one test per journey, against `klimawissen serve`
started as `make run` starts it. The tests also take the screenshots in docs/screenshots/."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS_DOCUMENTS, REPO, VENV_BIN, free_port, klimawissen_command, wait_for_http, write_pdf
from tests.helpers import child_environment

SCREENSHOTS = REPO / "docs" / "screenshots"
STAFF_PASSWORD = "Team-Passwort-2035"


def start_server(data_dir: Path, log_path: Path, index: Path | None = None):
    port = free_port()
    env = child_environment(data_dir=str(data_dir), port=str(port))
    command = [str(VENV_BIN / "klimawissen"), "serve"] + (["--index", str(index)] if index else [])
    log = open(log_path, "wb")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=300)
    return process, log, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def chat_url(indexed_corpus, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    process, log, url = start_server(indexed_corpus, log_path, index=CORPUS_DOCUMENTS)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()
    output = log_path.read_text()
    assert "Klimawissen läuft: http://127.0.0.1" in output
    assert "klimawissen users add NAME --role staff" in output  # no staff account yet: say how to make one


@pytest.fixture(scope="module")
def staff_url(tmp_path_factory):
    """A server with its own small index and one staff account, so uploads cannot disturb other tests."""
    data_dir = tmp_path_factory.mktemp("staff-data")
    corpus = tmp_path_factory.mktemp("staff-corpus")
    for name in ("pact-hintergrund-und-ziele.md", "guide-foerderprogramme.md"):
        source = CORPUS_DOCUMENTS / name
        (corpus / name).write_bytes(source.read_bytes())
    assert klimawissen_command("ingest", str(corpus), data_dir=data_dir).returncode == 0
    added = subprocess.run(
        [str(VENV_BIN / "klimawissen"), "users", "add", "anna", "--role", "staff", "--password-stdin"],
        input=STAFF_PASSWORD + "\n", text=True, capture_output=True, cwd=REPO,
        env=child_environment(data_dir=str(data_dir)),
    )
    assert added.returncode == 0, added.stderr
    process, log, url = start_server(data_dir, tmp_path_factory.mktemp("staff-server") / "serve.log")
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


def ask(page, question: str, answers_before: int) -> str:
    """Type a question, send it, and return the final (checked) answer's text."""
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(
        "n => { const bots = document.querySelectorAll('#chat [data-testid=\"bot\"]');"
        " if (bots.length !== n + 1) return false; const text = bots[n].innerText;"
        " return ['Antwort:', 'Answer:', 'Keine passenden', 'No matching'].some(w => text.includes(w)); }",
        arg=answers_before, timeout=120_000,
    )
    return page.locator('#chat [data-testid="bot"]').nth(answers_before).inner_text()


def new_conversation(page) -> None:
    """Start over and wait until the chat is empty, so the next question is not cleared by this click."""
    page.locator("#new-conversation").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0", timeout=30_000)


def test_partner_asks_opens_the_cited_pdf_page_follows_up_and_gives_feedback(chat_url, browser, indexed_corpus):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(chat_url + "/")
    # Example questions are offered on the empty chat.
    assert "Hirschberg-Klinik" in page.locator("#chat").inner_text()

    text = ask(page, "Welche Förderung bekam Oberbilker Drehteile für die Druckluftsanierung?", 0)
    assert "[1]" in text
    sources = page.locator("#sources")
    card = sources.locator(".kw-source").filter(has_text="Oberbilker Drehteile").first
    link = card.locator("a.kw-open").get_attribute("href")
    assert link.startswith("/dokumente/") and "#page=" in link
    page_number = int(link.split("#page=")[1])
    pdf = httpx.get(chat_url + link.split("#")[0], timeout=30)
    assert pdf.headers["content-type"] == "application/pdf"
    import io

    import pypdf

    cited_page = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[page_number - 1].extract_text()
    highlighted = card.locator("mark").first.inner_text()
    assert " ".join(highlighted.split()[:4]) in " ".join(cited_page.split())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)

    # A follow-up that only makes sense after the first question stays on the same case study.
    follow_up = ask(page, "Und wie lange hat sich das amortisiert?", 1)
    assert "1,5 Jahren" in follow_up and "Oberbilker" in sources.inner_text()

    page.locator("#feedback").click()
    page.get_by_label("Falsche Quelle").check()
    page.locator("#comment textarea").fill("Test: Quelle passt nicht")
    page.locator("#send-feedback").click()
    page.get_by_text("Danke für Ihre Rückmeldung").wait_for(timeout=30_000)
    from assistant.config import Settings
    from assistant.feedback import FeedbackStore

    stored = FeedbackStore(Settings(data_dir=indexed_corpus).registry_path).recent()
    assert stored[0].rating == "wrong_source" and stored[0].comment == "Test: Quelle passt nicht"
    assert "amortisiert" in stored[0].question

    new_conversation(page)
    assert "1,5 Jahren" not in page.locator("#chat").inner_text()
    page.close()


def test_partner_asks_in_english_on_the_english_page(chat_url, browser):
    page = browser.new_page()
    page.goto(chat_url + "/en/")
    text = ask(page, "How much did Quadrant Colocation invest in free cooling?", 0)
    assert "[1]" in text
    assert "Quadrant Colocation" in page.locator("#sources").inner_text()
    assert page.locator("#language-switch").inner_text().strip() == "Deutsch"
    page.close()


def test_staff_logs_in_uploads_replaces_and_deletes_a_pdf(staff_url, browser, tmp_path):
    first = write_pdf(tmp_path / "kaeserei-rheinblick.pdf", [
        "Die Kaeserei Rheinblick kuehlt ihre Reifekeller seit 2024 mit Brunnenwasser.",
        "Die Brunnenwasserkuehlung der Kaeserei Rheinblick spart 42 MWh Strom im Jahr.",
    ])
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(staff_url + "/login")
    page.screenshot(path=str(SCREENSHOTS / "login.png"))
    page.locator("#username").fill("anna")
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("#login").click()
    page.wait_for_url(staff_url + "/")
    page.get_by_role("tab", name="Dokumente (Team)").click()
    page.locator("#staff-panel").wait_for(timeout=30_000)

    page.locator("#upload-files input[type=file]").set_input_files(str(first))
    page.locator("#upload").click()
    page.get_by_text("1 von 1 Dateien aufgenommen").wait_for(timeout=120_000)
    page.locator("#documents").get_by_text("kaeserei-rheinblick").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "staff.png"), full_page=True)

    page.get_by_role("tab", name="Chat").click()
    assert "42 MWh" in ask(page, "Wie viel Strom spart die Kaeserei Rheinblick?", 0)

    second = write_pdf(tmp_path / "neu.pdf", [
        "Die Kaeserei Rheinblick kuehlt ihre Reifekeller seit 2024 mit Brunnenwasser.",
        "Nach dem ersten vollen Jahr spart die Brunnenwasserkuehlung der Kaeserei Rheinblick 57 MWh Strom.",
    ])
    page.get_by_role("tab", name="Dokumente (Team)").click()
    page.locator("#chosen-document input").click()
    page.locator("#chosen-document input").fill("kaeserei")
    page.get_by_role("option").filter(has_text="kaeserei-rheinblick").first.click()
    page.wait_for_function("document.querySelector('#meta-title textarea').value === 'kaeserei-rheinblick'",
                           timeout=30_000)
    page.locator("#meta-title textarea").fill("Käserei Rheinblick: Brunnenwasser kühlt die Reifekeller")
    page.locator("#meta-company textarea").fill("Käserei Rheinblick eG (fiktiv)")
    page.locator("#save-metadata").click()
    page.get_by_text("Gespeichert: Käserei Rheinblick: Brunnenwasser").wait_for(timeout=60_000)
    # The case study's measure facts are shown for checking; staff correct one.
    page.wait_for_function("document.querySelector('#facts').innerText.includes('Energieeinsparung')",
                           timeout=30_000)
    assert "42 MWh Strom" in page.locator("#facts").inner_text()
    page.locator("#fact-field input").click()
    page.get_by_role("option", name="Investition (€)").click()
    page.locator("#fact-value textarea").fill("61.500")
    page.locator("#correct-fact").click()
    page.get_by_text("Korrigiert.").wait_for(timeout=30_000)
    page.wait_for_function("document.querySelector('#facts').innerText.includes('61.500')", timeout=30_000)
    page.locator("#documents").get_by_text("Käserei Rheinblick: Brunnenwasser").first.wait_for(timeout=30_000)
    page.locator("#replace-file input[type=file]").set_input_files(str(second))
    page.locator("#replace").click()
    page.get_by_text("Neue Fassung aufgenommen").wait_for(timeout=120_000)
    page.get_by_role("tab", name="Chat").click()
    new_conversation(page)
    replaced = ask(page, "Wie viel Strom spart die Kaeserei Rheinblick?", 0)
    assert "57 MWh" in replaced and "42 MWh" not in replaced

    page.get_by_role("tab", name="Dokumente (Team)").click()
    page.locator("#confirm-delete input").check()
    page.locator("#delete").click()
    page.get_by_text("Gelöscht: kaeserei-rheinblick").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Chat").click()
    new_conversation(page)
    ask(page, "Wie viel Strom spart die Kaeserei Rheinblick?", 0)
    assert "Rheinblick" not in page.locator("#sources").inner_text()
    page.close()


def test_an_anonymous_visitor_cannot_reach_staff_functions(staff_url, browser):
    page = browser.new_page()
    page.goto(staff_url + "/")
    page.get_by_role("tab", name="Dokumente (Team)").click()
    page.get_by_text("Bitte melden Sie sich als Team-Mitglied an").wait_for(timeout=30_000)
    assert not page.locator("#staff-panel").is_visible()
    assert httpx.get(staff_url + "/api/documents", timeout=30).status_code == 401
    assert httpx.delete(staff_url + "/api/documents/guide-foerderprogramme", timeout=30).status_code == 401
    page.close()
