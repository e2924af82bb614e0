"""SQL for treatments, prescriptions, rule thresholds and suggestion decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from .db import Database

TREATMENT_COLUMNS = (
    "episode_id",
    "kind",
    "given_on",
    "clinician_id",
    "shockwave_type",
    "impulses",
    "energy_flux",
    "session_number",
    "sessions_planned",
    "injection_type",
    "side",
    "image_guidance",  # the guidance actually used: ultrasound | landmark | none
    "notes",
    "agent",  # injections (005): agent, dose, who gave it, review date
    "dose",
    "given_by",
    "review_on",
    "screen_json",  # shockwave and injections: the safety screen (005)
    "override_reason",
)
ITEM_COLUMNS = ("exercise", "sets", "reps", "hold_seconds", "load_cue", "days_per_week")


def insert_treatment(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    columns = [c for c in TREATMENT_COLUMNS if c in values]
    sql = (
        f"INSERT INTO treatments ({', '.join(columns)}, created_at, created_by)"
        f" VALUES ({', '.join('?' for _ in columns)}, ?, ?) RETURNING treatment_id"
    )
    return cur.execute(sql, [values[c] for c in columns] + [at, by]).fetchone()[0]


def episode_treatments(cur, episode_id: int) -> list[dict[str, Any]]:
    """The episode's treatments inside a transaction (the safety screen reads the earlier ones)."""
    result = cur.execute(
        "SELECT treatment_id, kind, given_on, injection_type, side FROM treatments WHERE episode_id = ?"
        " ORDER BY given_on, treatment_id",
        [episode_id],
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def treatments_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    """Every column of the episode's treatments (agent, dose, given_by, review_on, screen_json and
    override_reason included), oldest first, with the recording clinician's name."""
    return db.frame(
        "SELECT t.*, u.display_name AS clinician_name FROM treatments t"
        " LEFT JOIN users u ON u.user_id = t.clinician_id"
        " WHERE t.episode_id = ? ORDER BY t.given_on, t.treatment_id",
        [episode_id],
    )


def insert_prescription(cur, episode_id: int, stage: int, items: list[dict[str, Any]], at: datetime, by: str) -> int:
    prescription_id = cur.execute(
        "INSERT INTO prescriptions (episode_id, stage, created_at, created_by) VALUES (?, ?, ?, ?)"
        " RETURNING prescription_id",
        [episode_id, stage, at, by],
    ).fetchone()[0]
    for position, item in enumerate(items, start=1):
        cur.execute(
            "INSERT INTO prescription_items (prescription_id, position, exercise, sets, reps, hold_seconds,"
            " load_cue, days_per_week) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [prescription_id, position] + [item.get(c) for c in ITEM_COLUMNS],
        )
    return prescription_id


def current_prescription(db: Database, episode_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    head = db.row(
        "SELECT * FROM prescriptions WHERE episode_id = ? ORDER BY prescription_id DESC LIMIT 1", [episode_id]
    )
    if head is None:
        return None, []
    items = db.rows(
        "SELECT * FROM prescription_items WHERE prescription_id = ? ORDER BY position", [head["prescription_id"]]
    )
    return head, items


def threshold_overrides(db: Database) -> dict[str, float]:
    return {
        r["threshold_key"]: r["threshold_value"]
        for r in db.rows("SELECT threshold_key, threshold_value FROM rule_thresholds")
    }


def threshold_overrides_in(cur) -> dict[str, float]:
    """The administrator's values, read inside the caller's transaction."""
    return {r[0]: r[1] for r in cur.execute("SELECT threshold_key, threshold_value FROM rule_thresholds").fetchall()}


def set_threshold(cur, key: str, value: float, at: datetime, by: str) -> float | None:
    before = cur.execute("SELECT threshold_value FROM rule_thresholds WHERE threshold_key = ?", [key]).fetchone()
    if before:
        cur.execute(
            "UPDATE rule_thresholds SET threshold_value = ?, updated_at = ?, updated_by = ? WHERE threshold_key = ?",
            [value, at, by, key],
        )
    else:
        cur.execute("INSERT INTO rule_thresholds VALUES (?, ?, ?, ?)", [key, value, at, by])
    return before[0] if before else None


def insert_decision(
    cur, episode_id: int, rule_id: str, decision: str, reason: str, clinician_id: int, at: datetime
) -> int:
    return cur.execute(
        "INSERT INTO suggestion_decisions (episode_id, rule_id, decision, reason, clinician_id, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING decision_id",
        [episode_id, rule_id, decision, reason, clinician_id, at],
    ).fetchone()[0]


def decisions_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT d.*, u.display_name AS clinician_name FROM suggestion_decisions d"
        " LEFT JOIN users u ON u.user_id = d.clinician_id"
        " WHERE d.episode_id = ? ORDER BY d.decided_at DESC, d.decision_id DESC",
        [episode_id],
    )
