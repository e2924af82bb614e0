"""The sections of the assessment form (CLINICAL.md §2, §6, §7). Each pathway asks its own outcome and tests:
proximal (VISA-H, sit-bone palpation, sitting, provocation tests), distal (functional scale, distal tendon
palpation, resisted knee flexion), after surgery (PHAT, the surgeon's protocol phase and restrictions).
Every red flag still open on the episode is asked about; none is cleared by leaving a box empty."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ..domain import rules
from ..domain.model import (
    AGGRAVATING_ACTIVITIES,
    ALERT_ANSWER_WORDS,
    ALERT_KINDS,
    DIFFERENTIALS,
    DISTAL_TESTS,
    NIRSCHL_PHASES,
    PROVOCATION_TESTS,
    PSFS_ITEMS,
    RED_FLAGS,
    TEST_SIDES,
    VISA_H_ITEMS,
    JointRange,
    NextMorning,
    Palpation,
    Pathway,
    StrengthMethod,
    TestResult,
    label_of,
    test_column,
)
from . import labels, session

GROC_WORDS = {
    -3: "-3 very much worse",
    -2: "-2 much worse",
    -1: "-1 a little worse",
    0: "0 no change",
    1: "+1 a little better",
    2: "+2 much better",
    3: "+3 very much better",
}


class Form:
    """Widgets of one assessment form: keys under ``prefix``, problems under ``scope``."""

    def __init__(self, prefix: str, scope: str):
        self.prefix, self.scope = prefix, scope
        self.values: dict[str, Any] = {}
        self.asked: list[int] = []  # the open red flags asked about (their alert ids)

    def number(self, label: str, name: str, *, help: str | None = None, step: float = 1, fmt: str | None = None):
        st.session_state.setdefault(self.prefix + name, None)  # blank unless carried forward
        value = st.number_input(label, key=self.prefix + name, step=step, help=help, format=fmt, placeholder="-")
        session.show_problem(self.scope, name)
        self.values[name] = value
        return value

    def pick(self, label: str, options: list, name: str, *, horizontal=True, fmt=label_of):
        st.session_state.setdefault(self.prefix + name, None)
        if horizontal:
            value = st.radio(label, options, key=self.prefix + name, horizontal=True, format_func=fmt)
        else:
            value = st.selectbox(label, options, key=self.prefix + name, format_func=fmt, placeholder="Not recorded")
        session.show_problem(self.scope, name)
        self.values[name] = value
        return value

    def text(self, label: str, name: str, *, area=False, placeholder: str | None = None, height: int | None = None):
        widget = st.text_area if area else st.text_input
        kwargs: dict[str, Any] = {"placeholder": placeholder}
        if area and height:
            kwargs["height"] = height
        value = widget(label, key=self.prefix + name, **kwargs)
        session.show_problem(self.scope, name)
        self.values[name] = value
        return value

    def check(self, label: str, name: str):
        st.session_state.setdefault(self.prefix + name, False)
        self.values[name] = st.checkbox(label, key=self.prefix + name)
        return self.values[name]


def remember(f: Form) -> None:
    """After the form is drawn: which fields it has (with the open red flags it asked about), so that the next
    run can read the same values from the session state before drawing anything (``values_in_state``)."""
    st.session_state[f.prefix + "_fields"] = [name for name in f.values if name != "alert_answers"]
    st.session_state[f.prefix + "_alerts"] = f.asked


def values_in_state(prefix: str) -> dict[str, Any] | None:
    """The values the form drawn on the previous run holds now, as ``Form.values`` would gather them on this
    run (None before the form has been drawn): a press of Save is then handled before the form is drawn again.
    The fields depend only on the episode's pathway and its open red flags; the service checks the red flags
    against those open when it saves."""
    fields = st.session_state.get(prefix + "_fields")
    if fields is None:
        return None
    values: dict[str, Any] = {name: st.session_state.get(prefix + name) for name in fields}
    asked = st.session_state.get(prefix + "_alerts") or []
    if asked:
        answers = {alert_id: st.session_state.get(prefix + f"alert_{alert_id}") for alert_id in asked}
        values["alert_answers"] = {k: v for k, v in answers.items() if v}
    return values


def visit(f: Form, clinicians: list[dict[str, Any]]) -> None:
    with st.container(border=True):
        st.header("Visit", anchor=False)
        c1, c2, c3 = st.columns(3)
        with c1:
            f.values["assessed_on"] = st.date_input(
                "Assessment date",
                key=f.prefix + "assessed_on",
                format="YYYY-MM-DD",
                min_value=date(1900, 1, 1),
                max_value=date(2100, 1, 1),
            )
            session.show_problem(f.scope, "assessed_on")
        with c2:
            names = {c["user_id"]: c["display_name"] for c in clinicians}
            f.values["clinician_id"] = st.selectbox(
                "Clinician", list(names), key=f.prefix + "clinician_id", format_func=names.__getitem__
            )
        with c3:
            f.values["next_review_on"] = st.date_input(
                "Next review",
                key=f.prefix + "next_review_on",
                format="YYYY-MM-DD",
                min_value=date(1900, 1, 1),
                max_value=date(2100, 1, 1),
            )
            session.show_problem(f.scope, "next_review_on")


def open_red_flags(f: Form, open_alerts: list[dict[str, Any]]) -> None:
    """§6: each open red flag is shown with its route, and needs an answer before the visit can be saved."""
    if not open_alerts:
        return
    with st.container(border=True):
        st.header(":material/emergency: Open red flags on this case", anchor=False)
        st.caption("Each stays open until it is resolved on the case page. Say how it is today.")
        answers: dict[int, str | None] = {}
        for alert in open_alerts:
            kind = ALERT_KINDS[alert["kind"]]
            name = f"alert_{alert['alert_id']}"
            st.session_state.setdefault(f.prefix + name, None)
            st.error(
                f"**{kind.label}**  \nRaised {alert['raised_on']:%d %b %Y}: {labels.md(alert['detail'])}"
                f"  \nRoute: {kind.route} ({kind.urgency.lower()})",
                icon=":material/emergency:",
            )
            answers[alert["alert_id"]] = st.radio(
                "How is it today?",
                list(ALERT_ANSWER_WORDS),
                key=f.prefix + name,
                horizontal=True,
                format_func=ALERT_ANSWER_WORDS.__getitem__,
            )
            session.show_problem(f.scope, name)
        f.values["alert_answers"] = {k: v for k, v in answers.items() if v}
        f.asked = list(answers)


def subjective(f: Form, pathway: Pathway, thresholds: dict[str, float]) -> None:
    with st.container(border=True):
        st.header("Subjective", anchor=False)
        c1, c2, c3 = st.columns(3)
        with c1:
            f.number("Average pain, last week (0-10)", "pain_avg")
            f.number("Worst pain, last week (0-10)", "pain_worst")
            f.number("Pain during and after the exercises (0-10)", "pain_exercise")
            st.caption(rules.RULES["pain_light"].text(thresholds) + " (Silbernagel 2007)")
            if pathway != Pathway.DISTAL:  # §7: sitting does not apply to distal cases
                f.number("Pain-free sitting (minutes)", "sitting_minutes")
                st.caption(
                    f"Under {thresholds['sitting_tolerance_min']:g} minutes is typical of proximal hamstring "
                    "tendinopathy (Rich et al. 2023)."
                )
        with c2:
            f.text("Meaningful task", "pain_task_name", placeholder="e.g. the patient's own sport or job")
            f.number("Pain during that task (0-10)", "pain_task")
            f.pick(
                "Nirschl pain phase",
                list(NIRSCHL_PHASES),
                "nirschl_phase",
                horizontal=False,
                fmt=NIRSCHL_PHASES.__getitem__,
            )
        with c3:
            f.pick("Next morning after loading", [n.value for n in NextMorning], "next_morning")
            f.pick("Morning stiffness", ["no", "yes"], "morning_stiffness")
            activities = [a for a in AGGRAVATING_ACTIVITIES if pathway != Pathway.DISTAL or a != "sitting"]
            f.values["aggravating"] = st.multiselect(
                "Aggravating activities",
                activities,
                format_func=AGGRAVATING_ACTIVITIES.__getitem__,
                key=f.prefix + "aggravating",
            )
            session.show_problem(f.scope, "aggravating")
            f.check("Previous hamstring injury", "previous_injury")
            f.check("Low back pain history", "low_back_pain")


def outcomes(f: Form, pathway: Pathway) -> None:
    with st.container(border=True):
        st.header("Patient-reported outcomes", anchor=False)
        if pathway == Pathway.PROXIMAL:
            st.caption(
                "VISA-H (Cacchio et al. 2014): enter the patient's item scores from today's questionnaire; the "
                "questionnaire itself is on the clinic's licensed form. Higher is better. All eight items, or none."
            )
            for i, item in enumerate(VISA_H_ITEMS):
                if i % 4 == 0:  # rows of four, so the Tab key goes 1, 2, 3 ... 8
                    cols = st.columns(4)
                with cols[i % 4]:
                    allowed = "0, 4, 7 or 10" if item.number == 7 else f"0-{item.maximum}"
                    f.number(f"{item.number}. {item.topic} ({allowed})", f"visa_h_{item.number}")
            items = [f.values[f"visa_h_{n}"] for n in range(1, 9)]
            if all(v is not None for v in items):
                st.metric("VISA-H total", f"{sum(items)} / 100")
            else:
                st.caption(f"VISA-H total: complete all 8 items ({sum(v is not None for v in items)} of 8 entered).")
            session.show_problem(f.scope, "visa_h_total")
        elif pathway == Pathway.DISTAL:
            st.caption(
                "VISA-H is validated for proximal tendinopathy only. Functional scale: up to 3 activities the "
                "patient names, each scored 0 (unable) to 10 (as before the problem)."
            )
            for n in range(1, PSFS_ITEMS + 1):
                c1, c2 = st.columns([3, 1])
                with c1:
                    f.text(f"Activity {n}", f"psfs_{n}_activity")
                with c2:
                    f.number(f"Activity {n}: ability (0-10)", f"psfs_{n}_score")
        else:
            f.number(
                "PHAT total (0-100)", "phat_total", help="Perth Hamstring Assessment Tool, validated after repair."
            )
        f.pick(
            "Global rating of change since starting care",
            list(GROC_WORDS),
            "groc",
            horizontal=False,
            fmt=GROC_WORDS.__getitem__,
        )


def post_operative(f: Form) -> None:
    with st.container(border=True):
        st.header("Surgeon's protocol", anchor=False)
        st.caption("After repair the surgeon's protocol applies; the exercises never include what it restricts.")
        c1, c2, c3 = st.columns(3)
        with c1:
            f.text("Protocol phase", "postop_phase", placeholder="e.g. Phase 2: weeks 6-12")
            f.check("Brace", "postop_brace")
        with c2:
            f.number("Hip flexion limit (degrees)", "postop_hip_flexion_limit")
            f.number("No loaded hip flexion before week", "postop_loaded_flexion_week")
        with c3:
            f.text("Other restrictions", "postop_restrictions", area=True, height=100)


def _tests(f: Form, tests, side: str) -> None:
    results = [r.value for r in TestResult]
    for test in tests:
        accuracy = f" · sens {test.sensitivity}% / spec {test.specificity}%" if test.sensitivity else ""
        st.markdown(f"**{test.label}**{accuracy}")
        cols = st.columns(2)
        for column, each in zip(cols, TEST_SIDES, strict=True):
            with column:
                mark = " (affected)" if side in (each, "bilateral") else ""
                f.pick(f"{each.capitalize()}{mark}", results, test_column(test.code, each))
                f.number(f"{each.capitalize()}: pain if positive (0-10)", test_column(test.code, each, pain=True))


def objective(f: Form, pathway: Pathway, side: str, thresholds: dict[str, float]) -> None:
    with st.container(border=True):
        st.header("Objective", anchor=False)
        palp = [p.value for p in Palpation]
        if pathway == Pathway.DISTAL:
            f.pick("Tenderness of the involved distal tendon", palp, "distal_palpation")
            st.markdown("**Resisted knee flexion** (positive = reproduces the familiar pain), per side")
            _tests(f, DISTAL_TESTS, side)
        else:
            c1, c2 = st.columns(2)
            with c1:
                f.pick("Tenderness at the left sit bone", palp, "palpation_left")
            with c2:
                f.pick("Tenderness at the right sit bone", palp, "palpation_right")
            st.caption("Palpation is insensitive (tender in only 41% of surgical cases): never a rule-out.")
        if pathway == Pathway.PROXIMAL:
            with st.expander("Provocation tests, per side (positive = reproduces the familiar pain)", expanded=True):
                _tests(f, PROVOCATION_TESTS, side)
        st.markdown("**Single-leg hamstring bridge** (Freckleton et al. 2014): reps to failure per side")
        c1, c2, c3, c4, c5 = st.columns(5)
        with c1:
            f.number("Reps, left", "bridge_reps_left")
        with c2:
            f.number("Pain, left (0-10)", "bridge_pain_left")
        with c3:
            f.number("Reps, right", "bridge_reps_right")
        with c4:
            f.number("Pain, right (0-10)", "bridge_pain_right")
        with c5:
            lsi = rules.bridge_lsi(side, f.values["bridge_reps_left"], f.values["bridge_reps_right"])
            st.metric("Bridge LSI", "-" if lsi is None else f"{lsi:g}%")
        deficit = rules.bridge_deficit(side, f.values["bridge_reps_left"], f.values["bridge_reps_right"], thresholds)
        if deficit:
            st.warning(
                "Bridge deficit: " + "; ".join(deficit) + " (Freckleton 2014, Pori 2021).", icon=":material/warning:"
            )
        with st.expander("Strength (optional)"):
            c1, c2, c3 = st.columns(3)
            with c1:
                f.pick("Method", [m.value for m in StrengthMethod], "strength_method")
                f.text("Unit", "strength_unit", placeholder="N, kg or Nm")
            with c2:
                f.pick("Joint range", [r.value for r in JointRange], "strength_range")
            with c3:
                f.number("Left", "strength_left", step=0.5, fmt="%.1f")
                f.number("Right", "strength_right", step=0.5, fmt="%.1f")
                s_lsi = rules.strength_lsi(side, f.values["strength_left"], f.values["strength_right"])
                if s_lsi is not None:
                    st.caption(f"Strength LSI {s_lsi:g}%")


def new_red_flags(f: Form) -> None:
    with st.container(border=True):
        st.header(":red[New red flags]", anchor=False)
        st.caption(
            "Any one raises an alert on the case with its route and urgency, kept until it is resolved. "
            "Nirschl phase 6 or 7 counts as rest or night pain."
        )
        for flag in RED_FLAGS:
            f.check(flag.label, flag.code)
        if any(f.values[flag.code] for flag in RED_FLAGS):
            routes = {ALERT_KINDS[flag.kind].route for flag in RED_FLAGS if f.values[flag.code]}
            st.error(
                "Red flag: " + "; ".join(sorted(routes)) + ". Record what you did below.", icon=":material/emergency:"
            )
        f.text("Action taken on red flags", "red_flag_action", area=True, height=68)
        st.markdown("**Consider** (not red flags, but they change the plan)")
        for dx in DIFFERENTIALS:
            f.check(dx.label, dx.code)


def impression(f: Form) -> None:
    with st.container(border=True):
        st.header("Impression and plan", anchor=False)
        f.text("Clinical impression", "impression", area=True)
        f.text("Plan", "plan", area=True)
