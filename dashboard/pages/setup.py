"""An empty clinic database: the clinic's details (name, phone, address, printed on handouts; editable later
in Settings) and its first administrator, with the one-time setup code the server printed."""

import streamlit as st

from dashboard.domain.model import FieldProblems
from dashboard.services import admin, auth
from dashboard.ui import accounts, session

db = session.database()
st.title("Set up the clinic")
session.show_summary("setup")
st.write(
    "This clinic database is new. Say which clinic it is, then create the first administrator; they can then "
    "add clinicians and other users. You need the one-time setup code that the server printed in its console "
    "when it started (whoever started it can read it there), so that no one else on the network can do this."
)
with st.form("setup"):
    st.header("The clinic")
    st.caption(
        "Printed on every handout, so patients know whom to call (handouts need the phone number). "
        "You can change them later in Settings."
    )
    details = {
        "clinic_name": st.text_input("Clinic name", max_chars=80, key="setup_clinic_name"),
        "clinic_phone": st.text_input("Clinic phone", max_chars=24, key="setup_clinic_phone"),
        "clinic_address": st.text_area("Clinic address", max_chars=300, height=80, key="setup_clinic_address"),
    }
    for field in details:
        session.show_problem("setup", field)
    st.header("The first administrator")
    code = st.text_input(
        "Setup code (from the server's console)", max_chars=32, placeholder="XXXX-XXXX-XXXX", key="setup_code"
    )
    session.show_problem("setup", "setup_code")
    st.caption("Username: 2-32 lower-case letters, digits, dot, dash or underscore.")
    username = st.text_input("Username", key="setup_username")
    session.show_problem("setup", "username")
    name = st.text_input("Full name", max_chars=100, key="setup_name")
    session.show_problem("setup", "display_name")
    st.caption(
        f"Password: at least {auth.MIN_PASSWORD} characters, not a common or easily guessed one; "
        "a few unrelated words work well."
    )
    password = st.text_input("Password", type="password", max_chars=auth.MAX_PASSWORD, key="setup_password")
    session.show_problem("setup", "password")
    again = st.text_input("Password again", type="password", max_chars=auth.MAX_PASSWORD, key="setup_again")
    submitted = st.form_submit_button("Set up the clinic", type="primary")
if submitted:
    if password != again:
        st.session_state["_problems_setup"] = {"password": "The two passwords differ."}
        st.rerun()
    try:
        admin.check_clinic_details(details)  # before anything is created
    except FieldProblems as exc:
        st.session_state["_problems_setup"] = exc.problems
        st.session_state["_summary_setup"] = "Nothing was saved: check the clinic's details."
        st.rerun()
    client = accounts.client()
    ok, _ = session.attempt("setup", auth.create_first_admin, db, code, username, name, password, client=client)
    if ok:
        chief = auth.sign_in(db, username, password, client=client)
        session.attempt("setup", admin.set_clinic_details, db, chief, details)
        session.flash("The clinic is set up. Next: add your first patient (or import a list), then your colleagues.")
        accounts.begin(db, chief, "password")
    st.rerun()
