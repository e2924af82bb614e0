"""A list of patients (the Patients page's search results): each name a link that opens the patient (a real
link: mouse, Tab and Enter), with the clinic ID, date of birth and episodes; 25 at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import labels

ROWS = 25
WIDTHS = [3.0, 2.0, 2.0, 2.2]


def render(found: pd.DataFrame, *, key: str) -> None:
    offset = min(int(st.session_state.get(key, 0)), max(0, len(found) - 1))
    window = found.iloc[offset : offset + ROWS]
    head = st.columns(WIDTHS, gap="small")
    for column, title in zip(head, ("Patient", "Clinic ID", "Date of birth", "Episodes"), strict=True):
        column.markdown(f"**{title}**")
    for row in window.to_dict("records"):
        patient_id = int(row["patient_id"])
        with st.container(border=True, gap=None, key=f"ptrow_{patient_id}"):
            cells = st.columns(WIDTHS, gap="small", vertical_alignment="center")
            cells[0].page_link(
                "pages/patient.py",
                label=labels.md(labels.patient_name(row)),
                icon=":material/person:",
                query_params={"patient": str(patient_id)},
                width="stretch",
            )
            cells[1].text(row["clinic_id"])
            born = row["date_of_birth"]
            cells[2].markdown("-" if pd.isna(born) else f"{pd.Timestamp(born):%-d %b %Y}")
            cells[3].markdown(f"{int(row['open_episodes'])} open of {int(row['episodes'])}")
    if len(found) > ROWS:
        pager = st.container(horizontal=True, gap="small", vertical_alignment="center")
        pager.caption(f"Patients {offset + 1}-{offset + len(window)} of {len(found)}.")
        if offset > 0 and pager.button("Previous patients", icon=":material/chevron_left:", key=key + "_prev"):
            st.session_state[key] = max(0, offset - ROWS)
            st.rerun()
        more = offset + ROWS < len(found)
        if more and pager.button("Next patients", icon=":material/chevron_right:", key=key + "_next"):
            st.session_state[key] = offset + ROWS
            st.rerun()
