"""Bulk loading from data frames: whole tables (the demo clinic) and patient imports. DuckDB's
INSERT ... BY NAME matches the frame's columns to the table's; the rest take their defaults (ids from their
sequences)."""

from __future__ import annotations

import pandas as pd

# table: (statement, the id sequence to move past ids given explicitly, or None)
_LOADS = {
    "users": ("INSERT INTO users BY NAME SELECT * FROM bulk_frame", "SELECT max(nextval('user_id_seq')) FROM range(?)"),
    "patients": (
        "INSERT INTO patients BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('patient_id_seq')) FROM range(?)",
    ),
    "episodes": (
        "INSERT INTO episodes BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('episode_id_seq')) FROM range(?)",
    ),
    "assessments": (
        "INSERT INTO assessments BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('assessment_id_seq')) FROM range(?)",
    ),
    "tier_changes": ("INSERT INTO tier_changes BY NAME SELECT * FROM bulk_frame", None),
    "stage_changes": ("INSERT INTO stage_changes BY NAME SELECT * FROM bulk_frame", None),
    "suggestion_decisions": (
        "INSERT INTO suggestion_decisions BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('decision_id_seq')) FROM range(?)",
    ),
    "treatments": (
        "INSERT INTO treatments BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('treatment_id_seq')) FROM range(?)",
    ),
    "imaging_reports": (
        "INSERT INTO imaging_reports BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('imaging_id_seq')) FROM range(?)",
    ),
    "red_flag_alerts": (
        "INSERT INTO red_flag_alerts BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('alert_id_seq')) FROM range(?)",
    ),
    "alert_reviews": ("INSERT INTO alert_reviews BY NAME SELECT * FROM bulk_frame", None),
}


def load(cur, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` in one statement."""
    insert, advance = _LOADS[table]
    if frame.empty:
        return
    cur.register("bulk_frame", frame)
    try:
        cur.execute(insert).fetchall()
    finally:
        cur.unregister("bulk_frame")
    if advance:
        cur.execute(advance, [len(frame)]).fetchall()


def next_ids(cur, sequence: str, count: int) -> list[int]:
    """``count`` new ids from ``sequence`` (a sequence hands out each value once, whatever the transaction)."""
    if sequence not in {"patient_id_seq", "episode_id_seq"}:
        raise ValueError(sequence)
    return sorted(r[0] for r in cur.execute(f"SELECT nextval('{sequence}') FROM range(?)", [count]).fetchall())


_APPENDABLE = {"patients", "episodes", "tier_changes", "stage_changes"}


def append(cur, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` in one statement (columns matched by name)."""
    if table not in _APPENDABLE:
        raise ValueError(table)
    if frame.empty:
        return
    cur.register("append_frame", frame)
    try:
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM append_frame").fetchall()
    finally:
        cur.unregister("append_frame")
