"""Chart specs are rebuilt only when the data they show changes: charts.py builds Altair charts (pure), and
their Vega-Lite specs are cached by a digest of the frames they are drawn from. A re-run after a click, or
after another user's write that does not touch what the chart shows, costs a hash of a few hundred rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st


def _arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A table as Arrow IPC stream bytes, the form st.vega_lite_chart accepts for a named dataset as is."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def digest(frames: Sequence[pd.DataFrame]) -> str:
    """What the frames hold (values, column names, row order), as a short text."""
    h = hashlib.blake2b(digest_size=16)
    for frame in frames:
        h.update(repr(list(frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


@st.cache_data(max_entries=256, show_spinner=False)
def _specs(data: str, name: str, key: Hashable, _build: Callable[[], list[alt.TopLevelMixin]]) -> list[dict]:
    specs = [chart.to_dict(validate=False) for chart in _build()]
    for spec in specs:  # datasets as Arrow bytes once, rather than rebuilt from records on every run
        spec["datasets"] = {name: _arrow_bytes(pd.DataFrame(rows)) for name, rows in spec.get("datasets", {}).items()}
    return specs


def specs(
    name: str, key: Hashable, data: Sequence[pd.DataFrame], build: Callable[[], list[alt.TopLevelMixin]]
) -> list[dict]:
    """Vega-Lite specs of ``build()``'s charts, drawn from ``data``; ``key`` must name everything else the charts
    depend on (the date, thresholds, options)."""
    return _specs(digest(data), name, key, build)


@st.cache_data(max_entries=64, show_spinner=False)
def _arrow_datasets(data: str, _frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    return {name: _arrow_bytes(frame) for name, frame in _frames.items()}


def with_data(
    name: str, key: Hashable, data: dict[str, pd.DataFrame], build: Callable[[], list[alt.TopLevelMixin]]
) -> list[dict]:
    """Specs of charts drawn from named datasets (``alt.NamedData``): the specs are built once per ``key`` and
    the rows of ``data`` are attached to them as Arrow, so new rows cost no rebuilding of the chart."""
    rows = _arrow_datasets(digest(list(data.values())) + repr(list(data)), data)
    return [
        {**spec, "datasets": {**spec.get("datasets", {}), **{n: rows[n] for n in _named(spec) if n in rows}}}
        for spec in _specs("", name, key, build)
    ]


def _named(spec: object) -> set[str]:
    """The named datasets a spec draws from (each chart is sent only the rows it uses)."""
    if isinstance(spec, dict):
        data = spec.get("data")
        found = {data["name"]} if isinstance(data, dict) and isinstance(data.get("name"), str) else set()
        return found.union(*(_named(value) for key, value in spec.items() if key != "datasets"))
    if isinstance(spec, list):
        return set().union(*(_named(value) for value in spec))
    return set()
