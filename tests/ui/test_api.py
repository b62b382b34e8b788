"""The web server over real HTTP on 127.0.0.1: logins, and the server-side checks of every staff route."""

from __future__ import annotations

import threading

import httpx
import pytest

from assistant.service import Klimawissen
from tests.conftest import free_port, write_pdf

STAFF_PASSWORD = "Geheim-genug-123"
PARTNER_PASSWORD = "Partner-Passwort-9"


class RunningServer:
    """uvicorn serving the real app on a free loopback port, in a thread of the test process."""

    def __init__(self, service: Klimawissen):
        import uvicorn

        from ui.server import create_server_app

        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        self.server = uvicorn.Server(uvicorn.Config(create_server_app(service), host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:  # set by uvicorn once the socket listens
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            self.thread.join(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


def make_service(settings, fake_embedder, corpus, **changes) -> Klimawissen:
    service = Klimawissen(settings.replace(min_relevance=0.0, **changes), embedder=fake_embedder)
    assert all(r.ok for r in service.ingest([corpus]))
    service.accounts.add("anna", STAFF_PASSWORD, "staff")
    service.accounts.add("paul", PARTNER_PASSWORD, "partner")
    return service


@pytest.fixture
def service(settings, fake_embedder, tiny_corpus):
    return make_service(settings, fake_embedder, tiny_corpus)


@pytest.fixture
def server(service):
    running = RunningServer(service)
    yield running
    running.stop()


def logged_in(server: RunningServer, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    response = client.post("/login", data={"username": username, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    return client


STAFF_ROUTES = [
    ("GET", "/api/documents", {}),
    ("POST", "/api/documents", {"files": {"files": ("neu.txt", b"Ein neuer Text ueber Druckluft.", "text/plain")}}),
    ("PUT", "/api/documents/druckluft-notiz", {"files": {"file": ("druckluft-notiz.txt", b"Neu.", "text/plain")}}),
    ("PATCH", "/api/documents/druckluft-notiz", {"json": {"changes": {"sector": "logistics"}}}),
    ("DELETE", "/api/documents/druckluft-notiz", {}),
    ("GET", "/api/unanswered", {}),
    ("GET", "/api/feedback", {}),
    ("GET", "/api/audit", {}),
]


@pytest.mark.parametrize("method,path,payload", STAFF_ROUTES)
def test_staff_routes_refuse_anonymous_and_partner_requests_and_change_nothing(server, service, method, path, payload):
    before = [(d.doc_id, d.content_hash, d.metadata) for d in service.documents()]
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    partner = logged_in(server, "paul", PARTNER_PASSWORD)

    assert anonymous.request(method, path, **payload).status_code == 401
    assert partner.request(method, path, **payload).status_code == 403
    assert [(d.doc_id, d.content_hash, d.metadata) for d in service.documents()] == before


def test_a_staff_member_uploads_answers_from_and_deletes_a_document(server, service, tmp_path):
    staff = logged_in(server, "anna", STAFF_PASSWORD)
    pdf = write_pdf(tmp_path / "kaeserei.pdf", ["Die Käserei Rheinblick kühlt ihre Reifekeller mit Brunnenwasser.",
                                                "Das spart der Käserei Rheinblick 42 MWh Strom im Jahr."]).read_bytes()
    broken = b"%PDF-1.7 kaputt"

    response = staff.post("/api/documents", files=[("files", ("kaeserei.pdf", pdf, "application/pdf")),
                                                    ("files", ("kaputt.pdf", broken, "application/pdf"))])

    assert response.status_code == 200
    results = {r["file"]: r for r in response.json()}
    assert results["kaeserei.pdf"]["status"] == "added" and results["kaputt.pdf"]["status"] == "failed"
    assert results["kaputt.pdf"]["message"]
    answer = staff.post("/api/ask", json={"question": "Wie viel Strom spart die Käserei Rheinblick?"}).json()
    assert any(c["doc_id"] == "kaeserei" and c["page"] == 2 for c in answer["citations"])
    pdf_link = next(c["link"] for c in answer["citations"] if c["doc_id"] == "kaeserei")
    assert pdf_link == "/dokumente/kaeserei#page=2"
    served = staff.get(pdf_link.split("#")[0])
    assert served.headers["content-type"] == "application/pdf" and served.content == pdf

    assert staff.delete("/api/documents/kaeserei").status_code == 200
    answer = staff.post("/api/ask", json={"question": "Wie viel Strom spart die Käserei Rheinblick?"}).json()
    assert all(c["doc_id"] != "kaeserei" for c in answer["citations"])
    assert staff.get("/dokumente/kaeserei").status_code == 404
    actions = [(e["actor"], e["action"]) for e in staff.get("/api/audit").json()]
    assert ("anna", "document.delete") in actions and ("anna", "document.upload") in actions


def test_login_sets_a_protected_cookie_and_wrong_passwords_are_rate_limited(server):
    client = httpx.Client(base_url=server.url, timeout=30)
    assert client.post("/login", data={"username": "anna", "password": "falsch-falsch"}).status_code == 401
    response = client.post("/login", data={"username": "anna", "password": STAFF_PASSWORD, "next": "//evil.example"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and STAFF_PASSWORD.lower() not in cookie

    other = httpx.Client(base_url=server.url, timeout=30)
    for _ in range(5):
        assert other.post("/login", data={"username": "paul", "password": "falsch-falsch"}).status_code == 401
    blocked = other.post("/login", data={"username": "paul", "password": PARTNER_PASSWORD})
    assert blocked.status_code == 429 and "Fehlversuche" in blocked.text


def test_logout_ends_the_session_on_the_server(server):
    staff = logged_in(server, "anna", STAFF_PASSWORD)
    assert staff.get("/api/documents").status_code == 200
    token = staff.cookies.get("klimawissen_session")
    assert staff.post("/logout").status_code == 303
    reused = httpx.Client(base_url=server.url, cookies={"klimawissen_session": token}, timeout=30)
    assert reused.get("/api/documents").status_code == 401


@pytest.mark.parametrize("doc_id", ["..%2Fregistry.sqlite3", "%2E%2E", "unbekannt", "chroma"])
def test_the_file_route_serves_published_documents_only(server, doc_id):
    assert httpx.get(f"{server.url}/dokumente/{doc_id}", timeout=30).status_code == 404


def test_markdown_sources_open_at_their_section_with_text_escaped(server, service):
    answer = httpx.post(f"{server.url}/api/ask", json={"question": "Wer sind die Initialpartner des Klimapakts?"},
                        timeout=60).json()
    assert answer["question"] == "Wer sind die Initialpartner des Klimapakts?"  # as answered; nothing restated
    too_long = {"question": "Und was hat das gekostet?", "history": ["Wie viel spart die Bäckerei? " * 100]}
    assert httpx.post(f"{server.url}/api/ask", json=too_long, timeout=30).status_code == 422  # never reaches a model
    citation = next(c for c in answer["citations"] if c["page"] is None)
    path, anchor = citation["link"].split("#")
    page = httpx.get(f"{server.url}{path}", timeout=30)
    assert page.status_code == 200 and f'id="{anchor}"' in page.text
    assert "<script" not in page.text


def test_a_protected_chat_refuses_anonymous_questions(settings, fake_embedder, tiny_corpus):
    service = make_service(settings, fake_embedder, tiny_corpus, chat_requires_login=True)
    running = RunningServer(service)
    try:
        question = {"question": "Wer sind die Initialpartner des Klimapakts?"}
        assert httpx.post(f"{running.url}/api/ask", json=question, timeout=30).status_code == 401
        partner = logged_in(running, "paul", PARTNER_PASSWORD)
        assert partner.post("/api/ask", json=question).status_code == 200
    finally:
        running.stop()
