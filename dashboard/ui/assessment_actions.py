"""What can be done with one assessment on the case page: its author edits or signs a draft; anyone who records
adds an addendum once it is signed; an administrator reassigns a draft whose author cannot finish it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..domain.model import User
from ..services import auth, records
from ..storage.db import Database
from . import labels, session


def render(db: Database, me: User, assessment: dict[str, Any], episode_open: bool) -> None:
    assessment_id = int(assessment["assessment_id"])
    scope = f"addendum_{assessment_id}"
    if not auth.can(me, auth.Permission.EDIT):
        return
    if assessment["signed_at"] is None:
        _draft(db, me, assessment, episode_open, scope)
    else:
        with st.expander("Add an addendum (signed records are never changed)"), st.form(f"{scope}_form"):
            reason = st.text_input("Reason for the addendum", key=f"{scope}_reason")
            session.show_problem(scope, "reason")
            body = st.text_area("Correction or addition", key=f"{scope}_body")
            session.show_problem(scope, "body")
            if st.form_submit_button("Add addendum"):
                ok, _ = session.attempt(scope, records.add_addendum, db, me, assessment_id, reason, body)
                if ok:
                    session.flash("Addendum added.")
                st.rerun()
    session.show_summary(scope)


def _draft(db: Database, me: User, assessment: dict[str, Any], episode_open: bool, scope: str) -> None:
    assessment_id = int(assessment["assessment_id"])
    if assessment["created_by"] == me.username:
        if episode_open and st.button("Edit draft", icon=":material/edit:", key=f"edit_{assessment_id}"):
            st.session_state["edit_assessment"] = assessment_id
            st.switch_page("pages/assessment.py")
        if st.button("Sign assessment", icon=":material/verified:", key=f"sign_{assessment_id}"):
            ok, _ = session.attempt(scope, records.sign_assessment, db, me, assessment_id)
            if ok:
                session.flash("Assessment signed; it can no longer be changed, only amended with an addendum.")
            st.rerun()
        return
    st.caption(
        f"Unsigned draft by {labels.md(assessment.get('author_name') or assessment['created_by'])}: only its author "
        "can edit or sign it. "
        "Once it is signed, anyone who records can add an addendum."
    )
    if not auth.can(me, auth.Permission.REASSIGN_DRAFT):
        return
    with st.expander("Reassign this draft (its author cannot finish it)"), st.form(f"reassign_{assessment_id}"):
        people = {c["username"]: c["display_name"] for c in records.clinicians(db, me)}
        people.pop(assessment["created_by"], None)
        to = st.selectbox(
            "Give it to", list(people), format_func=people.__getitem__, key=f"reassign_{assessment_id}_to"
        )
        session.show_problem(scope, "username")
        why = st.text_input("Reason", key=f"reassign_{assessment_id}_reason")
        session.show_problem(scope, "reason")
        if st.form_submit_button("Reassign draft"):
            ok, _ = session.attempt(scope, records.reassign_draft, db, me, assessment_id, to, why)
            if ok:
                session.flash(f"Draft reassigned to {people.get(to, to)}.")
            st.rerun()
