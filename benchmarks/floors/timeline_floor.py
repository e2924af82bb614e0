"""Floor for the timeline page: the same work in one query: the same lanes (the first 300 of the caseload, most
urgent first; the columns a lane shows), how many match, and each lane's tier periods (start and finish, as the
page draws them) and assessment dates, from the case state, the tier changes and the assessments; shown with
st.dataframe."""

from datetime import date

import streamlit as st

from dashboard.services.caseload import LANE_COLUMNS, MAX_LANES, CaseloadFilter, order, where
from dashboard.storage import case_state
from dashboard.storage.caseload import PERIODS
from dashboard.ui import session

db = session.database()
f = CaseloadFilter()
today = date.today()
lanes, params = case_state.window_sql(db.dialect, today, where(f), order(f), MAX_LANES, 0, LANE_COLUMNS)
st.dataframe(  # each lane (with the total) with its tier periods, then with its assessment dates
    db.frame(
        f"WITH lanes AS ({lanes}) SELECT lanes.*, p.tier AS period_tier, p.start AS day, p.finish"
        f" FROM lanes JOIN ({PERIODS} WHERE t.episode_id IN (SELECT episode_id FROM lanes)) p"
        " ON p.episode_id = lanes.episode_id"
        " UNION ALL SELECT lanes.*, NULL, a.assessed_on, NULL"
        " FROM lanes JOIN assessments a ON a.episode_id = lanes.episode_id",
        [*params, today],
    )
)
