"""Showing one saved assessment in full (read-only)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..domain import rules
from ..domain.model import AGGRAVATING_ACTIVITIES, NIRSCHL_PHASES, PROVOCATION_TESTS, RED_FLAGS, VISA_H_ITEMS
from .labels import md, show, yes_no


def render(a: dict[str, Any], side: str) -> None:
    flags = [f.label for f in RED_FLAGS if a.get(f.code)]
    if flags:
        st.error(
            "**Red flags:** " + "; ".join(flags) + f"  \nAction: {md(a.get('red_flag_action'))}",
            icon=":material/emergency:",
        )
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Subjective**")
        task = (
            f"{show(a['pain_task'])} ({md(a['pain_task_name'])})" if a.get("pain_task_name") else show(a["pain_task"])
        )
        activities = ", ".join(AGGRAVATING_ACTIVITIES[x] for x in (a.get("aggravating") or "").split(",") if x)
        st.markdown(
            f"- Pain average {show(a['pain_avg'])}/10, worst {show(a['pain_worst'])}/10, task {task}\n"
            f"- Pain-free sitting: {show(a['sitting_minutes'])} min\n"
            f"- Next morning: {show(a['next_morning'])}; morning stiffness: {yes_no(a['morning_stiffness'])}\n"
            f"- Aggravating: {activities or '-'}\n"
            f"- Previous hamstring injury: {yes_no(a['previous_injury'])}; "
            f"low back pain: {yes_no(a['low_back_pain'])}\n"
            f"- Nirschl: {NIRSCHL_PHASES.get(a['nirschl_phase'], '-') if a.get('nirschl_phase') else '-'}"
        )
    with c2:
        st.markdown("**Outcome measures**")
        if a.get("visa_h_total") is not None:
            items = ", ".join(f"{i.number}: {a[f'visa_h_{i.number}']}" for i in VISA_H_ITEMS)
            st.markdown(f"- VISA-H **{a['visa_h_total']}/100** (items {items})")
        else:
            st.markdown("- VISA-H not recorded")
        st.markdown(f"- PHAT: {show(a.get('phat_total'))}\n- Global rating of change: {show(a.get('groc'))}")
        st.markdown("**Palpation**")
        tender = {"none": "not tender", "mild": "mildly tender", "marked": "markedly tender"}
        left, right = (tender.get(a[f"palpation_{s}"], show(a[f"palpation_{s}"])) for s in ("left", "right"))
        st.markdown(f"- Left sit bone {left}, right {right}")
    with c3:
        st.markdown("**Tests**")
        lines = []
        for test in PROVOCATION_TESTS:
            result = a.get(f"test_{test.code}")
            pain = a.get(f"test_{test.code}_pain")
            lines.append(
                f"- {test.label}: {show(result)}" + (f" (pain {pain}/10)" if pain is not None and pain == pain else "")
            )
        lsi = rules.bridge_lsi(side, a.get("bridge_reps_left"), a.get("bridge_reps_right"))
        lines.append(
            f"- Bridge reps left {show(a['bridge_reps_left'])}, right {show(a['bridge_reps_right'])}"
            + (f", LSI {lsi:g}%" if lsi is not None else "")
        )
        if a.get("strength_left") is not None or a.get("strength_right") is not None:
            lines.append(
                f"- Strength ({show(a['strength_method'])}, {show(a['strength_range'])} range): left "
                f"{show(a['strength_left'])} {md(a['strength_unit'])}, right {show(a['strength_right'])}"
            )
        st.markdown("\n".join(lines))
        deficit = rules.bridge_deficit(side, a.get("bridge_reps_left"), a.get("bridge_reps_right"))
        if deficit:
            st.warning("Bridge deficit: " + "; ".join(deficit))
    st.markdown(f"**Impression:** {md(a.get('impression'))}")
    st.markdown(f"**Plan:** {md(a.get('plan'))}")
    st.caption(f"Next review {show(a.get('next_review_on'))}")
