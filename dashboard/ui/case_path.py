"""The case page's treatment path (tier and stage history and changes, treatments) and exercise prescription
(the stage's exercises for the pathway; after surgery, never one the surgeon's limits exclude)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ..domain import exercises
from ..domain.model import User, label_of, pathway_of
from ..domain.validation import PLANNED
from ..services import care
from ..services.cases import CaseView
from ..storage.db import Database
from . import session, tables, treatment_form

RX_NAMES = {
    "exercise": "Exercise",
    "sets": "Sets",
    "reps": "Reps",
    "hold_seconds": "Hold (s)",
    "load_cue": "Load",
    "days_per_week": "Days/week",
}


def render_path(db: Database, me: User, episode_id: int, view: CaseView, can_edit: bool) -> None:
    ep = view.episode
    names = exercises.stage_names(pathway_of(ep).value)
    c1, c2 = st.columns(2)
    when = {"effective_on": "From", "ended_on": "Until", "reason": "Reason", "clinician_name": "Clinician"}
    with c1:
        st.markdown("**Tier history**")
        tables.show(view.tiers.assign(tier=view.tiers["tier"].map(label_of)), names={"tier": "Tier", **when})
    with c2:
        st.markdown("**Loading stage history**")
        stages = view.stages.assign(stage=view.stages["stage"].map(lambda n: names.get(int(n), f"Stage {n}")))
        tables.show(stages, names={"stage": "Stage", **when})
    if can_edit:
        c1, c2 = st.columns(2)
        _change_form(db, me, episode_id, c1, "tier", "Change tier (up, or back down)", list(care.TIERS), label_of)
        _change_form(db, me, episode_id, c2, "stage", "Change loading stage", [1, 2, 3, 4], names.__getitem__)
    treatment_form.render(db, me, episode_id, ep, can_edit)


def _change_form(db: Database, me: User, episode_id: int, column, kind: str, title: str, options, words) -> None:
    scope = f"change_{kind}"
    with column.container(border=True):
        st.markdown(f"**{title}**")
        session.show_summary(scope)
        value = st.selectbox(f"New {kind}", options, format_func=words, key=f"{scope}_{kind}")
        session.show_problem(scope, kind)
        raw: dict[str, Any] = {kind: value}
        if kind == "tier" and value in PLANNED:
            raw["planned_treatment"] = st.selectbox(
                "Planned treatment (the handout explains it and its aftercare)",
                list(PLANNED[value]),
                format_func=lambda code: "PRP" if code == "prp" else label_of(code),
                index=None,
                key=f"{scope}_planned_{value}",
                placeholder="Not decided yet",
            )
            session.show_problem(scope, "planned_treatment")
        raw["effective_on"] = st.date_input(
            "Effective from", value=date.today(), key=f"{scope}_when", format="YYYY-MM-DD"
        )
        session.show_problem(scope, "effective_on")
        raw["reason"] = st.text_area("Reason", key=f"{scope}_reason", height=68)
        session.show_problem(scope, "reason")
        if st.button(f"Change {kind}", key=f"{scope}_save"):
            service = care.change_tier if kind == "tier" else care.change_stage
            ok, _ = session.attempt(scope, service, db, me, episode_id, raw)
            if ok:
                session.flash(f"{kind.capitalize()} changed to {words(value)}.")
            st.rerun()


def render_prescription(db: Database, me: User, episode_id: int, ep: dict[str, Any], can_edit: bool) -> None:
    path = pathway_of(ep).value
    items, is_default = care.prescription(db, me, episode_id, int(ep["stage"]))
    st.markdown(
        f"**{exercises.stage_names(path)[int(ep['stage'])]}**"
        + (" · stage defaults (edit and save to prescribe)" if is_default else "")
    )
    st.caption("Progress on symptoms, not time (Goom et al. 2016). Handouts print this prescription.")
    limits = care.restrictions(db, me, episode_id)
    if limits is not None:
        st.info(
            "After surgery: exercises the surgeon's limits exclude are never offered or printed "
            f"(hip flexion limit {limits.hip_flexion_limit if limits.hip_flexion_limit is not None else 'none'}; "
            f"loaded hip flexion from week {limits.loaded_flexion_week or '-'}; now week "
            f"{limits.weeks_since_surgery or '-'}).",
            icon=":material/shield:",
        )
    frame = pd.DataFrame(items, columns=list(exercises.ITEM_FIELDS))
    if not can_edit:
        tables.show(frame, names=RX_NAMES)
        return
    session.show_summary("prescription")
    edited = st.data_editor(
        frame,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"rx_{episode_id}_{ep['stage']}",
        column_config={
            "exercise": st.column_config.TextColumn("Exercise", width="large"),
            "sets": st.column_config.NumberColumn("Sets"),
            "reps": st.column_config.NumberColumn("Reps"),
            "hold_seconds": st.column_config.NumberColumn("Hold (s)"),
            "load_cue": st.column_config.TextColumn("Load"),
            "days_per_week": st.column_config.NumberColumn("Days/week"),
        },
        placeholder="-",
    )
    for text in session.problems("prescription").values():
        st.error(text)
    if st.button("Save prescription", icon=":material/fitness_center:"):
        rows = edited.astype(object).where(edited.notna(), None).to_dict("records")
        ok, _ = session.attempt("prescription", care.save_prescription, db, me, episode_id, rows)
        if ok:
            session.flash("Prescription saved.")
        st.rerun()
