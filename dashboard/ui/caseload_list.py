"""The caseload's figures and its work list: what needs doing first, one row per episode, each with why in
words and colour (never colour alone), its flags in full, and the patient's name as a link that opens the
case (a real link: mouse, Tab and Enter). The table of every column stays one choice away."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..services.caseload import PRIORITY_WORDS, Caseload
from . import labels, tables

ROWS = 20  # rows of the list per page: the first of them above the fold at 1024 x 768
# Why first -> badge colour and icon (the words say it; colour and shape only repeat it)
LOOK = dict(
    zip(
        PRIORITY_WORDS,
        (
            ("red", ":material/emergency:"),
            ("orange", ":material/event_busy:"),
            ("blue", ":material/event:"),
            ("violet", ":material/trending_flat:"),
            ("primary", ":material/stairs:"),
            ("gray", ":material/check:"),
        ),
        strict=True,
    )
)
# The same colours as cell backgrounds in the table, with dark text (7:1 or more against each background).
CELL = dict(
    zip(
        PRIORITY_WORDS,
        ("#ffd9d9", "#ffe2c4", "#dbe9ff", "#eadcff", "#d6eef5", "#f0f0f0"),
        strict=True,
    )
)
FIGURES = [  # key in Caseload.figures, words, the flag or tier a click filters to
    ("red_flag", "Red flags", "red_flag", None),
    ("review_overdue", "Overdue", "review_overdue", None),
    ("stalled", "Stalled", "stalled", None),
    ("tier:conservative", "Conservative", None, "conservative"),
    ("tier:adjunct", "Adjunct", None, "adjunct"),
    ("tier:regenerative", "Regenerative", None, "regenerative"),
]
WIDTHS = [2.4, 3.6, 2.0, 2.0]


def figures(result: Caseload, on_click: Callable[[str | None, str | None], None], *, yours: bool) -> None:
    """The clinic figures as buttons that filter the list; they wrap onto a second line rather than cut."""
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    row.markdown("Your open episodes:" if yours else "Open episodes:", width="content")
    for key, words, flag, tier in FIGURES:
        count = result.figures[key]
        row.button(
            f"{words} **{count:,}**",
            key=f"fig_{key}",
            type="primary" if key == "red_flag" and count else "secondary",
            on_click=on_click,
            args=(flag, tier),
        )


def work_list(rows: pd.DataFrame, *, whole_clinic: bool) -> None:
    """One row per episode, in the order given (most urgent first in the "Priority" sort)."""
    head = st.columns(WIDTHS, gap="small")
    for column, title in zip(head, ("Patient", "Why first, and every flag", "Tier", "Next review"), strict=True):
        column.markdown(f"**{title}**")
    for row in rows.to_dict("records"):
        episode_id = int(row["episode_id"])
        with st.container(border=True, gap=None, key=f"clrow_{episode_id}"):
            cells = st.columns(WIDTHS, gap="small", vertical_alignment="center")
            cells[0].page_link(
                "pages/case.py",
                label=labels.md(row["Patient"]),
                icon=":material/folder_open:",
                query_params={"episode": str(episode_id)},
                width="stretch",
            )
            colour, icon = LOOK[row["Why first"]]
            cells[1].badge(row["Why first"], color=colour, icon=icon)  # type: ignore[arg-type]
            cells[1].caption(labels.md(row["Flags"] or "No flags"))
            cells[2].markdown(row["Tier"])
            weeks = int(row["Weeks in tier"]) if pd.notna(row["Weeks in tier"]) else 0
            cells[2].caption(f"Stage {row['Stage']} · {weeks} week{'s' * (weeks != 1)} in tier")
            cells[3].markdown(_day(row["Next review"]))
            seen = f"Seen {_day(row['Last seen'])}" if pd.notna(row["Last seen"]) else "Not seen yet"
            cells[3].caption(seen + (f" · {labels.md(row['Clinician'])}" if whole_clinic else ""))


def _day(value) -> str:
    return "-" if pd.isna(value) else f"{pd.Timestamp(value):%-d %b %Y}"


def table(rows: pd.DataFrame):
    """Every column, for scanning many rows at once; the "Why first" cells coloured as in the list."""
    styled = rows.style.map(lambda v: f"background-color: {CELL[v]}; color: #111111", subset=["Why first"])
    config = tables.column_config(rows, hide=("episode_id",))
    config["Flags"] = st.column_config.TextColumn("Flags", width="large")
    config["Patient"] = st.column_config.TextColumn("Patient", pinned=True)
    return st.dataframe(
        styled,
        key="caseload_table",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        height=520,
        column_config=config,
        placeholder="-",
        alt="Caseload: one row per episode",
    )
