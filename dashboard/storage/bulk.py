"""Bulk loading from data frames: whole tables (the demo clinic) and patient imports. The frame's columns are
matched to the table's by name (the dialect's ``bulk_load``: DuckDB INSERT ... BY NAME, PostgreSQL COPY); the
rest take their defaults (ids from their sequences)."""

from __future__ import annotations

import pandas as pd

from .dialect import dialect_of

# table -> the id sequence to move past ids given explicitly, or None
_LOADS = {
    "users": "user_id_seq",
    "patients": "patient_id_seq",
    "episodes": "episode_id_seq",
    "assessments": "assessment_id_seq",
    "tier_changes": None,
    "stage_changes": None,
    "suggestion_decisions": "decision_id_seq",
    "treatments": "treatment_id_seq",
    "imaging_reports": "imaging_id_seq",
    "red_flag_alerts": "alert_id_seq",
    "alert_reviews": None,
}


def load(cur, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` in one statement."""
    advance = _LOADS[table]
    if frame.empty:
        return
    dialect = dialect_of(cur)
    dialect.bulk_load(cur, table, frame)
    if advance:
        dialect.advance_sequence(cur, advance, len(frame))


def next_ids(cur, sequence: str, count: int) -> list[int]:
    """``count`` new ids from ``sequence`` (a sequence hands out each value once, whatever the transaction)."""
    if sequence not in {"patient_id_seq", "episode_id_seq"}:
        raise ValueError(sequence)
    return dialect_of(cur).next_ids(cur, sequence, count)


_APPENDABLE = {"patients", "episodes", "tier_changes", "stage_changes"}


def append(cur, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` in one statement (columns matched by name)."""
    if table not in _APPENDABLE:
        raise ValueError(table)
    if frame.empty:
        return
    dialect_of(cur).bulk_load(cur, table, frame)
