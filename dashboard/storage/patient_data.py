"""SQL for a patient's whole record (subject access) and for anonymisation."""

from __future__ import annotations

import json
from typing import Any

from .db import Database

# Every table holding a patient's data, and how to reach the patient from it.
RECORD_QUERIES = {
    "patient": "SELECT * FROM patients WHERE patient_id = ?",
    "episodes": "SELECT * FROM episodes WHERE patient_id = ? ORDER BY episode_id",
    "assessments": (
        "SELECT a.*"
        " FROM assessments a"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY a.assessment_id"
    ),
    "addenda": (
        "SELECT d.*"
        " FROM assessment_addenda d"
        " JOIN assessments a USING (assessment_id)"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY d.addendum_id"
    ),
    "imaging_reports": (
        "SELECT i.*"
        " FROM imaging_reports i"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY i.imaging_id"
    ),
    "tier_changes": (
        "SELECT t.*"
        " FROM tier_changes t"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY t.tier_change_id"
    ),
    "stage_changes": (
        "SELECT s.*"
        " FROM stage_changes s"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY s.stage_change_id"
    ),
    "treatments": (
        "SELECT t.* FROM treatments t JOIN episodes e USING (episode_id) WHERE e.patient_id = ? ORDER BY t.treatment_id"
    ),
    "prescriptions": (
        "SELECT p.*, i.position, i.exercise, i.sets, i.reps, i.hold_seconds, i.load_cue, i.days_per_week"
        " FROM prescriptions p"
        " JOIN prescription_items i USING (prescription_id)"
        " JOIN episodes e ON e.episode_id = p.episode_id"
        " WHERE e.patient_id = ?"
        " ORDER BY p.prescription_id, i.position"
    ),
    "suggestion_decisions": (
        "SELECT d.*"
        " FROM suggestion_decisions d"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY d.decision_id"
    ),
    "handouts_issued": (
        "SELECT h.*"
        " FROM handouts_issued h"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY h.handout_id"
    ),
}

# Free text that may name or describe the person: cleared on anonymisation.
FREE_TEXT = {
    "episodes": ("sport", "referral_source", "referred_to", "closing_note"),
    "assessments": ("pain_task_name", "red_flag_action", "impression", "plan"),
    "imaging_reports": ("report_text",),
    "treatments": ("notes",),
}
PERSONAL_KEYS = {
    "clinic_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "body",
    "reason",
    *[c for cols in FREE_TEXT.values() for c in cols],
}


def patient_record(db: Database, patient_id: int) -> dict[str, list[dict[str, Any]]]:
    return {name: db.rows(sql, [patient_id]) for name, sql in RECORD_QUERIES.items()}


def anonymise(cur, patient_id: int, at) -> dict[str, int]:
    """Replace everything that identifies the patient. Returns counts of rows touched."""
    counts = {}
    cur.execute(
        "UPDATE patients SET clinic_id = 'ANON-' || CAST(patient_id AS VARCHAR), given_name = 'Anonymised',"
        " family_name = 'Patient', date_of_birth = make_date(year(date_of_birth), 7, 1), sex = NULL, phone = NULL,"
        " email = NULL, anonymised_at = ?, version = version + 1 WHERE patient_id = ?",
        [at, patient_id],
    )
    mine = "episode_id IN (SELECT episode_id FROM episodes WHERE patient_id = ?)"
    for table, sql in (
        (
            "episodes",
            "UPDATE episodes SET sport = NULL, referral_source = NULL, referred_to = NULL, closing_note = NULL"
            " WHERE patient_id = ?",
        ),
        (
            "assessments",
            "UPDATE assessments SET pain_task_name = NULL, red_flag_action = NULL, impression = NULL,"
            " plan = NULL WHERE " + mine,
        ),
        ("imaging_reports", "UPDATE imaging_reports SET report_text = NULL WHERE " + mine),
        ("treatments", "UPDATE treatments SET notes = NULL WHERE " + mine),
    ):
        counts[table] = cur.execute(sql, [patient_id]).fetchone()[0]
    counts["addenda"] = cur.execute(
        "UPDATE assessment_addenda SET body = '[anonymised]', reason = '[anonymised]' WHERE assessment_id IN"
        " (SELECT a.assessment_id FROM assessments a JOIN episodes e USING (episode_id) WHERE e.patient_id = ?)",
        [patient_id],
    ).fetchone()[0]
    return counts


def redact_audit(cur, patient_id: int) -> int:
    """Blank the personal values the audit trail kept about this patient (the facts of who did what, and
    when, stay). The only change ever made to audit rows, itself audited by the caller."""
    ids = {"patient": [str(patient_id)]}
    for entity, sql in (
        ("episode", "SELECT episode_id FROM episodes WHERE patient_id = ?"),
        (
            "assessment",
            "SELECT a.assessment_id FROM assessments a JOIN episodes e USING (episode_id) WHERE e.patient_id = ?",
        ),
        (
            "imaging",
            "SELECT i.imaging_id FROM imaging_reports i JOIN episodes e USING (episode_id) WHERE e.patient_id = ?",
        ),
        (
            "treatment",
            "SELECT t.treatment_id FROM treatments t JOIN episodes e USING (episode_id) WHERE e.patient_id = ?",
        ),
    ):
        ids[entity] = [str(r[0]) for r in cur.execute(sql, [patient_id]).fetchall()]
    changed = 0
    for entity, entity_ids in ids.items():
        if not entity_ids:
            continue
        rows = cur.execute(
            "SELECT audit_id, before_json, after_json FROM audit_log WHERE entity = ? AND list_contains(?, entity_id)",
            [entity, entity_ids],
        ).fetchall()
        for audit_id, before, after in rows:
            new = [_redact(before), _redact(after)]
            if new != [before, after]:
                cur.execute("UPDATE audit_log SET before_json = ?, after_json = ? WHERE audit_id = ?", new + [audit_id])
                changed += 1
    return changed


def _redact(text):
    if not text:
        return text
    data = json.loads(text)
    if isinstance(data, dict):
        for key in list(data):
            if key in PERSONAL_KEYS and data[key] is not None:
                data[key] = "[anonymised]"
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
