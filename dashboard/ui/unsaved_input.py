"""A form's unsaved input kept on the server (services/unsaved.py), per user and record, at every rerun, and
brought back after a reload or a reconnect: "unsaved input restored from 10:42". Saving or discarding the
form clears it.

A form's widgets all have keys under one prefix; keys under it that start with "_" (and the pages' own
bookkeeping: ready, version, carried_from) are not input."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..domain.model import User
from ..services import unsaved
from ..storage.db import Database, utc_now
from . import accounts, forms

_NOT_INPUT = {"ready", "version", "carried_from"}


def prefix(base: str) -> str:
    """The widget-key prefix of a form. Discarding its input starts a new one (fresh widgets: the browser
    keeps showing what a widget held when only its state is dropped)."""
    fresh = st.session_state.get("_form_round_" + base, 0)
    return base + (f"r{fresh}_" if fresh else "")


def _input(prefix: str) -> dict[str, Any]:
    found = {}
    for key, value in st.session_state.items():
        if isinstance(key, str) and key.startswith(prefix):
            name = key[len(prefix) :]
            if name and not name.startswith("_") and name not in _NOT_INPUT:
                found[name] = value
    return found


def restore(db: Database, me: User, form: str, record: str, prefix: str) -> bool:
    """Before the form's widgets: put back what was typed and not saved (once per browser session).
    True when it did."""
    if st.session_state.get(prefix + "_checked"):
        return bool(st.session_state.get(prefix + "_restored"))
    st.session_state[prefix + "_checked"] = True
    kept = unsaved.restore(db, me, form, record)
    if kept is None:
        return False
    for name, value in kept.values.items():
        st.session_state[prefix + name] = value
    st.session_state[prefix + "_restored"] = kept.saved_at
    st.session_state[prefix + "_baseline"] = None  # what is shown is unsaved input, not a fresh form
    return True


def keep(db: Database, me: User, form: str, record: str, prefix: str) -> None:
    """After the form's widgets, at every rerun: store the input if it changed (a fresh, untouched form
    stores nothing; changing it back to how it started forgets it)."""
    current = _input(prefix)
    text = unsaved.encode(current)
    if prefix + "_baseline" not in st.session_state:
        st.session_state[prefix + "_baseline"] = text
        st.session_state[prefix + "_kept"] = text
        return
    if text == st.session_state.get(prefix + "_kept"):
        return
    if text == st.session_state[prefix + "_baseline"]:
        unsaved.discard(db, me, form, record)
    elif not unsaved.keep(db, me, form, record, current):
        st.warning("This form holds too much text to keep while unsaved: save it soon.", icon=":material/warning:")
    st.session_state[prefix + "_kept"] = text


def clear(db: Database, me: User, form: str, record: str, prefix: str) -> None:
    """The form was saved (or thrown away): forget its input here and on the server."""
    unsaved.discard(db, me, form, record)
    forget(prefix)


def forget(prefix: str) -> None:
    """The form was saved by a service that also forgot its kept input: forget it in this session."""
    forms.forget(prefix)


def notice(db: Database, me: User, form: str, record: str, prefix: str, base: str) -> None:
    """Say that the form shows restored input, with a way to throw it away."""
    if st.session_state.get("_unsaved_discarded") == base:
        del st.session_state["_unsaved_discarded"]
        st.success("Unsaved input discarded: the form starts afresh.", icon=":material/delete:")
    when = st.session_state.get(prefix + "_restored")
    if not when:
        return
    shown = accounts.local_time(when)
    today = accounts.local_time(utc_now()).date()
    stamp = f"{shown:%H:%M}" if shown.date() == today else f"{shown:%d %b %Y %H:%M}"
    c1, c2 = st.columns([4, 1])
    c1.info(f"Unsaved input restored from {stamp}: check it, then save, or discard it.", icon=":material/restore:")
    if c2.button("Discard unsaved input", key=prefix + "_discard", icon=":material/delete:"):
        clear(db, me, form, record, prefix)
        st.session_state["_form_round_" + base] = st.session_state.get("_form_round_" + base, 0) + 1
        st.session_state["_unsaved_discarded"] = base
        st.rerun()
