"""Floor for the case page: the episode's assessments in one query, shown with st.dataframe."""

import streamlit as st

from dashboard.ui import session

db = session.database()
frame = db.frame(
    "SELECT * FROM assessments WHERE episode_id = ? ORDER BY assessed_on DESC", [st.session_state["episode_id"]]
)
st.dataframe(frame)
