import streamlit as st

from dashboard.services import auth, importer
from dashboard.ui import labels, session

db = session.database()
me = session.signed_in_user()
st.title("Import patients")
session.show_flash()
session.require_permission(me, auth.Permission.IMPORT, "Only an administrator can import patients.")
st.markdown(
    "Upload a **UTF-8 CSV** file with a header line. Required columns: `patient_id` (the clinic ID), "
    "`given_name`, `family_name`, `date_of_birth` (YYYY-MM-DD). Optional: `sex`, `phone`, `email`; and "
    "`side`, `region`, `onset_date`, `clinician` (a username) to open an episode, with `severity` "
    "(default moderate) and `onset_type` (default gradual). Other systems' words are read too (sex F/M, side "
    "L/R, Left/Right, Bilat) and listed after the import. Clinic IDs ignore case (imp-1 is IMP-1). The whole "
    "file is checked first: if any row is wrong, nothing is imported; rows are numbered as a spreadsheet shows "
    "them. Up to 200,000 rows at a time; others can keep working meanwhile."
)
upload = st.file_uploader("CSV file", type=["csv"], key="import_file")
if upload is not None and st.button("Import", type="primary"):
    ok, report = session.attempt("import", importer.import_patients_csv, db, me, upload.getvalue())
    if ok:
        session.flash(f"Imported {report['patients']} patients and opened {report['episodes']} episodes.")
        st.session_state["import_read_as"] = report["read_as"]
        st.rerun()
session.show_summary("import")
read_as = st.session_state.pop("import_read_as", None)
if read_as:
    st.info(
        "Read as the app's words:  \n" + "  \n".join(labels.md(line) for line in read_as), icon=":material/translate:"
    )
problems = session.problems("import")
if problems:
    st.dataframe(
        [{"Where": where, "Problem": text} for where, text in problems.items()], hide_index=True, width="stretch"
    )
