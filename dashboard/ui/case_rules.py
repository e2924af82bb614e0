"""What the rules say about a case (CLINICAL.md §4, §9), with the values in force and their sources, and
the suggestions the clinician accepts or dismisses with a reason."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ..domain import rules
from ..domain.model import Pathway, User, label_of, pathway_of
from ..services import care
from ..services.caseload import CaseRules
from ..storage.db import Database
from . import labels, session

LIGHT = {"green": ":green-badge[green]", "amber": ":orange-badge[amber]", "red": ":red-badge[red]"}
OUTCOME_NAME = {Pathway.PROXIMAL: "VISA-H", Pathway.DISTAL: "Functional scale", Pathway.POST_OPERATIVE: "PHAT"}


def outcome_metric(column, ep: dict[str, Any], result: dict[str, Any]) -> None:
    name = OUTCOME_NAME[pathway_of(ep)]
    latest, change = result.get("outcome_latest"), result.get("outcome_change")
    column.metric(
        name,
        labels.show(None if latest is None or pd.isna(latest) else float(latest)),  # rounded: "56", "4.5"
        None if change is None or pd.isna(change) else f"{float(change):+.1f}".removesuffix(".0") + " from baseline",
        width="content",
    )


def render_flags(ep: dict[str, Any], verdict: CaseRules, latest: dict[str, Any] | None) -> None:
    result, t = verdict.result, verdict.thresholds
    flags = []
    if result.get("pain_light"):
        flags.append(("pain_light", f"Pain during the exercises {LIGHT[result['pain_light']]}"))
    for rule_id, text in (
        ("hold_stage", "Next morning not settled: hold the stage"),
        ("improved", "Meaningful improvement"),
        ("stalled", "Stalled"),
        ("late_baseline", "Late baseline"),
        ("bridge_deficit", "Bridge deficit"),
        ("review_overdue", "Review overdue"),
        ("incidental_mri", f"MRI type III may be incidental (over {t['incidental_mri_age']:g})"),
    ):
        if result.get(rule_id):
            flags.append((rule_id, text))
    with st.container(border=True):
        st.markdown("**Flags:** " + (" · ".join(text for _, text in flags) if flags else "none"))
        if latest and pathway_of(ep) == Pathway.PROXIMAL:
            positive, recorded = rules.research_definition(latest, ep["side"], t)
            if recorded:
                meets = "meets" if positive >= 3 else "does not meet"
                st.caption(
                    f"Research definition of PHT: {positive} of 4 reproduce the pain at the latest visit "
                    f"({recorded} recorded): {meets} it. Information only, never a gate (Rich et al. 2023)."
                )
        with st.expander("Why, and the sources"):
            for rule_id, _ in flags:
                rule = rules.RULES[rule_id]
                st.markdown(
                    f"- **{label_of(rule_id)}**: {rule.text(t)} *Source: {labels.source(rule.source)} ({rule.level}).*"
                )
            st.caption(
                f"At the latest visit: outcome change {labels.show(result.get('outcome_change'))}, average pain "
                f"change {labels.show(result.get('pain_change_pct'))}%, global rating "
                f"{labels.show(result.get('groc_latest'))}. VISA-H has no published MCID: the VISA-P value of "
                f"{t['visa_h_mcid']:g} points is used (extrapolated)."
            )


def render_suggestions(db: Database, me: User, episode_id: int, verdict: CaseRules, can_edit: bool) -> None:
    for rule in verdict.suggestions:
        with st.container(border=True):
            st.markdown(f"**Suggestion: {label_of(rule.rule_id)}.** {rule.text(verdict.thresholds)}")
            st.caption(
                f"Source: {labels.source(rule.source)} · evidence: {rule.level}. "
                "The app suggests; you decide and record why."
            )
            if not can_edit:
                continue
            scope = f"decide_{rule.rule_id}"
            session.show_summary(scope)
            with st.form(f"{scope}_form"):
                reason = st.text_input("Your reason", key=f"{scope}_reason")
                session.show_problem(scope, "reason")
                action: dict[str | None, str] = {
                    "adjunct": "Accept: move to adjunct tier",
                    "regenerative": "Accept: move to regenerative tier",
                }
                accept_label = action.get(rule.suggests_tier) or {
                    "ready_to_progress": "Accept: progress the stage",
                    "load_before_adjunct": "Accept: adjunct may come before stage 2 (give why)",
                }.get(rule.rule_id, "Accept")
                a1, a2 = st.columns(2)
                accept = a1.form_submit_button(accept_label, type="primary")
                dismiss = a2.form_submit_button("Dismiss")
            if accept or dismiss:
                ok, _ = session.attempt(scope, care.decide, db, me, episode_id, rule.rule_id, bool(accept), reason)
                if ok:
                    session.flash("Decision recorded." + (" Tier changed." if accept and rule.suggests_tier else ""))
                st.rerun()
