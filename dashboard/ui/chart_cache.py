"""Chart specs are rebuilt only when the data changes: charts.py builds Altair charts (pure), and their
Vega-Lite specs are cached per database write generation. A page re-run after a click costs nothing here."""
from __future__ import annotations

from typing import Callable, Hashable

import altair as alt
import streamlit as st

from ..storage.db import Database


@st.cache_data(max_entries=256, show_spinner=False)
def _specs(db_path: str, generation: int, name: str, key: Hashable, _build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    return [chart.to_dict(validate=False) for chart in _build()]


def specs(db: Database, name: str, key: Hashable, build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    """Vega-Lite specs of ``build()``'s charts; ``key`` must name everything the charts depend on
    besides the database contents."""
    return _specs(str(db.path), db.generation, name, key, build)
