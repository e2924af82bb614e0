"""Print a handout for a patient (preview, options, download), or a whole day's clinic at once."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import streamlit as st

from dashboard.handout_pdf import FontMissing, HandoutOptions
from dashboard.services import auth, handouts, records
from dashboard.ui import handout_batch, labels, session, tables

db = session.database()
me = session.signed_in_user()
st.title("Handouts")
session.show_flash()
session.require_permission(me, auth.Permission.ISSUE_HANDOUT, "Your role may not issue handouts.")


@st.cache_data(max_entries=32, show_spinner="Drawing the preview...")
def preview_pages(pdf: bytes) -> list[bytes]:
    """PNG images of the pages (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "h.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", str(source), str(Path(folder) / "page")],
            check=True,
            timeout=60,
            capture_output=True,
        )
        return [p.read_bytes() for p in sorted(Path(folder).glob("page*.png"))]


c1, c2 = st.columns(2)
paper = c1.segmented_control("Paper", ["A4", "US Letter"], default="A4", key="handout_paper")
large = c2.toggle("Large print (16 pt)", key="handout_large")
options = HandoutOptions(page_size="Letter" if paper == "US Letter" else "A4", large_print=large)

one, batch = st.tabs(["One patient", "A clinic day (several patients)"])
with one:
    episode_id = session.current_episode_id()
    query = st.text_input("Find a patient", key="handout_query", placeholder="Name or clinic ID")
    if query:
        found = records.find_patients(db, me, query, limit=20)
        names = {
            int(r["patient_id"]): f"{r['given_name']} {r['family_name']} ({r['clinic_id']})"
            for r in found.to_dict("records")
        }
        patient_id = st.selectbox(
            "Patient", list(names), format_func=names.__getitem__, index=None, key="handout_patient"
        )
        if patient_id:
            episodes = [e for e in records.patient_episodes(db, me, patient_id) if e["status"] == "open"]
            if not episodes:
                st.info("This patient has no open episode.")
            for ep in episodes:
                if st.button(labels.episode_title(ep), key=f"handout_pick_{ep['episode_id']}"):
                    session.choose_episode(ep["episode_id"])
                    st.rerun()
    if episode_id is None:
        st.info("Choose a patient above, or open a case and use its Print handout button.")
    else:
        picked: int = episode_id
        ep = session.existing_episode(lambda: records.episode(db, me, picked), picked)
        st.markdown(f"**{labels.md(labels.patient_name(ep))}** · {labels.episode_title(ep)} · stage {ep['stage']}")
        try:
            built = handouts.build_for_episode(db, me, episode_id, options)
        except FontMissing as exc:
            st.error(str(exc))
            st.stop()
        for text in built.warnings:
            st.warning(text)
        if st.button("Issue handout", type="primary", icon=":material/print:"):
            ok, issued = session.attempt("handout", handouts.issue, db, me, episode_id, options)
            if ok:
                st.session_state["handout_issued"] = (episode_id, issued.data, issued.sha256)
        session.show_summary("handout")
        session.show_problem("handout", "clinic_phone")
        got = st.session_state.get("handout_issued")
        if got and got[0] == episode_id:
            st.success(f"Issued and recorded (SHA-256 {got[2][:16]}...). Download it to print.")
            st.download_button(
                "Download the PDF",
                data=got[1],
                file_name=f"handout-episode-{episode_id}.pdf",
                mime="application/pdf",
                icon=":material/download:",
            )
        if shutil.which("pdftoppm"):
            images = preview_pages(built.data)
            cols = st.columns(min(3, len(images)))
            who = labels.patient_name(ep)
            for n, image in enumerate(images):
                cols[n % len(cols)].image(
                    image,
                    caption=f"Page {n + 1}",
                    width="stretch",
                    alt=f"Preview of page {n + 1} of {len(images)} of the handout for {who}",
                )
        else:
            st.caption("Preview needs poppler-utils (pdftoppm) on the server.")
        given = handouts.issued_for_episode(db, me, episode_id)
        if not given.empty:
            st.markdown("**Handouts given for this episode**")
            tables.show(
                given.assign(
                    issued_by_name=given["issued_by_name"].fillna(given["issued_by"]),
                    large_print=given["large_print"].map(labels.yes_no),
                    sha256=given["sha256"].str[:16] + "...",
                ),
                names={
                    "issued_at": "Issued at",
                    "issued_by_name": "Issued by",
                    "content_version": "Content version",
                    "page_size": "Paper",
                    "large_print": "Large print",
                    "sha256": "Fingerprint (SHA-256)",
                },
            )

with batch:
    handout_batch.render(db, me, options)
