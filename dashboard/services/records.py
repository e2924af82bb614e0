"""The clinic record: the one API the pages, the CLI and the tests use to read and change patients,
episodes, assessments and imaging. Every function checks the actor's role, validates, writes in one
transaction and appends the audit trail in that same transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from ..domain import validation
from ..domain.model import PSFS_ITEMS, RED_FLAG_CODES, FieldProblems, Tier, User, test_columns
from ..domain.validation import require_valid
from ..storage import alerts as alert_sql
from ..storage import audit
from ..storage import case_state as state_sql
from ..storage import records as sql
from ..storage import users as user_sql
from ..storage.db import Database, utc_now
from . import alerts, case_state, unsaved
from .auth import Permission, require


class StaleRecord(Exception):
    """Someone else saved the record after it was opened; the caller keeps the user's input."""

    def __init__(self, what: str, by: str | None, at: Any):
        when = f"{at:%Y-%m-%d %H:%M} UTC" if at else "just now"
        super().__init__(
            f"This {what} was changed by {by or 'another user'} at {when} after you opened it. "
            "Your changes are still in the form: check theirs, then save again."
        )
        self.by, self.at = by, at


class NotFound(LookupError):
    pass


class RecordLocked(Exception):
    """A signed record cannot be changed; add an addendum instead."""


class NotYourDraft(RecordLocked):
    """Only the author of an unsigned draft edits or signs it; others add an addendum once it is signed."""


def _today(today: date | None) -> date:
    return today or date.today()


# -- patients --------------------------------------------------------------------------------------


def _taken_message(clinic_id: str) -> str:
    return f"Another patient already has clinic ID {clinic_id}."


def _valid_patient(db: Database, raw: dict[str, Any], today: date, patient_id: int | None) -> dict[str, Any]:
    """Validated values; a clinic ID already in use is reported with the other problems."""
    check = validation.check_patient(raw, today)
    clinic_id = check.clean.get("clinic_id")
    if clinic_id and "clinic_id" not in check.problems:
        with db.cursor() as cur:
            other = sql.patient_id_for_clinic_id(cur, clinic_id)
        if other is not None and other != patient_id:
            check.problem("clinic_id", _taken_message(clinic_id))
    return require_valid(check)


def _refuse_taken_clinic_id(cur, clinic_id: str, patient_id: int | None) -> None:
    """The same check inside the write transaction, for a save racing another."""
    other = sql.patient_id_for_clinic_id(cur, clinic_id)
    if other is not None and other != patient_id:
        raise FieldProblems({"clinic_id": _taken_message(clinic_id)})


def create_patient(db: Database, actor: User, raw: dict[str, Any], *, today: date | None = None) -> int:
    require(actor, Permission.EDIT)
    values = _valid_patient(db, raw, _today(today), None)
    with db.transaction() as cur:
        _refuse_taken_clinic_id(cur, values["clinic_id"], None)
        patient_id = sql.insert_patient(cur, values, utc_now(), actor.username)
        audit.append(cur, actor.username, "create", "patient", patient_id, after=values)
    return patient_id


def update_patient(
    db: Database, actor: User, patient_id: int, raw: dict[str, Any], expected_version: int, *, today: date | None = None
) -> None:
    require(actor, Permission.EDIT)
    values = _valid_patient(db, raw, _today(today), patient_id)
    with db.transaction() as cur:
        before = sql.patient_row(cur, patient_id)
        if before is None:
            raise NotFound("No such patient.")
        _refuse_taken_clinic_id(cur, values["clinic_id"], patient_id)
        if not sql.update_patient(cur, patient_id, values, expected_version, utc_now(), actor.username):
            raise StaleRecord("patient", before["updated_by"], before["updated_at"])
        audit.append(
            cur, actor.username, "update", "patient", patient_id, before={k: before[k] for k in values}, after=values
        )
        case_state.refresh(cur, state_sql.episodes_of_patient(cur, patient_id))  # the age on imaging dates


def find_patients(db: Database, actor: User, text: str, limit: int = 50) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.search_patients(db, text or "", limit)


def patient(db: Database, actor: User, patient_id: int) -> dict[str, Any]:
    require(actor, Permission.VIEW)
    found = sql.get_patient(db, patient_id)
    if found is None:
        raise NotFound("No such patient.")
    return found


def patient_episodes(db: Database, actor: User, patient_id: int) -> list[dict[str, Any]]:
    require(actor, Permission.VIEW)
    return sql.episodes_for_patient(db, patient_id)


def clinicians(db: Database, actor: User) -> list[dict[str, Any]]:
    require(actor, Permission.VIEW)
    return user_sql.clinicians(db)


# -- episodes --------------------------------------------------------------------------------------


def open_episode(db: Database, actor: User, patient_id: int, raw: dict[str, Any], *, today: date | None = None) -> int:
    """Open an episode of care; it starts in the conservative tier at loading stage 1 (CLINICAL.md §3)."""
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        person = sql.patient_row(cur, patient_id)
        if person is None:
            raise NotFound("No such patient.")
        values = require_valid(
            validation.check_episode(raw, date_of_birth=person["date_of_birth"], today=_today(today))
        )
        clinician = user_sql.user_row(cur, values["clinician_id"])
        if clinician is None or not clinician["active"] or clinician["role"] == "read_only":
            raise FieldProblems({"clinician_id": "Choose an active clinician."})
        values["patient_id"] = patient_id
        return insert_new_episode(cur, actor, values)


OPENING_TIER_REASON = "Episode opened: everyone starts with conservative care"
OPENING_STAGE_REASON = "Episode opened: loading starts at stage 1 (isometrics)"


def insert_new_episode(cur, actor: User, values: dict[str, Any]) -> int:
    """Write a validated episode with its starting tier and stage, inside the caller's transaction."""
    values["status"] = "open"
    at = utc_now()
    episode_id = sql.insert_episode(cur, values, at, actor.username)
    sql.insert_tier_change(
        cur,
        episode_id,
        Tier.CONSERVATIVE,
        values["opened_on"],
        OPENING_TIER_REASON,
        values["clinician_id"],
        at,
    )
    sql.insert_stage_change(
        cur,
        episode_id,
        1,
        values["opened_on"],
        OPENING_STAGE_REASON,
        values["clinician_id"],
        at,
    )
    audit.append(cur, actor.username, "create", "episode", episode_id, after=values)
    case_state.refresh(cur, [episode_id])
    return episode_id


def close_episode(
    db: Database, actor: User, episode_id: int, raw: dict[str, Any], expected_version: int, *, today: date | None = None
) -> None:
    """Discharge an episode or record that it was referred on."""
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        before = sql.episode_row(cur, episode_id)
        if before is None:
            raise NotFound("No such episode.")
        if before["status"] != "open":
            raise RecordLocked("This episode is already closed.")
        values = require_valid(
            validation.check_closing(
                raw,
                opened_on=before["opened_on"],
                last_assessed=sql.last_assessed_on(cur, episode_id),
                today=_today(today),
            )
        )
        if not sql.close_episode(cur, episode_id, values, expected_version, utc_now(), actor.username):
            raise StaleRecord("episode", before["updated_by"], before["updated_at"])
        audit.append(
            cur, actor.username, "close", "episode", episode_id, before={k: before[k] for k in values}, after=values
        )
        case_state.refresh(cur, [episode_id])


def episode(db: Database, actor: User, episode_id: int) -> dict[str, Any]:
    require(actor, Permission.VIEW)
    found = sql.get_episode(db, episode_id)
    if found is None:
        raise NotFound("No such episode.")
    return found


# -- assessments -----------------------------------------------------------------------------------


def record_assessment(
    db: Database,
    actor: User,
    episode_id: int,
    raw: dict[str, Any],
    *,
    today: date | None = None,
    unsaved_record: str | None = None,
) -> int:
    """Validate and save one assessment (a draft until signed). All or nothing. ``unsaved_record``: the form's
    input kept for a reload (services/unsaved.py) is forgotten in the same transaction."""
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        ep = sql.episode_row(cur, episode_id)
        if ep is None:
            raise NotFound("No such episode.")
        if ep["status"] != "open":
            raise RecordLocked("This episode is closed; reopen a new episode to record assessments.")
        open_now = alert_sql.open_alerts_cur(cur, episode_id)
        values = require_valid(validation.check_assessment(raw, episode=ep, today=_today(today), open_alerts=open_now))
        values["episode_id"] = episode_id
        values["clinician_id"] = raw.get("clinician_id") or actor.user_id
        at = utc_now()
        assessment_id = sql.insert_assessment(cur, values, at, actor.username)
        audit.append(cur, actor.username, "create", "assessment", assessment_id, after=values)
        alerts.after_assessment(cur, actor, ep, assessment_id, values, at, new_with_open=open_now)
        case_state.refresh(cur, [episode_id])
        if unsaved_record:
            unsaved.discard_in(cur, actor, "assessment", unsaved_record)
    return assessment_id


def update_draft(
    db: Database,
    actor: User,
    assessment_id: int,
    raw: dict[str, Any],
    expected_version: int,
    *,
    today: date | None = None,
    unsaved_record: str | None = None,
) -> None:
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        before = sql.assessment_row(cur, assessment_id)
        if before is None:
            raise NotFound("No such assessment.")
        if before["signed_at"] is not None:
            raise RecordLocked("This assessment is signed and cannot be changed; add an addendum instead.")
        _refuse_unless_author(cur, actor, before, "edit")
        ep = sql.episode_row(cur, before["episode_id"])
        if ep is None:
            raise NotFound("No such episode.")
        if ep["status"] != "open":
            raise RecordLocked("This episode is closed; its drafts can no longer be changed.")
        asked = [  # the alerts this visit answers for: open ones, less those it raised itself
            a
            for a in alert_sql.open_alerts_cur(cur, ep["episode_id"])
            if not (a["source"] == "assessment" and a["source_id"] == assessment_id)
        ]
        values = require_valid(validation.check_assessment(raw, episode=ep, today=_today(today), open_alerts=asked))
        at = utc_now()
        if not sql.update_draft_assessment(cur, assessment_id, values, expected_version, at, actor.username):
            raise StaleRecord("assessment", before["updated_by"], before["updated_at"])
        alerts.after_assessment(cur, actor, ep, assessment_id, values, at)
        audit.append(
            cur,
            actor.username,
            "update",
            "assessment",
            assessment_id,
            before={k: before.get(k) for k in values},
            after=values,
        )
        case_state.refresh(cur, [ep["episode_id"]])
        if unsaved_record:
            unsaved.discard_in(cur, actor, "assessment", unsaved_record)


def _refuse_unless_author(cur, actor: User, draft: dict[str, Any], doing: str) -> None:
    """A draft belongs to the user who wrote it (``created_by``): only they edit or sign it."""
    if draft["created_by"] == actor.username:
        return
    author = user_sql.user_by_name(cur, draft["created_by"])
    name = author["display_name"] if author else draft["created_by"]
    raise NotYourDraft(
        f"This draft is {name}'s: only its author can {doing} it. Once it is signed, add an addendum; "
        "an administrator can reassign the draft."
    )


def sign_assessment(db: Database, actor: User, assessment_id: int) -> None:
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        before = sql.assessment_row(cur, assessment_id)
        if before is None:
            raise NotFound("No such assessment.")
        if before["signed_at"] is not None:
            raise RecordLocked(f"This assessment was already signed by {before['signed_by']}.")
        _refuse_unless_author(cur, actor, before, "sign")
        if not sql.sign_assessment(cur, assessment_id, utc_now(), actor.username):
            raise RecordLocked("This assessment was signed by someone else a moment ago.")
        audit.append(cur, actor.username, "sign", "assessment", assessment_id)


def reassign_draft(db: Database, actor: User, assessment_id: int, username: str, reason: str) -> None:
    """An administrator gives an unsigned draft to another clinician (its author left, or is away), who may
    then edit and sign it. Audited with the reason."""
    require(actor, Permission.REASSIGN_DRAFT)
    reason = (reason or "").strip()
    if not reason:
        raise FieldProblems({"reason": "Give the reason for reassigning the draft."})
    with db.transaction() as cur:
        before = sql.assessment_row(cur, assessment_id)
        if before is None:
            raise NotFound("No such assessment.")
        if before["signed_at"] is not None:
            raise RecordLocked("This assessment is signed: add an addendum instead.")
        target = user_sql.user_by_name(cur, username or "")
        if target is None or not target["active"] or target["role"] == "read_only":
            raise FieldProblems(
                {"username": f"{username or 'Nobody'} cannot take the draft: choose an active clinician."}
            )
        if target["username"] == before["created_by"]:
            raise FieldProblems({"username": f"The draft is already {target['display_name']}'s."})
        sql.reassign_draft(cur, assessment_id, target["username"], utc_now(), actor.username)
        audit.append(
            cur,
            actor.username,
            "reassign",
            "assessment",
            assessment_id,
            before={"author": before["created_by"]},
            after={"author": target["username"], "reason": reason},
        )


def add_addendum(db: Database, actor: User, assessment_id: int, reason: str, body: str) -> int:
    """A correction to a signed assessment: the original stays as it was, the addendum is shown with it."""
    require(actor, Permission.EDIT)
    problems = {}
    if not (reason or "").strip():
        problems["reason"] = "Give the reason for the addendum."
    if not (body or "").strip():
        problems["body"] = "Write the correction or addition."
    if problems:
        raise FieldProblems(problems)
    with db.transaction() as cur:
        before = sql.assessment_row(cur, assessment_id)
        if before is None:
            raise NotFound("No such assessment.")
        if before["signed_at"] is None:
            raise RecordLocked("This assessment is still a draft: edit it directly, then sign it.")
        addendum_id = sql.insert_addendum(cur, assessment_id, reason.strip(), body.strip(), utc_now(), actor.username)
        audit.append(
            cur,
            actor.username,
            "amend",
            "assessment",
            assessment_id,
            after={"addendum_id": addendum_id, "reason": reason.strip(), "body": body.strip()},
        )
    return addendum_id


def assessments(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.assessments_for_episode(db, episode_id)


def assessment(db: Database, actor: User, assessment_id: int) -> dict[str, Any]:
    require(actor, Permission.VIEW)
    found = sql.get_assessment(db, assessment_id)
    if found is None:
        raise NotFound("No such assessment.")
    return found


def addenda(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.addenda_for_episode(db, episode_id)


def my_drafts(db: Database, actor: User) -> pd.DataFrame:
    """The actor's unsigned assessments (shown on every page: kept until the next write)."""
    require(actor, Permission.VIEW)
    from .memo import memoised

    return memoised(db, "drafts", actor.username, lambda: sql.unsigned_assessments(db, actor.username))


# Fields a review carries forward from the previous visit. The date, questionnaires (VISA-H, PHAT, the
# functional scale's scores, GROC), pain during the exercises, the red-flag answers and the free text are
# asked afresh each time.
CARRY_FORWARD = (
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
    "palpation_left",
    "palpation_right",
    "distal_palpation",
    *test_columns(),
    *[f"psfs_{n}_activity" for n in range(1, PSFS_ITEMS + 1)],  # the activities the patient named; not scores
    "postop_phase",  # the surgeon's protocol and its restrictions stay in force until changed
    "postop_brace",
    "postop_hip_flexion_limit",
    "postop_loaded_flexion_week",
    "postop_restrictions",
    "bridge_reps_left",
    "bridge_reps_right",
    "bridge_pain_left",
    "bridge_pain_right",
    "strength_method",
    "strength_unit",
    "strength_range",
    "strength_left",
    "strength_right",
)


# Everything a clinician typed on an assessment: what a draft edit starts from.
EDITABLE_FIELDS = tuple(c for c in sql.ASSESSMENT_COLUMNS if c != "episode_id")


def assessment_defaults(db: Database, actor: User, episode_id: int) -> dict[str, Any]:
    """Starting values for a new assessment: the previous visit's, so a review takes seconds."""
    require(actor, Permission.VIEW)
    previous = sql.latest_assessment(db, episode_id)
    defaults: dict[str, Any] = {code: False for code in RED_FLAG_CODES}
    if previous:
        defaults.update({k: previous[k] for k in CARRY_FORWARD if previous.get(k) is not None})
        defaults["_carried_from"] = previous["assessed_on"]
    return defaults


# -- imaging ---------------------------------------------------------------------------------------


def record_imaging(
    db: Database, actor: User, episode_id: int, raw: dict[str, Any], *, today: date | None = None
) -> int:
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        ep = sql.episode_row(cur, episode_id)
        if ep is None:
            raise NotFound("No such episode.")
        person = sql.patient_row(cur, ep["patient_id"])
        if person is None:
            raise NotFound("No such patient.")
        values = require_valid(
            validation.check_imaging(raw, episode=ep, date_of_birth=person["date_of_birth"], today=_today(today))
        )
        values["episode_id"] = episode_id
        at = utc_now()
        imaging_id = sql.insert_imaging(cur, values, at, actor.username)
        audit.append(cur, actor.username, "create", "imaging", imaging_id, after=values)
        from .care import effective_thresholds  # care imports this module

        alerts.after_imaging(cur, actor, ep, imaging_id, values, at, effective_thresholds(db))
        case_state.refresh(cur, [episode_id])
    return imaging_id


def imaging(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.imaging_for_episode(db, episode_id)


def tier_history(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.tier_history(db, episode_id)


def stage_history(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return sql.stage_history(db, episode_id)
