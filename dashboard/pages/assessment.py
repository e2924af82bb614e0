"""Record an assessment for the open episode (CLINICAL.md §2). Starts from the previous visit's values."""

from datetime import date, timedelta
from typing import Any

import streamlit as st

from dashboard.domain import rules
from dashboard.domain.model import (
    AGGRAVATING_ACTIVITIES,
    NIRSCHL_PHASES,
    PROVOCATION_TESTS,
    RED_FLAGS,
    VISA_H_ITEMS,
    JointRange,
    NextMorning,
    Palpation,
    StrengthMethod,
    TestResult,
    label_of,
)
from dashboard.services import auth, care, records
from dashboard.ui import forms, labels, session

db = session.database()
me = session.signed_in_user()
session.require_permission(me, auth.Permission.EDIT, "Your role may not record assessments.")
episode_id = session.required_episode("Open a case first (Patients → patient → Open case), then record its assessment.")
ep = records.episode(db, me, episode_id)
if ep["status"] != "open":
    st.warning("This episode is closed; assessments can only be added to an open episode.")
    st.stop()

SCOPE = "assessment"
CHECKBOXES = {"previous_injury", "low_back_pain", *(flag.code for flag in RED_FLAGS)}
# Editing an unsigned draft (from the case page), or recording a new assessment.
draft = None
if st.session_state.get("edit_assessment"):
    draft = records.assessment(db, me, int(st.session_state["edit_assessment"]))
    if draft["episode_id"] != episode_id or draft["signed_at"] is not None:
        st.session_state.pop("edit_assessment")
        draft = None
P = f"assess_{episode_id}_" + (f"draft{draft['assessment_id']}_" if draft else "")  # this form's widget keys
if not st.session_state.get(P + "ready"):
    if draft:
        defaults = {k: v for k, v in draft.items() if k in records.EDITABLE_FIELDS}
    else:
        defaults = records.assessment_defaults(db, me, episode_id)
    for name, value in defaults.items():
        if name == "aggravating":
            value = [a for a in (value or "").split(",") if a]
        elif name == "morning_stiffness":
            value = None if value is None else ("yes" if value else "no")
        elif name in ("strength_left", "strength_right") and value is not None:
            value = float(value)
        elif name in CHECKBOXES:
            value = bool(value)
        st.session_state[P + name] = value
    if not draft:
        st.session_state[P + "assessed_on"] = date.today()
        st.session_state[P + "next_review_on"] = date.today() + timedelta(days=14)
        st.session_state[P + "clinician_id"] = me.user_id
    st.session_state[P + "version"] = draft["version"] if draft else None
    st.session_state[P + "carried_from"] = defaults.get("_carried_from")
    st.session_state[P + "ready"] = True


def number(label, name, *, help=None, step=1, fmt=None):
    st.session_state.setdefault(P + name, None)  # blank unless carried forward
    value = st.number_input(label, key=P + name, step=step, help=help, format=fmt, placeholder="-")
    session.show_problem(SCOPE, name)
    return value


def pick(label, options, name, *, horizontal=True, optional=True, fmt=label_of):
    st.session_state.setdefault(P + name, None if optional else options[0])
    if horizontal:
        value = st.radio(label, options, key=P + name, horizontal=True, format_func=fmt)
    else:
        value = st.selectbox(label, options, key=P + name, format_func=fmt, placeholder="Not recorded")
    session.show_problem(SCOPE, name)
    return value


thresholds = care.effective_thresholds(db)
st.title("Edit draft assessment" if draft else "Assessment")
st.markdown(f"**{ep['given_name']} {ep['family_name']}** ({ep['clinic_id']}) · {labels.episode_title(ep)}")
carried = st.session_state.get(P + "carried_from")
if carried:
    st.info(
        f"Values start from the assessment of {carried:%d %b %Y}: change what differs today. "
        "Date, red flags, global rating and notes start blank.",
        icon=":material/history:",
    )
session.show_summary(SCOPE)
values: dict[str, Any] = {}

with st.container(border=True):
    st.subheader("Visit")
    c1, c2, c3 = st.columns(3)
    with c1:
        values["assessed_on"] = st.date_input(
            "Assessment date",
            key=P + "assessed_on",
            format="YYYY-MM-DD",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
        )
        session.show_problem(SCOPE, "assessed_on")
    with c2:
        clin = records.clinicians(db, me)
        ids = [c["user_id"] for c in clin]
        values["clinician_id"] = st.selectbox(
            "Clinician",
            ids,
            key=P + "clinician_id",
            format_func={c["user_id"]: c["display_name"] for c in clin}.__getitem__,
        )
    with c3:
        values["next_review_on"] = st.date_input(
            "Next review",
            key=P + "next_review_on",
            format="YYYY-MM-DD",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
        )
        session.show_problem(SCOPE, "next_review_on")

with st.container(border=True):
    st.subheader("Subjective")
    c1, c2, c3 = st.columns(3)
    with c1:
        values["pain_avg"] = number("Average pain, last week (0-10)", "pain_avg")
        values["pain_worst"] = number("Worst pain, last week (0-10)", "pain_worst")
        values["sitting_minutes"] = number(
            "Pain-free sitting (minutes)",
            "sitting_minutes",
            help=f"Under {thresholds['sitting_tolerance_min']:g} minutes is typical of "
            "proximal hamstring tendinopathy (Rich et al. 2023; CLINICAL.md §2).",
        )
    with c2:
        values["pain_task_name"] = st.text_input(
            "Meaningful task", key=P + "pain_task_name", placeholder="e.g. running 5 km"
        )
        session.show_problem(SCOPE, "pain_task_name")
        values["pain_task"] = number("Pain during that task (0-10)", "pain_task")
        values["nirschl_phase"] = pick(
            "Nirschl pain phase", list(NIRSCHL_PHASES), "nirschl_phase", horizontal=False, fmt=NIRSCHL_PHASES.get
        )
    with c3:
        values["next_morning"] = pick("Next morning after loading", [n.value for n in NextMorning], "next_morning")
        values["morning_stiffness"] = pick("Morning stiffness", ["no", "yes"], "morning_stiffness")
        values["aggravating"] = st.multiselect(
            "Aggravating activities",
            list(AGGRAVATING_ACTIVITIES),
            format_func=AGGRAVATING_ACTIVITIES.__getitem__,
            key=P + "aggravating",
        )
        session.show_problem(SCOPE, "aggravating")
        values["previous_injury"] = st.checkbox("Previous hamstring injury", key=P + "previous_injury")
        values["low_back_pain"] = st.checkbox("Low back pain history", key=P + "low_back_pain")

with st.container(border=True):
    st.subheader("Patient-reported outcomes")
    st.caption(
        "VISA-H (Cacchio et al. 2014): enter the patient's item scores; the questionnaire itself is on "
        "the clinic's licensed form. Higher is better. All eight items, or none."
    )
    for i, item in enumerate(VISA_H_ITEMS):
        if i % 4 == 0:  # rows of four, so the Tab key goes 1, 2, 3 ... 8
            cols = st.columns(4)
        with cols[i % 4]:
            allowed = "0, 4, 7 or 10" if item.number == 7 else f"0-{item.maximum}"
            values[f"visa_h_{item.number}"] = number(
                f"{item.number}. {item.topic} ({allowed})", f"visa_h_{item.number}"
            )
    items = [values[f"visa_h_{n}"] for n in range(1, 9)]
    if all(v is not None for v in items):
        st.metric("VISA-H total", f"{sum(items)} / 100")
    else:
        st.caption(f"VISA-H total: complete all 8 items ({sum(v is not None for v in items)} of 8 entered).")
    session.show_problem(SCOPE, "visa_h_total")
    c1, c2 = st.columns(2)
    with c1:
        groc_words = {
            -3: "-3 very much worse",
            -2: "-2 much worse",
            -1: "-1 a little worse",
            0: "0 no change",
            1: "+1 a little better",
            2: "+2 much better",
            3: "+3 very much better",
        }
        values["groc"] = pick(
            "Global rating of change since starting care",
            list(groc_words),
            "groc",
            horizontal=False,
            fmt=groc_words.get,
        )
    with c2:
        if ep["post_operative"]:
            values["phat_total"] = number(
                "PHAT total (0-100)",
                "phat_total",
                help="Perth Hamstring Assessment Tool, validated after avulsion repair.",
            )
        else:
            st.caption("PHAT is offered for avulsion / post-operative cases only.")

with st.container(border=True):
    st.subheader("Objective")
    c1, c2 = st.columns(2)
    with c1:
        values["palpation_left"] = pick(
            "Tenderness at the left sit bone", [p.value for p in Palpation], "palpation_left"
        )
    with c2:
        values["palpation_right"] = pick(
            "Tenderness at the right sit bone", [p.value for p in Palpation], "palpation_right"
        )
    st.caption("Palpation is insensitive (tender in only 41% of surgical cases): never a rule-out.")
    st.markdown("**Provocation tests** (positive = reproduces the familiar pain)")
    for test in PROVOCATION_TESTS:
        c1, c2 = st.columns([3, 1])
        accuracy = f" · sens {test.sensitivity}% / spec {test.specificity}%" if test.sensitivity else ""
        with c1:
            values[f"test_{test.code}"] = pick(
                f"{test.label}{accuracy}", [r.value for r in TestResult], f"test_{test.code}"
            )
        with c2:
            values[f"test_{test.code}_pain"] = number("Pain if positive (0-10)", f"test_{test.code}_pain")
    st.markdown("**Single-leg hamstring bridge** (Freckleton et al. 2014): reps to failure per side")
    c1, c2, c3, c4, c5 = st.columns(5)
    with c1:
        values["bridge_reps_left"] = number("Reps, left", "bridge_reps_left")
    with c2:
        values["bridge_pain_left"] = number("Pain, left (0-10)", "bridge_pain_left")
    with c3:
        values["bridge_reps_right"] = number("Reps, right", "bridge_reps_right")
    with c4:
        values["bridge_pain_right"] = number("Pain, right (0-10)", "bridge_pain_right")
    with c5:
        lsi = rules.bridge_lsi(ep["side"], values["bridge_reps_left"], values["bridge_reps_right"])
        st.metric("Bridge LSI", "-" if lsi is None else f"{lsi:g}%")
    deficit = rules.bridge_deficit(ep["side"], values["bridge_reps_left"], values["bridge_reps_right"], thresholds)
    if deficit:
        st.warning(
            "Bridge deficit: " + "; ".join(deficit) + " (Freckleton 2014, Pori 2021; LSI 90% is a project default).",
            icon=":material/warning:",
        )
    with st.expander("Strength (optional)"):
        c1, c2, c3 = st.columns(3)
        with c1:
            values["strength_method"] = pick("Method", [m.value for m in StrengthMethod], "strength_method")
            values["strength_unit"] = st.text_input("Unit", key=P + "strength_unit", placeholder="N, kg or Nm")
            session.show_problem(SCOPE, "strength_unit")
        with c2:
            values["strength_range"] = pick("Joint range", [r.value for r in JointRange], "strength_range")
        with c3:
            values["strength_left"] = number("Left", "strength_left", step=0.5, fmt="%.1f")
            values["strength_right"] = number("Right", "strength_right", step=0.5, fmt="%.1f")
            s_lsi = rules.strength_lsi(ep["side"], values["strength_left"], values["strength_right"])
            if s_lsi is not None:
                st.caption(f"Strength LSI {s_lsi:g}%")

with st.container(border=True):
    st.subheader(":red[Red flags]")
    st.caption("Any one prompts referral. Tick what is present and record what you did.")
    for flag in RED_FLAGS:
        values[flag.code] = st.checkbox(flag.label, key=P + flag.code)
    if any(values[f.code] for f in RED_FLAGS):
        st.error("Red flag present: refer on and record the action below.", icon=":material/emergency:")
    values["red_flag_action"] = st.text_area("Action taken on red flags", key=P + "red_flag_action", height=68)
    session.show_problem(SCOPE, "red_flag_action")

with st.container(border=True):
    st.subheader("Impression and plan")
    values["impression"] = st.text_area("Clinical impression", key=P + "impression")
    session.show_problem(SCOPE, "impression")
    values["plan"] = st.text_area("Plan", key=P + "plan")
    session.show_problem(SCOPE, "plan")

if values.get("morning_stiffness") is not None:
    values["morning_stiffness"] = values["morning_stiffness"] == "yes"
pending = session.problems(SCOPE)
if pending:  # said again beside the button, where the clinician is looking
    st.error(
        f"Nothing was saved: {len(pending)} field(s) to fix, marked in red above: " + "; ".join(pending.values()),
        icon=":material/block:",
    )
if st.button("Save draft changes" if draft else "Save assessment", type="primary", icon=":material/save:"):
    if draft:
        ok, _ = session.attempt(
            SCOPE, records.update_draft, db, me, draft["assessment_id"], values, st.session_state[P + "version"]
        )
        if not ok:  # after reading who changed it, saving again is a deliberate overwrite
            st.session_state[P + "version"] = records.assessment(db, me, draft["assessment_id"])["version"]
    else:
        ok, _ = session.attempt(SCOPE, records.record_assessment, db, me, episode_id, values)
    if ok:
        forms.forget(P)
        st.session_state.pop("edit_assessment", None)
        session.flash(f"Assessment of {values['assessed_on']:%d %b %Y} saved as a draft; sign it on the case page.")
        st.switch_page("pages/case.py")
    st.rerun()
