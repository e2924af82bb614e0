"""The caseload's figures and its work list: what needs doing first, one row per episode, each with why in
words and colour (never colour alone), its flags in full, and the patient's name as a link that opens the
case (a real link: mouse, Tab and Enter). The table of every column stays one choice away."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..services.caseload import PRIORITY_WORDS, Caseload
from . import labels, links, tables

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
FIGURES = [  # key in Caseload.figures, words, the flag or tier a click filters to
    ("red_flag", "Red flags", "red_flag", None),
    ("review_overdue", "Overdue", "review_overdue", None),
    ("stalled", "Stalled", "stalled", None),
    ("tier:conservative", "Conservative", None, "conservative"),
    ("tier:adjunct", "Adjunct", None, "adjunct"),
    ("tier:regenerative", "Regenerative", None, "regenerative"),
]
WIDTHS: list = [140, "stretch", 104, 104]  # pixels; the flags take what is left


def figures(result: Caseload, on_click: Callable[[str | None, str | None], None], *, yours: bool) -> None:
    """The clinic figures as buttons that filter the list; they wrap onto a second line rather than cut."""
    st.caption(("Your open episodes" if yours else "Open episodes") + ": choose a figure to list them.")
    row = st.container(horizontal=True, gap="small", vertical_alignment="center", key="figures")
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
    """One row per episode, in the order given (most urgent first in the "Priority" sort). A row is one
    horizontal container of four cells (the middle one takes the room left, its text wrapping), each cell one
    element with a second line in small print: 20 rows stay light to draw."""
    head = st.container(horizontal=True, gap="small", key="clhead")
    for title, width in zip(("Patient", "Why first", "Tier", "Next review"), WIDTHS, strict=True):
        head.markdown(f"**{title}**", width=width)
    for row in rows.to_dict("records"):
        episode_id = int(row["episode_id"])
        cells = st.container(
            border=True,
            horizontal=True,
            gap="small",
            wrap=False,
            vertical_alignment="center",
            key=f"clrow_{episode_id}",
        )
        cells.page_link(
            links.target("case"),
            label=labels.md(row["Patient"]),
            icon=":material/folder_open:",
            query_params={"episode": str(episode_id)},
            width=WIDTHS[0],
        )
        colour, icon = LOOK[row["Why first"]]
        flags = labels.md(row["Flags"] or "No flags")
        cells.markdown(f":{colour}-badge[{icon} {row['Why first']}]  \n:small[{flags}]", width=WIDTHS[1])
        weeks = int(row["Weeks in tier"]) if pd.notna(row["Weeks in tier"]) else 0
        stage = f"Stage {row['Stage']} · {weeks} week{'s' * (weeks != 1)} in tier"
        cells.markdown(f"{row['Tier']}  \n:small[{stage}]", width=WIDTHS[2])
        seen = f"Seen {_day(row['Last seen'])}" if pd.notna(row["Last seen"]) else "Not seen yet"
        who = f" · {labels.md(row['Clinician'])}" if whole_clinic else ""
        cells.markdown(f"{_day(row['Next review'])}  \n:small[{seen}{who}]", width=WIDTHS[3])


def _day(value) -> str:
    return "-" if pd.isna(value) else f"{pd.Timestamp(value):%-d %b %Y}"


def table(rows: pd.DataFrame):
    """Every column, for scanning many rows at once (up to MAX_ROWS: plain cells, no per-cell styling)."""
    config = tables.column_config(rows, hide=("episode_id",))
    config["Flags"] = st.column_config.TextColumn("Flags", width="large")
    config["Patient"] = st.column_config.TextColumn("Patient", pinned=True)
    return st.dataframe(
        rows,
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
