"""Floor for the caseload page: the same work in one query, from the case state: the first page of the work
list (the same columns for the same rows, most urgent first), how many match, and the clinic figures; shown
with st.dataframe. No filters drawn, no work list, no session check."""

from datetime import date

import streamlit as st

from dashboard.services.caseload import FIGURE_FLAGS, TIER_NAMES, CaseloadFilter, order, where
from dashboard.storage import case_state
from dashboard.ui import caseload_list, session

db = session.database()
whole = st.session_state.get("bench_whole_clinic", True)
f = CaseloadFilter(clinician_id=None if whole else st.session_state.get("bench_user_id"))
scope = case_state.Where(*((["clinician_id = ?"], [f.clinician_id]) if f.clinician_id is not None else ([], [])))
counted = {**{f"tier_{t}": f"tier = '{t}'" for t in TIER_NAMES}, **{flag: flag for flag in FIGURE_FLAGS}}
rows, total, figures = case_state.page(
    db, date.today(), where(f), order(f), caseload_list.ROWS, scope=scope, counted=counted
)
st.write(total, figures)
st.dataframe(rows)
