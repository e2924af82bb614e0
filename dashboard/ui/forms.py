"""Form pieces used by several pages: the patient fields and the episode fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ..domain.model import Onset, Region, Severity, Sex, Side, expected_recovery_summary, label_of
from . import session


def patient_fields(scope: str, current: dict[str, Any] | None = None, key_prefix: str | None = None) -> dict[str, Any]:
    current = current or {}
    k = key_prefix or f"{scope}_"
    col1, col2 = st.columns(2)
    with col1:
        clinic_id = st.text_input("Clinic ID", value=current.get("clinic_id", ""), key=k + "clinic_id")
        session.show_problem(scope, "clinic_id")
        given = st.text_input("Given name", value=current.get("given_name", ""), key=k + "given_name")
        session.show_problem(scope, "given_name")
        family = st.text_input("Family name", value=current.get("family_name", ""), key=k + "family_name")
        session.show_problem(scope, "family_name")
        dob = st.date_input(
            "Date of birth",
            value=current.get("date_of_birth"),
            key=k + "date_of_birth",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
            format="YYYY-MM-DD",
        )
        session.show_problem(scope, "date_of_birth")
    with col2:
        sexes = [s.value for s in Sex]
        sex = st.selectbox(
            "Sex",
            sexes,
            format_func=label_of,
            key=k + "sex",
            index=sexes.index(current["sex"]) if current.get("sex") in sexes else None,
            placeholder="Not recorded",
        )
        session.show_problem(scope, "sex")
        phone = st.text_input("Phone (optional)", value=current.get("phone") or "", key=k + "phone")
        session.show_problem(scope, "phone")
        email = st.text_input("Email (optional)", value=current.get("email") or "", key=k + "email")
        session.show_problem(scope, "email")
    return {
        "clinic_id": clinic_id,
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "sex": sex,
        "phone": phone,
        "email": email,
    }


def episode_fields(
    scope: str, clinicians: list[dict[str, Any]], default_clinician: int | None, key_prefix: str | None = None
) -> dict[str, Any]:
    """The fields of a new episode, under keys ``key_prefix`` + name. Starting values go into the session
    state rather than the widgets' arguments, so that restored unsaved input can take their place."""
    k = key_prefix or f"{scope}_"
    ids = [c["user_id"] for c in clinicians]
    for name, start in (
        ("onset_date", None),
        ("opened_on", date.today()),
        ("surgery_date", None),
        ("clinician_id", default_clinician if default_clinician in ids else None),
    ):
        st.session_state.setdefault(k + name, start)
    col1, col2, col3 = st.columns(3)
    with col1:
        # nothing pre-chosen: side, region, onset and severity are the clinician's findings, never defaults
        side = st.radio(
            "Side", [s.value for s in Side], format_func=label_of, key=k + "side", horizontal=True, index=None
        )
        session.show_problem(scope, "side")
        region = st.radio("Region", [r.value for r in Region], format_func=label_of, key=k + "region", index=None)
        session.show_problem(scope, "region")
        onset_type = st.radio(
            "Onset", [o.value for o in Onset], format_func=label_of, key=k + "onset_type", horizontal=True, index=None
        )
        session.show_problem(scope, "onset_type")
    with col2:
        onset_date = st.date_input(
            "Onset date (or best estimate)",
            key=k + "onset_date",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
            format="YYYY-MM-DD",
        )
        session.show_problem(scope, "onset_date")
        opened_on = st.date_input(
            "Episode opened on",
            key=k + "opened_on",
            min_value=date(1900, 1, 1),
            max_value=date(2100, 1, 1),
            format="YYYY-MM-DD",
        )
        session.show_problem(scope, "opened_on")
        severity = st.radio(
            "Severity",
            [s.value for s in Severity],
            index=None,
            format_func=label_of,
            key=k + "severity",
            horizontal=True,
            help=f"Expected recovery: {expected_recovery_summary()} (clinical reference §1).",
        )
        session.show_problem(scope, "severity")
        load_change = st.checkbox("Training-load change before onset", key=k + "load_change")
        post_op = st.checkbox(
            "After surgical repair (post-operative pathway: surgeon's protocol, PHAT)", key=k + "post_operative"
        )
        surgery_date = None
        if post_op:
            surgery_date = st.date_input(
                "Date of surgery",
                key=k + "surgery_date",
                min_value=date(1900, 1, 1),
                max_value=date(2100, 1, 1),
                format="YYYY-MM-DD",
            )
            session.show_problem(scope, "surgery_date")
    with col3:
        names = {c["user_id"]: c["display_name"] for c in clinicians}
        clinician = st.selectbox("Assigned clinician", ids, format_func=names.__getitem__, key=k + "clinician_id")
        session.show_problem(scope, "clinician_id")
        sport = st.text_input("Sport or activity", key=k + "sport")
        session.show_problem(scope, "sport")
        referral = st.text_input(
            "Referral source", key=k + "referral_source", placeholder="GP, self, sports physician..."
        )
        session.show_problem(scope, "referral_source")
    return {
        "side": side,
        "region": region,
        "onset_type": onset_type,
        "onset_date": onset_date,
        "opened_on": opened_on,
        "severity": severity,
        "load_change": load_change,
        "post_operative": post_op,
        "surgery_date": surgery_date,
        "clinician_id": clinician,
        "sport": sport,
        "referral_source": referral,
    }


def forget(prefix: str) -> None:
    """Drop the widget state of a form after a successful save so the next one starts fresh."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]
