"""Treatment path of an episode: tier and stage changes, treatments, the exercise prescription,
rule thresholds, and the clinician's decisions on the app's suggestions. History is append-only."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd

from ..domain import exercises, rules, validation
from ..domain.exercises import Restrictions
from ..domain.model import FieldProblems, Pathway, User, pathway_of
from ..domain.validation import require_valid
from ..storage import audit
from ..storage import care as care_sql
from ..storage import records as sql
from ..storage.db import Database, utc_now
from . import case_state
from .auth import Permission, require
from .records import NotFound, RecordLocked


def _today(today: date | None) -> date:
    return today or date.today()


def _open_episode(cur, episode_id: int) -> dict[str, Any]:
    ep = sql.episode_row(cur, episode_id)
    if ep is None:
        raise NotFound("No such episode.")
    if ep["status"] != "open":
        raise RecordLocked("This episode is closed.")
    return ep


# -- thresholds --------------------------------------------------------------------------------------


def effective_thresholds(db: Database) -> dict[str, float]:
    """The defaults of domain.rules with the administrator's overrides applied."""
    return {**rules.default_thresholds(), **care_sql.threshold_overrides(db)}


def set_threshold(db: Database, actor: User, key: str, value: float) -> None:
    set_thresholds(db, actor, {key: value})


def set_thresholds(db: Database, actor: User, changes: dict[str, float]) -> int:
    """Change several thresholds together, all or nothing: every value is checked first (FieldProblems keyed
    by threshold, nothing saved), then all are saved in one transaction, each audited. Returns how many."""
    require(actor, Permission.SETTINGS)
    current = {**effective_thresholds(db), **changes}  # each value is checked against the others in force
    problems = {
        key: problem for key, value in changes.items() if (problem := rules.check_threshold_value(key, value, current))
    }
    if problems:
        raise FieldProblems(problems)
    with db.transaction() as cur:
        at = utc_now()
        for key, value in changes.items():
            before = care_sql.set_threshold(cur, key, float(value), at, actor.username)
            audit.append(
                cur,
                actor.username,
                "update",
                "rule_threshold",
                key,
                before={"value": float(before if before is not None else rules.THRESHOLDS[key].default)},
                after={"value": float(value)},
            )
        case_state.refresh_all(cur)  # every stored rule result follows the values in force
    return len(changes)


TIERS = ("conservative", "adjunct", "regenerative")  # CLINICAL.md §3, in order

# -- tier and stage ----------------------------------------------------------------------------------


def _change(cur, actor: User, episode_id: int, raw: dict[str, Any], kind: str, today: date) -> int:
    ep = _open_episode(cur, episode_id)
    current, since = (sql.current_tier if kind == "tier" else sql.current_stage)(cur, episode_id)
    values = require_valid(
        validation.check_change(raw, kind=kind, current=current, since=since, opened_on=ep["opened_on"], today=today)
    )
    at = utc_now()
    if kind == "tier":
        change_id = sql.insert_tier_change(
            cur,
            episode_id,
            values["tier"],
            values["effective_on"],
            values["reason"],
            actor.user_id,
            at,
            values.get("planned_treatment"),
        )
    else:
        change_id = sql.insert_stage_change(
            cur, episode_id, values["stage"], values["effective_on"], values["reason"], actor.user_id, at
        )
    audit.append(
        cur,
        actor.username,
        "change_" + kind,
        "episode",
        episode_id,
        before={kind: current, "since": since},
        after=values,
    )
    return change_id


def change_tier(db: Database, actor: User, episode_id: int, raw: dict[str, Any], *, today: date | None = None) -> int:
    """Move the episode to another tier (up, or back down) from a date, with the reason."""
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        change_id = _change(cur, actor, episode_id, raw, "tier", _today(today))
        case_state.refresh(cur, [episode_id])
        return change_id


def change_stage(db: Database, actor: User, episode_id: int, raw: dict[str, Any], *, today: date | None = None) -> int:
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        change_id = _change(cur, actor, episode_id, raw, "stage", _today(today))
        case_state.refresh(cur, [episode_id])
        return change_id


# -- treatments ----------------------------------------------------------------------------------------


def record_treatment(
    db: Database, actor: User, episode_id: int, raw: dict[str, Any], *, today: date | None = None
) -> int:
    """Record a treatment session. A shockwave session or an injection passes the safety screen
    (CLINICAL.md §8) first: the items the record decides (age on the date given, the episode's earlier
    corticosteroid injections) are computed here, in the same transaction as the write; an item that
    applies is refused unless the clinician gives an override reason. The audit keeps the screen and
    the reason."""
    require(actor, Permission.EDIT)
    with db.transaction() as cur:
        ep = _open_episode(cur, episode_id)
        tier, _ = sql.current_tier(cur, episode_id)
        patient = sql.patient_row(cur, ep["patient_id"]) or {}
        values = require_valid(
            validation.check_treatment(
                raw,
                tier=tier,
                opened_on=ep["opened_on"],
                today=_today(today),
                date_of_birth=patient.get("date_of_birth"),
                previous_treatments=care_sql.episode_treatments(cur, episode_id),
            )
        )
        values.update(episode_id=episode_id, clinician_id=actor.user_id)
        treatment_id = care_sql.insert_treatment(cur, values, utc_now(), actor.username)
        after = {k: v for k, v in values.items() if k != "screen_json"}
        if values.get("screen_json"):
            after["screen"] = json.loads(values["screen_json"])
        audit.append(cur, actor.username, "create", "treatment", treatment_id, after=after)
        case_state.refresh(cur, [episode_id])
    return treatment_id


def treatments(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return care_sql.treatments_for_episode(db, episode_id)


# -- prescription ----------------------------------------------------------------------------------------


def restrictions(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> Restrictions | None:
    """After surgery: the surgeon's limits recorded at the latest assessment, with the week after surgery the
    patient is in (1 = the first week). None on the other pathways."""
    require(actor, Permission.VIEW)
    ep = sql.get_episode(db, episode_id)
    if ep is None or pathway_of(ep) != Pathway.POST_OPERATIVE:
        return None
    latest = sql.latest_assessment(db, episode_id) or {}
    surgery = ep.get("surgery_date")
    week = ((today or date.today()) - surgery).days // 7 + 1 if surgery else None
    return Restrictions(
        phase=latest.get("postop_phase"),
        brace=bool(latest.get("postop_brace")),
        hip_flexion_limit=latest.get("postop_hip_flexion_limit"),
        loaded_flexion_week=latest.get("postop_loaded_flexion_week"),
        weeks_since_surgery=week,
        notes=latest.get("postop_restrictions"),
    )


def prescription(
    db: Database, actor: User, episode_id: int, stage: int, *, today: date | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """The exercises for the episode's current stage and pathway, and whether they are still the stage
    defaults. After surgery an exercise the recorded restrictions exclude is never returned (§7)."""
    require(actor, Permission.VIEW)
    ep = sql.get_episode(db, episode_id)
    path = pathway_of(ep) if ep else Pathway.PROXIMAL
    limits = restrictions(db, actor, episode_id, today=today)
    head, items = care_sql.current_prescription(db, episode_id)
    if head is None or head["stage"] != stage:
        return exercises.defaults_for(stage, path.value, limits), True
    chosen = [{k: item[k] for k in care_sql.ITEM_COLUMNS} for item in items]
    return [item for item in chosen if exercises.excluded(item["exercise"], limits) is None], False


def save_prescription(db: Database, actor: User, episode_id: int, items: list[dict[str, Any]]) -> int:
    require(actor, Permission.EDIT)
    clean, problems = validation.check_prescription(items)
    if problems:
        raise FieldProblems(problems)
    limits = restrictions(db, actor, episode_id)
    refused = {
        f"item_{n}": f"{item['exercise']}: not allowed by the surgeon's limits ({why})."
        for n, item in enumerate(clean)
        if (why := exercises.excluded(item["exercise"], limits))
    }
    if refused:
        raise FieldProblems(refused)
    with db.transaction() as cur:
        _open_episode(cur, episode_id)
        stage, _ = sql.current_stage(cur, episode_id)
        prescription_id = care_sql.insert_prescription(cur, episode_id, stage, clean, utc_now(), actor.username)
        audit.append(
            cur,
            actor.username,
            "create",
            "prescription",
            prescription_id,
            after={"episode_id": episode_id, "stage": stage, "items": clean},
        )
    return prescription_id


# -- suggestions -------------------------------------------------------------------------------------------


def decide(
    db: Database, actor: User, episode_id: int, rule_id: str, accept: bool, reason: str, *, today: date | None = None
) -> int:
    """Record the clinician's decision on a suggestion. Accepting an escalation moves the tier (and
    accepting 'ready to progress' moves the stage) in the same transaction, with the same reason."""
    require(actor, Permission.EDIT)
    rule = rules.RULES.get(rule_id)
    if rule is None:
        raise FieldProblems({"rule": "Unknown suggestion."})
    if not (reason or "").strip():
        raise FieldProblems({"reason": "Record the reason for your decision."})
    today = _today(today)
    with db.transaction() as cur:
        _open_episode(cur, episode_id)
        if accept and rule.suggests_tier:
            _change(
                cur,
                actor,
                episode_id,
                {
                    "tier": rule.suggests_tier,
                    "effective_on": today,
                    "reason": f"{rule.statement} Decision: {reason.strip()}",
                },
                "tier",
                today,
            )
        if accept and rule_id == "ready_to_progress":
            stage, _ = sql.current_stage(cur, episode_id)
            _change(
                cur,
                actor,
                episode_id,
                {
                    "stage": min(4, stage + 1),
                    "effective_on": today,
                    "reason": f"Ready to progress. Decision: {reason.strip()}",
                },
                "stage",
                today,
            )
        decision_id = care_sql.insert_decision(
            cur, episode_id, rule_id, "accepted" if accept else "dismissed", reason.strip(), actor.user_id, utc_now()
        )
        audit.append(
            cur,
            actor.username,
            "accept" if accept else "dismiss",
            "suggestion",
            decision_id,
            after={"episode_id": episode_id, "rule_id": rule_id, "reason": reason.strip()},
        )
        case_state.refresh(cur, [episode_id])
    return decision_id


def decisions(db: Database, actor: User, episode_id: int) -> pd.DataFrame:
    require(actor, Permission.VIEW)
    return care_sql.decisions_for_episode(db, episode_id)
