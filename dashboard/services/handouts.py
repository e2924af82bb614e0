"""Handouts for episodes: gather the case's data, build the PDF (pure), and record each one issued
(who, when, episode, content version, SHA-256) with a copy archived under reports/<date>/."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .. import config
from ..domain.handout_content import OpenRedFlag
from ..domain.model import FieldProblems, NotDone, User, pathway_of
from ..handout_pdf import (
    CONTENT_VERSION,
    BuiltPdf,
    FontMissing,
    HandoutData,
    HandoutExercise,
    HandoutOptions,
    build_handouts,
)
from ..storage import alerts as alert_sql
from ..storage import audit
from ..storage import care as care_sql
from ..storage import handouts as handout_sql
from ..storage import records as sql
from ..storage.db import Database, utc_now
from .auth import Permission, require
from .care import effective_thresholds, prescription, restrictions
from .records import NotFound

NO_PHONE = (
    "Handouts tell patients when to call the clinic, so they need its phone number. An administrator sets it in "
    "Settings > Clinic details; then issue the handout again."
)


def handout_data(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> HandoutData:
    """Everything the handout says about this episode, read from the record (the content is then a pure
    function of it: domain/handout_content.py)."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    ep = sql.get_episode(db, episode_id)
    if ep is None:
        raise NotFound(f"No episode {episode_id}.")
    items, _ = prescription(db, actor, episode_id, int(ep["stage"]), today=today)
    treatments = care_sql.treatments_for_episode(db, episode_id)
    current = treatments[treatments["given_on"] >= pd.Timestamp(sql.tier_since(db, episode_id))]
    injections = current[current["kind"] == "injection"]
    injection, given_on = None, None
    if len(injections):
        latest = injections.sort_values("given_on").iloc[-1]
        injection, given_on = latest["injection_type"], pd.Timestamp(latest["given_on"]).date()
    elif ep["tier"] == "regenerative":
        injection = sql.planned_treatment(db, episode_id)  # planned, not yet given
    planned = sql.planned_treatment(db, episode_id)
    kinds = current["kind"].drop_duplicates().tolist()
    if planned and planned not in kinds and ep["tier"] == "adjunct":
        kinds.append(planned)
    clinic = sql.settings(db)
    t = effective_thresholds(db)
    return HandoutData(
        clinic_name=clinic.get("clinic_name") or "Hamstring clinic",
        patient_name=f"{ep['given_name']} {ep['family_name']}",
        side=ep["side"],
        region=ep["region"],
        severity=ep["severity"],
        tier=ep["tier"],
        stage=int(ep["stage"]),
        exercises=[HandoutExercise(**item) for item in items],
        clinician_name=ep["clinician_name"] or "",
        issued_by=actor.display_name if actor.user_id else None,
        issued_on=today,
        next_review_on=sql.next_review_on(db, episode_id),
        treatments=[k for k in kinds if k != "injection"],
        pain_green_max=t["pain_green_max"],
        pain_amber_max=t["pain_amber_max"],
        clinic_phone=clinic.get("clinic_phone") or None,
        clinic_url=clinic.get("clinic_url") or None,
        clinic_address=clinic.get("clinic_address") or None,
        pathway=pathway_of(ep).value,
        weeks_done=max(0, (today - ep["opened_on"]).days // 7),
        red_flags=[OpenRedFlag(a["kind"], a["raised_on"]) for a in alert_sql.open_alerts(db, episode_id)],
        injection=injection if injection in ("prp", "corticosteroid", "prolotherapy") else None,
        injection_given_on=given_on,
        restrictions=restrictions(db, actor, episode_id, today=today),
    )


def build_for_episode(
    db: Database, actor: User, episode_id: int, options: HandoutOptions | None = None, *, today: date | None = None
) -> BuiltPdf:
    """The handout's bytes, not recorded (a preview)."""
    return build_handouts([handout_data(db, actor, episode_id, today=today)], options)


@dataclass
class Issued:
    handout_id: int
    episode_id: int
    data: bytes
    sha256: str
    path: Path
    warnings: list[str]


def issue(
    db: Database,
    actor: User,
    episode_id: int,
    options: HandoutOptions | None = None,
    *,
    today: date | None = None,
    reports_dir: Path | None = None,
) -> Issued:
    """Build, archive and record one handout given to the patient: a batch of one (see ``issue_many``)."""
    require(actor, Permission.ISSUE_HANDOUT)
    if not handout_sql.episode_statuses(db, [episode_id]):
        raise NotFound(f"No episode {episode_id}.")
    batch = issue_many(db, actor, [episode_id], options, include_closed=True, today=today, reports_dir=reports_dir)
    return batch.issued[0]


@dataclass
class Batch:
    issued: list[Issued]
    skipped: list[int]  # closed episodes left out (printed only when asked for)


def issue_many(
    db: Database,
    actor: User,
    episode_ids: list[int],
    options: HandoutOptions | None = None,
    *,
    include_closed: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    reports_dir: Path | None = None,
) -> Batch:
    """Print a list of handouts as one batch, all or nothing. Every episode is checked and every handout
    built before anything is archived or recorded; then the files are archived and all of them recorded in
    one transaction. Any failure undoes what was done and raises ``NotDone`` saying that nothing was printed
    or recorded, and why. Closed episodes are left out (and listed) unless ``include_closed``."""
    require(actor, Permission.ISSUE_HANDOUT)
    options = options or HandoutOptions()
    today = today or date.today()
    ids = list(dict.fromkeys(int(i) for i in episode_ids))  # each once, in the order given
    statuses = handout_sql.episode_statuses(db, ids)
    missing = [str(i) for i in ids if i not in statuses]
    if missing:
        raise NotDone(
            f"Nothing was printed or recorded: there is no episode {', '.join(missing)}. "
            "Check the numbers and print again."
        )
    skipped = [] if include_closed else [i for i in ids if statuses[i] != "open"]
    wanted = [i for i in ids if i not in skipped]
    if wanted and not sql.settings(db).get("clinic_phone"):
        raise FieldProblems({"clinic_phone": NO_PHONE})
    built = []
    try:
        for n, episode_id in enumerate(wanted, start=1):
            pdf = build_for_episode(db, actor, episode_id, options, today=today)
            built.append((episode_id, pdf, hashlib.sha256(pdf.data).hexdigest()))
            if progress:
                progress(n, len(wanted))
    except (FieldProblems, FontMissing):
        raise  # says what to fix; nothing was written
    except Exception as exc:
        raise NotDone(
            f"Nothing was printed or recorded: handout {len(built) + 1} of {len(wanted)} could not be made ({exc})."
        ) from exc
    created: list[Path] = []
    try:
        paths = [
            _archive(pdf.data, digest, episode_id, today, reports_dir, created) for episode_id, pdf, digest in built
        ]
        issued = []
        with db.transaction() as cur:
            at = utc_now()
            for (episode_id, pdf, digest), path in zip(built, paths, strict=True):
                handout_id = handout_sql.insert_issue(
                    cur,
                    episode_id,
                    at,
                    today,
                    actor.username,
                    CONTENT_VERSION,
                    options.page_size,
                    options.large_print,
                    digest,
                    str(path),
                )
                audit.append(
                    cur,
                    actor.username,
                    "issue",
                    "handout",
                    handout_id,
                    after={
                        "episode_id": episode_id,
                        "sha256": digest,
                        "path": str(path),
                        "page_size": options.page_size,
                        "large_print": options.large_print,
                        "batch": len(built),
                    },
                )
                issued.append(Issued(handout_id, episode_id, pdf.data, digest, path, pdf.warnings))
    except Exception as exc:
        for path in created:
            path.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise NotDone(f"Nothing was printed or recorded: {reason}. The batch was undone; print it again.") from exc
    return Batch(issued, skipped)


def _archive(data: bytes, digest: str, episode_id: int, today: date, reports_dir: Path | None, created: list) -> Path:
    """The archived copy of a handout under reports/<date>/ (shared when the same bytes were issued before);
    a file this call writes is added to ``created`` so a failed batch can take it back."""
    folder = (reports_dir or config.REPORTS_DIR) / today.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"episode-{episode_id:06d}-{digest[:12]}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".part")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        created.append(path)
    return path


def combined_pdf(issued: list[Issued]) -> bytes:
    """The issued handouts as one file to print (each handout's pages, in order)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for item in issued:
        writer.append(io.BytesIO(item.data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def episodes_seen_today(db: Database, actor: User, today: date | None = None) -> list[int]:
    """The open episodes with an assessment on ``today`` (a clinic day's batch)."""
    require(actor, Permission.VIEW)
    return handout_sql.episodes_seen_on(db, today or date.today())


def describe_episodes(db: Database, actor: User, episode_ids: list[int]) -> pd.DataFrame:
    """The patient and the episode, for choosing a batch by name (never by episode number)."""
    require(actor, Permission.VIEW)
    return handout_sql.describe_episodes(db, [int(i) for i in episode_ids])


def open_episodes(db: Database, actor: User) -> list[int]:
    require(actor, Permission.VIEW)
    return handout_sql.open_episode_ids(db)


def issued_for_episode(db: Database, actor: User, episode_id: int):
    require(actor, Permission.VIEW)
    return handout_sql.issued_for_episode(db, episode_id)
