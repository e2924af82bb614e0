"""Floor for the caseload page: one DuckDB query for the same rows, shown with st.dataframe."""

import streamlit as st

from dashboard.ui import session

ROWS = 5000
db = session.database()
frame = db.frame(
    "SELECT e.episode_id, p.given_name, p.family_name, p.clinic_id, u.display_name, e.side, e.region, e.status,"
    " e.opened_on FROM episodes e JOIN patients p USING (patient_id) LEFT JOIN users u ON u.user_id = e.clinician_id"
    " WHERE e.status = 'open' ORDER BY p.family_name, p.given_name LIMIT ?",
    [ROWS],
)
st.dataframe(frame)
