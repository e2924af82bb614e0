"""The web layer around Streamlit's own ASGI (Starlette) app, added as middleware by ``serve`` (st.App).

- Cookies: every browser gets a random device cookie (it only tells one browser from another: a sign-in
  from a known browser is never delayed); after a sign-in the new session's token is set as the session
  cookie on the browser's next request, here and nowhere else (never by JavaScript, never in a URL). Both
  are HttpOnly and SameSite=Strict, Secure with the ``__Host-`` prefix when served over HTTPS. Signing out
  (Streamlit's /auth/logout navigation) deletes the session cookie.
- Headers: no other site may frame the app (X-Frame-Options: DENY, CSP frame-ancestors 'none').
- /_stcore/metrics answers only a signed-in administrator's session; anyone else gets 404.

The services do the checking; Streamlit is asked only for its base URL path.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any

from starlette.concurrency import run_in_threadpool

from .services import sessions
from .storage.db import Database, utc_now

DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
FRAME_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
]


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is treated as no cookies
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def _header(scope: dict[str, Any], wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def cookie_value(cookies: dict[str, str], name: str) -> str | None:
    """A cookie by its name, with or without the ``__Host-`` prefix (HTTPS)."""
    return cookies.get(sessions.SECURE_PREFIX + name) or cookies.get(name)


def set_cookie(name: str, value: str, max_age: int, secure: bool) -> bytes:
    full = (sessions.SECURE_PREFIX + name) if secure else name
    parts = [f"{full}={value}", "Path=/", f"Max-Age={max(max_age, 0)}", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def _seconds_until(when: datetime) -> int:
    return int((when - utc_now()).total_seconds())


class ClinicMiddleware:
    """Pure ASGI middleware (no request body buffering, websockets pass through)."""

    def __init__(self, app, db: Database, base_path: str | None = None):
        self.app = app
        self.db = db
        self._base = base_path

    @property
    def base(self) -> str:
        """server.baseUrlPath (read once the server's configuration is loaded), as '' or '/path'."""
        if self._base is None:
            import streamlit as st

            self._base = str(st.get_option("server.baseUrlPath") or "")
        return "/" + self._base.strip("/") if self._base.strip("/") else ""

    def _hands_over(self, scope, path: str) -> bool:
        """Requests where a waiting session cookie is handed over: the page itself and the websocket, not the
        scripts, styles, fonts and health checks a page load also makes (each would cost a database read)."""
        if scope["type"] == "websocket":
            return True
        return not path.startswith(tuple(self.base + p for p in ("/static/", "/_stcore/", "/favicon", "/app/static/")))

    def _waiting(self, device: str, session_token: str | None) -> sessions.Pending | None:
        sessions.delivered(self.db, device, session_token)
        return sessions.pending_for(self.db, device)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        cookies = _cookies(scope)
        secure = scope.get("scheme") in ("https", "wss")
        session_token = cookie_value(cookies, sessions.COOKIE)
        device = cookie_value(cookies, sessions.DEVICE_COOKIE)

        if scope["type"] == "http" and path == self.base + "/_stcore/metrics":
            from starlette.responses import PlainTextResponse

            if not await run_in_threadpool(sessions.administrator_token, self.db, session_token):
                await PlainTextResponse("Not found", status_code=404, headers=dict(_str_headers()))(
                    scope, receive, send
                )
                return

        outgoing: list[bytes] = []
        # A cross-site navigation (e.g. coming back from the identity provider) carries no SameSite=Strict
        # cookie: issuing a device cookie then would replace the browser's own. The page's same-site
        # requests that follow set it if it is really missing.
        cross_site = _header(scope, b"sec-fetch-site") == "cross-site"
        if not device and not cross_site:
            device = secrets.token_urlsafe(24)
            outgoing.append(set_cookie(sessions.DEVICE_COOKIE, device, DEVICE_MAX_AGE, secure))
        signing_out = scope["type"] == "http" and path == self.base + "/auth/logout"
        if signing_out:
            await run_in_threadpool(sessions.withdraw, self.db, device)
            if session_token:
                outgoing.append(set_cookie(sessions.COOKIE, "", 0, secure))
        elif device and self._hands_over(scope, path):
            waiting = await run_in_threadpool(self._waiting, device, session_token)
            if waiting is not None:
                outgoing.append(set_cookie(sessions.COOKIE, waiting.token, _seconds_until(waiting.until), secure))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(FRAME_HEADERS)]
                headers += FRAME_HEADERS + [(b"set-cookie", c) for c in outgoing]
                message = {**message, "headers": headers}
            elif message["type"] == "websocket.accept" and outgoing:
                headers = list(message.get("headers") or []) + [(b"set-cookie", c) for c in outgoing]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _str_headers() -> list[tuple[str, str]]:
    return [(k.decode(), v.decode()) for k, v in FRAME_HEADERS]
