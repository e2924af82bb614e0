"""Red flags as alerts on the episode (CLINICAL.md §6): raised from an assessment, an imaging report or by a
clinician on the case; each with its kind, route and urgency; open until a clinician resolves it, recording
what was done (referred: to whom, how urgently, when sent; or ruled out: why). A later visit answers for
each open alert and never clears one. Every step is audited; nothing is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..domain import validation
from ..domain.model import (
    ALERT_KINDS,
    AVULSION_WINDOW_DAYS,
    RED_FLAGS,
    AlertKind,
    User,
)
from ..domain.rules import Thresholds, default_thresholds
from ..domain.validation import require_valid
from ..storage import alerts as alert_sql
from ..storage import audit
from ..storage import records as sql
from ..storage.db import Database, utc_now
from . import case_state
from .auth import Permission, require


class AlertNotFound(LookupError):
    pass


class AlertAlreadyResolved(Exception):
    pass


@dataclass
class Alert:
    """An alert as the case page, the caseload and the handouts show it."""

    row: dict[str, Any]
    kind: AlertKind
    days_left: int | None  # avulsion: days left in the 4-week surgical window (negative once past)

    @property
    def is_open(self) -> bool:
        return self.row["status"] == "open"


def avulsion_days_left(injury_on: date | None, raised_on: date, today: date) -> int:
    """§6: surgery for 2+ tendons or retraction > 2 cm is best within 4 weeks of the injury. Without an
    injury date the window is counted from the day the flag was raised (and the page says so)."""
    start = injury_on or raised_on
    return AVULSION_WINDOW_DAYS - (today - start).days


def as_alert(row: dict[str, Any], today: date) -> Alert:
    kind = ALERT_KINDS[row["kind"]]
    days = None
    if row["kind"] == "avulsion" and row["status"] == "open":
        days = avulsion_days_left(_day(row.get("injury_on")), _day(row["raised_on"]) or today, today)
    return Alert(row=row, kind=kind, days_left=days)


def _day(value: Any) -> date | None:
    if value is None or value != value:  # None or NaT
        return None
    return value.date() if isinstance(value, datetime) else value


# -- reading -----------------------------------------------------------------------------------------------


def episode_alerts(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> list[Alert]:
    """Every alert of the episode: open ones first, then the resolved history."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    frame = alert_sql.alerts_for_episode(db, episode_id)
    return [
        as_alert({k: (None if v is None or v != v else v) for k, v in r.items()}, today)
        for r in frame.to_dict("records")
    ]


def open_alerts(db: Database, actor: User, episode_id: int) -> list[dict[str, Any]]:
    require(actor, Permission.VIEW)
    return alert_sql.open_alerts(db, episode_id)


# -- raising, inside the transaction of the record that raised it --------------------------------------------


def after_assessment(
    cur,
    actor: User,
    episode: dict[str, Any],
    assessment_id: int,
    values: dict[str, Any],
    at: datetime,
    *,
    new_with_open: list[dict[str, Any]] | None = None,
) -> list[int]:
    """An assessment was written: record its answer for each open alert, and raise one alert per kind of
    red flag ticked that is not already open. Returns the new alerts' ids. ``new_with_open``: the assessment
    was just inserted in this transaction, which read these open alerts before it (none is its own, and it has
    no answers recorded yet); otherwise (a draft edited again) both are read here."""
    if new_with_open is not None:
        every_open = open_now = new_with_open
    else:
        every_open = alert_sql.open_alerts_cur(cur, episode["episode_id"])
        open_now = [a for a in every_open if a["source_id"] != assessment_id or a["source"] != "assessment"]
        cur.execute("DELETE FROM alert_reviews WHERE assessment_id = ?", [assessment_id])  # its earlier answers
    for alert in open_now:
        answer = values.get("alert_answers", {}).get(alert["alert_id"])
        if answer:
            alert_sql.insert_review(cur, alert["alert_id"], assessment_id, answer, at, actor.username)
    open_kinds = {a["kind"] for a in every_open}  # recording reviews opened or closed none
    by_kind: dict[str, list[str]] = {}
    for flag in RED_FLAGS:
        if values.get(flag.code):
            by_kind.setdefault(flag.kind, []).append(flag.label)
    phase = values.get("nirschl_phase")
    if phase is not None and phase >= 6 and "medical" in by_kind:
        by_kind["medical"].append(f"Nirschl phase {phase}")
    raised = []
    for kind, labels in by_kind.items():
        if kind in open_kinds:
            continue  # the open alert of that kind stands; this visit's answer is recorded above
        detail = "; ".join(labels)
        if values.get("red_flag_action"):
            detail += f". Action at the visit: {values['red_flag_action']}"
        injury = episode["onset_date"] if kind == "avulsion" and episode.get("onset_type") == "sudden" else None
        raised.append(
            _raise(
                cur,
                actor,
                {
                    "episode_id": episode["episode_id"],
                    "kind": kind,
                    "detail": detail,
                    "source": "assessment",
                    "source_id": assessment_id,
                    "raised_on": values["assessed_on"],
                    "injury_on": injury or (values["assessed_on"] if kind == "avulsion" else None),
                },
                at,
            )
        )
    return raised


def after_imaging(
    cur,
    actor: User,
    episode: dict[str, Any],
    imaging_id: int,
    values: dict[str, Any],
    at: datetime,
    thresholds: Thresholds | None = None,
) -> int | None:
    """An imaging report was written: any avulsion, or MRI type IV, raises an avulsion alert (§6)."""
    if not (values.get("avulsion") or values.get("mri_type") == 4):
        return None
    t = {**default_thresholds(), **(thresholds or {})}
    tendons = values.get("tendons_avulsed") or 0
    retraction = values.get("retraction_cm")
    parts = [f"Imaging {values['imaged_on']:%d %b %Y}:"]
    parts.append("MRI type IV (bony avulsion)" if values.get("mri_type") == 4 else "avulsion")
    if tendons:
        parts.append(f"of {tendons} tendon(s)")
    if retraction is not None:
        parts.append(f"with {retraction:g} cm retraction")
    detail = " ".join(parts)
    if tendons >= t["avulsion_tendons"] or (retraction is not None and retraction > t["avulsion_retraction_cm"]):
        detail += ": urgent surgical opinion, ideally within 4 weeks of the injury"
    injury = episode["onset_date"] if episode.get("onset_type") == "sudden" else None
    return _raise(
        cur,
        actor,
        {
            "episode_id": episode["episode_id"],
            "kind": "avulsion",
            "detail": detail,
            "source": "imaging",
            "source_id": imaging_id,
            "raised_on": values["imaged_on"],
            "injury_on": injury,
        },
        at,
    )


def _raise(cur, actor: User, values: dict[str, Any], at: datetime) -> int:
    alert_id = alert_sql.insert_alert(cur, values, at, actor.username)
    audit.append(cur, actor.username, "raise", "red_flag_alert", alert_id, after=values)
    return alert_id


# -- by a clinician on the case --------------------------------------------------------------------------------


def raise_alert(db: Database, actor: User, episode_id: int, raw: dict[str, Any], *, today: date | None = None) -> int:
    """A red flag noticed outside an assessment (a phone call, a letter, a colleague's finding)."""
    require(actor, Permission.EDIT)
    today = today or date.today()
    with db.transaction() as cur:
        ep = sql.episode_row(cur, episode_id)
        if ep is None:
            raise AlertNotFound("No such episode.")
        values = require_valid(validation.check_manual_alert(raw, opened_on=ep["opened_on"], today=today))
        values.update(episode_id=episode_id, source="clinician", source_id=None)
        alert_id = _raise(cur, actor, values, utc_now())
        case_state.refresh(cur, [episode_id])
        return alert_id


def resolve(
    db: Database, actor: User, alert_id: int, raw: dict[str, Any], expected_version: int, *, today: date | None = None
) -> None:
    """Resolve an open alert: referred (to whom, urgency, date sent) or ruled out (why). Audited with the
    alert as it was and as it is now."""
    require(actor, Permission.EDIT)
    today = today or date.today()
    with db.transaction() as cur:
        before = alert_sql.alert_row(cur, alert_id)
        if before is None:
            raise AlertNotFound("No such red flag.")
        if before["status"] != "open":
            when = f"{before['resolved_at']:%d %b %Y %H:%M} UTC"
            raise AlertAlreadyResolved(f"This red flag was already resolved by {before['resolved_by']} at {when}.")
        values = require_valid(validation.check_alert_resolution(raw, raised_on=before["raised_on"], today=today))
        if not alert_sql.resolve_alert(cur, alert_id, values, expected_version, utc_now(), actor.username):
            raise AlertAlreadyResolved("This red flag changed after you opened it: look at it again, then resolve it.")
        audit.append(
            cur,
            actor.username,
            "resolve",
            "red_flag_alert",
            alert_id,
            before={"status": "open", "kind": before["kind"], "detail": before["detail"]},
            after={"status": "resolved", **values},
        )
        case_state.refresh(cur, [before["episode_id"]])


def answers_for(db: Database, actor: User, assessment_id: int) -> dict[int, str]:
    """What an assessment answered for each open red flag (to show again when its draft is edited)."""
    require(actor, Permission.VIEW)
    return {row["alert_id"]: row["answer"] for row in alert_sql.reviews_for_assessment(db, assessment_id)}
