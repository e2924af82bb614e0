"""SQL for a patient's whole record (subject access) and for anonymisation."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from .db import Database
from .dialect import dialect_of

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
    "red_flag_alerts": (
        "SELECT r.* FROM red_flag_alerts r JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ? ORDER BY r.alert_id"
    ),
    "alert_reviews": (
        "SELECT v.* FROM alert_reviews v JOIN red_flag_alerts r USING (alert_id) JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ? ORDER BY v.alert_id, v.assessment_id"
    ),
    "handouts_issued": (
        "SELECT h.*"
        " FROM handouts_issued h"
        " JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?"
        " ORDER BY h.handout_id"
    ),
}

# How each table reaches a patient's rows (the parameter is the patient_id). Every table that holds a
# patient's data is here; tests/test_hardening.py checks that no table with a patient, episode, assessment,
# alert or prescription key is missing.
_EPISODES = "episode_id IN (SELECT episode_id FROM episodes WHERE patient_id = ?)"
PATIENT_ROWS = {
    "patients": "patient_id = ?",
    "episodes": "patient_id = ?",
    "assessments": _EPISODES,
    "assessment_addenda": (
        "assessment_id IN (SELECT a.assessment_id FROM assessments a JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?)"
    ),
    "imaging_reports": _EPISODES,
    "tier_changes": _EPISODES,
    "stage_changes": _EPISODES,
    "treatments": _EPISODES,
    "prescriptions": _EPISODES,
    "prescription_items": (
        "prescription_id IN (SELECT p.prescription_id FROM prescriptions p JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?)"
    ),
    "suggestion_decisions": _EPISODES,
    "handouts_issued": _EPISODES,
    "red_flag_alerts": _EPISODES,
    "case_state": _EPISODES,
    "alert_reviews": (
        "alert_id IN (SELECT r.alert_id FROM red_flag_alerts r JOIN episodes e USING (episode_id)"
        " WHERE e.patient_id = ?)"
    ),
}

# Narrative text a clinician typed: cleared on anonymisation, whatever it says (it may identify the person in
# ways no search finds: "his wife Maria", "the tall runner from the bakery"). Columns that must hold a value
# get "[anonymised]". Every other text column of the patient's rows is searched for their identifiers.
ANONYMISED = "[anonymised]"
NARRATIVE = {
    "episodes": ("sport", "referral_source", "referred_to", "closing_note"),
    "assessments": (
        "pain_task_name",
        "red_flag_action",
        "impression",
        "plan",
        *(f"psfs_{n}_activity" for n in range(1, 4)),
        "postop_phase",
        "postop_restrictions",
    ),
    "assessment_addenda": ("reason", "body"),
    "imaging_reports": ("report_text",),
    "tier_changes": ("reason",),
    "stage_changes": ("reason",),
    "suggestion_decisions": ("reason",),
    "red_flag_alerts": ("detail", "resolution_note", "referred_to"),
    "treatments": ("notes", "override_reason", "given_by"),
    "prescription_items": ("load_cue",),
}
# Audit values under these keys are blanked in the audit rows about the patient's records (wherever they sit).
PERSONAL_KEYS = {
    "clinic_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "body",
    "reason",
    "note",
    *[c for cols in NARRATIVE.values() for c in cols],
}
# Audit entities that are the patient's records, and how to find their ids.
_AUDITED = {
    "patient": "SELECT CAST(? AS INTEGER)",
    "episode": "SELECT episode_id FROM episodes WHERE patient_id = ?",
    "assessment": "SELECT assessment_id FROM assessments WHERE " + _EPISODES,
    "imaging": "SELECT imaging_id FROM imaging_reports WHERE " + _EPISODES,
    "treatment": "SELECT treatment_id FROM treatments WHERE " + _EPISODES,
    "prescription": "SELECT prescription_id FROM prescriptions WHERE " + _EPISODES,
    "suggestion": "SELECT decision_id FROM suggestion_decisions WHERE " + _EPISODES,
    "handout": "SELECT handout_id FROM handouts_issued WHERE " + _EPISODES,
    "red_flag_alert": "SELECT alert_id FROM red_flag_alerts WHERE " + _EPISODES,
}


def patient_record(db: Database, patient_id: int) -> dict[str, list[dict[str, Any]]]:
    return {name: db.rows(sql, [patient_id]) for name, sql in RECORD_QUERIES.items()}


# -- the person's identifiers, as they may be written ---------------------------------------------------------

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_SEPARATORS = r"[\s\-./()]*"


def identifiers(person: dict[str, Any]) -> list[re.Pattern[str]]:
    """Patterns for everything that names the person: each name, the whole name, the clinic ID, e-mail, phone
    (digits with any separators) and date of birth (ISO, day/month/year, month/day/year, with month names)."""
    words: set[str] = set()
    for key in ("given_name", "family_name", "clinic_id", "email"):
        value = str(person.get(key) or "").strip()
        if value:
            words |= {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]}
    given, family = (str(person.get(k) or "").strip() for k in ("given_name", "family_name"))
    if given and family:
        words |= {f"{given} {family}", f"{family}, {given}", f"{family} {given}"}
    patterns = [re.escape(w) for w in sorted(words, key=len, reverse=True) if len(w) >= 2]
    digits = re.sub(r"\D", "", str(person.get("phone") or ""))
    if len(digits) >= 6:
        patterns.append(r"\+?" + _SEPARATORS.join(digits))
    born = person.get("date_of_birth")
    if isinstance(born, str):
        born = date.fromisoformat(born)
    if isinstance(born, date):
        d, m, y = born.day, born.month, born.year
        day, month = rf"0?{d}", rf"0?{m}"
        names = rf"(?:{_MONTHS[m - 1]}|{_MONTHS[m - 1][:3]})\.?"
        patterns += [
            rf"{y}[-/.]{month}[-/.]{day}",
            rf"{day}[-/. ]{month}[-/. ]{y}",
            rf"{month}[-/. ]{day}[-/. ]{y}",
            rf"{day}(?:st|nd|rd|th)?\s+{names},?\s+{y}",
            rf"{names}\s+{day}(?:st|nd|rd|th)?,?\s+{y}",
            rf"{y}{m:02d}{d:02d}",
        ]
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def redact_text(text: str | None, found: list[re.Pattern[str]], *, whole_words: bool = False) -> str | None:
    """``text`` with every identifier replaced by [anonymised] (``whole_words``: only where it stands as a word,
    for text that is not about the person, so another patient's 'May' or 'Ng' in 'running' is left alone)."""
    if not text:
        return text
    for pattern in found:
        if whole_words:
            pattern = re.compile(rf"(?<![^\W_]){pattern.pattern}(?![^\W_])", re.IGNORECASE)
        text = pattern.sub(ANONYMISED, text)
    return text


def anonymise(cur, patient_id: int, at) -> dict[str, int]:
    """Replace everything that identifies the patient in their own rows: the patient row itself, every
    narrative text cleared, every other text column searched for their identifiers. Returns rows touched."""
    person = cur.execute("SELECT * FROM patients WHERE patient_id = ?", [patient_id]).fetchone()
    names = [d[0] for d in cur.description]
    found = identifiers(dict(zip(names, person, strict=True)))
    counts: dict[str, int] = {}
    dialect = dialect_of(cur)
    for table, narrative in NARRATIVE.items():
        required = dialect.required_columns(cur, table)
        assignments = ", ".join(f"{c} = {'?' if c in required else 'NULL'}" for c in narrative)
        params = [ANONYMISED for c in narrative if c in required]
        changed = cur.execute(
            f"UPDATE {table} SET {assignments} WHERE {PATIENT_ROWS[table]}", params + [patient_id]
        ).fetchone()[0]
        if changed:
            counts[table] = changed
    for table, where in PATIENT_ROWS.items():  # identifiers left in any other text (JSON, codes, paths)
        columns, keys = dialect.text_columns(cur, table), dialect.key_columns(cur, table)
        if not columns or not keys:
            continue
        result = cur.execute(f"SELECT {', '.join(keys + columns)} FROM {table} WHERE {where}", [patient_id])
        for row in result.fetchall():
            key, values = row[: len(keys)], row[len(keys) :]
            clean = [redact_text(v, found) for v in values]
            if clean != list(values):
                cur.execute(
                    f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)}"
                    f" WHERE {' AND '.join(f'{k} = ?' for k in keys)}",
                    clean + list(key),
                )
                counts[table] = counts.get(table, 0) + 1
    cur.execute(
        "UPDATE patients SET clinic_id = 'ANON-' || CAST(patient_id AS VARCHAR), given_name = 'Anonymised',"
        " family_name = 'Patient', date_of_birth = make_date(CAST(extract(year FROM date_of_birth) AS INTEGER), 7, 1),"
        " sex = NULL, phone = NULL, email = NULL, anonymised_at = ?, version = version + 1 WHERE patient_id = ?",
        [at, patient_id],
    )
    return counts


def redact_audit(cur, patient_id: int, person: dict[str, Any]) -> int:
    """Remove the person from the audit trail (the facts of who did what, and when, stay): in the rows about
    their records, personal values are blanked and identifiers replaced; in every other row (a search, an
    export's filter, a failed sign-in), each identifier that stands as a word is replaced. The only change
    ever made to audit rows, itself audited by the caller."""
    found = identifiers(person)
    changed = 0
    seen: set[int] = set()
    for entity, sql in _AUDITED.items():
        ids = [str(r[0]) for r in cur.execute(sql, [patient_id]).fetchall()]
        rows = cur.execute(
            "SELECT audit_id, before_json, after_json FROM audit_log WHERE entity = ? AND "
            + dialect_of(cur).member("entity_id"),
            [entity, ids],
        ).fetchall()
        for audit_id, before, after in rows:
            seen.add(audit_id)
            new = [redact_text(_redact(v), found) for v in (before, after)]
            if new != [before, after]:
                cur.execute("UPDATE audit_log SET before_json = ?, after_json = ? WHERE audit_id = ?", new + [audit_id])
                changed += 1
    # other rows: the database narrows them to those holding a piece of an identifier, Python decides
    tokens = sorted(_tokens(person))
    if not tokens:
        return changed
    text = "lower(coalesce(before_json, '') || ' ' || coalesce(after_json, ''))"
    where = " OR ".join(f"strpos({text}, ?) > 0" for _ in tokens)
    rows = cur.execute(f"SELECT audit_id, before_json, after_json FROM audit_log WHERE {where}", tokens).fetchall()
    for audit_id, before, after in rows:
        if audit_id in seen:
            continue
        new = [redact_text(v, found, whole_words=True) for v in (before, after)]
        if new != [before, after]:
            cur.execute("UPDATE audit_log SET before_json = ?, after_json = ? WHERE audit_id = ?", new + [audit_id])
            changed += 1
    return changed


def _tokens(person: dict[str, Any]) -> set[str]:
    """Lower-case fragments that every written form of an identifier contains (to narrow a search)."""
    tokens = {str(person.get(k) or "").strip().lower() for k in ("given_name", "family_name", "clinic_id", "email")}
    digits = re.sub(r"\D", "", str(person.get("phone") or ""))
    if len(digits) >= 6:
        tokens.add(digits[-2:])  # any way of writing the number ends with its last two digits
    born = person.get("date_of_birth")
    if born:
        tokens.add(str(born)[:4])  # every way of writing the date has its year
    return {t for t in tokens if len(t) >= 2}


def _redact(text):
    if not text:
        return text
    return json.dumps(_blank(json.loads(text)), ensure_ascii=False, sort_keys=True)


def _blank(value):
    if isinstance(value, dict):
        return {
            k: (
                ANONYMISED
                if k in PERSONAL_KEYS and v not in (None, "") and not isinstance(v, (dict, list))
                else _blank(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return value
