import streamlit as st

from dashboard.domain.model import Role, label_of
from dashboard.services import auth
from dashboard.ui import forms, session, tables, user_admin

db = session.database()
me = session.signed_in_user()
st.title("Users")
session.show_flash()
try:
    users = auth.list_users(db, me)
except auth.NotAllowed as exc:
    st.error(str(exc))
    st.stop()
if len(users) == 1:  # a new clinic: say what to do next
    st.info(
        "Only you have an account so far. Add each colleague with Add a user below: clinicians view, record and "
        "print handouts; read-only users (reception, for example) only view."
    )
tables.show(user_admin.users_table(users), alt="Users of this clinic")

with st.expander("Add a user", expanded=bool(session.problems("new_user")), icon=":material/person_add:"):
    session.show_summary("new_user")
    with st.form("new_user_form"):
        username = st.text_input("Username", key="new_user_username")
        session.show_problem("new_user", "username")
        name = st.text_input("Full name", key="new_user_name")
        session.show_problem("new_user", "display_name")
        role = st.selectbox("Role", [r.value for r in Role], format_func=label_of, index=1, key="new_user_role")
        email = st.text_input("E-mail for single sign-on (optional)", key="new_user_email", max_chars=auth.MAX_EMAIL)
        session.show_problem("new_user", "email")
        password = st.text_input("Initial password", type="password", key="new_user_password")
        session.show_problem("new_user", "password")
        if st.form_submit_button("Add user", type="primary"):
            ok, _ = session.attempt("new_user", auth.create_user, db, me, username, name, role, password, email=email)
            if ok:
                forms.forget("new_user_")
                session.flash(f"User {username} added.")
            st.rerun()

user_admin.change_user(db, me, users)
