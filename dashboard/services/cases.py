"""What the case page shows about one episode, gathered in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..domain.model import User
from ..storage import records as sql
from ..storage.db import Database
from .auth import Permission, require
from .memo import memoised
from .records import NotFound


@dataclass
class CaseView:
    episode: dict[str, Any]
    assessments: pd.DataFrame  # newest first
    imaging: pd.DataFrame  # newest first
    addenda: pd.DataFrame
    tiers: pd.DataFrame
    stages: pd.DataFrame
    latest: dict[str, Any] | None  # the latest assessment
    weeks_in_episode: int
    weeks_in_tier: int


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if (isinstance(v, float) and v != v) or v is pd.NA else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def case_view(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> CaseView:
    """Everything the case page shows about an episode (kept until the next write)."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    return memoised(db, "case_view", (episode_id, today), lambda: _case_view(db, episode_id, today))


def _case_view(db: Database, episode_id: int, today: date) -> CaseView:
    ep = sql.get_episode(db, episode_id)
    if ep is None:
        raise NotFound("No such episode.")
    assessments = sql.assessments_for_episode(db, episode_id)
    imaging = sql.imaging_for_episode(db, episode_id)
    tiers = sql.tier_history(db, episode_id)
    end = ep["closed_on"] or today
    latest = _records(assessments.head(1))
    tier_start = tiers["effective_on"].iloc[-1] if len(tiers) else ep["opened_on"]
    if hasattr(tier_start, "date"):
        tier_start = tier_start.date()
    return CaseView(
        episode=ep,
        assessments=assessments,
        imaging=imaging,
        addenda=sql.addenda_for_episode(db, episode_id),
        tiers=tiers,
        stages=sql.stage_history(db, episode_id),
        latest=latest[0] if latest else None,
        weeks_in_episode=max(0, (end - ep["opened_on"]).days // 7),
        weeks_in_tier=max(0, (end - tier_start).days // 7),
    )
