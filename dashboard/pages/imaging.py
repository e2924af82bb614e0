"""Record an imaging report on the current episode."""

import streamlit as st

from dashboard.services import auth, care, records
from dashboard.ui import imaging_form, labels, session, unsaved_input

db = session.database()
me = session.signed_in_user()
session.require_permission(me, auth.Permission.EDIT, "Your role may not record imaging reports.")
episode_id = session.required_episode("Open a case first, then add its imaging report.")
ep = session.existing_episode(lambda: records.episode(db, me, episode_id), episode_id)
SCOPE = "imaging"
P = unsaved_input.prefix(f"imaging_{episode_id}_")
st.title("Imaging report")
st.markdown(f"**{labels.md(labels.patient_name(ep))}** · {labels.episode_title(ep)}")
st.caption("MRI is more sensitive than ultrasound for tendinopathy and peritendinous oedema (Zissen 2010).")
session.show_summary(SCOPE)

RECORD = f"episode:{episode_id}"
unsaved_input.restore(db, me, "imaging", RECORD, P)
unsaved_input.notice(db, me, "imaging", RECORD, P, f"imaging_{episode_id}_")
values = imaging_form.fields(P, SCOPE, care.effective_thresholds(db)["incidental_mri_age"])
unsaved_input.keep(db, me, "imaging", RECORD, P)
if st.button("Save imaging report", type="primary", icon=":material/save:"):
    ok, _ = session.attempt(SCOPE, records.record_imaging, db, me, episode_id, values)
    if ok:
        unsaved_input.clear(db, me, "imaging", RECORD, P)
        session.flash("Imaging report saved.")
        st.switch_page("pages/case.py")
    st.rerun()
