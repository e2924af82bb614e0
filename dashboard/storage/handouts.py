"""SQL for the record of issued handouts."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from .db import Database


def insert_issue(
    cur,
    episode_id: int,
    at: datetime,
    on: date,
    by: str,
    version: str,
    page_size: str,
    large_print: bool,
    sha256: str,
    path: str,
) -> int:
    return cur.execute(
        "INSERT INTO handouts_issued (episode_id, issued_at, issued_on, issued_by, content_version, page_size,"
        " large_print, sha256, archive_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING handout_id",
        [episode_id, at, on, by, version, page_size, large_print, sha256, path],
    ).fetchone()[0]


def issued_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT h.*, u.display_name AS issued_by_name FROM handouts_issued h"
        " LEFT JOIN users u ON u.username = h.issued_by"
        " WHERE h.episode_id = ? ORDER BY h.issued_at DESC",
        [episode_id],
    )


def episodes_seen_on(db: Database, day: date) -> list[int]:
    return [
        r["episode_id"]
        for r in db.rows(
            "SELECT DISTINCT a.episode_id FROM assessments a JOIN episodes e USING (episode_id)"
            " WHERE a.assessed_on = ? AND e.status = 'open' ORDER BY 1",
            [day],
        )
    ]


def describe_episodes(db: Database, episode_ids: list[int]) -> pd.DataFrame:
    """Who and what each episode is (patient's name and clinic ID, side, region, opened, status)."""
    return db.frame(
        "SELECT e.episode_id, p.given_name, p.family_name, p.clinic_id, e.side, e.region, e.opened_on, e.status"
        " FROM episodes e JOIN patients p USING (patient_id) WHERE " + db.dialect.member("e.episode_id") + ""
        " ORDER BY p.family_name, p.given_name, e.opened_on",
        [list(episode_ids)],
    )


def episode_statuses(db: Database, episode_ids: list[int]) -> dict[int, str]:
    """episode_id -> status for those of ``episode_ids`` that exist."""
    if not episode_ids:
        return {}
    rows = db.rows(
        "SELECT episode_id, status FROM episodes WHERE " + db.dialect.member("episode_id"), [list(episode_ids)]
    )
    return {r["episode_id"]: r["status"] for r in rows}


def open_episode_ids(db: Database) -> list[int]:
    return [r["episode_id"] for r in db.rows("SELECT episode_id FROM episodes WHERE status = 'open' ORDER BY 1")]


def archive_paths_for_patient(cur, patient_id: int) -> list[str]:
    return [
        r[0]
        for r in cur.execute(
            "SELECT h.archive_path FROM handouts_issued h JOIN episodes e USING (episode_id) WHERE e.patient_id = ?",
            [patient_id],
        ).fetchall()
    ]
