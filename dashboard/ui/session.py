"""Streamlit glue shared by the router and the pages: the process's database, the signed-in user,
the case being worked on, and one way to call a service and show its refusal to a person."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

import streamlit as st

from .. import config
from ..domain.model import FieldProblems, NotDone, User
from ..services import auth
from ..services.alerts import AlertAlreadyResolved, AlertNotFound
from ..services.clinic import ClinicInfo, clinic_info, open_clinic
from ..services.records import NotFound, RecordLocked, StaleRecord
from ..storage.db import Database, DatabaseError, DatabaseInUse
from .labels import md

log = logging.getLogger("dashboard")


@st.cache_resource(show_spinner="Opening the clinic database...")
def _open(path: str, demo: bool) -> Database:
    return open_clinic(config.ClinicConfig(config.database_target(path), demo))


def database() -> Database:
    """The one connection of this server process (per configured file)."""
    cfg = config.from_environment()
    try:
        return _open(str(cfg.db_path), cfg.demo)
    except (DatabaseInUse, DatabaseError) as exc:
        st.error(md(str(exc)))  # a damaged file: what happened and which backup to restore
        st.stop()


def clinic() -> ClinicInfo:
    return clinic_info(database())


def user() -> User | None:
    """The signed-in user of this tab, read again from the server at every rerun (the session is live, the
    account active, the role as it is now), or restored from the browser's session cookie after a reload."""
    from . import accounts

    return accounts.current_user(database())


def signed_in_user() -> User:
    """The signed-in user; a page reached without sign-in shows nothing more."""
    found = user()
    if found is None:
        st.warning("Please sign in.")
        st.stop()
    return found


def set_user(found: User | None) -> None:
    if found is None:
        for key in list(st.session_state.keys()):
            del st.session_state[key]
    else:
        st.session_state["user"] = found


# -- the case being worked on (shared between pages) -----------------------------------------------


def choose_patient(patient_id: int | None) -> None:
    st.session_state["patient_id"] = patient_id
    if patient_id is None:
        st.query_params.pop("patient", None)


def _from_address_bar(param: str, key: str) -> int | None:
    """The open patient or case: the address bar (?patient=, ?episode=) wins, so a reload or a shared link
    opens the same one."""
    raw = st.query_params.get(param)
    if raw and raw.isdigit():
        st.session_state[key] = int(raw)
    return st.session_state.get(key)


def _show_in_address_bar(param: str, value: int | None) -> None:
    if value is not None and st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def choose_episode(episode_id: int | None) -> None:
    st.session_state["episode_id"] = episode_id
    if episode_id is None:
        st.query_params.pop("episode", None)


def current_patient_id() -> int | None:
    return _from_address_bar("patient", "patient_id")


def current_episode_id() -> int | None:
    return _from_address_bar("episode", "episode_id")


# -- calling services ------------------------------------------------------------------------------


def problems(scope: str) -> dict[str, str]:
    return st.session_state.get(f"_problems_{scope}", {})


def clear_problems(scope: str) -> None:
    st.session_state.pop(f"_problems_{scope}", None)


def show_problem(scope: str, name: str) -> None:
    """The validation message for one field, shown right under it."""
    text = problems(scope).get(name)
    if text:
        st.error(md(text), icon=":material/error:")  # messages may quote what was typed


def attempt(scope: str, action: Callable[..., Any], *args, **kwargs) -> tuple[bool, Any]:
    """Run a service call. On refusal, keep the person's input, remember field problems for
    ``show_problem`` and say what went wrong in words; never show a traceback."""
    clear_problems(scope)
    try:
        return True, action(*args, **kwargs)
    except FieldProblems as exc:
        st.session_state[f"_problems_{scope}"] = exc.problems
        st.session_state[f"_summary_{scope}"] = (
            f"Nothing was saved: {len(exc.problems)} problem(s) to fix, marked beside the fields."
        )
    except NotDone as exc:  # says itself what was and was not done
        st.session_state[f"_summary_{scope}"] = str(exc)
    except (StaleRecord, RecordLocked, NotFound, AlertNotFound, AlertAlreadyResolved, auth.NotAllowed) as exc:
        st.session_state[f"_summary_{scope}"] = f"Nothing was saved. {exc}"
    except Exception:  # noqa: BLE001 - anything unexpected is logged, never shown raw
        log.exception("unexpected error in %s", scope)
        st.session_state[f"_summary_{scope}"] = (
            "Something unexpected went wrong and nothing was saved. The details are in the server log."
        )
    return False, None


def show_summary(scope: str) -> None:
    text = st.session_state.pop(f"_summary_{scope}", None)
    if text:
        st.error(md(text), icon=":material/block:")


def flash(text: str, *, announce: str | None = None) -> None:
    """``text`` is shown by the next page, in its place (``show_flash``); ``announce`` (short) is said at once,
    as a toast from the router (``announce``), before the next page has read anything."""
    st.session_state["_flash"] = text
    if announce:
        st.session_state["_announce"] = announce


def announce() -> None:
    """The router's first output: this tab's pending announcement (set by its own save a moment ago) as a toast,
    before the next page reads anything, so a clinician who has just saved sees it while the page is still
    being read (reads wait for the writes in progress: storage/db.py ``_WritesFirst``)."""
    text = st.session_state.pop("_announce", None)
    if text:
        st.toast(md(text), icon=":material/check_circle:", duration="long")  # ten seconds; the page keeps its own


def show_flash() -> None:
    text = st.session_state.pop("_flash", None)
    if text:
        st.success(md(text), icon=":material/check_circle:")


def require_permission(me: User, permission: auth.Permission, refusal: str) -> None:
    """Stop the page with ``refusal`` unless the user's role allows ``permission`` (the services check
    again; this only keeps a page from offering what would be refused)."""
    if not auth.can(me, permission):
        st.error(refusal)
        st.stop()


def _need(value, prompt: str):
    if value is None:
        st.info(prompt)
        st.page_link("pages/register.py", label="Find a patient", icon=":material/group:")
        st.stop()
    return value


def required_episode(prompt: str) -> int:
    """The episode being worked on (also put in the address bar); without one, say how to choose one and
    stop the page."""
    episode_id = _need(current_episode_id(), prompt)
    _show_in_address_bar("episode", episode_id)
    return episode_id


def required_patient(prompt: str) -> int:
    patient_id = _need(current_patient_id(), prompt)
    _show_in_address_bar("patient", patient_id)
    return patient_id


def existing_episode(load: Callable[[], Any], episode_id: int) -> Any:
    """``load()`` for the episode a page was asked for (a bookmark, a link, an earlier choice). If there is no
    such episode, say so plainly, forget the choice and stop the page (never the crash page)."""
    try:
        return load()
    except NotFound:
        choose_episode(None)
        _missing(
            f"There is no case (episode) {episode_id} in this clinic: the link or bookmark may be old or mistyped."
        )


def existing_patient(load: Callable[[], Any], patient_id: int) -> Any:
    try:
        return load()
    except NotFound:
        choose_patient(None)
        _missing(f"There is no patient {patient_id} in this clinic: the link or bookmark may be old or mistyped.")


def _missing(text: str) -> NoReturn:
    st.warning(text, icon=":material/search_off:")
    st.page_link("pages/register.py", label="Find a patient", icon=":material/group:")
    st.stop()
