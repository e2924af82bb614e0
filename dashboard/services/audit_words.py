"""The audit trail in words: who (by name), what they did (a sentence), to whose record (the patient, for
those allowed to see it) and the change itself (before and after, in words). The stored entries stay as
they are; this only reads them."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from ..domain import rules
from ..domain.model import ALERT_KINDS, label_of

ACTIONS = {  # (action, entity) -> what was done
    ("create", "patient"): "Added a patient",
    ("update", "patient"): "Changed a patient's details",
    ("export", "patient"): "Exported a patient's record (access request)",
    ("anonymise", "patient"): "Anonymised a patient",
    ("anonymise_file", "patient"): "Rewrote the database file after anonymising",
    ("create", "episode"): "Opened an episode of care",
    ("close", "episode"): "Closed an episode of care",
    ("change_tier", "episode"): "Changed the treatment tier",
    ("change_stage", "episode"): "Changed the loading stage",
    ("create", "assessment"): "Recorded an assessment",
    ("update", "assessment"): "Edited a draft assessment",
    ("sign", "assessment"): "Signed an assessment",
    ("reassign", "assessment"): "Gave a draft assessment to another clinician",
    ("amend", "assessment"): "Added an addendum to an assessment",
    ("create", "imaging"): "Recorded an imaging report",
    ("create", "treatment"): "Recorded a treatment",
    ("create", "prescription"): "Saved an exercise prescription",
    ("accept", "suggestion"): "Accepted a suggestion",
    ("dismiss", "suggestion"): "Dismissed a suggestion",
    ("raise", "red_flag_alert"): "Raised a red flag",
    ("resolve", "red_flag_alert"): "Resolved a red flag",
    ("issue", "handout"): "Issued a handout",
    ("export", "caseload"): "Exported the caseload list",
    ("export", "audit_log"): "Exported the audit trail",
    ("import", "patients"): "Imported patients from a file",
    ("sign_in", "user"): "Signed in",
    ("sign_in_failed", "user"): "Sign-in refused",
    ("sign_in_delayed", "user"): "Sign-in made to wait after repeated failures",
    ("rehash_password", "user"): "Password storage upgraded at sign-in",
    ("create", "user"): "Added a user",
    ("change_role", "user"): "Changed a user's role",
    ("disable", "user"): "Disabled a user's account",
    ("enable", "user"): "Enabled a user's account",
    ("reset_password", "user"): "Reset a user's password",
    ("unlock", "user"): "Lifted a user's sign-in delay",
    ("change_email", "user"): "Changed a user's e-mail for single sign-on",
    ("session_start", "session"): "Started a session",
    ("session_restore", "session"): "Carried on a session (a reload or a new tab)",
    ("session_expire", "session"): "A session ended",
    ("session_revoke", "session"): "A session was ended",
    ("update", "rule_threshold"): "Changed a rule threshold",
    ("update", "clinic_setting"): "Changed a clinic setting",
    ("backup", "database"): "Backed up the database",
    ("backup_failed", "database"): "A backup failed",
    ("restore", "database"): "Restored a backup into a new file",
    ("issue", "setup_code"): "Issued a one-time setup code",
    ("setup_code_refused", "setup_code"): "Refused a wrong setup code",
    ("create", "demo_clinic"): "Built the demo clinic",
}
ENTITIES = {
    "assessment": "Assessments",
    "audit_log": "Audit trail",
    "caseload": "Caseload list",
    "clinic_setting": "Clinic settings",
    "database": "Database and backups",
    "demo_clinic": "Demo clinic",
    "episode": "Episodes of care",
    "handout": "Handouts",
    "imaging": "Imaging reports",
    "patient": "Patients",
    "patients": "Patient imports",
    "prescription": "Exercise prescriptions",
    "red_flag_alert": "Red flags",
    "rule_threshold": "Rule thresholds",
    "session": "Sessions",
    "setup_code": "Setup codes",
    "suggestion": "Suggestions",
    "treatment": "Treatments",
    "user": "Users",
}
SETTINGS = {
    "clinic_name": "clinic name",
    "clinic_phone": "clinic phone",
    "clinic_address": "clinic address",
    "clinic_url": "web address for the handout QR code",
    "session_idle_minutes": "sign-out after inactivity (minutes)",
    "session_lifetime_hours": "longest session (hours)",
}
NOT_PEOPLE = {
    "system": "The command line",
    "demo": "The demo builder",
    "(blank)": "Someone (no username typed)",
    "(setup)": "Someone at the setup screen",
    "(too long)": "Someone (username too long)",
    "(no e-mail)": "Someone (single sign-on, no e-mail)",
}
FIELDS = {  # field -> how people say it, for the changes of an update
    "given_name": "given name",
    "family_name": "family name",
    "date_of_birth": "date of birth",
    "clinic_id": "clinic ID",
    "pain_avg": "average pain",
    "pain_worst": "worst pain",
    "next_review_on": "next review",
    "discharge_outcome": "outcome",
    "referred_to": "referred to",
}


def action_words(action: str, entity: str) -> str:
    return ACTIONS.get((action, entity)) or f"{label_of(action)} ({ENTITIES.get(entity, label_of(entity)).lower()})"


def entity_words(entity: str) -> str:
    return ENTITIES.get(entity, label_of(entity))


def in_words(frame: pd.DataFrame, *, show_patients: bool, names: dict[str, str]) -> pd.DataFrame:
    """The entries of ``audit.search`` as people read them. ``names``: username -> display name (for usernames
    inside the entries, such as a reassigned draft's new author)."""
    rows = frame.to_dict("records")
    return pd.DataFrame(
        {
            "When (UTC)": pd.to_datetime(frame["occurred_at"]),
            "Who": [_who(r) for r in rows],
            "What": [action_words(r["action"], r["entity"]) for r in rows],
            "Patient": [_patient(r) if show_patients else "" for r in rows],
            "Details": [_details(r, names) for r in rows],
        },
        index=frame.index,
    )


def _who(row: dict[str, Any]) -> str:
    if _has(row.get("who_name")):
        return str(row["who_name"])
    name = str(row["username"])
    if name in NOT_PEOPLE:
        return NOT_PEOPLE[name]
    return f"Typed name “{name}” (no such account)"


def _patient(row: dict[str, Any]) -> str:
    if not _has(row.get("family_name")):
        return ""
    return f"{row['given_name']} {row['family_name']} ({row['clinic_id']})"


def _has(value: Any) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and value != value)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):  # a code such as "read_only" or "adjunct" as people write it
        return label_of(value) if re.fullmatch(r"[a-z]+(_[a-z]+)*", value) else value
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "nothing"
    return str(value)


def _changes(before: dict, after: dict) -> str:
    """'phone: 0113 496 0000 → 0113 496 0001; e-mail: nothing → a@b.org' (only what changed)."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    parts = [f"{FIELDS.get(k, label_of(k).lower())}: {_value(before.get(k))} → {_value(after.get(k))}" for k in changed]
    return "; ".join(parts[:8]) + (f"; and {len(parts) - 8} more" if len(parts) > 8 else "") if parts else "no change"


def _details(row: dict[str, Any], names: dict[str, str]) -> str:
    before = json.loads(row["before_json"]) if _has(row.get("before_json")) else {}
    after = json.loads(row["after_json"]) if _has(row.get("after_json")) else {}
    action, entity, target = row["action"], row["entity"], row.get("target_name")
    reason = f" Reason: {after['reason']}" if isinstance(after.get("reason"), str) and after.get("reason") else ""
    person = lambda username: names.get(username, username)  # noqa: E731
    if action in ("change_tier", "change_stage"):
        kind = action.removeprefix("change_")
        return f"{_value(before.get(kind))} → {_value(after.get(kind))}, from {after.get('effective_on', '-')}.{reason}"
    if action == "update" and entity in ("rule_threshold", "clinic_setting"):
        key = str(row["entity_id"])
        what = rules.THRESHOLDS[key].label if key in rules.THRESHOLDS else SETTINGS.get(key, label_of(key).lower())
        return f"{what}: {_value(before.get('value'))} → {_value(after.get('value'))}"
    if action == "update":
        return _changes(before, after)
    if (action, entity) == ("create", "assessment"):
        return f"Assessment of {after.get('assessed_on', '-')}"
    if (action, entity) == ("close", "episode"):
        text = f"{_value(after.get('status'))} on {after.get('closed_on', '-')}"
        text += f", outcome {_value(after.get('discharge_outcome'))}"
        return text + (f", referred to {after['referred_to']}" if after.get("referred_to") else "")
    if (action, entity) == ("create", "episode"):
        where = f"{_value(after.get('side'))} {_value(after.get('region')).lower()}"
        return f"{where}, opened {after.get('opened_on', '-')}"
    if action == "reassign":
        return f"From {person(before.get('author'))} to {person(after.get('author'))}.{reason}"
    if action == "amend":
        return reason.strip()
    if (action, entity) == ("create", "imaging"):
        return f"{_value(after.get('modality'))} of {after.get('imaged_on', '-')}"
    if (action, entity) == ("create", "treatment"):
        return f"{_value(after.get('kind'))} on {after.get('given_on', '-')}"
    if entity == "red_flag_alert":
        kind = after.get("kind") or before.get("kind")
        words = ALERT_KINDS[kind].label if kind in ALERT_KINDS else _value(kind)
        if action == "resolve":
            how = _value(after.get("resolution"))
            return f"{words}: {how}" + (f" to {after['referred_to']}" if after.get("referred_to") else "")
        return words
    if entity == "suggestion":
        rule = after.get("rule_id", "")
        return f"{label_of(rule)}.{reason}"
    if action == "issue" and entity == "handout":
        size = after.get("page_size", "A4") + (", large print" if after.get("large_print") else "")
        return size + (f", one of {after['batch']} printed together" if (after.get("batch") or 1) > 1 else "")
    if action == "export" and "rows" in after:
        return f"{after['rows']:,} rows"
    if action in ("sign_in", "session_start"):
        return "with single sign-on" if after.get("method") == "sso" else "with a password"
    if action in ("sign_in_failed", "session_expire", "session_revoke"):
        return _value(after.get("reason")) if after.get("reason") else ""
    if entity == "user" and action in ("create", "change_role", "disable", "enable", "reset_password", "unlock"):
        who = target or after.get("display_name") or "-"
        if action == "create":
            return f"{who}, {_value(after.get('role')).lower()}"
        if action == "change_role":
            return f"{who}: {_value(before.get('role'))} → {_value(after.get('role'))}"
        return str(who)
    if action == "change_email":
        return f"{target or '-'}: {_value(before.get('email'))} → {_value(after.get('email'))}"
    if action == "import":
        return ", ".join(f"{label_of(k).lower()} {v}" for k, v in after.items() if isinstance(v, int))
    if entity == "database":
        return str(after.get("file") or after.get("from") or after.get("error") or "")
    if action == "anonymise":
        return reason.strip()
    return ""
