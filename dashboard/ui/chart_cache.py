"""Chart specs are rebuilt only when the data changes: charts.py builds Altair charts (pure), and their
Vega-Lite specs are cached per database write generation. A page re-run after a click costs nothing here."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from ..storage.db import Database


def _arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A table as Arrow IPC stream bytes, the form st.vega_lite_chart accepts for a named dataset as is."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@st.cache_data(max_entries=256, show_spinner=False)
def _specs(
    db_path: str, generation: int, name: str, key: Hashable, _build: Callable[[], list[alt.TopLevelMixin]]
) -> list[dict]:
    specs = [chart.to_dict(validate=False) for chart in _build()]
    for spec in specs:  # datasets as Arrow bytes once, rather than rebuilt from records on every run
        spec["datasets"] = {name: _arrow_bytes(pd.DataFrame(rows)) for name, rows in spec.get("datasets", {}).items()}
    return specs


def specs(db: Database, name: str, key: Hashable, build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    """Vega-Lite specs of ``build()``'s charts; ``key`` must name everything the charts depend on
    besides the database contents."""
    return _specs(str(db.path), db.generation, name, key, build)
