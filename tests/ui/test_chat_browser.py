"""`klimawissen serve` as `make run` starts it, driven by Debian chromium through Playwright."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import CORPUS_DOCUMENTS, REPO, VENV_BIN, free_port, wait_for_http

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def chat_url(indexed_corpus, tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLIMAWISSEN_")}
    env.update(KLIMAWISSEN_DATA_DIR=str(indexed_corpus), KLIMAWISSEN_PORT=str(port))
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "klimawissen"), "serve", "--index", str(CORPUS_DOCUMENTS)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=300)
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Klimawissen läuft: http://127.0.0.1" in log_path.read_text()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_a_question_asked_in_the_page_is_answered_with_cited_corpus_sources(chat_url, browser):
    page = browser.new_page()
    page.goto(chat_url)
    page.locator("#question textarea").fill("Bis wann soll Düsseldorf klimaneutral werden?")
    page.locator("#ask").click()

    sources = page.locator("#sources")
    sources.get_by_text("[1]").first.wait_for(timeout=60_000)
    chat_text = page.locator("#chat").inner_text()
    assert "2035" in chat_text and "[1]" in chat_text
    assert "Klimapakt" in sources.inner_text()

    # A follow-up that only makes sense after the first question is answered from the same topic.
    page.locator("#question textarea").fill("Was hat Oberbilker Drehteile in die Druckluft investiert?")
    page.locator("#ask").click()
    sources.get_by_text("Oberbilker Drehteile").first.wait_for(timeout=60_000)
    page.locator("#question textarea").fill("Und wie lange hat sich das amortisiert?")
    page.locator("#ask").click()
    answers = page.locator('#chat [data-testid="bot"]')
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 3", timeout=60_000)
    assert "1,5 Jahren" in answers.nth(2).inner_text()
    assert "Oberbilker" in sources.inner_text()
    page.close()
