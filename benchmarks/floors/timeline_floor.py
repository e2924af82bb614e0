"""Floor for the timeline page: one DuckDB query for the same lanes' tier periods, shown with st.dataframe."""

import streamlit as st

from dashboard.ui import session

LANES = 300
db = session.database()
frame = db.frame(
    "WITH lanes AS (SELECT e.episode_id FROM episodes e JOIN patients p USING (patient_id) WHERE e.status = 'open'"
    "               ORDER BY p.family_name, p.given_name LIMIT ?)"
    " SELECT t.episode_id, t.tier, t.effective_on FROM tier_changes t JOIN lanes USING (episode_id)",
    [LANES],
)
st.dataframe(frame)
