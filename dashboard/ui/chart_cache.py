"""Chart specs are rebuilt only when the data changes: charts.py builds Altair charts (pure), and their
Vega-Lite specs are cached per database write generation. A page re-run after a click costs nothing here."""
from __future__ import annotations

from typing import Callable, Hashable

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from ..storage.db import Database


@st.cache_data(max_entries=256, show_spinner=False)
def _specs(db_path: str, generation: int, name: str, key: Hashable, _build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    specs = [chart.to_dict(validate=False) for chart in _build()]
    for spec in specs:  # datasets as Arrow bytes once, rather than rebuilt from records on every run
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(rows))
                            for name, rows in spec.get("datasets", {}).items()}
    return specs


def specs(db: Database, name: str, key: Hashable, build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    """Vega-Lite specs of ``build()``'s charts; ``key`` must name everything the charts depend on
    besides the database contents."""
    return _specs(str(db.path), db.generation, name, key, build)
