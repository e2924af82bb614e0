"""The imaging report form's fields (plain widgets, not an st.form: every change reruns the page, so the
unsaved input is kept on the server as the person types)."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ..domain.model import IMAGING_FINDINGS, MRI_TYPES, Modality, TendonsInvolved, label_of
from . import session

FLAGS = IMAGING_FINDINGS


def fields(P: str, SCOPE: str, incidental_mri_age: float) -> dict[str, Any]:
    """The widgets, under keys ``P`` + field name. Starting values go into the session state (not as widget
    arguments), so restored unsaved input can take their place."""
    for name, start in (("imaged_on", date.today()), ("mri_type", None), ("tendons_involved", None)):
        st.session_state.setdefault(P + name, start)
    for name in ("tendons_avulsed", "retraction_cm", "thickness_mm"):
        st.session_state.setdefault(P + name, None)
    c1, c2, c3 = st.columns(3)
    with c1:
        modality = st.selectbox("Modality", [m.value for m in Modality], format_func=label_of, key=P + "modality")
        session.show_problem(SCOPE, "modality")
        imaged_on = st.date_input(
            "Imaging date",
            key=P + "imaged_on",
            format="YYYY-MM-DD",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
        )
        session.show_problem(SCOPE, "imaged_on")
        mri_type = st.selectbox(
            "MRI type (MRI only)",
            list(MRI_TYPES),
            format_func=MRI_TYPES.__getitem__,
            key=P + "mri_type",
            placeholder="Not graded",
            help=f"Type III is seen in some people over {incidental_mri_age:g} without symptoms.",
        )
        session.show_problem(SCOPE, "mri_type")
    with c2:
        flags = {name: st.checkbox(label_of(name), key=P + name) for name in FLAGS}
    with c3:
        tendons_avulsed = st.number_input("Tendons avulsed", step=1, key=P + "tendons_avulsed")
        session.show_problem(SCOPE, "tendons_avulsed")
        retraction = st.number_input("Retraction (cm)", step=0.1, format="%.1f", key=P + "retraction_cm")
        session.show_problem(SCOPE, "retraction_cm")
        involved = st.selectbox(
            "Tendons involved",
            [t.value for t in TendonsInvolved],
            format_func=label_of,
            key=P + "tendons_involved",
            placeholder="Not stated",
        )
        thickness = st.number_input("Tendon thickness (mm)", step=0.1, format="%.1f", key=P + "thickness_mm")
        session.show_problem(SCOPE, "thickness_mm")
    report = st.text_area("Report text", key=P + "report_text", height=160)
    session.show_problem(SCOPE, "report_text")
    return {
        "modality": modality,
        "imaged_on": imaged_on,
        "mri_type": mri_type,
        **flags,
        "tendons_avulsed": tendons_avulsed,
        "retraction_cm": retraction,
        "tendons_involved": involved,
        "thickness_mm": thickness,
        "report_text": report,
    }
