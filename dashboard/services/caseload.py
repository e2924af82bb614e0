"""The caseload, the timeline and one case's rules, read from the case state (storage/case_state.py): kept
current inside every write, with today's rules, filters, order, counts and paging computed in the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..domain import rules
from ..domain.model import ALERT_KINDS, User, label_of
from ..storage import care as care_sql
from ..storage import case_state as state_sql
from ..storage import caseload as caseload_sql
from ..storage import records as records_sql
from ..storage.db import Database
from .auth import Permission, require
from .care import effective_thresholds
from .memo import memoised
from .records import NotFound


def evaluated_episodes(db: Database, actor: User, *, today: date | None = None) -> pd.DataFrame:
    """Every episode with every rule on ``today``, read from the case state (storage/case_state.py) in one
    query. For exports and checks; pages ask for a filtered window (``caseload``), never the whole clinic."""
    require(actor, Permission.VIEW)
    return state_sql.rows(db, today or date.today(), state_sql.Where([], []))


@dataclass
class CaseRules:
    result: dict[str, Any]  # the evaluated row for the episode
    suggestions: list[rules.Rule]  # standing suggestions not yet decided since the last assessment
    thresholds: dict[str, float]


def case_rules(db: Database, actor: User, episode_id: int, *, today: date | None = None) -> CaseRules:
    """One case's rules on ``today`` (from its case state, as the caseload shows them) and its open suggestions."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    found = state_sql.rows(db, today, state_sql.Where(["episode_id = ?"], [int(episode_id)]))
    if found.empty:
        raise NotFound("No such episode.")
    row = {k: (None if _missing(v) else v) for k, v in found.iloc[0].to_dict().items()}  # one spelling of "none"
    thresholds = effective_thresholds(db)
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


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value)


# -- the caseload: filters, figures, a window of rows --------------------------------------------------

MAX_ROWS = 5000  # never more rows than this sent to the browser at once
LANE_COLUMNS = ("episode_id", "red_flag", "given_name", "family_name", "clinic_id")  # what a timeline lane shows
MAX_LANES = 300  # timeline lanes (each lane is about a dozen marks: under 5,000 marks in all)

FLAG_LABELS = {
    "red_flag": "RED FLAG",
    "stalled": "Stalled",
    "escalation_due": "Escalation due",
    "review_overdue": "Review overdue",
    "review_due": "Review due",
    "bridge_deficit": "Bridge deficit",
}
SORTS = {
    # what needs doing first: open red flags (the longest-standing first; CLINICAL.md §6: impossible to miss),
    # reviews overdue, reviews due, stalled, escalation due; then the earliest planned review, then the name
    "Priority": ["priority", "alert_since", "next_review_on", "family_name", "given_name"],
    "Patient": ["family_name", "given_name"],
    "Last seen": ["last_assessed_on"],
    "Next review": ["next_review_on"],
    "Weeks in tier": ["weeks_in_tier"],
    "Outcome change": ["outcome_change"],
    "Opened": ["opened_on"],
}
# Why a case comes where it does in the "Priority" order, in words (rules.evaluate's ``priority``, 0 first).
PRIORITY_WORDS = ("Red flag", "Review overdue", "Review due", "Stalled", "Escalation due", "Nothing due")


@dataclass
class CaseloadFilter:
    clinician_id: int | None = None  # None: the whole clinic
    statuses: tuple[str, ...] = ("open",)
    tiers: tuple[str, ...] = ()
    stages: tuple[int, ...] = ()
    flags: tuple[str, ...] = ()  # every chosen flag must be raised
    severities: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    opened_from: date | None = None
    opened_to: date | None = None
    text: str = ""
    sort: str = "Priority"
    descending: bool = False


def where(f: CaseloadFilter) -> state_sql.Where:
    """The filter as SQL conditions over the case state's read query (column names from code, values as
    parameters)."""
    conditions: list[str] = []
    params: list[Any] = []
    if f.clinician_id is not None:
        conditions.append("clinician_id = ?")
        params.append(int(f.clinician_id))
    for column, chosen in (
        ("status", f.statuses),
        ("tier", f.tiers),
        ("stage", f.stages),
        ("severity", f.severities),
        ("region", f.regions),
    ):
        if chosen:
            conditions.append(f"{column} IN ({', '.join('?' for _ in chosen)})")
            params.extend(chosen)
    for flag in f.flags:
        if flag not in FLAG_LABELS:
            raise ValueError(flag)
        conditions.append(flag)
    if f.opened_from:
        conditions.append("opened_on >= ?")
        params.append(f.opened_from)
    if f.opened_to:
        conditions.append("opened_on <= ?")
        params.append(f.opened_to)
    text = (f.text or "").strip().lower()
    if text:
        conditions.append("(strpos(lower(given_name || ' ' || family_name), ?) > 0 OR strpos(lower(clinic_id), ?) > 0)")
        params += [text, text]
    return state_sql.Where(conditions, params)


def order(f: CaseloadFilter) -> list[tuple[str, bool]]:
    columns = SORTS.get(f.sort, SORTS["Priority"])
    return [(column, f.descending) for column in columns]


@dataclass
class Caseload:
    rows: pd.DataFrame  # at most MAX_ROWS, ready to show
    total: int  # how many episodes match
    figures: dict[str, int]  # clinic figures for the clinician scope (open episodes)
    offset: int


def caseload(
    db: Database,
    actor: User,
    f: CaseloadFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    today: date | None = None,
) -> Caseload:
    """The figures and one window of the filtered list, at most ``limit`` rows (MAX_ROWS): filtered, sorted,
    counted and paged in the database from the case state, current after every write."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    rows = min(limit or MAX_ROWS, MAX_ROWS)
    scope = state_sql.Where(*((["clinician_id = ?"], [f.clinician_id]) if f.clinician_id is not None else ([], [])))
    counted = {f"tier_{tier}": f"tier = '{tier}'" for tier in TIER_NAMES}
    counted.update({flag: flag for flag in FIGURE_FLAGS})
    window, total, found = state_sql.page(db, today, where(f), order(f), rows, offset, scope=scope, counted=counted)
    figures = {f"tier:{tier}": found.get(f"tier_{tier}", 0) for tier in TIER_NAMES}
    figures.update({flag: found.get(flag, 0) for flag in FIGURE_FLAGS})
    return Caseload(rows=present(window), total=total, figures=figures, offset=offset)


TIER_NAMES = ("conservative", "adjunct", "regenerative")
FIGURE_FLAGS = ("red_flag", "stalled", "review_overdue", "escalation_due")


def _red_flag_words(kinds: str) -> str:
    """'neurological,medical' -> 'RED FLAG: Neurological signs → GP or spinal / neurology review; ...'"""
    if not kinds:
        return ""
    words = [f"{_short(ALERT_KINDS[k].label)} → {ALERT_KINDS[k].route}" for k in kinds.split(",") if k in ALERT_KINDS]
    return "RED FLAG: " + "; ".join(words)


def _short(label: str) -> str:
    return label.split(" (")[0].split(":")[0]


def present(window: pd.DataFrame) -> pd.DataFrame:
    """The columns a person reads in the caseload table (computed on the shown window only). Built column by
    column from plain lists: a window of 20 rows costs well under a millisecond, the whole clinic's export a
    fraction of a second."""
    text = {c: window[c].tolist() for c in ("given_name", "family_name", "tier", "side", "region", "status")}
    raised = zip(*(window[column].fillna(False).astype(bool).tolist() for column in FLAG_LABELS), strict=True)
    flags = []
    for kinds, row in zip(window["open_alert_kinds"].tolist(), raised, strict=True):
        words = [  # a red flag in words names the open alerts and their routes
            (_red_flag_words(kinds if isinstance(kinds, str) else "") or label) if column == "red_flag" else label
            for (column, label), up in zip(FLAG_LABELS.items(), row, strict=True)
            if up
        ]
        flags.append("; ".join(words))
    names = zip(text["given_name"], text["family_name"], strict=True)
    return pd.DataFrame(
        {
            "episode_id": window["episode_id"].to_numpy(),
            "Patient": [f"{given} {family}" for given, family in names],
            "Why first": [PRIORITY_WORDS[int(p)] for p in window["priority"].tolist()],
            "Flags": flags,
            "Tier": _each(text["tier"], label_of),
            "Stage": window["stage"].array,  # (nullable integers stay so)
            "Weeks in tier": window["weeks_in_tier"].array,
            "Last seen": pd.to_datetime(window["last_assessed_on"]).to_numpy(),
            "Next review": pd.to_datetime(window["next_review_on"]).to_numpy(),
            "Outcome": window["outcome_latest"].astype(float).round(1).to_numpy(),
            "Outcome change": window["outcome_change"].astype(float).round(1).to_numpy(),
            "Pain": window["pain_latest"].astype(float).to_numpy(),
            "Pain change %": -pd.to_numeric(window["pain_change_pct"], errors="coerce")
            .astype(float)
            .round(0)
            .to_numpy(),
            "Clinician": window["clinician_name"].tolist(),
            "Side": _each(text["side"], label_of),
            "Region": _each(text["region"], label_of),
            "Clinic ID": window["clinic_id"].tolist(),
            "Status": _each(text["status"], label_of),
        }
    )


def _each(values: list, words: Callable[[str], str]) -> list:
    """``words`` of each code, worked out once per distinct code (a column of a few); a missing one stays so."""
    found = {value: words(value) for value in set(values) if isinstance(value, str)}
    return [found.get(value) if isinstance(value, str) else value for value in values]


def export_csv(db: Database, actor: User, f: CaseloadFilter, *, today: date | None = None) -> bytes:
    """The whole filtered list as CSV (no cell a spreadsheet would run as a formula). Audited."""
    from ..storage import audit
    from .exports import csv_bytes

    require(actor, Permission.VIEW)
    found = state_sql.rows(db, today or date.today(), where(f), order(f))
    data = csv_bytes(present(found).drop(columns=["episode_id"]))
    with db.transaction() as cur:
        audit.append(
            cur,
            actor.username,
            "export",
            "caseload",
            None,
            after={"rows": len(found), "filter": {k: str(v) for k, v in f.__dict__.items()}},
        )
    return data


# -- timeline and service views --------------------------------------------------------------------------


@dataclass
class Timeline:
    lanes: pd.DataFrame  # one row per episode shown
    periods: pd.DataFrame  # tier periods of those episodes
    visits: pd.DataFrame  # assessment dates of those episodes
    total: int


def timeline(db: Database, actor: User, f: CaseloadFilter, *, offset: int = 0, today: date | None = None) -> Timeline:
    """One window of lanes (MAX_LANES) of the filtered caseload, in its order, with their periods and visits."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    window, total = state_sql.window(db, today, where(f), order(f), MAX_LANES, offset, LANE_COLUMNS)
    ids = [int(row["episode_id"]) for row in window]
    lanes = pd.DataFrame(
        {
            "episode_id": ids,
            "lane": [
                f"{'RED FLAG · ' * bool(r['red_flag'])}{r['given_name']} {r['family_name']} · {r['clinic_id']} #{i}"
                for i, r in zip(ids, window, strict=True)
            ],
        }
    )
    periods, visits = caseload_sql.lane_history(db, ids, today)
    return Timeline(lanes=lanes, periods=periods, visits=visits, total=total)


def service_views(
    db: Database, actor: User, *, weeks_back: int = 104, today: date | None = None
) -> dict[str, pd.DataFrame]:
    """Clinic-level aggregates, all computed in DuckDB; cached until the next write."""
    require(actor, Permission.VIEW)
    today = today or date.today()
    return memoised(db, "service_views", (today, weeks_back), lambda: _service_views(db, weeks_back, today))


def _service_views(db: Database, weeks_back: int, today: date) -> dict[str, pd.DataFrame]:
    from datetime import timedelta

    from ..domain.model import EXPECTED_RECOVERY_WEEKS

    discharge = caseload_sql.time_to_discharge(db)
    expected = pd.DataFrame(
        [
            {"severity": str(s), "expected_low": lo, "expected_high": hi}
            for s, (lo, hi) in EXPECTED_RECOVERY_WEEKS.items()
        ]
    )
    return {
        "per_week": caseload_sql.open_per_tier_by_week(db, today - timedelta(weeks=weeks_back), today),
        "tier_weeks": caseload_sql.weeks_in_each_tier(db, today),
        "discharge": expected.merge(discharge, on="severity", how="left"),
    }
