"""Showing frames as tables: human column names, dates as dates, times as times, "-" for nothing, internal ids
hidden."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


def column_config(frame: pd.DataFrame, hide: tuple[str, ...] = (), wide: tuple[str, ...] = ()) -> dict:
    config: dict[Any, Any] = {}  # column label -> column config (None hides the column)
    for name in frame.columns:
        if name in hide:
            config[name] = None
        elif name in wide:  # long text: a wide column (the rest of it in the cell's tooltip)
            config[name] = st.column_config.TextColumn(width="large")
        elif pd.api.types.is_datetime64_any_dtype(frame[name]):
            is_time = str(name).endswith("_at") or str(name).lower().endswith((" at", "(utc)"))
            config[name] = (
                st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
                if is_time
                else st.column_config.DateColumn(format="YYYY-MM-DD")
            )
    return config


def show(
    frame: pd.DataFrame,
    *,
    names: dict[str, str] | None = None,
    key: str | None = None,
    selectable: bool = False,
    hide: tuple[str, ...] = (),
    height="auto",
    alt: str | None = None,
    wide: tuple[str, ...] = (),
):
    """st.dataframe with sensible column formats and no "None" in empty cells; ``names`` picks the columns to
    show and gives each its human name (code -> words). Returns the selection event when ``selectable``."""
    if names:
        frame = frame[list(names)].rename(columns=names)
    kwargs = dict(
        hide_index=True,
        width="stretch",
        column_config=column_config(frame, hide, wide),
        height=height,
        placeholder="-",
        alt=alt,
    )
    if selectable:
        return st.dataframe(frame, key=key, on_select="rerun", selection_mode="single-row", **kwargs)
    return st.dataframe(frame, key=key, **kwargs)
