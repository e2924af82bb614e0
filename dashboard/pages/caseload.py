"""The whole caseload on one screen: clinic figures, filters, one row per episode."""

import streamlit as st

from dashboard.services import caseload, records
from dashboard.ui import caseload_filters, session, tables

db = session.database()
me = session.signed_in_user()
st.title("Caseload")
session.show_flash()
f = caseload_filters.render(me, records.clinicians(db, me))
if st.session_state.get("cl_signature") != repr(f):  # new filters start from the first row
    st.session_state["cl_signature"], st.session_state["cl_offset"] = repr(f), 0
result = caseload.caseload(db, me, f, offset=st.session_state["cl_offset"])

FIGURES = [
    ("tier:conservative", "Conservative", None, "conservative"),
    ("tier:adjunct", "Adjunct", None, "adjunct"),
    ("tier:regenerative", "Regenerative", None, "regenerative"),
    ("red_flag", "Red flags", "red_flag", None),
    ("stalled", "Stalled", "stalled", None),
    ("review_overdue", "Overdue", "review_overdue", None),
]
st.caption("Open episodes" + (" (yours)" if f.clinician_id == me.user_id else "") + ". Click a figure to list them.")
for column, (key, label, flag, tier) in zip(st.columns(len(FIGURES)), FIGURES, strict=True):
    column.button(
        f"{label}\n\n**{result.figures[key]:,}**",
        key=f"fig_{key}",
        width="stretch",
        type="primary" if key == "red_flag" and result.figures[key] else "secondary",
        on_click=caseload_filters.set_flag,
        args=(flag, tier),
    )

shown = len(result.rows)
if result.total == 0:
    st.info("No episodes match these filters.")
else:
    first = result.offset + 1
    note = f"{result.total:,} episode(s) match; rows {first:,}-{result.offset + shown:,} shown."
    if result.total > caseload.MAX_ROWS:
        note += f" At most {caseload.MAX_ROWS:,} rows are shown at once: narrow the filters or page on."
    st.caption(note + " Choose a row to open the case.")
    picked = tables.show(result.rows, key="caseload_table", selectable=True, hide=("episode_id",), height=520)
    rows = picked.selection.rows if picked else []
    if rows:
        session.choose_episode(int(result.rows.iloc[rows[0]]["episode_id"]))
        st.switch_page("pages/case.py")
    p1, p2, p3 = st.columns([1, 1, 3])
    if result.offset > 0 and p1.button("Previous rows", icon=":material/chevron_left:"):
        st.session_state["cl_offset"] = max(0, result.offset - caseload.MAX_ROWS)
        st.rerun()
    if result.offset + shown < result.total and p2.button("Next rows", icon=":material/chevron_right:"):
        st.session_state["cl_offset"] = result.offset + caseload.MAX_ROWS
        st.rerun()
    p3.download_button(
        "Export the filtered list (CSV)",
        data=lambda: caseload.export_csv(db, me, f),
        file_name="caseload.csv",
        mime="text/csv",
        icon=":material/download:",
    )
