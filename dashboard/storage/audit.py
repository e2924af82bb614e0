"""The audit trail: append-only. There is no function here, or anywhere, that updates or deletes it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd

from .db import Database, utc_now


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
        where.append("occurred_at < ? + INTERVAL 1 DAY")
        params.append(datetime.combine(until, datetime.min.time()))
    sql = (
        "SELECT audit_id, occurred_at, username, action, entity, entity_id, before_json, after_json"
        " FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY audit_id DESC LIMIT ?"
    )
    return db.frame(sql, params + [limit])


def distinct_values(db: Database, column: str) -> list[str]:
    if column not in {"username", "entity", "action"}:
        raise ValueError(column)
    return [r[column] for r in db.rows(f"SELECT DISTINCT {column} FROM audit_log ORDER BY 1")]
