"""The rules applied to episodes: one case, or the whole clinic (cached until the next write)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..domain import rules
from ..domain.model import User
from ..storage import caseload as caseload_sql, care as care_sql, records as records_sql
from ..storage.db import Database
from .auth import Permission, require
from .care import effective_thresholds
from .records import NotFound

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 4


def evaluated_episodes(db: Database, actor: User, *, today: date | None = None) -> pd.DataFrame:
    """Every episode with its rule results. Recomputed in DuckDB after any write (db.generation),
    otherwise served from memory; callers must not modify the frame."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    thresholds = effective_thresholds(db)
    key = (id(db), db.generation, tuple(sorted(thresholds.items())), today)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    features = caseload_sql.episode_features(db, pain_amber_max=thresholds["pain_amber_max"])
    evaluated = rules.evaluate(features, thresholds, today)
    with _cache_lock:
        _cache[key] = evaluated
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return evaluated


@dataclass
class CaseRules:
    result: dict[str, Any]                  # the evaluated row for the episode
    suggestions: list[rules.Rule]           # standing suggestions not yet decided since the last assessment
    thresholds: dict[str, float]


def case_rules(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> CaseRules:
    require(actor, Permission.VIEW)
    today = today or date.today()
    thresholds = effective_thresholds(db)
    features = caseload_sql.episode_features(db, pain_amber_max=thresholds["pain_amber_max"], episode_id=episode_id)
    if features.empty:
        raise NotFound("No such episode.")
    row = rules.evaluate(features, thresholds, today).iloc[0].to_dict()
    decided = care_sql.decisions_for_episode(db, episode_id)
    last = records_sql.last_recorded_at(db, episode_id)
    suggestions = []
    for rule_id in rules.SUGGESTION_RULES:
        if not bool(row.get(rule_id)):
            continue
        earlier = decided[decided["rule_id"] == rule_id]
        if not earlier.empty and (last is None or pd.Timestamp(earlier["decided_at"].iloc[0]) >= pd.Timestamp(last)):
            continue  # decided since the last assessment: not asked again until the next one
        suggestions.append(rules.RULES[rule_id])
    return CaseRules(result=row, suggestions=suggestions, thresholds=thresholds)
