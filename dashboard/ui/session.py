"""Streamlit glue shared by the router and the pages: the process's database, the signed-in user,
the case being worked on, and one way to call a service and show its refusal to a person."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from .. import config
from ..domain.model import FieldProblems, User
from ..services import auth
from ..services.alerts import AlertAlreadyResolved, AlertNotFound
from ..services.clinic import ClinicInfo, clinic_info, open_clinic
from ..services.records import NotFound, RecordLocked, StaleRecord
from ..storage.db import Database, DatabaseError, DatabaseInUse

log = logging.getLogger("dashboard")


@st.cache_resource(show_spinner="Opening the clinic database...")
def _open(path: str, demo: bool) -> Database:
    return open_clinic(config.ClinicConfig(config.Path(path), demo))


def database() -> Database:
    """The one connection of this server process (per configured file)."""
    cfg = config.from_environment()
    try:
        return _open(str(cfg.db_path), cfg.demo)
    except (DatabaseInUse, DatabaseError) as exc:
        st.error(str(exc))
        st.stop()


def clinic() -> ClinicInfo:
    return clinic_info(database())


def user() -> User | None:
    return st.session_state.get("user")


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


def choose_episode(episode_id: int | None) -> None:
    st.session_state["episode_id"] = episode_id


def current_patient_id() -> int | None:
    return st.session_state.get("patient_id")


def current_episode_id() -> int | None:
    episode = st.query_params.get("episode")
    if episode and episode.isdigit():
        st.session_state["episode_id"] = int(episode)
    return st.session_state.get("episode_id")


# -- calling services ------------------------------------------------------------------------------


def problems(scope: str) -> dict[str, str]:
    return st.session_state.get(f"_problems_{scope}", {})


def clear_problems(scope: str) -> None:
    st.session_state.pop(f"_problems_{scope}", None)


def show_problem(scope: str, name: str) -> None:
    """The validation message for one field, shown right under it."""
    text = problems(scope).get(name)
    if text:
        st.error(text, icon=":material/error:")


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
        st.error(text, icon=":material/block:")


def flash(text: str) -> None:
    st.session_state["_flash"] = text


def show_flash() -> None:
    text = st.session_state.pop("_flash", None)
    if text:
        st.success(text, icon=":material/check_circle:")


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
    """The episode being worked on; without one, say how to choose one and stop the page."""
    return _need(current_episode_id(), prompt)


def required_patient(prompt: str) -> int:
    return _need(current_patient_id(), prompt)
