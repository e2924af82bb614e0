import streamlit as st

from dashboard.domain.model import label_of
from dashboard.services import auth, cases, records
from dashboard.ui import assessment_view, labels, session, tables

db = session.database()
me = session.signed_in_user()
episode_id = session.current_episode_id()
if episode_id is None:
    st.info("Choose a patient, then one of their episodes, to open a case.")
    st.page_link("pages/register.py", label="Find a patient", icon=":material/group:")
    st.stop()
view = cases.case_view(db, me, episode_id)
ep = view.episode
can_edit = auth.can(me, auth.Permission.EDIT)

if view.red_flags:
    st.error("### RED FLAG: refer on\n" + "\n".join(f"- {labels.md(text)}" for text in view.red_flags),
             icon=":material/emergency:")
st.title(f"{ep['given_name']} {ep['family_name']}")
session.show_flash()
st.markdown(f"{labels.md(ep['clinic_id'])} · {labels.episode_title(ep)}")
c = st.columns(5)
c[0].metric("Tier", label_of(ep["tier"]))
c[1].metric("Loading stage", ep["stage"])
c[2].metric("Weeks in episode", view.weeks_in_episode)
c[3].metric("Weeks in tier", view.weeks_in_tier)
c[4].metric("Severity", label_of(ep["severity"]))
st.caption(f"Clinician {ep['clinician_name']} · onset {ep['onset_date']:%d %b %Y} ({label_of(ep['onset_type']).lower()})"
           f" · sport {labels.md(ep['sport'])} · referred by {labels.md(ep['referral_source'])}"
           + (f" · closed {ep['closed_on']:%d %b %Y}: {label_of(ep['discharge_outcome'])}" if ep["closed_on"] else ""))

if can_edit and ep["status"] == "open":
    b1, b2, b3 = st.columns([1, 1, 3])
    if b1.button("Record assessment", type="primary", icon=":material/edit_note:"):
        st.switch_page("pages/assessment.py")
    if b2.button("Add imaging report", icon=":material/radiology:"):
        st.switch_page("pages/imaging.py")

st.subheader("Assessments")
frame = view.assessments
if frame.empty:
    st.info("No assessments yet.")
else:
    table = frame.assign(signed=frame["signed_at"].notna().map({True: "signed", False: "draft"}))[
        ["assessed_on", "clinician_name", "pain_avg", "pain_worst", "visa_h_total", "bridge_reps_left",
         "bridge_reps_right", "groc", "signed"]].rename(columns={
        "assessed_on": "Date", "clinician_name": "Clinician", "pain_avg": "Pain avg", "pain_worst": "Pain worst",
        "visa_h_total": "VISA-H", "bridge_reps_left": "Bridge L", "bridge_reps_right": "Bridge R", "groc": "GROC",
        "signed": "Status"})
    st.caption("Newest first. Choose a row to open it in full.")
    picked = tables.show(table, key=f"case_assessments_{episode_id}", selectable=True)
    rows = picked.selection.rows if picked else []
    chosen = frame.iloc[rows[0]] if rows else frame.iloc[0]
    assessment = records.assessment(db, me, int(chosen["assessment_id"]))
    with st.container(border=True):
        status = (f"signed by {assessment['signed_by']} {assessment['signed_at']:%d %b %Y %H:%M} UTC"
                  if assessment["signed_at"] else "draft (unsigned)")
        st.markdown(f"**Assessment of {assessment['assessed_on']:%d %b %Y}** by {assessment['clinician_name']} · {status}")
        assessment_view.render(assessment, ep["side"])
        notes = view.addenda[view.addenda["assessment_id"] == assessment["assessment_id"]]
        for note in notes.to_dict("records"):
            st.info(f"**Addendum** {note['created_at']:%d %b %Y %H:%M} by {note['created_by']}: "
                    f"reason: {labels.md(note['reason'])}  \n{labels.md(note['body'])}", icon=":material/note_add:")
        scope = f"addendum_{assessment['assessment_id']}"
        if can_edit and assessment["signed_at"] is None:
            if st.button("Sign assessment", icon=":material/verified:", key=f"sign_{assessment['assessment_id']}"):
                ok, _ = session.attempt(scope, records.sign_assessment, db, me, int(assessment["assessment_id"]))
                if ok:
                    session.flash("Assessment signed; it can no longer be changed, only amended with an addendum.")
                st.rerun()
        elif can_edit:
            with st.expander("Add an addendum (signed records are never changed)"):
                session.show_summary(scope)
                with st.form(f"{scope}_form"):
                    reason = st.text_input("Reason for the addendum", key=f"{scope}_reason")
                    session.show_problem(scope, "reason")
                    body = st.text_area("Correction or addition", key=f"{scope}_body")
                    session.show_problem(scope, "body")
                    if st.form_submit_button("Add addendum"):
                        ok, _ = session.attempt(scope, records.add_addendum, db, me,
                                                int(assessment["assessment_id"]), reason, body)
                        if ok:
                            session.flash("Addendum added.")
                        st.rerun()
        session.show_summary(scope)

st.subheader("Imaging")
if view.imaging.empty:
    st.caption("No imaging reports.")
for report in view.imaging.to_dict("records"):
    findings = [name.replace("_", " ") for name in ("thickening", "hypoechogenicity", "neovascularity", "partial_tear",
                                                    "peritendinous_oedema", "bone_marrow_oedema", "avulsion")
                if report.get(name)]
    with st.expander(f"{report['imaged_on']:%d %b %Y} · {label_of(report['modality'])}"
                     + (f" · MRI type {int(report['mri_type'])}" if report["mri_type"] == report["mri_type"]
                        and report["mri_type"] is not None else "")):
        st.markdown(f"Findings: {', '.join(findings) or 'none recorded'}")
        st.caption(f"Thickness {labels.show(report['thickness_mm'])} mm · retraction "
                   f"{labels.show(report['retraction_cm'])} cm · tendons {labels.show(report['tendons_involved'])}")
        st.text(report["report_text"] or "")

st.subheader("Tier and stage history")
c1, c2 = st.columns(2)
with c1:
    tables.show(view.tiers[["tier", "effective_on", "ended_on", "reason", "clinician_name"]])
with c2:
    tables.show(view.stages[["stage", "effective_on", "ended_on", "reason", "clinician_name"]])
