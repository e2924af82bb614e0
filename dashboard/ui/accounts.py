"""Streamlit glue for who is signed in: the server-side session of this browser tab, restored after a
reload from the session cookie; sign-in (password or single sign-on), sign-out, the idle watch that
blanks an unattended screen, and the administrator's forms for session settings and accounts.

The services decide (services/auth.py, services/sessions.py); this module only carries their answers
between Streamlit's session state, its cookies (st.context.cookies) and the pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from ..domain.model import User
from ..services import auth, sessions
from ..storage.db import Database, utc_now
from ..web import cookie_value
from . import labels

SESSION_KEY = "auth_session"
NOTICE_KEY = "_signed_out_notice"


def _cookies() -> dict[str, str]:
    try:
        found = dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - no browser behind this run (a test harness): no cookies
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def _device() -> str | None:
    return cookie_value(_cookies(), sessions.DEVICE_COOKIE)


def client() -> auth.Client:
    """Where this run's request comes from: address and device cookie, for sign-in throttling."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001
        address = None
    return auth.Client(address=address if isinstance(address, str) else None, device=_device())


def _clear_state(notice: str | None = None) -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def current_user(db: Database) -> User | None:
    """The user of this tab, checked against the server at every rerun (the session is live, the account
    active, the role as it is now); restored from the browser's cookie after a reload or reconnect."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is None:
        return _restore(db)
    try:
        found = sessions.check(db, session_id)
    except sessions.SessionEnded as ended:
        _clear_state(str(ended))
        return None
    st.session_state["user"] = found
    return found


def _remember(session_id: int, found: User) -> None:
    st.session_state[SESSION_KEY] = session_id
    st.session_state["user"] = found


def _restore(db: Database) -> User | None:
    device = _device()
    waiting = sessions.pending_for(db, device)
    tokens = [t for t in (waiting.token if waiting else None, cookie_value(_cookies(), sessions.COOKIE)) if t]
    for token in dict.fromkeys(tokens):
        try:
            session_id, found = sessions.resume(db, token)
        except sessions.SessionEnded as ended:
            if ended.reason in ("idle", "lifetime", "account_disabled", "password_reset"):
                st.session_state[NOTICE_KEY] = str(ended)
            continue
        _remember(session_id, found)
        return found
    return _single_sign_on(db)


def begin(db: Database, found: User, method: str, sso_login: str | None = None) -> User:
    """Open a server session for someone who has just proved who they are; the browser gets its cookie
    from the middleware on its next request."""
    device = _device()
    session_id, token = sessions.start(db, found, method=method, device=device, sso_login=sso_login)
    sessions.offer(db, device, token, session_id, utc_now() + sessions.limits(db).lifetime)
    st.session_state.pop(NOTICE_KEY, None)
    user = sessions.check(db, session_id, touch=False)
    _remember(session_id, user)
    return user


def sign_out(db: Database) -> None:
    """End the session (every tab sharing it is signed out at its next action) and reload the browser
    through /auth/logout, where the middleware deletes the cookie (and single sign-on is signed out too)."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        sessions.end(db, session_id, "signed_out")
    sessions.withdraw(db, _device())
    _clear_state()
    st.logout()
    st.stop()


def show_notice() -> None:
    """Why this browser tab was signed out, if it was."""
    text = st.session_state.pop(NOTICE_KEY, None)
    if text:
        st.info(text, icon=":material/logout:")


def _watch(db: Database) -> None:
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is None:
        return
    try:
        sessions.check(db, session_id, touch=False)  # looking is not activity: it never extends the session
    except sessions.SessionEnded:
        st.rerun(scope="app")


def watch(db: Database) -> None:
    """Every few minutes, even with nobody at the keyboard, ask the server whether this session is still
    live; when it has ended (idle, signed out elsewhere, account disabled) the page goes back to sign-in,
    so an unattended screen does not keep showing patients."""
    idle = sessions.limits(db).idle
    every = min(max(idle / 6, timedelta(seconds=10)), timedelta(minutes=5))
    st.fragment(_watch, run_every=every, key="session_watch")(db)


# -- single sign-on (st.login, configured in secrets.toml [auth]) --------------------------------------


def sso_providers() -> list[tuple[str | None, str]]:
    """(provider name for st.login, label) for each OpenID Connect provider configured; empty when none."""
    try:
        config = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file: no single sign-on
        return []
    if not isinstance(config, Mapping):
        return []
    found: list[tuple[str | None, str]] = []
    if "client_id" in config:
        found.append((None, "single sign-on"))
    for name, section in config.items():
        if isinstance(section, Mapping) and "client_id" in section:
            found.append((name, name.replace("-", " ").title()))
    return found


def _identity() -> dict[str, Any] | None:
    try:
        if not st.user.is_logged_in:
            return None
        return {k: st.user[k] for k in st.user if isinstance(st.user[k], (str, int, float, bool))}
    except Exception:  # noqa: BLE001 - single sign-on not configured
        return None


def _single_sign_on(db: Database) -> User | None:
    identity = _identity() if sso_providers() else None
    if identity is None:
        return None
    login = auth.sso_login_id(identity)
    if st.session_state.get("_sso_refused") == login:
        return None
    try:
        found = auth.sign_in_sso(db, identity, client=client())
    except auth.LoginAlreadyUsed:
        return None
    except auth.SignInRefused as refused:
        st.session_state["_sso_refused"] = login
        st.session_state[NOTICE_KEY] = str(refused)
        return None
    return begin(db, found, "sso", sso_login=login)


def sso_buttons() -> None:
    providers = sso_providers()
    if not providers:
        return
    st.caption("Or, where your clinic uses its staff accounts:")
    for name, label in providers:
        if st.button(f"Sign in with {labels.md(label)}", icon=":material/badge:", key=f"sso_{name or 'default'}"):
            if name:
                st.login(name)
            else:
                st.login()


# -- forms for administrators ----------------------------------------------------------------------------


def local_time(at: datetime) -> datetime:
    """A stored (naive UTC) time in the browser's time zone, else the server's."""
    aware = at.replace(tzinfo=UTC)
    try:
        zone = st.context.timezone
        if zone:
            from zoneinfo import ZoneInfo

            return aware.astimezone(ZoneInfo(zone))
    except Exception:  # noqa: BLE001 - unknown zone: the server's own
        pass
    return aware.astimezone()
