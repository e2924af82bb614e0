"""Bulk loading of whole tables from data frames (the demo clinic). DuckDB's INSERT ... BY NAME matches
the frame's columns to the table's; the rest take their defaults."""

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
    "imaging_reports": ("INSERT INTO imaging_reports BY NAME SELECT * FROM bulk_frame", None),
    "red_flag_alerts": (
        "INSERT INTO red_flag_alerts BY NAME SELECT * FROM bulk_frame",
        "SELECT max(nextval('alert_id_seq')) FROM range(?)",
    ),
}


def load(cur, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` in one statement."""
    insert, advance = _LOADS[table]
    cur.register("bulk_frame", frame)
    try:
        cur.execute(insert).fetchall()
    finally:
        cur.unregister("bulk_frame")
    if advance:
        cur.execute(advance, [len(frame)]).fetchall()
