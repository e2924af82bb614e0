"""All SQL for the clinic record: patients, episodes, assessments, imaging, tier and stage history.

Plain functions. Readers take the ``Database``; writers take the cursor of the caller's transaction so
that a service can make several writes (and their audit rows) atomic. Column names only ever come
from the fixed tuples below; every value is a parameter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from ..domain.model import DIFFERENTIAL_CODES, IMAGING_FINDINGS, PSFS_ITEMS, RED_FLAG_CODES, test_columns
from .db import Database
from .dialect import dialect_of

PATIENT_COLUMNS = ("clinic_id", "given_name", "family_name", "date_of_birth", "sex", "phone", "email")
EPISODE_COLUMNS = (
    "patient_id",
    "side",
    "region",
    "onset_type",
    "onset_date",
    "load_change",
    "sport",
    "severity",
    "post_operative",
    "surgery_date",
    "clinician_id",
    "referral_source",
    "status",
    "opened_on",
)
CLOSING_COLUMNS = ("status", "closed_on", "discharge_outcome", "referred_to", "closing_note")
ASSESSMENT_COLUMNS = (
    "episode_id",
    "assessed_on",
    "clinician_id",
    "pain_avg",
    "pain_worst",
    "pain_task",
    "pain_task_name",
    "sitting_minutes",
    "morning_stiffness",
    "next_morning",
    "aggravating",
    "previous_injury",
    "low_back_pain",
    "nirschl_phase",
    "visa_h_1",
    "visa_h_2",
    "visa_h_3",
    "visa_h_4",
    "visa_h_5",
    "visa_h_6",
    "visa_h_7",
    "visa_h_8",
    "visa_h_total",
    "phat_total",
    "groc",
    "palpation_left",
    "palpation_right",
    "distal_palpation",
    *test_columns(),
    *(f"psfs_{n}_{part}" for n in range(1, PSFS_ITEMS + 1) for part in ("activity", "score")),
    "postop_phase",
    "postop_brace",
    "postop_hip_flexion_limit",
    "postop_loaded_flexion_week",
    "postop_restrictions",
    "pain_exercise",
    "bridge_reps_left",
    "bridge_reps_right",
    "bridge_pain_left",
    "bridge_pain_right",
    "strength_method",
    "strength_unit",
    "strength_range",
    "strength_left",
    "strength_right",
    *RED_FLAG_CODES,
    *DIFFERENTIAL_CODES,
    "red_flag_action",
    "impression",
    "plan",
    "next_review_on",
)
IMAGING_COLUMNS = (
    "episode_id",
    "modality",
    "imaged_on",
    "mri_type",
    *IMAGING_FINDINGS,
    "tendons_avulsed",
    "retraction_cm",
    "tendons_involved",
    "thickness_mm",
    "report_text",
)


def _insert(
    cur, table: str, id_column: str, allowed: tuple[str, ...], values: dict[str, Any], stamp: dict[str, Any]
) -> int:
    columns = [c for c in allowed if c in values] + list(stamp)
    params = [values[c] for c in allowed if c in values] + list(stamp.values())
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) RETURNING {id_column}"
    return cur.execute(sql, params).fetchone()[0]


def _update_versioned(
    cur,
    table: str,
    id_column: str,
    record_id: int,
    allowed: tuple[str, ...],
    values: dict[str, Any],
    expected_version: int,
    at: datetime,
    by: str,
) -> bool:
    """Update only if nobody changed the row since ``expected_version`` was read. True when it landed."""
    columns = [c for c in allowed if c in values]
    assignments = ", ".join(f"{c} = ?" for c in columns)
    sql = (
        f"UPDATE {table} SET {assignments}, updated_at = ?, updated_by = ?, version = version + 1"
        f" WHERE {id_column} = ? AND version = ?"
    )
    count = cur.execute(sql, [values[c] for c in columns] + [at, by, record_id, expected_version]).fetchone()[0]
    return count == 1


def stamp(at: datetime, by: str) -> dict[str, Any]:
    return {"created_at": at, "created_by": by, "updated_at": at, "updated_by": by}


# -- patients --------------------------------------------------------------------------------------


def insert_patient(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    return _insert(cur, "patients", "patient_id", PATIENT_COLUMNS, values, stamp(at, by))


def update_patient(cur, patient_id: int, values: dict[str, Any], expected_version: int, at: datetime, by: str) -> bool:
    return _update_versioned(
        cur, "patients", "patient_id", patient_id, PATIENT_COLUMNS, values, expected_version, at, by
    )


def patient_id_for_clinic_id(cur, clinic_id: str) -> int | None:
    """The patient with this clinic ID, compared without case (imp-1 and IMP-1 are the same patient); an exact
    match first (files from before IDs ignored case may hold both)."""
    got = cur.execute(
        "SELECT patient_id FROM patients WHERE lower(clinic_id) = lower(?) ORDER BY clinic_id = ? DESC LIMIT 1",
        [clinic_id, clinic_id],
    ).fetchone()
    return got[0] if got else None


def existing_clinic_ids(cur, clinic_ids: list[str]) -> dict[str, str]:
    """Of ``clinic_ids``, those already in use (compared without case): lower-case ID -> the ID as stored."""
    if not clinic_ids:
        return {}
    wanted = sorted({c.lower() for c in clinic_ids})
    found = cur.execute(
        "SELECT lower(clinic_id), clinic_id FROM patients WHERE " + dialect_of(cur).member("lower(clinic_id)"),
        [wanted],
    ).fetchall()
    return dict(found)


def clinic_ids_saved_since(cur, since: datetime) -> list[str]:
    """Clinic IDs of patients created or changed since ``since`` (usually none: a cheap check under the lock)."""
    return [r[0] for r in cur.execute("SELECT clinic_id FROM patients WHERE updated_at >= ?", [since]).fetchall()]


def patient_row(cur, patient_id: int) -> dict[str, Any] | None:
    result = cur.execute("SELECT * FROM patients WHERE patient_id = ?", [patient_id])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def get_patient(db: Database, patient_id: int) -> dict[str, Any] | None:
    return db.row("SELECT * FROM patients WHERE patient_id = ?", [patient_id])


def search_patients(db: Database, text: str, limit: int = 50) -> pd.DataFrame:
    """Patients whose clinic ID, given or family name (or 'given family') contains ``text``."""
    pattern = f"%{text.strip()}%"
    return db.frame(
        "SELECT p.patient_id, p.clinic_id, p.given_name, p.family_name, p.date_of_birth,"
        "       count(e.episode_id) FILTER (WHERE e.status = 'open') AS open_episodes,"
        "       count(e.episode_id) AS episodes"
        " FROM patients p LEFT JOIN episodes e ON e.patient_id = p.patient_id"
        " WHERE p.clinic_id ILIKE ? OR p.given_name ILIKE ? OR p.family_name ILIKE ?"
        "    OR (p.given_name || ' ' || p.family_name) ILIKE ?"
        " GROUP BY p.patient_id, p.clinic_id, p.given_name, p.family_name, p.date_of_birth"
        " ORDER BY p.family_name, p.given_name, p.clinic_id LIMIT ?",
        [pattern, pattern, pattern, pattern, limit],
    )


def count_patients(db: Database) -> int:
    return db.scalar("SELECT count(*) FROM patients")


# -- episodes --------------------------------------------------------------------------------------


def insert_episode(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    return _insert(cur, "episodes", "episode_id", EPISODE_COLUMNS, values, stamp(at, by))


def close_episode(cur, episode_id: int, values: dict[str, Any], expected_version: int, at: datetime, by: str) -> bool:
    return _update_versioned(
        cur, "episodes", "episode_id", episode_id, CLOSING_COLUMNS, values, expected_version, at, by
    )


_EPISODE_SELECT = (
    "SELECT e.*, p.clinic_id, p.given_name, p.family_name, p.date_of_birth, p.sex,"
    "       u.display_name AS clinician_name"
    " FROM episodes e JOIN patients p ON p.patient_id = e.patient_id"
    " LEFT JOIN users u ON u.user_id = e.clinician_id"
)
_CURRENT_TIER = (
    "SELECT tier FROM tier_changes WHERE episode_id = ? ORDER BY effective_on DESC, tier_change_id DESC LIMIT 1"
)
_CURRENT_STAGE = (
    "SELECT stage FROM stage_changes WHERE episode_id = ? ORDER BY effective_on DESC, stage_change_id DESC LIMIT 1"
)


def current_tier(cur, episode_id: int) -> tuple[str, date]:
    """The episode's tier now and the date it started (inside a transaction)."""
    return cur.execute(
        "SELECT tier, effective_on FROM tier_changes WHERE episode_id = ?"
        " ORDER BY effective_on DESC, tier_change_id DESC LIMIT 1",
        [episode_id],
    ).fetchone()


def current_stage(cur, episode_id: int) -> tuple[int, date]:
    return cur.execute(
        "SELECT stage, effective_on FROM stage_changes WHERE episode_id = ?"
        " ORDER BY effective_on DESC, stage_change_id DESC LIMIT 1",
        [episode_id],
    ).fetchone()


def open_episode_count(cur, patient_id: int) -> int:
    return cur.execute(
        "SELECT count(*) FROM episodes WHERE patient_id = ? AND status = 'open'", [patient_id]
    ).fetchone()[0]


def _with_tier_and_stage(db: Database, episode: dict[str, Any]) -> dict[str, Any]:
    """Point lookups of the current tier and stage (cheaper than correlated subqueries at scale)."""
    episode["tier"] = db.scalar(_CURRENT_TIER, [episode["episode_id"]])
    episode["stage"] = db.scalar(_CURRENT_STAGE, [episode["episode_id"]])
    return episode


def get_episode(db: Database, episode_id: int) -> dict[str, Any] | None:
    """The episode with its patient, clinician, current tier and stage (from its case state, kept current in
    every write; read from the histories for a database whose state is not built yet)."""
    found = db.row(
        _EPISODE_SELECT.replace(" FROM episodes e", ", cs.tier, cs.stage FROM episodes e", 1)
        + " LEFT JOIN case_state cs ON cs.episode_id = e.episode_id WHERE e.episode_id = ?",
        [episode_id],
    )
    if found is None:
        return None
    return found if found["tier"] is not None else _with_tier_and_stage(db, found)


def episode_row(cur, episode_id: int) -> dict[str, Any] | None:
    result = cur.execute("SELECT * FROM episodes WHERE episode_id = ?", [episode_id])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def episodes_for_patient(db: Database, patient_id: int) -> list[dict[str, Any]]:
    found = db.rows(
        _EPISODE_SELECT + " WHERE e.patient_id = ? ORDER BY e.opened_on DESC, e.episode_id DESC", [patient_id]
    )
    return [_with_tier_and_stage(db, episode) for episode in found]


# -- assessments -----------------------------------------------------------------------------------


def insert_assessment(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    return _insert(cur, "assessments", "assessment_id", ASSESSMENT_COLUMNS, values, stamp(at, by))


def update_draft_assessment(
    cur, assessment_id: int, values: dict[str, Any], expected_version: int, at: datetime, by: str
) -> bool:
    columns = tuple(c for c in ASSESSMENT_COLUMNS if c != "episode_id")
    sql_guard = " AND signed_at IS NULL"
    assignments = ", ".join(f"{c} = ?" for c in columns if c in values)
    sql = (
        f"UPDATE assessments SET {assignments}, updated_at = ?, updated_by = ?, version = version + 1"
        f" WHERE assessment_id = ? AND version = ?{sql_guard}"
    )
    params = [values[c] for c in columns if c in values] + [at, by, assessment_id, expected_version]
    return cur.execute(sql, params).fetchone()[0] == 1


def sign_assessment(cur, assessment_id: int, at: datetime, by: str) -> bool:
    count = cur.execute(
        "UPDATE assessments SET signed_at = ?, signed_by = ?, version = version + 1"
        " WHERE assessment_id = ? AND signed_at IS NULL",
        [at, by, assessment_id],
    ).fetchone()[0]
    return count == 1


def reassign_draft(cur, assessment_id: int, author: str, at: datetime, by: str) -> bool:
    """Give an unsigned draft to another author (``created_by`` is who may edit and sign it)."""
    count = cur.execute(
        "UPDATE assessments SET created_by = ?, updated_at = ?, updated_by = ?, version = version + 1"
        " WHERE assessment_id = ? AND signed_at IS NULL",
        [author, at, by, assessment_id],
    ).fetchone()[0]
    return count == 1


def insert_addendum(cur, assessment_id: int, reason: str, body: str, at: datetime, by: str) -> int:
    return cur.execute(
        "INSERT INTO assessment_addenda (assessment_id, reason, body, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?) RETURNING addendum_id",
        [assessment_id, reason, body, at, by],
    ).fetchone()[0]


def assessment_row(cur, assessment_id: int) -> dict[str, Any] | None:
    result = cur.execute("SELECT * FROM assessments WHERE assessment_id = ?", [assessment_id])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


# Who wrote and who signed an assessment, by name (the record keeps their usernames).
_PEOPLE = (
    ", u.display_name AS clinician_name, au.display_name AS author_name, sg.display_name AS signed_by_name"
    " FROM assessments a LEFT JOIN users u ON u.user_id = a.clinician_id"
    " LEFT JOIN users au ON au.username = a.created_by LEFT JOIN users sg ON sg.username = a.signed_by"
)


def get_assessment(db: Database, assessment_id: int) -> dict[str, Any] | None:
    return db.row("SELECT a.*" + _PEOPLE + " WHERE a.assessment_id = ?", [assessment_id])


def assessments_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    """Every assessment of an episode, newest first."""
    return db.frame(
        "SELECT a.*" + _PEOPLE + " WHERE a.episode_id = ? ORDER BY a.assessed_on DESC, a.assessment_id DESC",
        [episode_id],
    )


def latest_assessment(db: Database, episode_id: int) -> dict[str, Any] | None:
    return db.row(
        "SELECT * FROM assessments WHERE episode_id = ? ORDER BY assessed_on DESC, assessment_id DESC LIMIT 1",
        [episode_id],
    )


def last_assessed_on(cur, episode_id: int) -> date | None:
    return cur.execute("SELECT max(assessed_on) FROM assessments WHERE episode_id = ?", [episode_id]).fetchone()[0]


def addenda_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT d.*, u.display_name AS author_name FROM assessment_addenda d JOIN assessments a USING (assessment_id)"
        " LEFT JOIN users u ON u.username = d.created_by WHERE a.episode_id = ? ORDER BY d.created_at",
        [episode_id],
    )


def unsigned_assessments(db: Database, username: str) -> pd.DataFrame:
    return db.frame(
        "SELECT a.assessment_id, a.episode_id, a.assessed_on, p.clinic_id, p.given_name, p.family_name"
        " FROM assessments a JOIN episodes e USING (episode_id) JOIN patients p ON p.patient_id = e.patient_id"
        " WHERE a.signed_at IS NULL AND a.created_by = ? ORDER BY a.assessed_on DESC",
        [username],
    )


# -- imaging ---------------------------------------------------------------------------------------


def insert_imaging(cur, values: dict[str, Any], at: datetime, by: str) -> int:
    return _insert(cur, "imaging_reports", "imaging_id", IMAGING_COLUMNS, values, {"created_at": at, "created_by": by})


def imaging_for_episode(db: Database, episode_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT * FROM imaging_reports WHERE episode_id = ? ORDER BY imaged_on DESC, imaging_id DESC", [episode_id]
    )


# -- tier and stage history (append-only) ----------------------------------------------------------


def insert_tier_change(
    cur,
    episode_id: int,
    tier: str,
    effective_on: date,
    reason: str,
    clinician_id: int,
    at: datetime,
    planned_treatment: str | None = None,
) -> int:
    return cur.execute(
        "INSERT INTO tier_changes (episode_id, tier, effective_on, reason, clinician_id, recorded_at,"
        " planned_treatment) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING tier_change_id",
        [episode_id, tier, effective_on, reason, clinician_id, at, planned_treatment],
    ).fetchone()[0]


def insert_stage_change(
    cur, episode_id: int, stage: int, effective_on: date, reason: str, clinician_id: int, at: datetime
) -> int:
    return cur.execute(
        "INSERT INTO stage_changes (episode_id, stage, effective_on, reason, clinician_id, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING stage_change_id",
        [episode_id, stage, effective_on, reason, clinician_id, at],
    ).fetchone()[0]


def tier_history(db: Database, episode_id: int) -> pd.DataFrame:
    """Tier periods: each change runs until the next one (or, with no next one, is current)."""
    return db.frame(
        "SELECT t.tier_change_id, t.tier, t.effective_on,"
        "       lead(t.effective_on) OVER (ORDER BY t.effective_on, t.tier_change_id) AS ended_on,"
        "       t.reason, u.display_name AS clinician_name, t.recorded_at"
        " FROM tier_changes t LEFT JOIN users u ON u.user_id = t.clinician_id"
        " WHERE t.episode_id = ? ORDER BY t.effective_on, t.tier_change_id",
        [episode_id],
    )


def stage_history(db: Database, episode_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT s.stage_change_id, s.stage, s.effective_on,"
        "       lead(s.effective_on) OVER (ORDER BY s.effective_on, s.stage_change_id) AS ended_on,"
        "       s.reason, u.display_name AS clinician_name, s.recorded_at"
        " FROM stage_changes s LEFT JOIN users u ON u.user_id = s.clinician_id"
        " WHERE s.episode_id = ? ORDER BY s.effective_on, s.stage_change_id",
        [episode_id],
    )


# -- settings --------------------------------------------------------------------------------------


def get_setting(db: Database, key: str) -> str | None:
    return db.scalar("SELECT setting_value FROM clinic_settings WHERE setting_key = ?", [key])


def set_setting(cur, key: str, value: str, at: datetime, by: str) -> str | None:
    """Insert or replace a setting; returns the previous value."""
    before = cur.execute("SELECT setting_value FROM clinic_settings WHERE setting_key = ?", [key]).fetchone()
    if before:
        cur.execute(
            "UPDATE clinic_settings SET setting_value = ?, updated_at = ?, updated_by = ? WHERE setting_key = ?",
            [value, at, by, key],
        )
    else:
        cur.execute(
            "INSERT INTO clinic_settings (setting_key, setting_value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
            [key, value, at, by],
        )
    return before[0] if before else None


def last_recorded_at(db: Database, episode_id: int):
    """When the episode's most recent assessment was saved (not the visit date)."""
    return db.scalar("SELECT max(created_at) FROM assessments WHERE episode_id = ?", [episode_id])


def next_review_on(db: Database, episode_id: int):
    """The next review date set at the latest assessment."""
    return db.scalar(
        "SELECT next_review_on FROM assessments WHERE episode_id = ?"
        " ORDER BY assessed_on DESC, assessment_id DESC LIMIT 1",
        [episode_id],
    )


def planned_treatment(db: Database, episode_id: int) -> str | None:
    """The treatment planned when the episode entered its current tier."""
    return db.scalar(
        "SELECT planned_treatment FROM tier_changes WHERE episode_id = ?"
        " ORDER BY effective_on DESC, tier_change_id DESC LIMIT 1",
        [episode_id],
    )


def tier_since(db: Database, episode_id: int):
    return db.scalar("SELECT max(effective_on) FROM tier_changes WHERE episode_id = ?", [episode_id])


def settings(db: Database) -> dict[str, str]:
    return {
        r["setting_key"]: r["setting_value"] for r in db.rows("SELECT setting_key, setting_value FROM clinic_settings")
    }
