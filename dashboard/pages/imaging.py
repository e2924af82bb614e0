"""Record an imaging report on the current episode."""

from datetime import date

import streamlit as st

from dashboard.domain.model import MRI_TYPES, Modality, TendonsInvolved, label_of
from dashboard.services import auth, care, records
from dashboard.ui import forms, labels, session

db = session.database()
me = session.signed_in_user()
session.require_permission(me, auth.Permission.EDIT, "Your role may not record imaging reports.")
episode_id = session.required_episode("Open a case first, then add its imaging report.")
ep = records.episode(db, me, episode_id)
SCOPE = "imaging"
P = f"imaging_{episode_id}_"
st.title("Imaging report")
st.markdown(f"**{ep['given_name']} {ep['family_name']}** · {labels.episode_title(ep)}")
st.caption("MRI is more sensitive than ultrasound for tendinopathy and peritendinous oedema (Zissen 2010).")
session.show_summary(SCOPE)

with st.form("imaging_form"):
    c1, c2, c3 = st.columns(3)
    with c1:
        modality = st.selectbox("Modality", [m.value for m in Modality], format_func=label_of, key=P + "modality")
        session.show_problem(SCOPE, "modality")
        imaged_on = st.date_input(
            "Imaging date",
            value=date.today(),
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
            index=None,
            key=P + "mri_type",
            placeholder="Not graded",
            help=f"Type III is seen in some people over "
            f"{care.effective_thresholds(db)['incidental_mri_age']:g} without symptoms.",
        )
        session.show_problem(SCOPE, "mri_type")
    with c2:
        flags = {
            name: st.checkbox(label_of(name), key=P + name)
            for name in (
                "thickening",
                "hypoechogenicity",
                "neovascularity",
                "partial_tear",
                "peritendinous_oedema",
                "bone_marrow_oedema",
                "avulsion",
            )
        }
    with c3:
        tendons_avulsed = st.number_input("Tendons avulsed", value=None, step=1, key=P + "tendons_avulsed")
        session.show_problem(SCOPE, "tendons_avulsed")
        retraction = st.number_input("Retraction (cm)", value=None, step=0.1, format="%.1f", key=P + "retraction_cm")
        session.show_problem(SCOPE, "retraction_cm")
        involved = st.selectbox(
            "Tendons involved",
            [t.value for t in TendonsInvolved],
            format_func=label_of,
            index=None,
            key=P + "tendons_involved",
            placeholder="Not stated",
        )
        thickness = st.number_input(
            "Tendon thickness (mm)", value=None, step=0.1, format="%.1f", key=P + "thickness_mm"
        )
        session.show_problem(SCOPE, "thickness_mm")
    report = st.text_area("Report text", key=P + "report_text", height=160)
    session.show_problem(SCOPE, "report_text")
    saved = st.form_submit_button("Save imaging report", type="primary")
if saved:
    ok, _ = session.attempt(
        SCOPE,
        records.record_imaging,
        db,
        me,
        episode_id,
        {
            "modality": modality,
            "imaged_on": imaged_on,
            "mri_type": mri_type,
            **flags,
            "tendons_avulsed": tendons_avulsed,
            "retraction_cm": retraction,
            "tendons_involved": involved,
            "thickness_mm": thickness,
            "report_text": report,
        },
    )
    if ok:
        forms.forget(P)
        session.flash("Imaging report saved.")
        st.switch_page("pages/case.py")
    st.rerun()
