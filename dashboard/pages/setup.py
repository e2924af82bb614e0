import streamlit as st

from dashboard.domain.model import Role
from dashboard.services import auth
from dashboard.ui import session

db = session.database()
st.title("Set up the clinic")
session.show_summary("setup")
st.write(
    "This clinic database has no accounts yet. Create the first administrator; they can then add "
    "clinicians and other users."
)
with st.form("setup"):
    username = st.text_input("Username", help="2-32 lower-case letters, digits, dot, dash or underscore")
    session.show_problem("setup", "username")
    name = st.text_input("Full name")
    session.show_problem("setup", "display_name")
    password = st.text_input("Password", type="password", help=f"At least {auth.MIN_PASSWORD} characters")
    session.show_problem("setup", "password")
    again = st.text_input("Password again", type="password")
    submitted = st.form_submit_button("Create administrator", type="primary")
if submitted:
    if password != again:
        st.session_state["_problems_setup"] = {"password": "The two passwords differ."}
        st.rerun()
    ok, _ = session.attempt(
        "setup", auth.create_user, db, None, username, name, Role.ADMINISTRATOR.value, password, first_admin=True
    )
    if ok:
        session.set_user(auth.sign_in(db, username, password))
    st.rerun()
