"""Red flags on the case page (CLINICAL.md §6): the open ones first, impossible to miss, each with its route,
urgency and (for an avulsion) the days left in the 4-week surgical window; resolving one records what was
done; a clinician can raise one by hand; the resolved history stays visible."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ..domain.model import ALERT_ANSWER_WORDS, ALERT_KINDS, DIFFERENTIALS, AlertAnswer, User, label_of
from ..domain.validation import URGENCIES
from ..services import alerts
from ..storage.db import Database
from . import labels, session


def _window(alert: alerts.Alert) -> str:
    if alert.days_left is None:
        return ""
    since = "injury" if alert.row.get("injury_on") else "the day it was raised (no injury date recorded)"
    if alert.days_left >= 0:
        return f"  \n**{alert.days_left} day(s) left** in the 4-week surgical window (counted from {since})."
    return f"  \n**The 4-week surgical window passed {-alert.days_left} day(s) ago** (counted from {since})."


def render_open(db: Database, me: User, episode_id: int, can_edit: bool) -> list[alerts.Alert]:
    every = alerts.episode_alerts(db, me, episode_id)
    open_ = [a for a in every if a.is_open]
    for alert in open_:
        row = alert.row
        answer = ALERT_ANSWER_WORDS.get(AlertAnswer(row["last_answer"])) if row.get("last_answer") else None
        seen = (
            f"  \nAt the visit of {row['last_reviewed_on']:%d %b %Y}: {labels.md(answer)}."
            if answer and row.get("last_reviewed_on")
            else ""
        )
        st.error(
            f"## RED FLAG: {alert.kind.label}\n"  # the kind's words are the app's own; the detail is user text
            f"**Route:** {alert.kind.route} · **Urgency:** {alert.kind.urgency}"
            f"{_window(alert)}  \n"
            f"Raised {row['raised_on']:%d %b %Y} from {labels.md(row['source'])}: {labels.md(row['detail'])}{seen}"
            "  \n*Clinical reference §6 (secondary): the clinician may choose another route and records why.*",
            icon=":material/emergency:",
        )
        if can_edit:
            _resolve_form(db, me, row)
    return every


def _resolve_form(db: Database, me: User, row: dict[str, Any]) -> None:
    scope = f"resolve_alert_{row['alert_id']}"
    with st.expander("Resolve this red flag (record what was done)", expanded=bool(session.problems(scope))):
        session.show_summary(scope)
        how = st.radio(
            "Outcome",
            ["referred", "ruled_out"],
            format_func={"referred": "Referred", "ruled_out": "Ruled out"}.__getitem__,
            horizontal=True,
            key=f"{scope}_resolution",
            index=None,
        )
        session.show_problem(scope, "resolution")
        values: dict[str, Any] = {"resolution": how}
        if how == "referred":
            c1, c2, c3 = st.columns(3)
            values["referred_to"] = c1.text_input(
                "Referred to", key=f"{scope}_to", placeholder=ALERT_KINDS[row["kind"]].route
            )
            with c1:
                session.show_problem(scope, "referred_to")
            values["referral_urgency"] = c2.selectbox(
                "Urgency",
                list(URGENCIES),
                index=None,
                key=f"{scope}_urgency",
                placeholder="Choose",
                format_func=label_of,
            )
            with c2:
                session.show_problem(scope, "referral_urgency")
            values["referral_sent_on"] = c3.date_input(
                "Date the referral was sent", value=date.today(), key=f"{scope}_sent", format="YYYY-MM-DD"
            )
            with c3:
                session.show_problem(scope, "referral_sent_on")
            values["resolution_note"] = st.text_area("Note (optional)", key=f"{scope}_note", height=68)
        elif how == "ruled_out":
            values["resolution_note"] = st.text_area("Why it was ruled out", key=f"{scope}_note", height=68)
            session.show_problem(scope, "resolution_note")
        if st.button("Resolve red flag", key=f"{scope}_save", type="primary"):
            ok, _ = session.attempt(scope, alerts.resolve, db, me, int(row["alert_id"]), values, int(row["version"]))
            if ok:
                session.flash("Red flag resolved; the record keeps what was done.")
            st.rerun()


def render_raise(db: Database, me: User, episode_id: int) -> None:
    scope = "raise_alert"
    with st.expander("Record a red flag now", icon=":material/emergency:", expanded=bool(session.problems(scope))):
        session.show_summary(scope)
        kind = st.selectbox(
            "Red flag",
            list(ALERT_KINDS),
            format_func=lambda code: ALERT_KINDS[code].label,
            index=None,
            key=f"{scope}_kind",
            placeholder="Choose",
        )
        session.show_problem(scope, "kind")
        if kind:
            st.caption(f"Route: {ALERT_KINDS[kind].route} · urgency: {ALERT_KINDS[kind].urgency}.")
        detail = st.text_area("What was found", key=f"{scope}_detail", height=68)
        session.show_problem(scope, "detail")
        c1, c2 = st.columns(2)
        raised_on = c1.date_input("Noticed on", value=date.today(), key=f"{scope}_on", format="YYYY-MM-DD")
        with c1:
            session.show_problem(scope, "raised_on")
        injury_on = None
        if kind == "avulsion":
            injury_on = c2.date_input("Date of injury", value=None, key=f"{scope}_injury", format="YYYY-MM-DD")
            with c2:
                session.show_problem(scope, "injury_on")
        if st.button("Record red flag", key=f"{scope}_save", type="primary"):
            raw = {"kind": kind, "detail": detail, "raised_on": raised_on, "injury_on": injury_on}
            ok, _ = session.attempt(scope, alerts.raise_alert, db, me, episode_id, raw)
            if ok:
                session.flash("Red flag recorded on the case; it stays until it is resolved.")
            st.rerun()


def render_history(every: list[alerts.Alert]) -> None:
    resolved = [a for a in every if not a.is_open]
    if not resolved:
        return
    with st.expander(f"Resolved red flags ({len(resolved)})"):
        for alert in resolved:
            row = alert.row
            how = {
                "referred": f"referred to {labels.md(row['referred_to'])} ({label_of(row['referral_urgency'])}), "
                f"sent {row['referral_sent_on']:%d %b %Y}"
                if row.get("referral_sent_on")
                else "referred",
                "ruled_out": "ruled out",
                "before_alerts": "recorded before red flags became alerts",
            }.get(row["resolution"], labels.md(row["resolution"]))
            st.markdown(
                f"- **{labels.md(alert.kind.label.split(' (')[0])}**, raised {row['raised_on']:%d %b %Y}: {how}; "
                f"resolved by {labels.md(row.get('resolved_by_name') or row['resolved_by'])}"
                + (f": {labels.md(row['resolution_note'])}" if row.get("resolution_note") else "")
            )


def render_considerations(latest: dict[str, Any] | None) -> None:
    """§6 differentials from the latest visit: 'consider' notes, never alarms."""
    if not latest:
        return
    for dx in DIFFERENTIALS:
        if latest.get(dx.code):
            st.info(dx.consider, icon=":material/lightbulb:")
