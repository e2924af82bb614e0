"""Handouts for a clinic day in one go, chosen by patient and date (never by episode number): the patients
seen on a day are listed by name, and anyone else is added by finding them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ..domain.model import User, label_of
from ..handout_pdf import HandoutOptions
from ..services import handouts, records
from ..storage.db import Database
from . import labels, session

EXTRA = "handout_batch_extra"  # episodes added by name, beyond the day's


def describe(row: dict) -> str:
    """'Zoë O'Brien (P-001) · left proximal, opened 1 Sep 2026' (and 'closed' for a closed episode)."""
    side = "bilateral" if row["side"] == "bilateral" else f"{label_of(row['side']).lower()}"
    text = (
        f"{labels.patient_name(row)} ({row['clinic_id']}) · {side} {label_of(row['region']).lower()}, "
        f"opened {pd.Timestamp(row['opened_on']):%-d %b %Y}"
    )
    return text if row["status"] == "open" else f"{text} ({label_of(row['status']).lower()})"


def render(db: Database, me: User, options: HandoutOptions) -> None:
    day = st.date_input("Patients seen on", value=date.today(), key="handout_day", format="YYYY-MM-DD")
    seen = handouts.episodes_seen_today(db, me, day)
    extra = [i for i in st.session_state.get(EXTRA, []) if i not in seen]
    described = handouts.describe_episodes(db, me, seen + extra).to_dict("records")
    names = {int(r["episode_id"]): describe(r) for r in described}
    key = f"handout_batch_{day}"
    if key not in st.session_state:
        st.session_state[key] = seen + extra
    st.caption(
        f"{len(seen)} patient(s) with an open episode had an assessment on {day:%-d %b %Y}. "
        "Take anyone out of the list, or add another patient below."
        if seen
        else f"Nobody with an open episode had an assessment on {day:%-d %b %Y}. Choose another day, or add patients."
    )
    ids = st.multiselect(
        "Handouts to print",
        list(names),
        format_func=names.__getitem__,
        key=key,
        placeholder="Nobody chosen yet",
    )
    _add_patient(db, me, key)
    closed_too = st.checkbox("Include closed episodes (discharged or referred on)", key="handout_closed_too")
    if st.button(f"Print {len(ids)} handout(s)", disabled=not ids, icon=":material/print:"):
        st.session_state.pop("handout_batch", None)  # never offer an earlier batch's file after a new attempt
        bar = st.progress(0.0, text="Building handouts...")
        ok, batch_done = session.attempt(
            "batch",
            handouts.issue_many,
            db,
            me,
            ids,
            options,
            include_closed=closed_too,
            progress=lambda n, total: bar.progress(n / total, text=f"{n} of {total}"),
        )
        if ok:
            if batch_done.issued:
                st.session_state["handout_batch"] = handouts.combined_pdf(batch_done.issued)
            st.success(f"{len(batch_done.issued)} handouts issued and recorded.")
            if batch_done.skipped:
                left_out = "; ".join(labels.md(names.get(int(i), f"episode {i}")) for i in batch_done.skipped)
                st.warning(
                    f"{len(batch_done.skipped)} closed episode(s) left out: {left_out}. "
                    "Tick 'Include closed episodes' to print them."
                )
        session.show_summary("batch")
    if st.session_state.get("handout_batch"):
        st.download_button(
            "Download all as one PDF",
            data=st.session_state["handout_batch"],
            file_name=f"handouts-{day}.pdf",
            mime="application/pdf",
            icon=":material/download:",
        )


def _add_patient(db: Database, me: User, key: str) -> None:
    """Find a patient by name or clinic ID and add one of their episodes to the list."""
    with st.expander("Add another patient", icon=":material/person_add:"):
        query = st.text_input("Find another patient", key="batch_query", placeholder="Name or clinic ID")
        if not query:
            return
        found = records.find_patients(db, me, query, limit=20)
        if found.empty:
            st.info("No patient matches that search.")
            return
        episodes: dict[int, str] = {}
        for person in found.to_dict("records"):
            for ep in records.patient_episodes(db, me, int(person["patient_id"])):
                episodes[int(ep["episode_id"])] = describe({**person, **ep})
        if not episodes:
            st.info("No episode of care for that patient yet.")
            return
        chosen = st.selectbox("Episode", list(episodes), format_func=episodes.__getitem__, index=None, key="batch_pick")
        if chosen is not None:
            st.button("Add to the list", key="batch_add", icon=":material/add:", on_click=_add, args=(key, chosen))


def _add(key: str, episode_id: int) -> None:
    """Before the next run draws the list: the episode becomes one of its options and is chosen."""
    st.session_state[EXTRA] = [*st.session_state.get(EXTRA, []), episode_id]
    if episode_id not in st.session_state.get(key, []):
        st.session_state[key] = [*st.session_state.get(key, []), episode_id]
