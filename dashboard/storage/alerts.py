"""SQL for red-flag alerts (CLINICAL.md §6): raised on an episode, reviewed at later visits, resolved by a
clinician. Rows are never deleted; resolving one fills its resolution columns once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from .db import Database


def insert_alert(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    return cur.execute(
        "INSERT INTO red_flag_alerts (episode_id, kind, detail, source, source_id, raised_on, injury_on,"
        " raised_at, raised_by, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING alert_id",
        [
            values["episode_id"],
            values["kind"],
            values.get("detail"),
            values["source"],
            values.get("source_id"),
            values["raised_on"],
            values.get("injury_on"),
            at,
            by,
        ],
    ).fetchone()[0]


def open_alerts_cur(cur, episode_id: int) -> list[dict[str, Any]]:
    result = cur.execute(
        "SELECT * FROM red_flag_alerts WHERE episode_id = ? AND status = 'open' ORDER BY raised_on, alert_id",
        [episode_id],
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def alert_row(cur, alert_id: int) -> dict[str, Any] | None:
    result = cur.execute("SELECT * FROM red_flag_alerts WHERE alert_id = ?", [alert_id])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def resolve_alert(cur, alert_id: int, values: dict[str, Any], expected_version: int, at: datetime, by: str) -> bool:
    """Resolve an open alert if nobody changed it since it was read. True when it landed."""
    count = cur.execute(
        "UPDATE red_flag_alerts SET status = 'resolved', resolution = ?, referred_to = ?, referral_urgency = ?,"
        " referral_sent_on = ?, resolution_note = ?, resolved_at = ?, resolved_by = ?, version = version + 1"
        " WHERE alert_id = ? AND version = ? AND status = 'open'",
        [
            values["resolution"],
            values.get("referred_to"),
            values.get("referral_urgency"),
            values.get("referral_sent_on"),
            values.get("resolution_note"),
            at,
            by,
            alert_id,
            expected_version,
        ],
    ).fetchone()[0]
    return count == 1


def insert_review(cur, alert_id: int, assessment_id: int, answer: str, at: datetime, by: str) -> None:
    cur.execute(
        "INSERT INTO alert_reviews (alert_id, assessment_id, answer, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)",
        [alert_id, assessment_id, answer, at, by],
    )


def alerts_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    """Every alert of the episode, open ones first, with its latest review at a visit."""
    return db.frame(
        "SELECT r.*, v.answer AS last_answer, v.assessed_on AS last_reviewed_on, u.display_name AS resolved_by_name"
        " FROM red_flag_alerts r LEFT JOIN users u ON u.username = r.resolved_by"
        " LEFT JOIN (SELECT w.alert_id, w.answer, a.assessed_on,"
        "                   row_number() OVER (PARTITION BY w.alert_id ORDER BY a.assessed_on DESC,"
        "                                      w.assessment_id DESC) AS n"
        "            FROM alert_reviews w JOIN assessments a ON a.assessment_id = w.assessment_id) v"
        "   ON v.alert_id = r.alert_id AND v.n = 1"
        " WHERE r.episode_id = ? ORDER BY r.status = 'resolved', r.raised_on DESC, r.alert_id DESC",
        [episode_id],
    )


def open_alerts(db: Database, episode_id: int) -> list[dict[str, Any]]:
    return db.rows(
        "SELECT * FROM red_flag_alerts WHERE episode_id = ? AND status = 'open' ORDER BY raised_on, alert_id",
        [episode_id],
    )


def reviews_for_assessment(db: Database, assessment_id: int) -> list[dict[str, Any]]:
    return db.rows(
        "SELECT w.*, r.kind FROM alert_reviews w JOIN red_flag_alerts r USING (alert_id) WHERE w.assessment_id = ?",
        [assessment_id],
    )


def first_raised(cur, episode_id: int, kind: str) -> date | None:
    return cur.execute(
        "SELECT min(raised_on) FROM red_flag_alerts WHERE episode_id = ? AND kind = ? AND status = 'open'",
        [episode_id, kind],
    ).fetchone()[0]
