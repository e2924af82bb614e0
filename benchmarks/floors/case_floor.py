"""Floor for the case page: one DuckDB query for the episode's assessments, shown with st.dataframe."""

import streamlit as st

from dashboard.ui import session

db = session.database()
frame = db.frame(
    "SELECT * FROM assessments WHERE episode_id = ? ORDER BY assessed_on DESC", [st.session_state["episode_id"]]
)
st.dataframe(frame)
