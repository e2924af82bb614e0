"""One episode of care: where it stands, what the rules flag, the charts, and its full record."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.domain.exercises import STAGE_NAMES
from dashboard.domain.model import PATHWAY_WORDS, label_of, pathway_of
from dashboard.services import auth, care, caseload, cases, records
from dashboard.ui import alerts_panel, assessment_view, case_rules, chart_cache, labels, session, tables, treatment_form

db = session.database()
me = session.signed_in_user()
episode_id = session.required_episode("Choose a patient, then one of their episodes, to open a case.")
view = cases.case_view(db, me, episode_id)
ep = view.episode
verdict = caseload.case_rules(db, me, episode_id)
result = verdict.result
can_edit = auth.can(me, auth.Permission.EDIT) and ep["status"] == "open"

# -- red flags: first thing on the page (CLINICAL.md §6) ----------------------------------------------
every_alert = alerts_panel.render_open(db, me, episode_id, can_edit)

st.title(f"{labels.md(ep['given_name'])} {labels.md(ep['family_name'])}")
session.show_flash()
st.markdown(f"{labels.md(ep['clinic_id'])} · {labels.episode_title(ep)} · {PATHWAY_WORDS[pathway_of(ep)]} pathway")
c = st.columns([1.5, 1, 1, 1, 1.2, 1])
c[0].metric("Tier", label_of(ep["tier"]))
c[1].metric("Loading stage", ep["stage"])
c[2].metric("Weeks in episode", view.weeks_in_episode)
c[3].metric("Weeks in tier", view.weeks_in_tier)
c[4].metric("Severity", label_of(ep["severity"]))
case_rules.outcome_metric(c[5], ep, result)
st.caption(
    f"Clinician {ep['clinician_name']} · onset {ep['onset_date']:%d %b %Y} ({label_of(ep['onset_type']).lower()})"
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
    b1, b2, b3 = st.columns([1, 1, 1, 2])[:3]  # the fourth column is only spacing
    if b1.button("Record assessment", type="primary", icon=":material/edit_note:"):
        st.session_state.pop("edit_assessment", None)
        st.switch_page("pages/assessment.py")
    if b2.button("Add imaging report", icon=":material/radiology:"):
        st.switch_page("pages/imaging.py")
    if b3.button("Print handout", icon=":material/print:"):
        st.switch_page("pages/handouts.py")

# -- charts ----------------------------------------------------------------------------------------------------
if not view.assessments.empty:
    panels = chart_cache.specs(
        db,
        "episode",
        (episode_id, date.today(), tuple(sorted(verdict.thresholds.items()))),
        lambda: list(  # copied into a list of the general chart type that chart_cache.specs takes
            charts.episode_charts(
                view.assessments,
                view.tiers,
                view.stages,
                list(view.imaging["imaged_on"]),
                side=ep["side"],
                opened_on=ep["opened_on"],
                end=ep["closed_on"] or date.today(),
                thresholds=verdict.thresholds,
                pathway=pathway_of(ep),
            )
        ),
    )
    for row in (panels[:2], panels[2:]):
        for column, panel in zip(st.columns(2), row, strict=False):
            column.vega_lite_chart(panel, width="stretch", height=charts.PANEL_HEIGHT + 90)
    st.caption(
        "Shading: tier periods (green conservative, amber adjunct, red regenerative); grey band at the top: "
        "loading stage periods (darker is later), dashed lines at each change. Purple lines: imaging. "
        "Blue band: from the VISA-H baseline to a meaningful gain."
    )

tab_assess, tab_path, tab_rx, tab_img = st.tabs(["Assessments", "Treatment path", "Exercise prescription", "Imaging"])

with tab_assess:
    frame = view.assessments
    if frame.empty:
        st.info("No assessments yet.")
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
                "groc": "GROC",
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
                f"signed by {assessment['signed_by']} {assessment['signed_at']:%d %b %Y %H:%M} UTC"
                if assessment["signed_at"]
                else "draft (unsigned)"
            )
            st.markdown(
                f"**Assessment of {assessment['assessed_on']:%d %b %Y}** by {assessment['clinician_name']} · {status}"
            )
            assessment_view.render(assessment, ep["side"])
            notes = view.addenda[view.addenda["assessment_id"] == assessment["assessment_id"]]
            for note in notes.to_dict("records"):
                st.info(
                    f"**Addendum** {note['created_at']:%d %b %Y %H:%M} by {note['created_by']}: "
                    f"reason: {labels.md(note['reason'])}  \n{labels.md(note['body'])}",
                    icon=":material/note_add:",
                )
            scope = f"addendum_{assessment['assessment_id']}"
            if auth.can(me, auth.Permission.EDIT) and assessment["signed_at"] is None:
                if ep["status"] == "open" and st.button(
                    "Edit draft", icon=":material/edit:", key=f"edit_{assessment['assessment_id']}"
                ):
                    st.session_state["edit_assessment"] = int(assessment["assessment_id"])
                    st.switch_page("pages/assessment.py")
                if st.button("Sign assessment", icon=":material/verified:", key=f"sign_{assessment['assessment_id']}"):
                    ok, _ = session.attempt(scope, records.sign_assessment, db, me, int(assessment["assessment_id"]))
                    if ok:
                        session.flash("Assessment signed; it can no longer be changed, only amended with an addendum.")
                    st.rerun()
            elif auth.can(me, auth.Permission.EDIT):
                with st.expander("Add an addendum (signed records are never changed)"), st.form(f"{scope}_form"):
                    reason = st.text_input("Reason for the addendum", key=f"{scope}_reason")
                    session.show_problem(scope, "reason")
                    body = st.text_area("Correction or addition", key=f"{scope}_body")
                    session.show_problem(scope, "body")
                    if st.form_submit_button("Add addendum"):
                        ok, _ = session.attempt(
                            scope, records.add_addendum, db, me, int(assessment["assessment_id"]), reason, body
                        )
                        if ok:
                            session.flash("Addendum added.")
                        st.rerun()
            session.show_summary(scope)

with tab_path:
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Tier history**")
        tables.show(view.tiers[["tier", "effective_on", "ended_on", "reason", "clinician_name"]])
    with c2:
        st.markdown("**Loading stage history**")
        tables.show(view.stages[["stage", "effective_on", "ended_on", "reason", "clinician_name"]])
    if can_edit:
        c1, c2 = st.columns(2)

        def change_form(column, kind, title, options, words, service):
            with column.form(f"change_{kind}_form"):
                scope = f"change_{kind}"
                st.markdown(f"**{title}**")
                session.show_summary(scope)
                value = st.selectbox(f"New {kind}", options, format_func=words, key=f"{scope}_{kind}")
                session.show_problem(scope, kind)
                when = st.date_input("Effective from", value=date.today(), key=f"{scope}_when", format="YYYY-MM-DD")
                session.show_problem(scope, "effective_on")
                why = st.text_area("Reason", key=f"{scope}_reason", height=68)
                session.show_problem(scope, "reason")
                if st.form_submit_button(f"Change {kind}"):
                    ok, _ = session.attempt(
                        scope, service, db, me, episode_id, {kind: value, "effective_on": when, "reason": why}
                    )
                    if ok:
                        session.flash(f"{kind.capitalize()} changed to {value}.")
                    st.rerun()

        change_form(
            c1,
            "tier",
            "Change tier (up, or back down)",
            ["conservative", "adjunct", "regenerative"],
            label_of,
            care.change_tier,
        )
        change_form(c2, "stage", "Change loading stage", [1, 2, 3, 4], STAGE_NAMES.get, care.change_stage)
    treatment_form.render(db, me, episode_id, ep, can_edit)

with tab_rx:
    items, is_default = care.prescription(db, me, episode_id, int(ep["stage"]))
    st.markdown(
        f"**{STAGE_NAMES[int(ep['stage'])]}**"
        + (" · stage defaults (edit and save to prescribe)" if is_default else "")
    )
    st.caption("Progress on symptoms, not time (Goom et al. 2016). Handouts print this prescription.")
    frame = pd.DataFrame(items, columns=["exercise", "sets", "reps", "hold_seconds", "load_cue", "days_per_week"])
    if can_edit:
        session.show_summary("prescription")
        edited = st.data_editor(
            frame,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=f"rx_{episode_id}_{ep['stage']}",
            column_config={
                "exercise": st.column_config.TextColumn("Exercise", width="large"),
                "hold_seconds": st.column_config.NumberColumn("Hold (s)"),
                "days_per_week": st.column_config.NumberColumn("Days/week"),
            },
        )
        for where, text in session.problems("prescription").items():
            st.error(f"{where}: {text}")
        if st.button("Save prescription", icon=":material/fitness_center:"):
            rows = edited.astype(object).where(edited.notna(), None).to_dict("records")
            ok, _ = session.attempt("prescription", care.save_prescription, db, me, episode_id, rows)
            if ok:
                session.flash("Prescription saved.")
            st.rerun()
    else:
        tables.show(frame)

with tab_img:
    if view.imaging.empty:
        st.caption("No imaging reports.")
    for report in view.imaging.to_dict("records"):
        findings = [
            name.replace("_", " ")
            for name in (
                "thickening",
                "hypoechogenicity",
                "neovascularity",
                "partial_tear",
                "peritendinous_oedema",
                "bone_marrow_oedema",
                "avulsion",
            )
            if report.get(name)
        ]
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
        tables.show(decided[["decided_at", "rule_id", "decision", "reason", "clinician_name"]])
