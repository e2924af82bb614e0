import streamlit as st

from dashboard.services import auth, records
from dashboard.ui import forms, patient_list, session

db = session.database()
me = session.signed_in_user()
st.title("Patients")
session.show_flash()

query = st.text_input("Search by name or clinic ID", key="register_query", placeholder="Name or clinic ID")
if st.session_state.get("register_shown_for") != query:  # a new search starts from its first patient
    st.session_state["register_shown_for"], st.session_state["register_offset"] = query, 0
found = records.find_patients(db, me, query, limit=200)
if found.empty:
    if query:
        st.info("No patient matches that search. Check the spelling, or search by clinic ID.")
    elif auth.can(me, auth.Permission.EDIT):
        st.info("No patients yet. Add the first one with New patient below, or import a list of patients.")
    else:
        st.info("No patients yet. A clinician or administrator adds them.")
else:
    st.caption(
        f"{len(found)} patient(s){' (the first 200: refine the search)' if len(found) == 200 else ''}. "
        "Choose a name to open the patient."
    )
    patient_list.render(found, key="register_offset")

if auth.can(me, auth.Permission.EDIT):
    with st.expander("New patient", expanded=bool(session.problems("new_patient")), icon=":material/person_add:"):
        session.show_summary("new_patient")
        with st.form("new_patient_form"):
            values = forms.patient_fields("new_patient")
            create = st.form_submit_button("Create patient", type="primary")
        if create:
            ok, patient_id = session.attempt("new_patient", records.create_patient, db, me, values)
            if ok:
                forms.forget("new_patient_")
                session.choose_patient(patient_id)
                session.flash(f"Patient {values['given_name']} {values['family_name']} created.")
                st.switch_page("pages/patient.py")
            st.rerun()
