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
from ..domain.model import User
from ..handout_pdf import CONTENT_VERSION, BuiltPdf, Exercise, HandoutData, HandoutOptions, build_handouts
from ..storage import audit
from ..storage import care as care_sql
from ..storage import handouts as handout_sql
from ..storage import records as sql
from ..storage.db import Database, utc_now
from .auth import Permission, require
from .care import effective_thresholds, prescription
from .records import NotFound


def handout_data(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> HandoutData:
    require(actor, Permission.VIEW)
    ep = sql.get_episode(db, episode_id)
    if ep is None:
        raise NotFound(f"No episode {episode_id}.")
    items, _ = prescription(db, actor, episode_id, int(ep["stage"]))
    treatments = care_sql.treatments_for_episode(db, episode_id)
    current = treatments[treatments["given_on"] >= pd.Timestamp(sql.tier_since(db, episode_id))]
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
        exercises=[Exercise(**item) for item in items],
        clinician_name=ep["clinician_name"] or "",
        issued_on=today or date.today(),
        next_review_on=sql.next_review_on(db, episode_id),
        treatments=current["kind"].drop_duplicates().tolist(),
        pain_green_max=t["pain_green_max"],
        pain_amber_max=t["pain_amber_max"],
        clinic_phone=clinic.get("clinic_phone") or None,
        clinic_url=clinic.get("clinic_url") or None,
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
    """Build, archive and record one handout given to the patient."""
    require(actor, Permission.ISSUE_HANDOUT)
    options = options or HandoutOptions()
    today = today or date.today()
    built = build_for_episode(db, actor, episode_id, options, today=today)
    digest = hashlib.sha256(built.data).hexdigest()
    folder = (reports_dir or config.REPORTS_DIR) / today.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"episode-{episode_id:06d}-{digest[:12]}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(built.data)
        tmp.replace(path)
    with db.transaction() as cur:
        handout_id = handout_sql.insert_issue(
            cur,
            episode_id,
            utc_now(),
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
            },
        )
    return Issued(handout_id, episode_id, built.data, digest, path, built.warnings)


def issue_many(
    db: Database,
    actor: User,
    episode_ids: list[int],
    options: HandoutOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    reports_dir: Path | None = None,
) -> list[Issued]:
    require(actor, Permission.ISSUE_HANDOUT)
    done = []
    for n, episode_id in enumerate(episode_ids, start=1):
        done.append(issue(db, actor, episode_id, options, today=today, reports_dir=reports_dir))
        if progress:
            progress(n, len(episode_ids))
    return done


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
    require(actor, Permission.VIEW)
    return handout_sql.episodes_seen_on(db, today or date.today())


def open_episodes(db: Database, actor: User) -> list[int]:
    require(actor, Permission.VIEW)
    return handout_sql.open_episode_ids(db)


def issued_for_episode(db: Database, actor: User, episode_id: int):
    require(actor, Permission.VIEW)
    return handout_sql.issued_for_episode(db, episode_id)
