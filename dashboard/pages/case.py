"""One episode of care: where it stands, what the rules flag, the charts, and its full record."""

import pandas as pd
import streamlit as st

from dashboard.domain.model import IMAGING_FINDINGS, PATHWAY_WORDS, label_of, pathway_of
from dashboard.services import auth, care, caseload, cases, records
from dashboard.ui import (
    alerts_panel,
    assessment_actions,
    assessment_view,
    case_charts,
    case_path,
    case_rules,
    labels,
    session,
    tables,
)

db = session.database()
me = session.signed_in_user()
episode_id = session.required_episode("Choose a patient, then one of their episodes, to open a case.")
view = session.existing_episode(lambda: cases.case_view(db, me, episode_id), episode_id)
ep = view.episode
verdict = caseload.case_rules(db, me, episode_id)
result = verdict.result
can_edit = auth.can(me, auth.Permission.EDIT) and ep["status"] == "open"

st.title(f"{labels.md(ep['given_name'])} {labels.md(ep['family_name'])}")
# -- red flags: first thing under the patient's name (CLINICAL.md §6) --------------------------------------------
every_alert = alerts_panel.render_open(db, me, episode_id, can_edit)
session.show_flash()
st.markdown(f"{labels.md(ep['clinic_id'])} · {labels.episode_title(ep)} · {PATHWAY_WORDS[pathway_of(ep)]} pathway")
figures = st.container(horizontal=True, gap="large")  # wraps onto a second line on a narrow screen, never cuts
figures.metric("Tier", label_of(ep["tier"]), width="content")
figures.metric("Loading stage", ep["stage"], width="content")
figures.metric("Weeks in episode", view.weeks_in_episode, width="content")
figures.metric("Weeks in tier", view.weeks_in_tier, width="content")
figures.metric("Severity", label_of(ep["severity"]), width="content")
case_rules.outcome_metric(figures, ep, result)
st.caption(
    f"Clinician {labels.md(ep['clinician_name'])} · onset {ep['onset_date']:%d %b %Y}"
    f" ({label_of(ep['onset_type']).lower()})"
    f" · sport {labels.md(ep['sport'])} · referred by {labels.md(ep['referral_source'])}"
    + (f" · closed {ep['closed_on']:%d %b %Y}: {label_of(ep['discharge_outcome'])}" if ep["closed_on"] else "")
)

# -- what the rules say -------------------------------------------------------------------------------------
alerts_panel.render_considerations(view.latest)
case_rules.render_flags(ep, verdict, view.latest)
case_rules.render_suggestions(db, me, episode_id, verdict, can_edit)
if can_edit:
    alerts_panel.render_raise(db, me, episode_id)
alerts_panel.render_history(every_alert)

if can_edit:
    b1 = b2 = b3 = st.container(horizontal=True, gap="small")  # wraps rather than cuts on a narrow screen
    if b1.button("Record assessment", type="primary", icon=":material/edit_note:"):
        st.session_state.pop("edit_assessment", None)
        st.switch_page("pages/assessment.py")
    if b2.button("Add imaging report", icon=":material/radiology:"):
        st.switch_page("pages/imaging.py")
    if b3.button("Print handout", icon=":material/print:"):
        st.switch_page("pages/handouts.py")

# -- charts ----------------------------------------------------------------------------------------------------
case_charts.render(db, me, episode_id, view, verdict)

tab_assess, tab_path, tab_rx, tab_img = st.tabs(["Assessments", "Treatment path", "Exercise prescription", "Imaging"])

with tab_assess:
    frame = view.assessments
    if frame.empty:
        st.info("No assessments yet." + (" Record the first one with Record assessment above." if can_edit else ""))
    else:
        table = frame.assign(signed=frame["signed_at"].notna().map({True: "signed", False: "draft"}))[
            [
                "assessed_on",
                "clinician_name",
                "pain_avg",
                "pain_worst",
                "visa_h_total",
                "bridge_reps_left",
                "bridge_reps_right",
                "groc",
                "signed",
            ]
        ].rename(
            columns={
                "assessed_on": "Date",
                "clinician_name": "Clinician",
                "pain_avg": "Pain avg",
                "pain_worst": "Pain worst",
                "visa_h_total": "VISA-H",
                "bridge_reps_left": "Bridge L",
                "bridge_reps_right": "Bridge R",
                "groc": "Global rating",
                "signed": "Status",
            }
        )
        st.caption("Newest first. Choose a row to open it in full.")
        picked = tables.show(table, key=f"case_assessments_{episode_id}", selectable=True)
        rows = picked.selection.rows if picked else []
        chosen = frame.iloc[rows[0]] if rows else frame.iloc[0]
        assessment = records.assessment(db, me, int(chosen["assessment_id"]))
        with st.container(border=True):
            status = (
                f"signed by {labels.md(assessment['signed_by_name'] or assessment['signed_by'])}"
                f" {assessment['signed_at']:%-d %b %Y %H:%M} UTC"
                if assessment["signed_at"]
                else "draft (unsigned)"
            )
            st.markdown(
                f"**Assessment of {assessment['assessed_on']:%d %b %Y}** by {labels.md(assessment['clinician_name'])}"
                f" · {status}"
            )
            assessment_view.render(assessment, ep["side"])
            notes = view.addenda[view.addenda["assessment_id"] == assessment["assessment_id"]]
            for note in notes.to_dict("records"):
                st.info(
                    f"**Addendum** {note['created_at']:%-d %b %Y %H:%M} by "
                    f"{labels.md(note['author_name'] or note['created_by'])}: "
                    f"reason: {labels.md(note['reason'])}  \n{labels.md(note['body'])}",
                    icon=":material/note_add:",
                )
            assessment_actions.render(db, me, assessment, ep["status"] == "open")

with tab_path:
    case_path.render_path(db, me, episode_id, view, can_edit)

with tab_rx:
    case_path.render_prescription(db, me, episode_id, ep, can_edit)

with tab_img:
    if view.imaging.empty:
        st.caption("No imaging reports.")
    for report in view.imaging.to_dict("records"):
        findings = [name.replace("_", " ") for name in IMAGING_FINDINGS if report.get(name)]
        mri_type = report["mri_type"]
        graded = mri_type is not None and mri_type == mri_type and mri_type is not pd.NA
        with st.expander(
            f"{report['imaged_on']:%d %b %Y} · {label_of(report['modality'])}"
            + (f" · MRI type {int(mri_type)}" if graded else "")
        ):
            st.markdown(f"Findings: {', '.join(findings) or 'none recorded'}")
            st.caption(
                f"Thickness {labels.show(report['thickness_mm'])} mm · retraction "
                f"{labels.show(report['retraction_cm'])} cm · tendons {labels.show(report['tendons_involved'])}"
            )
            st.text(report["report_text"] or "")

decided = care.decisions(db, me, episode_id)
if not decided.empty:
    with st.expander("Decisions on suggestions"):
        tables.show(
            decided.assign(rule_id=decided["rule_id"].map(label_of), decision=decided["decision"].map(label_of)),
            names={
                "decided_at": "When",
                "rule_id": "Suggestion",
                "decision": "Decision",
                "reason": "Reason",
                "clinician_name": "Clinician",
            },
        )
