"""The audit trail as a list people read: one entry per line (when, who, what, whose record), the change
under it in full; 50 at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import labels

ROWS = 50


def render(frame: pd.DataFrame, *, key: str) -> None:
    """``frame``: admin.audit_trail's entries (When (UTC), Who, What, Patient, Details), newest first."""
    offset = min(int(st.session_state.get(key, 0)), max(0, len(frame) - 1))
    window = frame.iloc[offset : offset + ROWS]
    with st.container(border=True, gap=None, key="audit_entries"):
        for row in window.to_dict("records"):
            when = pd.Timestamp(row["When (UTC)"])
            line = f"**{when:%-d %b %Y %H:%M}** · {labels.md(row['Who'])} · {labels.md(row['What'])}"
            if row["Patient"]:
                line += f" · {labels.md(row['Patient'])}"
            st.markdown(line)
            if row["Details"]:
                st.caption(labels.md(row["Details"]))
    pager = st.container(horizontal=True, gap="small", vertical_alignment="center")
    pager.caption(f"Entries {offset + 1:,}-{offset + len(window):,} of {len(frame):,}, newest first. Times are UTC.")
    if offset > 0 and pager.button("Newer entries", icon=":material/chevron_left:", key=key + "_newer"):
        st.session_state[key] = max(0, offset - ROWS)
        st.rerun()
    older = offset + ROWS < len(frame)
    if older and pager.button("Older entries", icon=":material/chevron_right:", key=key + "_older"):
        st.session_state[key] = offset + ROWS
        st.rerun()
