"""Floor for the timeline page: the same lanes (the first 300 of the caseload, most urgent first) with their tier
periods, in one query from the case state and the tier changes, shown with st.dataframe."""

from datetime import date

import streamlit as st

from dashboard.services.caseload import MAX_LANES, CaseloadFilter, order, where
from dashboard.storage import case_state
from dashboard.ui import session

db = session.database()
f = CaseloadFilter()
lanes, params = case_state.read_sql(date.today(), where(f), order(f), limit=MAX_LANES)
st.dataframe(
    db.frame(
        f"WITH lanes AS ({lanes}) SELECT lanes.*, t.tier AS period_tier, t.effective_on"
        " FROM lanes JOIN tier_changes t ON t.episode_id = lanes.episode_id",
        params,
    )
)
