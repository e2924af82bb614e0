"""The audit trail: append-only. There is no function here, or anywhere, that updates or deletes it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd

from .db import Database, utc_now
from .dialect import Dialect


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(
        value,
        default=lambda v: v.isoformat() if isinstance(v, (date, datetime)) else str(v),
        ensure_ascii=False,
        sort_keys=True,
    )


def append(
    cur, username: str, action: str, entity: str, entity_id: Any, before: dict | None = None, after: dict | None = None
) -> None:
    """Record one write inside the caller's transaction, so the change and its record land together."""
    cur.execute(
        "INSERT INTO audit_log (occurred_at, username, action, entity, entity_id, before_json, after_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            utc_now(),
            username,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            _json(before),
            _json(after),
        ],
    )


def search(
    db: Database,
    *,
    username: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("username", username), ("entity", entity), ("action", action)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("occurred_at >= ?")
        params.append(datetime.combine(since, datetime.min.time()))
    if until:
        where.append("occurred_at < ? + INTERVAL '1 day'")
        params.append(datetime.combine(until, datetime.min.time()))
    sql = (
        "SELECT a.audit_id, a.occurred_at, a.username, a.action, a.entity, a.entity_id, a.before_json, a.after_json,"
        "       who.display_name AS who_name, target.display_name AS target_name,"
        "       p.given_name, p.family_name, p.clinic_id"
        " FROM (SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + ""
        "       ORDER BY audit_id DESC LIMIT ?) a" + _names(db.dialect) + " ORDER BY a.audit_id DESC"
    )
    return db.frame(sql, params + [limit])


# Who did it (by name), whom it was done to (an account), and whose record it touched (the patient, reached
# through the episode of whatever record the entry is about).
# the entry's record number as a number (a join key); entity_id is text. The SQL differs per engine, so the
# joins are built per dialect (_names).
_OF_EPISODE = {  # entity -> (table, key) of records that belong to an episode
    "assessment": ("assessments", "assessment_id"),
    "imaging": ("imaging_reports", "imaging_id"),
    "treatment": ("treatments", "treatment_id"),
    "red_flag_alert": ("red_flag_alerts", "alert_id"),
    "handout": ("handouts_issued", "handout_id"),
    "prescription": ("prescriptions", "prescription_id"),
    "suggestion": ("suggestion_decisions", "decision_id"),
}


def _names(dialect: Dialect) -> str:
    at = dialect.try_int("a.entity_id")
    return (
        " LEFT JOIN users who ON who.username = a.username"
        f" LEFT JOIN users target ON a.entity = 'user' AND target.user_id = {at}"
        + "".join(
            f" LEFT JOIN {table} x{n} ON a.entity = '{entity}' AND x{n}.{key} = {at}"
            for n, (entity, (table, key)) in enumerate(_OF_EPISODE.items())
        )
        + f" LEFT JOIN episodes e ON e.episode_id = coalesce(CASE WHEN a.entity = 'episode' THEN {at} END, "
        + ", ".join(f"x{n}.episode_id" for n in range(len(_OF_EPISODE)))
        + f") LEFT JOIN patients p ON p.patient_id = coalesce(CASE WHEN a.entity = 'patient' THEN {at} END,"
        " e.patient_id)"
    )


def distinct_values(db: Database, column: str) -> list[str]:
    if column not in {"username", "entity", "action"}:
        raise ValueError(column)
    return [r[column] for r in db.rows(f"SELECT DISTINCT {column} FROM audit_log ORDER BY 1")]
