import pandas as pd
import streamlit as st

from dashboard.domain.model import Role, label_of
from dashboard.services import auth
from dashboard.ui import forms, session, tables

db = session.database()
me = session.signed_in_user()
st.title("Users")
session.show_flash()
try:
    users = auth.list_users(db, me)
except auth.NotAllowed as exc:
    st.error(str(exc))
    st.stop()
tables.show(pd.DataFrame(users))

with st.expander("Add a user", expanded=bool(session.problems("new_user")), icon=":material/person_add:"):
    session.show_summary("new_user")
    with st.form("new_user_form"):
        username = st.text_input("Username", key="new_user_username")
        session.show_problem("new_user", "username")
        name = st.text_input("Full name", key="new_user_name")
        session.show_problem("new_user", "display_name")
        role = st.selectbox("Role", [r.value for r in Role], format_func=label_of, index=1, key="new_user_role")
        password = st.text_input("Initial password", type="password", key="new_user_password")
        session.show_problem("new_user", "password")
        if st.form_submit_button("Add user", type="primary"):
            ok, _ = session.attempt("new_user", auth.create_user, db, me, username, name, role, password)
            if ok:
                forms.forget("new_user_")
                session.flash(f"User {username} added.")
            st.rerun()

with st.expander("Change a user", icon=":material/manage_accounts:"):
    session.show_summary("change_user")
    names = {u["user_id"]: f"{u['display_name']} ({u['username']})" for u in users}
    with st.form("change_user_form"):
        user_id = st.selectbox("User", list(names), format_func=names.__getitem__)
        role = st.selectbox("Role", [r.value for r in Role], format_func=label_of)
        active = st.checkbox("Account active (unticking disables sign-in)", value=True)
        password = st.text_input("New password (leave blank to keep)", type="password")
        session.show_problem("change_user", "password")
        if st.form_submit_button("Save"):
            ok, _ = session.attempt(
                "change_user", auth.change_user, db, me, user_id, role=role, active=active, password=password or None
            )
            if ok:
                session.flash("User changed.")
            st.rerun()
