"""Floor for the caseload page: the same columns for the same rows (the first page of the work list, most urgent
first) in one query from the case state, shown with st.dataframe. No figures, no count, no session check."""

from datetime import date

import streamlit as st

from dashboard.services.caseload import CaseloadFilter, order, where
from dashboard.storage import case_state
from dashboard.ui import caseload_list, session

db = session.database()
whole = st.session_state.get("bench_whole_clinic", True)
f = CaseloadFilter(clinician_id=None if whole else st.session_state.get("bench_user_id"))
st.dataframe(case_state.rows(db, date.today(), where(f), order(f), limit=caseload_list.ROWS))
