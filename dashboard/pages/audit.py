"""Administrator: the audit trail in words, filtered and exported. Read-only: nothing here changes it."""

from datetime import date, timedelta

import streamlit as st

from dashboard.services import admin, auth
from dashboard.ui import audit_list, session

db = session.database()
me = session.signed_in_user()
st.title("Audit trail")
session.require_permission(me, auth.Permission.AUDIT, "Only an administrator can read the audit trail.")
choices = admin.audit_choices(db, me)


def pick(column, label: str, field: str, anything: str):
    words = choices[field]
    return column.selectbox(
        label,
        [None, *sorted(words, key=lambda v: words[v].lower())],
        format_func=lambda v: anything if v is None else words[v],
        key=f"audit_{field}",
    )


c1, c2, c3, c4 = st.columns([1, 1, 1, 1.5])
username = pick(c1, "Who", "username", "Anyone")
entity = pick(c2, "Record", "entity", "Any record")
action = pick(c3, "Action", "action", "Any action")
period = c4.date_input(
    "Between", value=(date.today() - timedelta(days=30), date.today()), key="audit_period", format="YYYY-MM-DD"
)
since, until = (period + (None, None))[:2] if isinstance(period, tuple) else (period, None)
filters = dict(username=username, entity=entity, action=action, since=since, until=until)
frame = admin.audit_trail(db, me, **filters)
if st.session_state.get("audit_shown_for") != repr(filters):  # new filters start from the newest entry
    st.session_state["audit_shown_for"], st.session_state["audit_offset"] = repr(filters), 0
if frame.empty:
    st.info("No entries match these filters. Widen the dates, or choose Anyone, Any record and Any action.")
else:
    st.caption(
        f"{len(frame):,} entries (at most 5,000: narrow the filters for older ones). "
        "The export also holds each entry's stored values."
    )
    audit_list.render(frame, key="audit_offset")
st.download_button(
    "Export these entries (CSV)",
    data=lambda: admin.export_audit(db, me, **filters),
    file_name="audit-trail.csv",
    mime="text/csv",
    icon=":material/download:",
)
