"""A list of patients (the Patients page's search results): each name a link that opens the patient (a real
link: mouse, Tab and Enter), with the clinic ID, date of birth and episodes; 25 at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import labels, links

ROWS = 25
WIDTHS: list = ["stretch", 130, 120, 110]  # pixels; the name takes what is left


def render(found: pd.DataFrame, *, key: str) -> None:
    offset = min(int(st.session_state.get(key, 0)), max(0, len(found) - 1))
    window = found.iloc[offset : offset + ROWS]
    head = st.container(horizontal=True, gap="small")
    for title, width in zip(("Patient", "Clinic ID", "Date of birth", "Episodes"), WIDTHS, strict=True):
        head.markdown(f"**{title}**", width=width)
    for row in window.to_dict("records"):
        patient_id = int(row["patient_id"])
        cells = st.container(
            border=True,
            horizontal=True,
            gap="small",
            wrap=False,
            vertical_alignment="center",
            key=f"ptrow_{patient_id}",
        )
        cells.page_link(
            links.target("patient"),
            label=labels.md(labels.patient_name(row)),
            icon=":material/person:",
            query_params={"patient": str(patient_id)},
            width=WIDTHS[0],
        )
        cells.markdown(labels.md(row["clinic_id"]), width=WIDTHS[1])
        born = row["date_of_birth"]
        cells.markdown("-" if pd.isna(born) else f"{pd.Timestamp(born):%-d %b %Y}", width=WIDTHS[2])
        cells.markdown(f"{int(row['open_episodes'])} open of {int(row['episodes'])}", width=WIDTHS[3])
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
