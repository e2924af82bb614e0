"""The treatments of an episode, and the form that records a session with its safety screen
(CLINICAL.md §3 and §8): shockwave sessions and injections answer the screen first; nothing is assumed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from ..domain import safety
from ..domain.model import SHOCKWAVE_PROTOCOL, User, label_of
from ..services import care
from . import labels, session, tables

SCOPE = "treatment"
KINDS = ["shockwave", "dry_needling", "soft_tissue", "injection"]
SCREEN_KEY = "treatment_screen_"
OVERRIDE_KEY = "treatment_override_reason"


def _injection_label(code: str) -> str:
    return {"prp": "PRP"}.get(code, label_of(code))


def _screen_summary(row: dict[str, Any]) -> str:
    """What the screen found for a saved treatment: the items that applied, or that none did."""
    text = row.get("screen_json")
    if not isinstance(text, str) or not text:
        return "-"
    answers = json.loads(text).get("answers", {})
    words = {i.code: i.wording for i in safety.items_for(row.get("kind"), row.get("injection_type"))}
    applied = [words.get(code, code) for code, applies in answers.items() if applies]
    return "; ".join(applied) if applied else "none applied"


def _what(row: dict[str, Any]) -> str:
    """One treatment in words: 'Shockwave (radial), session 2 of 3: 2,000 impulses at 0.1 mJ/mm²'."""
    parts = [label_of(row["kind"])]
    if row["kind"] == "shockwave":
        kind = f" ({label_of(row['shockwave_type']).lower()})" if _given(row.get("shockwave_type")) else ""
        parts = [f"Shockwave{kind}"]
        if _given(row.get("session_number")):
            planned = f" of {int(row['sessions_planned'])}" if _given(row.get("sessions_planned")) else ""
            parts.append(f"session {int(row['session_number'])}{planned}")
        dose = []
        if _given(row.get("impulses")):
            dose.append(f"{int(row['impulses']):,} impulses")
        if _given(row.get("energy_flux")):
            dose.append(f"{float(row['energy_flux']):g} mJ/mm²")
        if dose:
            parts.append(" at ".join(dose))
    elif row["kind"] == "injection":
        parts = [f"Injection: {_injection_label(row['injection_type'])}" if _given(row.get("injection_type")) else ""]
        for name in ("agent", "dose"):
            if _given(row.get(name)):
                parts.append(str(row[name]))
        guidance = row.get("image_guidance")
        if _given(guidance):
            parts.append("no image guidance" if guidance == "none" else f"{label_of(guidance).lower()} guided")
    if _given(row.get("side")):
        parts.append(f"{label_of(row['side']).lower()} side")
    return ", ".join(p for p in parts if p)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA


def _table(given: pd.DataFrame) -> pd.DataFrame:
    rows = given.to_dict("records")
    return pd.DataFrame(
        {
            "Date": pd.to_datetime(given["given_on"]),
            "Treatment": [_what(r) for r in rows],
            "Given by": given["given_by"],
            "Review on": pd.to_datetime(given["review_on"]),
            "Safety screen": [_screen_summary(r) for r in rows],
            "Override reason": given["override_reason"],
            "Notes": given["notes"],
            "Recorded by": given["clinician_name"],
        }
    )


def render(db, me: User, episode_id: int, ep: dict[str, Any], can_edit: bool) -> None:
    """The treatments table and, for someone who may edit an open episode, the recording form."""
    st.markdown("**Treatments**")
    given = care.treatments(db, me, episode_id)
    if given.empty:
        st.caption("No adjunct or regenerative treatments recorded.")
    else:
        tables.show(_table(given))
    if can_edit:
        with st.expander(
            "Record a treatment session", icon=":material/healing:", expanded=bool(session.problems(SCOPE))
        ):
            _form(db, me, episode_id, ep, given)


def _form(db, me: User, episode_id: int, ep: dict[str, Any], given: pd.DataFrame) -> None:
    session.show_summary(SCOPE)
    # What decides the screen sits outside the form, so the screen follows it at once.
    kind = st.selectbox("Treatment", KINDS, format_func=label_of, key="treatment_kind")
    session.show_problem(SCOPE, "kind")
    c1, c2, c3 = st.columns(3)
    given_on = c1.date_input("Date given", value=date.today(), key="treatment_given_on", format="YYYY-MM-DD")
    injection_type = side = None
    if kind == "injection":
        injection_type = c2.selectbox(
            "Injection", list(safety.INJECTION_TYPES), format_func=_injection_label, key="treatment_injection"
        )
        side = c3.selectbox(
            "Side injected",
            ["left", "right"],
            index=1 if ep.get("side") == "right" else 0,
            format_func=label_of,
            key="treatment_side",
        )
    session.show_problem(SCOPE, "given_on")
    for name in ("injection_type", "side"):
        session.show_problem(SCOPE, name)
    computed = safety.computed_answers(
        kind,
        injection_type,
        date_of_birth=ep.get("date_of_birth"),
        given_on=given_on,
        previous_treatments=given.to_dict("records"),
        side=side,
    )

    with st.form("treatment_form"):
        values: dict[str, Any] = {"kind": kind, "given_on": given_on}
        if kind == "shockwave":
            _shockwave_fields(values, given)
        if kind == "injection":
            values.update(injection_type=injection_type, side=side)
            _injection_fields(values, injection_type, given_on)
        answers, override = _screen_fields(kind, injection_type, computed)
        values["notes"] = st.text_area("Notes", key="treatment_notes", height=68)
        session.show_problem(SCOPE, "notes")
        if st.form_submit_button("Record treatment"):
            values.update(screen=answers, override_reason=override)
            ok, _ = session.attempt(SCOPE, care.record_treatment, db, me, episode_id, values)
            if ok:
                # the next session starts unanswered: nothing is carried over from this one
                for key in [k for k in st.session_state if str(k).startswith(SCREEN_KEY) or k == OVERRIDE_KEY]:
                    del st.session_state[key]
                session.flash(f"{label_of(kind)} session recorded.")
            st.rerun()


def _shockwave_fields(values: dict[str, Any], given: pd.DataFrame) -> None:
    sw = SHOCKWAVE_PROTOCOL
    st.caption(
        f"Protocol in the trial: {sw.shockwave_type}, {sw.impulses:,} impulses at "
        f"{sw.energy_flux:g} mJ/mm², about weekly for {sw.sessions} weeks ({labels.source(sw.source)})."
    )
    planned_before = int(given[given["kind"] == "shockwave"].shape[0])
    s1, s2, s3 = st.columns(3)
    values["shockwave_type"] = s1.selectbox("Type", ["radial", "focused"], key="treatment_sw_type")
    values["impulses"] = s2.number_input("Impulses", value=sw.impulses, step=100, key="treatment_impulses")
    session.show_problem(SCOPE, "impulses")
    values["energy_flux"] = s3.number_input(
        "Energy flux (mJ/mm²)", value=sw.energy_flux, step=0.01, format="%.2f", key="treatment_flux"
    )
    session.show_problem(SCOPE, "energy_flux")
    values["session_number"] = s1.number_input(
        "Session number", value=planned_before + 1, step=1, key="treatment_session"
    )
    session.show_problem(SCOPE, "session_number")
    values["sessions_planned"] = s2.number_input("Sessions planned", value=sw.sessions, step=1, key="treatment_planned")


def _injection_fields(values: dict[str, Any], injection_type: str | None, given_on: date) -> None:
    i1, i2 = st.columns(2)
    values["agent"] = i1.text_input("Agent injected", key="treatment_agent", placeholder="product name")
    with i1:
        session.show_problem(SCOPE, "agent")
    values["dose"] = i2.text_input("Dose", key="treatment_dose", placeholder="amount and volume")
    with i2:
        session.show_problem(SCOPE, "dose")
    values["image_guidance"] = i1.radio(
        "Guidance used",
        list(safety.GUIDANCE),
        index=None,
        horizontal=True,
        format_func=label_of,
        key="treatment_guidance",
    )
    with i1:
        session.show_problem(SCOPE, "image_guidance")
    values["given_by"] = i2.text_input(
        "Given by", key="treatment_given_by", placeholder="name of the person who injected"
    )
    with i2:
        session.show_problem(SCOPE, "given_by")
    review_days = safety.INJECTION_REVIEW_DAYS
    values["review_on"] = i1.date_input(
        "Review on",
        value=given_on + timedelta(days=review_days.value),
        key=f"treatment_review_{given_on.isoformat()}",
        format="YYYY-MM-DD",
    )
    with i1:
        session.show_problem(SCOPE, "review_on")
    st.caption(f"Review about {review_days.value} days after an injection ({review_days.level}).")
    if injection_type == "corticosteroid":
        st.caption("Corticosteroid goes around, not into, the tendon (Zissen 2010; Nicholson 2014).")
    if injection_type == "prp":
        first, last = safety.PRP_RESPONSE_WEEKS
        st.info(
            f"PRP: judge the response at {first.value}-{last.value} weeks ({first.level}). No NSAIDs from "
            f"{safety.PRP_NO_NSAID_DAYS_BEFORE.value} days before to {safety.PRP_NO_NSAID_DAYS_AFTER.value} days "
            f"after the injection ({safety.PRP_NO_NSAID_DAYS_AFTER.level}); tell the patient.",
            icon=":material/info:",
        )


def _screen_fields(
    kind: str, injection_type: str | None, computed: dict[str, safety.Computed]
) -> tuple[dict[str, str | None], str | None]:
    """The yes/no radios of the screen (no default), the computed items as answered with why, and the
    override reason: (answers, reason)."""
    items = safety.items_for(kind, injection_type)
    answers: dict[str, str | None] = {}
    if not items:
        return answers, None
    st.markdown(
        f"**Safety screen.** Source: {labels.source(safety.SCREEN_SOURCE)}, {safety.SCREEN_LEVEL}. Answer every item; "
        "yes means it applies, and then the save needs your reason for going ahead."
    )
    for item in items:
        decided = computed.get(item.code)
        if decided is not None:
            verdict = ":red-badge[applies]" if decided.applies else ":green-badge[does not apply]"
            st.markdown(f"{item.wording}: {verdict} (from the record)")
            st.caption(decided.why + (f" {item.note}" if item.note else ""))
            continue
        answers[item.code] = st.radio(
            item.wording,
            ["yes", "no"],
            index=None,
            horizontal=True,
            format_func=label_of,
            key=f"{SCREEN_KEY}{kind}_{injection_type or ''}_{item.code}",
            help=item.note or None,
        )
        session.show_problem(SCOPE, f"screen_{item.code}")
    if any(d.applies for d in computed.values()):
        st.warning("The record shows an item that applies: saving needs an override reason.", icon=":material/warning:")
    reason = st.text_area(
        "Override reason (only when an item applies: why go ahead anyway)", key=OVERRIDE_KEY, height=68
    )
    session.show_problem(SCOPE, "override_reason")
    return answers, reason
