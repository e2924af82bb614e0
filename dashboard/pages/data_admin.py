"""Administrator: backups while the app runs, restore into a new file, and a patient's data on request."""

from pathlib import Path

import streamlit as st

from dashboard import config
from dashboard.services import admin, auth, records
from dashboard.ui import labels, session

db = session.database()
me = session.signed_in_user()
st.title("Data and backups")
session.show_flash()
session.require_permission(me, auth.Permission.BACKUP, "Only an administrator can manage backups and patient data.")

backup_tab, restore_tab, patient_tab = st.tabs(["Back up", "Restore", "A patient's data"])
with backup_tab:
    st.write(
        "A backup is a consistent copy of the whole database, taken while the app keeps running, with a "
        "checksum file beside it. Copy the backup folder to another machine or disk."
    )
    folder = st.text_input("Backup folder", value=str(config.DATA_DIR / "backups"), key="backup_folder")
    if st.button("Back up now", type="primary", icon=":material/backup:"):
        ok, target = session.attempt("backup", admin.backup, db, me, Path(folder))
        if ok:
            st.success(f"Backup written: {labels.md(target)}")
    session.show_summary("backup")
    existing = sorted(Path(folder).glob("clinic-*.duckdb"), reverse=True) if Path(folder).is_dir() else []
    if existing:
        st.caption("Backups in this folder: " + ", ".join(p.name for p in existing[:10]))

with restore_tab:
    st.write(
        "Restoring never overwrites the database in use: it creates a new database file from a backup. "
        "Then stop the app and start it with CLINIC_DB pointing at the new file."
    )
    with st.form("restore_form"):
        source = st.text_input("Backup file", key="restore_source")
        session.show_problem("restore", "backup")
        target = st.text_input(
            "New database file", key="restore_target", placeholder=str(config.DATA_DIR / "restored.duckdb")
        )
        session.show_problem("restore", "target")
        if st.form_submit_button("Restore into the new file"):
            ok, done = session.attempt("restore", admin.restore, Path(source), Path(target), me)
            if ok:
                session.flash(f"Restored into {done}. Start the app with CLINIC_DB={done} to use it.")
            st.rerun()
    session.show_summary("restore")

with patient_tab:
    query = st.text_input("Find the patient", key="data_query", placeholder="Name or clinic ID")
    if query:
        found = records.find_patients(db, me, query, limit=20)
        names = {
            int(r["patient_id"]): f"{r['given_name']} {r['family_name']} ({r['clinic_id']})"
            for r in found.to_dict("records")
        }
        patient_id = st.selectbox("Patient", list(names), format_func=names.__getitem__, index=None, key="data_patient")
        if patient_id:
            st.markdown("**Access request:** everything held about this patient, with their handouts.")
            if st.button("Prepare the patient's record", icon=":material/folder_zip:"):
                ok, data = session.attempt("export_patient", admin.export_patient, db, me, patient_id)
                if ok:
                    st.download_button(
                        "Download the record (ZIP)",
                        data=data,
                        file_name=f"patient-{patient_id}.zip",
                        mime="application/zip",
                        icon=":material/download:",
                    )
            session.show_summary("export_patient")
            st.markdown(
                "**Anonymise** (only when every episode is closed). This cannot be undone. The database file is "
                "then rewritten so no old copy remains: the clinic pauses for a few seconds."
            )
            with st.form("anonymise_form"):
                reason = st.text_input("The request (who asked, when)", key="anonymise_reason")
                session.show_problem("anonymise", "reason")
                sure = st.checkbox("I understand this permanently removes the patient's identity", key="anonymise_sure")
                if st.form_submit_button("Anonymise this patient"):
                    if not sure:
                        st.session_state["_summary_anonymise"] = "Tick the box to confirm."
                    else:
                        ok, counts = session.attempt("anonymise", admin.anonymise_patient, db, me, patient_id, reason)
                        if ok:
                            session.flash(
                                f"Patient anonymised ({counts.get('audit rows redacted', 0)} audit entries redacted, "
                                f"{counts['handout files deleted']} handout files deleted, database file rewritten). "
                                "Backups made before now still hold the record until they are deleted."
                            )
                    st.rerun()
            session.show_summary("anonymise")
