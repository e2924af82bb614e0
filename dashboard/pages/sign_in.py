import streamlit as st

from dashboard.services import auth
from dashboard.services.demo import DEMO_PASSWORD, DEMO_USERS
from dashboard.ui import accounts, session

db = session.database()
st.title("Sign in")
accounts.show_notice()
with st.form("sign_in"):
    username = st.text_input("Username", autocomplete="username", max_chars=auth.MAX_USERNAME)
    password = st.text_input("Password", type="password", autocomplete="current-password", max_chars=auth.MAX_PASSWORD)
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    try:
        accounts.begin(db, auth.sign_in(db, username, password, client=accounts.client()), "password")
        st.rerun()
    except auth.SignInRefused as exc:
        st.error(str(exc))
accounts.sso_buttons()

if session.clinic().demo:
    st.info(
        "Demo clinic accounts (this box appears only for the demo clinic). "
        f"Every account's password is **{DEMO_PASSWORD}**.",
        icon=":material/key:",
    )
    st.table(
        {
            "Username": [u[0] for u in DEMO_USERS],
            "Name": [u[1] for u in DEMO_USERS],
            "Role": [u[2].value.replace("_", " ") for u in DEMO_USERS],
        }
    )
