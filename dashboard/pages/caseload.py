"""The whole caseload on one screen: what needs doing first, clinic figures, filters, one row per episode."""

import streamlit as st

from dashboard.services import auth, caseload, records
from dashboard.ui import caseload_filters, caseload_list, session

db = session.database()
me = session.signed_in_user()
st.title("Caseload")
session.show_flash()
f = caseload_filters.render(me, records.clinicians(db, me))
VIEWS = ["Work list", "Table (every column)"]
as_list = st.session_state.get("cl_view") != VIEWS[1]  # the control is drawn under the figures
signature = repr((f, as_list))
if st.session_state.get("cl_signature") != signature:  # new filters or view start from the first row
    st.session_state["cl_signature"], st.session_state["cl_offset"] = signature, 0
page_rows = caseload_list.ROWS if as_list else caseload.MAX_ROWS
result = caseload.caseload(db, me, f, offset=st.session_state["cl_offset"], limit=page_rows)

yours = f.clinician_id == me.user_id
caseload_list.figures(result, caseload_filters.set_flag, yours=yours)
shown_as = st.container(horizontal=True, gap="medium", vertical_alignment="center")
shown_as.segmented_control("Show as", VIEWS, default=VIEWS[0], key="cl_view", label_visibility="collapsed")

shown = len(result.rows)
if result.total == 0:  # say what to do next
    if records.find_patients(db, me, "", limit=1).empty:
        st.info("No patients yet. Add your first patient, then open an episode of care from their page.")
        st.page_link("pages/register.py", label="Add a patient", icon=":material/person_add:")
        if auth.can(me, auth.Permission.IMPORT):
            st.page_link("pages/import_patients.py", label="Import a list of patients", icon=":material/upload_file:")
        if auth.can(me, auth.Permission.MANAGE_USERS):
            st.page_link("pages/users.py", label="Add your colleagues' accounts", icon=":material/manage_accounts:")
    elif yours:
        st.info("You have no open cases that match. Choose Whole clinic above to see everyone's cases.")
    else:
        st.info("No episodes match these filters. Clear the search, or open Filters and sorting to change them.")
else:
    first = result.offset + 1
    note = f"{result.total:,} episode(s) match; rows {first:,}-{result.offset + shown:,} shown"
    if f.sort == "Priority" and not f.descending:
        note += ", most urgent first"
    if as_list:
        shown_as.caption(note + ". Choose a name to open the case.", width="stretch")
        caseload_list.work_list(result.rows, whole_clinic=not yours)
    else:
        if result.total > caseload.MAX_ROWS:
            note += f". At most {caseload.MAX_ROWS:,} rows are shown at once: narrow the filters or page on"
        shown_as.caption(note + ". Choose a row to open the case.", width="stretch")
        picked = caseload_list.table(result.rows)
        rows = picked.selection.rows if picked else []
        if rows:
            session.choose_episode(int(result.rows.iloc[rows[0]]["episode_id"]))
            st.switch_page("pages/case.py")
    pager = st.container(horizontal=True, gap="small")
    if result.offset > 0 and pager.button("Previous rows", icon=":material/chevron_left:"):
        st.session_state["cl_offset"] = max(0, result.offset - page_rows)
        st.rerun()
    if result.offset + shown < result.total and pager.button("Next rows", icon=":material/chevron_right:"):
        st.session_state["cl_offset"] = result.offset + page_rows
        st.rerun()
    pager.download_button(
        "Export the filtered list (CSV)",
        data=lambda: caseload.export_csv(db, me, f),
        file_name="caseload.csv",
        mime="text/csv",
        icon=":material/download:",
    )
