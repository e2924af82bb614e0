import streamlit as st

from dashboard.services import auth, records
from dashboard.ui import forms, session, tables

db = session.database()
me = session.signed_in_user()
st.title("Patients")
session.show_flash()

query = st.text_input("Search by name or clinic ID", key="register_query", placeholder="e.g. Okafor or DEMO-000012")
found = records.find_patients(db, me, query, limit=200)
if found.empty:
    st.info("No patient matches that search." if query else "No patients yet.")
else:
    st.caption(
        f"{len(found)} patient(s){' (first 200 shown; refine the search)' if len(found) == 200 else ''}. "
        "Choose a row to open the patient."
    )
    shown = found.rename(
        columns={
            "clinic_id": "Clinic ID",
            "given_name": "Given name",
            "family_name": "Family name",
            "date_of_birth": "Date of birth",
            "open_episodes": "Open episodes",
            "episodes": "All episodes",
        }
    ).drop(columns=["patient_id"])
    picked = tables.show(shown, key="register_table", selectable=True)
    rows = picked.selection.rows if picked else []
    if rows:
        session.choose_patient(int(found.iloc[rows[0]]["patient_id"]))
        st.switch_page("pages/patient.py")

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
