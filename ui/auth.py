"""Logins for the web app: a session cookie, a login form, and the server-side checks every staff
endpoint runs. Nothing here trusts the page: a hidden button is no protection, a refused request is."""

from __future__ import annotations

import html
from typing import Mapping

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.accounts import STAFF, LoginGuard, User
from assistant.service import Klimawissen

SESSION_COOKIE = "klimawissen_session"


def user_from_cookies(service: Klimawissen, cookies: Mapping[str, str]) -> User | None:
    return service.sessions.lookup(cookies.get(SESSION_COOKIE))


def staff_user(service: Klimawissen, request: Request) -> User:
    """The logged-in staff member making this request; 401 without a login, 403 for other roles."""
    user = user_from_cookies(service, request.cookies)
    if user is None:
        raise HTTPException(401, "Bitte melden Sie sich als Team-Mitglied an.")
    if user.role != STAFF:
        raise HTTPException(403, "Diese Funktion ist dem Team der Geschäftsstelle vorbehalten.")
    return user


def chat_user(service: Klimawissen, request: Request) -> User | None:
    """Who is asking; when the chat is protected, anonymous requests are refused with 401."""
    user = user_from_cookies(service, request.cookies)
    if user is None and service.settings.chat_requires_login:
        raise HTTPException(401, "Bitte melden Sie sich an.")
    return user


def _safe_next(target: str) -> str:
    """Only paths of this site: no "//host" or "https://…" redirects after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def login_page(message: str = "", next_path: str = "/", status: int = 200) -> HTMLResponse:
    notice = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    body = f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Anmelden – Klimawissen</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}}
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;font-size:1rem}}
button{{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}}.error{{color:#a00}}</style></head>
<body><h1>Klimawissen</h1><p>Anmeldung für das Team der Geschäftsstelle und für Partner.</p>{notice}
<form method="post" action="/login">
<input type="hidden" name="next" value="{html.escape(_safe_next(next_path))}">
<label for="username">Benutzername</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login">Anmelden</button></form>
<p><a href="/">Zurück zum Chat</a></p></body></html>"""
    return HTMLResponse(body, status_code=status)


def install_login_routes(api: FastAPI, service: Klimawissen) -> None:
    @api.get("/login", response_class=HTMLResponse)
    def show_login(next: str = "/") -> HTMLResponse:
        return login_page(next_path=next)

    @api.post("/login")
    def log_in(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
        guard: LoginGuard = service.login_guard
        key = LoginGuard.key(username, request.client.host if request.client else "")
        if not guard.allowed(key):
            wait = max(1, round(guard.retry_after(key) / 60))
            return login_page(f"Zu viele Fehlversuche. Bitte in etwa {wait} Minuten erneut versuchen.", next, 429)
        user = service.accounts.authenticate(username, password)
        if user is None:
            guard.failed(key)
            return login_page("Benutzername oder Passwort ist falsch.", next, 401)
        guard.succeeded(key)
        token = service.sessions.create(user)
        service.audit.record(user.username, "login", user.username)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, max_age=int(service.settings.session_hours * 3600), httponly=True,
            samesite="strict", path="/",
        )
        return response

    @api.post("/logout")
    def log_out(request: Request):
        service.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
