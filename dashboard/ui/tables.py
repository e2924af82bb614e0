"""Showing frames as tables: dates as dates, times as times, internal ids hidden."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


def column_config(frame: pd.DataFrame, hide: tuple[str, ...] = ()) -> dict:
    config: dict[Any, Any] = {}  # column label -> column config (None hides the column)
    for name in frame.columns:
        if name in hide:
            config[name] = None
        elif pd.api.types.is_datetime64_any_dtype(frame[name]):
            is_time = str(name).endswith("_at") or str(name).lower().endswith(" at")
            config[name] = (
                st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
                if is_time
                else st.column_config.DateColumn(format="YYYY-MM-DD")
            )
    return config


def show(
    frame: pd.DataFrame, *, key: str | None = None, selectable: bool = False, hide: tuple[str, ...] = (), height="auto"
):
    """st.dataframe with sensible column formats; returns the selection event when ``selectable``."""
    kwargs = dict(hide_index=True, width="stretch", column_config=column_config(frame, hide), height=height)
    if selectable:
        return st.dataframe(frame, key=key, on_select="rerun", selection_mode="single-row", **kwargs)
    return st.dataframe(frame, key=key, **kwargs)
