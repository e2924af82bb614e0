"""The administrator's pieces of the Users page and of the Settings page (sign-in sessions).

A change to an account is one explicit action at a time (role, disable or enable, password reset, lifting a
sign-in delay, the e-mail for single sign-on), each a service call that is audited with before and after;
the form always starts from the chosen account's current values, so saving one never changes another."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ..domain.model import Role, User, label_of
from ..services import auth, sessions
from ..storage.db import Database
from . import accounts, forms, labels, session


def users_table(users: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(
        [
            {
                "Name": u["display_name"],
                "Signs in as": u["username"],
                "Role": label_of(u["role"]),
                "Account": "Active" if u["active"] else "Disabled",
                "E-mail (single sign-on)": u["email"] or "",
                "Open sessions": u["open_sessions"],
                "Sign-in delayed until": u["sign_in_delayed_until"],
                "Added at": u["created_at"],
            }
            for u in users
        ]
    )
    table["Sign-in delayed until"] = pd.to_datetime(table["Sign-in delayed until"])
    return table


def _now_text(chosen: dict[str, Any]) -> str:
    delayed = chosen["sign_in_delayed_until"]
    return (
        f"Now: **{label_of(chosen['role'])}**, account **{'active' if chosen['active'] else 'disabled'}**, "
        f"e-mail {labels.md(chosen['email']) if chosen['email'] else 'none'}, "
        f"{chosen['open_sessions']} open session(s)"
        + (f", sign-in delayed until {accounts.local_time(delayed):%H:%M:%S}" if delayed else "")
        + "."
    )


def _done(ok: bool, text: str, keys: str) -> None:
    if ok:
        forms.forget(keys)
        session.flash(text)
    st.rerun()


def change_user(db: Database, me: User, users: list[dict[str, Any]]) -> None:
    """Choose an account, see its current role and state, and change one thing at a time."""
    st.header("Change a user")
    names = {u["user_id"]: f"{u['display_name']} ({u['username']})" for u in users}
    user_id = st.selectbox(
        "User", list(names), format_func=names.__getitem__, index=None, placeholder="Choose a user", key="change_user"
    )
    if user_id is None:
        return
    chosen = next(u for u in users if u["user_id"] == user_id)
    k = f"user_{user_id}_"
    st.markdown(_now_text(chosen))
    session.show_summary("change_user")
    roles = [r.value for r in Role]
    c1, c2 = st.columns(2)
    with c1.container(border=True):
        role = st.selectbox("Role", roles, index=roles.index(chosen["role"]), format_func=label_of, key=k + "role")
        if st.button("Change role", disabled=role == chosen["role"], key=k + "set_role"):
            ok, _ = session.attempt("change_user", auth.set_role, db, me, user_id, role)
            _done(ok, f"{chosen['display_name']} is now {label_of(role).lower()}.", k)
    with c2.container(border=True):
        st.markdown("**Sign-in**")
        if chosen["active"]:
            if st.button("Disable account (signs them out everywhere)", key=k + "disable"):
                ok, _ = session.attempt("change_user", auth.set_active, db, me, user_id, False)
                _done(ok, f"{chosen['display_name']} is disabled and signed out.", k)
        elif st.button("Enable account", key=k + "enable"):
            ok, _ = session.attempt("change_user", auth.set_active, db, me, user_id, True)
            _done(ok, f"{chosen['display_name']} can sign in again.", k)
        if chosen["sign_in_delayed_until"] and st.button("Lift the sign-in delay", key=k + "unlock"):
            ok, _ = session.attempt("change_user", auth.unlock, db, me, user_id)
            _done(ok, f"{chosen['display_name']} can sign in now.", k)
    with st.container(border=True):
        password = st.text_input(
            "New password (role and state stay as they are)",
            type="password",
            key=k + "password",
            max_chars=auth.MAX_PASSWORD,
        )
        session.show_problem("change_user", "password")
        if st.button("Reset password", key=k + "reset", disabled=not password):
            ok, _ = session.attempt("change_user", auth.reset_password, db, me, user_id, password)
            _done(ok, f"Password of {chosen['display_name']} reset; their open sessions were ended.", k)
    with st.container(border=True):
        email = st.text_input(
            "E-mail address for single sign-on", value=chosen["email"] or "", key=k + "email", max_chars=auth.MAX_EMAIL
        )
        session.show_problem("change_user", "email")
        if st.button("Save e-mail", key=k + "save_email", disabled=email.strip() == (chosen["email"] or "")):
            ok, _ = session.attempt("change_user", auth.set_email, db, me, user_id, email)
            _done(ok, f"E-mail of {chosen['display_name']} saved.", k)


def session_settings(db: Database, me: User) -> None:
    """Idle timeout and absolute lifetime of sign-in sessions (Settings page)."""
    st.header("Sign-in sessions")
    current = sessions.limits(db)
    session.show_summary("session_limits")
    with st.form("session_limits_form"):
        c1, c2 = st.columns(2)
        idle = c1.number_input(
            "Sign out after this many minutes without activity",
            min_value=sessions.IDLE_RANGE[0],
            max_value=sessions.IDLE_RANGE[1],
            value=int(current.idle.total_seconds() // 60),
            step=1,
            key="session_idle_minutes",
        )
        session.show_problem("session_limits", "session_idle_minutes")
        lifetime = c2.number_input(
            "Sign out after this many hours in any case",
            min_value=sessions.LIFETIME_RANGE[0],
            max_value=sessions.LIFETIME_RANGE[1],
            value=int(current.lifetime.total_seconds() // 3600),
            step=1,
            key="session_lifetime_hours",
        )
        session.show_problem("session_limits", "session_lifetime_hours")
        st.caption(
            f"Defaults: {sessions.IDLE_DEFAULT_MINUTES} minutes idle, {sessions.LIFETIME_DEFAULT_HOURS} hours in all. "
            "A screen left unattended goes back to the sign-in page shortly after the idle time."
        )
        if st.form_submit_button("Save session settings"):
            ok, _ = session.attempt("session_limits", sessions.set_limits, db, me, idle, lifetime)
            if ok:
                session.flash("Session settings saved.")
            st.rerun()
