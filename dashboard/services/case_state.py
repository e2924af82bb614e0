"""Keeping the case state current (storage/case_state.py): ``refresh`` runs inside every write that touches an
episode, in the same transaction, so what the caseload, the timeline and the case page read is never behind
the records; ``rebuild`` recomputes every episode from the records with the same code (``python -m dashboard
rebuild-state``), and ``differences`` compares the two."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

import pandas as pd

from ..domain import rules
from ..storage import audit
from ..storage import care as care_sql
from ..storage import case_state as sql
from ..storage.dialect import dialect_of

_CHUNK = 50_000  # episodes refreshed per statement in a large write (an import)


def refresh(cur, episode_ids: Iterable[int]) -> None:
    """Recompute the state of these episodes from the records, inside the caller's transaction."""
    ids = sorted({int(i) for i in episode_ids})
    if not ids:
        return
    dialect = dialect_of(cur)
    dialect.lock_episodes(cur, ids)
    thresholds = {**rules.default_thresholds(), **care_sql.threshold_overrides_in(cur)}
    with dialect.roomy(cur) if len(ids) > 1000 else nullcontext():
        for start in range(0, len(ids), _CHUNK):
            _write(cur, dialect, ids[start : start + _CHUNK], thresholds)


def refresh_all(cur) -> int:
    """Recompute every episode (thresholds changed, or a rebuild). Returns how many episodes."""
    dialect = dialect_of(cur)
    thresholds = {**rules.default_thresholds(), **care_sql.threshold_overrides_in(cur)}
    with dialect.roomy(cur):
        return _write(cur, dialect, None, thresholds)


def _write(cur, dialect, ids: list[int] | None, thresholds: dict[str, float]) -> int:
    features = sql.features(cur, dialect, ids, thresholds["pain_amber_max"])
    state = rules.state_columns(features, thresholds)
    sql.replace(cur, dialect, ids, state)
    return len(state)


def rebuild(db, *, by: str = "system") -> int:
    """Throw the stored state away and recompute it from the records, in one transaction (audited)."""
    with db.transaction() as cur:
        count = refresh_all(cur)
        audit.append(cur, by, "rebuild", "case_state", None, after={"episodes": count})
    return count


def ensure_complete(db) -> int:
    """Rebuild when an episode has no state (a database from before the case state). Returns episodes built."""
    if db.read_only or not sql.missing(db):
        return 0
    return rebuild(db)


def differences(db) -> pd.DataFrame:
    """Stored state rows that differ from a fresh computation from the records (empty when all agree).
    Computed in a transaction that is rolled back, so the stored state is left as it is."""
    with db.cursor() as cur:
        stored = sql.stored(cur)

    class _Undo(Exception):
        pass

    fresh: dict[str, pd.DataFrame] = {}
    try:
        with db.transaction(records=False) as cur:
            refresh_all(cur)
            fresh["frame"] = sql.stored(cur)
            raise _Undo
    except _Undo:
        pass
    return compare(stored, fresh["frame"])


def compare(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Rows (by episode) whose values differ between two state frames, with the columns that differ."""
    a = left.set_index("episode_id").sort_index()
    b = right.set_index("episode_id").sort_index()
    ids = a.index.union(b.index)
    a, b = a.reindex(ids), b.reindex(ids)
    out = []
    for column in sql.STATE_COLUMNS[1:]:
        for episode_id, x, y in zip(ids, a[column].tolist(), b[column].tolist(), strict=True):
            x, y = _norm(x), _norm(y)
            if x == y or (isinstance(x, float) and isinstance(y, float) and abs(x - y) < 1e-9):
                continue
            out.append({"episode_id": int(episode_id), "column": column, "stored": x, "fresh": y})
    return pd.DataFrame(out, columns=["episode_id", "column", "stored", "fresh"])


def _norm(value):
    """One spelling for a value whichever engine and frame type it came from."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value
