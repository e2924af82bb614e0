"""Administrator: the audit trail, filtered and exported. Read-only: nothing here changes it."""

from datetime import date, timedelta

import streamlit as st

from dashboard.services import admin, auth
from dashboard.ui import session, tables

db = session.database()
me = session.signed_in_user()
st.title("Audit trail")
session.require_permission(me, auth.Permission.AUDIT, "Only an administrator can read the audit trail.")
choices = admin.audit_choices(db, me)
c1, c2, c3, c4 = st.columns(4)
username = c1.selectbox(
    "User", [None, *choices["username"]], format_func=lambda v: "Anyone" if v is None else v, key="audit_user"
)
entity = c2.selectbox(
    "Record", [None, *choices["entity"]], format_func=lambda v: "Any" if v is None else v, key="audit_entity"
)
action = c3.selectbox(
    "Action", [None, *choices["action"]], format_func=lambda v: "Any" if v is None else v, key="audit_action"
)
period = c4.date_input(
    "Between", value=(date.today() - timedelta(days=30), date.today()), key="audit_period", format="YYYY-MM-DD"
)
since, until = (period + (None, None))[:2] if isinstance(period, tuple) else (period, None)
filters = dict(username=username, entity=entity, action=action, since=since, until=until)
frame = admin.audit_trail(db, me, **filters)
st.caption(f"{len(frame):,} entries shown (newest first; at most 5,000: narrow the filters for older entries).")
tables.show(frame, height=560)
st.download_button(
    "Export these entries (CSV)",
    data=lambda: admin.export_audit(db, me, **filters),
    file_name="audit-trail.csv",
    mime="text/csv",
    icon=":material/download:",
)
