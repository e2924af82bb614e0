"""The case state: one row per episode holding what the caseload, the clinic figures, the timeline and the case
page show (current tier and stage, last seen, planned review, baseline and latest outcomes, open red flags, the
rules' results), kept current inside every write that touches the episode and rebuilt from the records by the
same SQL with every episode in scope (services/case_state.py calls it; a test compares the two).

What depends on today's date is not stored: the state keeps the first day each date-dependent rule holds
(``domain.rules.state_columns``) and ``read`` compares it with today, filters, sorts, counts and pages in SQL.
The few fragments where DuckDB and PostgreSQL differ come from the database's dialect (storage/dialect.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..domain import rules

# Columns the state stores, in the table's order (migration 008).
FEATURE_COLUMNS = (
    "tier",
    "tier_since",
    "stage",
    "stage_since",
    "max_stage",
    "n_assessments",
    "last_assessed_on",
    "outcome_latest",
    "outcome_baseline",
    "outcome_baseline_on",
    "outcome_tier_start",
    "pain_baseline",
    "pain_latest",
    "pain_tier_start",
    "groc_latest",
    "session_pain",
    "next_morning_latest",
    "bridge_left",
    "bridge_right",
    "nirschl_latest",
    "next_review_on",
    "good_run_start",
    "open_alerts",
    "open_alert_kinds",
    "alert_since",
    "stage_gate_waived",
    "incidental_mri_age",
    "last_imaged_on",
)
RULE_COLUMNS = (
    "red_flag",
    "pain_light",
    "hold_stage",
    "ready_to_progress",
    "bridge_lsi",
    "bridge_deficit",
    "outcome_change",
    "visa_change",
    "pain_change_pct",
    "improved",
    "improved_in_tier",
    "late_baseline",
    "loaded_enough",
    "incidental_mri",
    *(f"{rule}_from" for rule in rules.DATED_RULES),
)
STATE_COLUMNS = ("episode_id", *FEATURE_COLUMNS, *RULE_COLUMNS)

# Episode and patient columns joined at read time (a renamed patient or clinician needs no state change).
_EPISODE_COLUMNS = (
    "e.episode_id", "e.patient_id", "p.clinic_id", "p.given_name", "p.family_name", "p.date_of_birth",
    "e.clinician_id", "u.display_name AS clinician_name", "e.side", "e.region", "e.post_operative", "e.severity",
    "e.status", "e.onset_date", "e.opened_on", "e.closed_on", "e.discharge_outcome",
)  # fmt: skip
_EPISODE = ", ".join(_EPISODE_COLUMNS)


_EPOCH = "DATE '1900-01-01'"
FEW = 20  # episodes a save touches at most (one, or a patient's few): read and written as plain rows


def _scope(alias: str, ids: Sequence[int] | None, params: list, dialect) -> str:
    """``alias.episode_id`` limited to ``ids`` (all episodes for None), its parameters added to ``params``."""
    if ids is None:
        return "TRUE"
    if len(ids) == 1:
        params.append(int(ids[0]))
        return f"{alias}.episode_id = ?"
    params.append([int(i) for i in ids])
    return dialect.member(f"{alias}.episode_id")


def features_sql(dialect, ids: Sequence[int] | None, pain_amber_max: float) -> tuple[str, list]:
    """What the rules need, one row per episode in scope (every episode for ``ids=None``)."""
    latest, earliest = dialect.arg_max, dialect.arg_min
    p: list[Any] = []

    # the latest change wins; on the same day, the one recorded last
    def ordinal(day: str, row_id: str) -> str:  # the day first, then the order the rows were recorded in
        return f"CAST({dialect.days_between(_EPOCH, day)} AS BIGINT) * 100000000 + {row_id}"

    ord_tier = ordinal("t.effective_on", "t.tier_change_id")
    ord_stage = ordinal("s.effective_on", "s.stage_change_id")
    tier = (
        f"SELECT t.episode_id, {latest('t.tier', ord_tier)} AS tier, max(t.effective_on) AS tier_since"
        f" FROM tier_changes t WHERE {_scope('t', ids, p, dialect)} GROUP BY t.episode_id"
    )
    stage = (
        f"SELECT s.episode_id, {latest('s.stage', ord_stage)} AS stage, max(s.effective_on) AS stage_since,"
        f" max(s.stage) AS max_stage FROM stage_changes s WHERE {_scope('s', ids, p, dialect)} GROUP BY s.episode_id"
    )
    p.append(pain_amber_max)
    a = f"""
    SELECT a.episode_id, a.assessment_id, a.assessed_on, a.pain_avg, a.groc, a.next_morning, a.pain_exercise,
           a.bridge_reps_left, a.bridge_reps_right, a.next_review_on, a.nirschl_phase,
           {ordinal("a.assessed_on", "a.assessment_id")} AS ord,
           -- the pathway's outcome (CLINICAL.md §7): PHAT after surgery, the functional scale's average for
           -- distal cases, VISA-H for proximal ones
           CASE WHEN e.post_operative THEN CAST(a.phat_total AS DOUBLE PRECISION)
                WHEN e.region LIKE 'distal%' THEN
                    (coalesce(a.psfs_1_score, 0) + coalesce(a.psfs_2_score, 0) + coalesce(a.psfs_3_score, 0))
                    / nullif(CASE WHEN a.psfs_1_score IS NULL THEN 0.0 ELSE 1.0 END
                             + CASE WHEN a.psfs_2_score IS NULL THEN 0.0 ELSE 1.0 END
                             + CASE WHEN a.psfs_3_score IS NULL THEN 0.0 ELSE 1.0 END, 0.0)
                ELSE CAST(a.visa_h_total AS DOUBLE PRECISION) END AS outcome,
           -- a good session (§4, §9): pain during the exercises within green/amber and a settled next morning
           coalesce(a.pain_exercise <= ? AND a.next_morning = 'settled', FALSE) AS good_session,
           coalesce(a.assessed_on >= stage.stage_since, FALSE) AS in_stage,
           coalesce(a.assessed_on <= tier.tier_since, FALSE) AS by_tier_start
    FROM assessments a
    JOIN episodes e ON e.episode_id = a.episode_id
    LEFT JOIN tier ON tier.episode_id = a.episode_id
    LEFT JOIN stage ON stage.episode_id = a.episode_id
    WHERE {_scope("a", ids, p, dialect)}"""
    agg = f"""
    SELECT episode_id,
           count(*) AS n_assessments,
           max(assessed_on) AS last_assessed_on,
           -- the latest visit's values (§9)
           {latest("outcome", "ord")} AS outcome_latest,
           {latest("pain_avg", "ord")} AS pain_latest,
           {latest("groc", "ord")} AS groc_latest,
           {latest("pain_exercise", "ord")} AS session_pain,
           {latest("next_morning", "ord")} AS next_morning_latest,
           {latest("bridge_reps_left", "ord")} AS bridge_left,
           {latest("bridge_reps_right", "ord")} AS bridge_right,
           {latest("nirschl_phase", "ord")} AS nirschl_latest,
           {latest("next_review_on", "ord")} AS planned_review_on,
           -- baselines: the first recorded values
           {earliest("outcome", "ord")} AS outcome_baseline,
           min(assessed_on) FILTER (WHERE outcome IS NOT NULL) AS outcome_baseline_on,
           {earliest("pain_avg", "ord")} AS pain_baseline,
           -- where the current tier started from: the last value on or before its start, else its first
           coalesce({latest("outcome", "ord", "by_tier_start")}, {earliest("outcome", "ord")}) AS outcome_tier_start,
           coalesce({latest("pain_avg", "ord", "by_tier_start")}, {earliest("pain_avg", "ord")}) AS pain_tier_start,
           max(assessed_on) FILTER (WHERE in_stage AND NOT good_session) AS last_bad_on
    FROM a GROUP BY episode_id"""
    alerts = (
        "SELECT r.episode_id, count(*) AS open_alerts,"
        " string_agg(DISTINCT r.kind, ',' ORDER BY r.kind) AS open_alert_kinds, min(r.raised_on) AS alert_since"
        f" FROM red_flag_alerts r WHERE r.status = 'open' AND {_scope('r', ids, p, dialect)} GROUP BY r.episode_id"
    )
    waived = (  # the clinician recorded why an adjunct comes before loading stage 2 (§9)
        "SELECT d.episode_id, TRUE AS stage_gate_waived FROM suggestion_decisions d"
        f" WHERE d.rule_id = 'load_before_adjunct' AND d.decision = 'accepted' AND {_scope('d', ids, p, dialect)}"
        " GROUP BY d.episode_id"
    )
    img = f"""
    SELECT i.episode_id,
           -- exact age in whole years on the imaging date (§9)
           max(CAST(extract(year FROM i.imaged_on) - extract(year FROM pt.date_of_birth)
               - CASE WHEN extract(month FROM i.imaged_on) * 100 + extract(day FROM i.imaged_on)
                           < extract(month FROM pt.date_of_birth) * 100 + extract(day FROM pt.date_of_birth)
                      THEN 1 ELSE 0 END AS INTEGER)) FILTER (WHERE i.mri_type = 3) AS incidental_mri_age,
           max(i.imaged_on) AS last_imaged_on
    FROM imaging_reports i JOIN episodes ie ON ie.episode_id = i.episode_id
    JOIN patients pt ON pt.patient_id = ie.patient_id
    WHERE {_scope("i", ids, p, dialect)}
    GROUP BY i.episode_id"""
    injection_review = (  # an injection sets a review about two weeks later (§8)
        "SELECT t.episode_id, min(t.review_on) AS review_on FROM treatments t LEFT JOIN agg USING (episode_id)"
        " WHERE t.review_on IS NOT NULL AND t.given_on >= coalesce(agg.last_assessed_on, DATE '1900-01-01')"
        f" AND {_scope('t', ids, p, dialect)} GROUP BY t.episode_id"
    )
    sql = f"""
WITH tier AS ({tier}),
stage AS ({stage}),
a AS ({a}),
agg AS ({agg}),
run AS (  -- ready to progress counts only the sessions since the current stage began (§9)
    SELECT a.episode_id, min(a.assessed_on) AS good_run_start
    FROM a JOIN agg USING (episode_id)
    WHERE a.in_stage AND a.assessed_on > coalesce(agg.last_bad_on, DATE '1900-01-01')
    GROUP BY a.episode_id
),
alerts AS ({alerts}),
waived AS ({waived}),
img AS ({img}),
injection_review AS ({injection_review})
SELECT e.episode_id, e.side, e.region, e.post_operative, e.status, e.opened_on, e.closed_on,
       tier.tier, tier.tier_since, stage.stage, stage.stage_since, stage.max_stage,
       coalesce(agg.n_assessments, 0) AS n_assessments, agg.last_assessed_on, agg.outcome_latest,
       agg.outcome_baseline, agg.outcome_baseline_on, agg.outcome_tier_start, agg.pain_baseline, agg.pain_latest,
       agg.pain_tier_start, agg.groc_latest, agg.session_pain, agg.next_morning_latest, agg.bridge_left,
       agg.bridge_right, agg.nirschl_latest,
       least(agg.planned_review_on, injection_review.review_on) AS next_review_on, run.good_run_start,
       coalesce(alerts.open_alerts, 0) AS open_alerts, alerts.open_alert_kinds, alerts.alert_since,
       coalesce(waived.stage_gate_waived, FALSE) AS stage_gate_waived,
       img.incidental_mri_age, img.last_imaged_on
FROM episodes e
LEFT JOIN agg ON agg.episode_id = e.episode_id
LEFT JOIN run ON run.episode_id = e.episode_id
LEFT JOIN tier ON tier.episode_id = e.episode_id
LEFT JOIN stage ON stage.episode_id = e.episode_id
LEFT JOIN alerts ON alerts.episode_id = e.episode_id
LEFT JOIN waived ON waived.episode_id = e.episode_id
LEFT JOIN img ON img.episode_id = e.episode_id
LEFT JOIN injection_review ON injection_review.episode_id = e.episode_id
WHERE {_scope("e", ids, p, dialect)}
ORDER BY e.episode_id
"""
    return sql, p


def features(cur, dialect, ids: Sequence[int] | None, pain_amber_max: float) -> pd.DataFrame:
    """The records summarised for the rules, read inside the caller's transaction."""
    sql, params = features_sql(dialect, ids, pain_amber_max)
    result = cur.execute(sql, params)
    if ids is not None and len(ids) <= FEW:  # a save: plain rows (a data frame's conversion costs more than the query)
        names = [d[0] for d in result.description]
        return pd.DataFrame.from_records(result.fetchall(), columns=names)
    return result.df()


def replace(cur, dialect, ids: Sequence[int] | None, state: pd.DataFrame) -> None:
    """Put ``state`` (one row per episode, STATE_COLUMNS) in place of the stored rows of ``ids`` (all: None)."""
    params: list = []
    cur.execute(f"DELETE FROM case_state WHERE {_scope('case_state', ids, params, dialect)}", params)
    if state.empty:
        return
    if len(state) <= FEW:  # a save touches one episode: one plain parameterised insert
        columns = [state[c].tolist() for c in STATE_COLUMNS]
        row = f"({', '.join('?' for _ in STATE_COLUMNS)})"
        cur.execute(
            f"INSERT INTO case_state ({', '.join(STATE_COLUMNS)}) VALUES {', '.join(row for _ in range(len(state)))}",
            [_plain(column[i]) for i in range(len(state)) for column in columns],
        )
    else:
        dialect.bulk_load(cur, "case_state", state.loc[:, list(STATE_COLUMNS)])


def _plain(value: Any) -> Any:
    """A pandas/numpy value as the plain Python value a driver takes (None for missing)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def missing(db) -> int:
    """Episodes without a state row (a database from before the case state, or an interrupted rebuild)."""
    return int(
        db.scalar(
            "SELECT count(*) FROM episodes e WHERE NOT EXISTS"
            " (SELECT 1 FROM case_state s WHERE s.episode_id = e.episode_id)"
        )
    )


def stored(cur) -> pd.DataFrame:
    """Every stored state row, by episode (for the rebuild check)."""
    return cur.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM case_state ORDER BY episode_id").df()


# -- reading: today's rules, filters, order, paging and counts in SQL ---------------------------------------


def _holds(rule: str) -> str:
    return f"(e.status = 'open' AND coalesce(s.{rule}_from <= d.today, FALSE))"


# The date-dependent rules (domain.rules.on_date says the same in pandas; tests compare them).
_ON_DATE = {
    "weeks_in_episode": "CAST(floor((coalesce(e.closed_on, d.today) - e.opened_on) / 7.0) AS INTEGER)",
    "weeks_in_tier": "CAST(floor((coalesce(e.closed_on, d.today) - s.tier_since) / 7.0) AS INTEGER)",
    "stalled_in_tier": _holds("stalled_in_tier"),
    "stalled": _holds("stalled"),
    "consider_adjunct": f"({_holds('adjunct')} AND s.loaded_enough)",
    "load_before_adjunct": f"({_holds('adjunct')} AND NOT s.loaded_enough)",
    "consider_regenerative": _holds("regenerative"),
    "consider_surgical": _holds("surgical"),
    "escalation_due": (
        f"(({_holds('adjunct')} AND s.loaded_enough) OR {_holds('regenerative')} OR {_holds('surgical')})"
    ),
    "review_overdue": _holds("review_overdue"),
    "review_due": (
        f"(e.status = 'open' AND coalesce(s.next_review_on <= d.today, FALSE) AND NOT {_holds('review_overdue')})"
    ),
}
_PRIORITY = (
    "CASE "
    + " ".join(f"WHEN {_ON_DATE.get(rule, 's.' + rule)} THEN {n}" for n, rule in enumerate(rules.PRIORITY))
    + f" ELSE {len(rules.PRIORITY)} END"
)
_READ = f"""
SELECT {_EPISODE}, {", ".join("s." + c for c in FEATURE_COLUMNS + RULE_COLUMNS)},
       {", ".join(f"{sql} AS {name}" for name, sql in _ON_DATE.items())},
       {_PRIORITY} AS priority
FROM case_state s
JOIN episodes e ON e.episode_id = s.episode_id
JOIN patients p ON p.patient_id = e.patient_id
LEFT JOIN users u ON u.user_id = e.clinician_id
CROSS JOIN (SELECT CAST(? AS DATE) AS today) d
"""

# The read query's columns by name (a select list names only these).
READ_COLUMNS = frozenset(
    [*(c.split(" AS ")[-1].split(".")[-1] for c in _EPISODE_COLUMNS), *FEATURE_COLUMNS, *RULE_COLUMNS, *_ON_DATE]
    + ["priority"]
)

# What the clinic figures count, without the patient and clinician joins: the episode's status and clinician,
# the tier, and today's rules.
_LEAN = f"""
SELECT e.episode_id, e.status, e.clinician_id, s.tier, s.red_flag,
       {", ".join(f"{sql} AS {name}" for name, sql in _ON_DATE.items())}
FROM case_state s
JOIN episodes e ON e.episode_id = s.episode_id
CROSS JOIN (SELECT CAST(? AS DATE) AS today) d
"""


@dataclass
class Where:
    """A filter as SQL: conditions over the read query's columns and their parameters."""

    conditions: list[str]
    params: list

    def sql(self) -> str:
        return " AND ".join(self.conditions) if self.conditions else "TRUE"


def read_sql(
    today: date,
    where: Where,
    order: Sequence[tuple[str, bool]] = (),
    limit: int | None = None,
    offset: int = 0,
    columns: Sequence[str] | None = None,
) -> tuple[str, list]:
    """The read query and its parameters: the episodes matching ``where`` with every rule on ``today`` (or only
    ``columns`` of them), ordered (column, descending) and paged."""
    sql = f"SELECT {_columns(columns)} FROM ({_READ}) q WHERE {where.sql()} ORDER BY {order_by(order)}"
    params = [today, *where.params]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [int(limit), int(offset)]
    return sql, params


def rows(
    db, today: date, where: Where, order: Sequence[tuple[str, bool]] = (), limit: int | None = None, offset: int = 0
) -> pd.DataFrame:
    """The episodes matching ``where`` with every rule on ``today``, ordered (column, descending) and paged."""
    return db.frame(*read_sql(today, where, order, limit, offset))


def order_by(order: Sequence[tuple[str, bool]]) -> str:
    """``ORDER BY`` text for (column, descending) pairs (columns of the read query); the episode decides ties."""
    _check_names([c for c, _ in order])
    order_sql = ", ".join(f"{c} {'DESC' if desc else 'ASC'} NULLS LAST" for c, desc in order)
    return f"{order_sql}, episode_id" if order_sql else "episode_id"


def window_sql(
    dialect,
    today: date,
    where: Where,
    order: Sequence[tuple[str, bool]],
    limit: int,
    offset: int = 0,
    columns: Sequence[str] | None = None,
) -> tuple[str, list]:
    """One window of the episodes matching ``where`` (ordered, paged; every column or only ``columns``), each
    row with ``total_found``, how many match in all; and its parameters."""
    if dialect.count_by_window:
        sql = (
            f"SELECT {_columns(columns)}, count(*) OVER () AS total_found FROM ({_READ}) q WHERE {where.sql()}"
            f" ORDER BY {order_by(order)} LIMIT ? OFFSET ?"
        )
        return sql, [today, *where.params, int(limit), int(offset)]
    sql = (
        f"SELECT {_columns(columns, 'q.')}, (SELECT count(*) FROM ({_READ}) c WHERE {where.sql()}) AS total_found"
        f" FROM ({_READ}) q WHERE {where.sql()} ORDER BY {order_by(order)} LIMIT ? OFFSET ?"
    )
    return sql, [today, *where.params, today, *where.params, int(limit), int(offset)]


def page(
    db,
    today: date,
    where: Where,
    order: Sequence[tuple[str, bool]],
    limit: int,
    offset: int = 0,
    *,
    scope: Where | None = None,
    counted: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """One window of the episodes matching ``where`` (ordered, paged; every column), how many match in all, and
    the counts ``counted`` (name: condition) of the open episodes in ``scope`` (the clinic figures), in one
    query."""
    counted = counted or {}
    scope = scope or Where([], [])
    hits, params = window_sql(db.dialect, today, where, order, limit, offset)
    if counted:
        figures = ", ".join(f"count(*) FILTER (WHERE {cond}) AS figure_{name}" for name, cond in counted.items())
        hits = (  # the figures count open episodes in scope only: only those rows are joined and read
            f"SELECT hits.*, figures.* FROM (SELECT {figures} FROM ({_LEAN}) lean"
            f" WHERE status = 'open' AND {scope.sql()}) figures LEFT JOIN ({hits}) hits ON TRUE"
        )
        params = [today, *scope.params, *params]  # in the order the text names them
    frame = db.frame(hits, params)
    found = {name: int(frame[f"figure_{name}"].iloc[0] or 0) for name in counted} if len(frame) else {}
    rows = frame[frame["episode_id"].notna()].drop(columns=[f"figure_{n}" for n in counted])
    total = _total(db, today, where, offset, rows["total_found"].iloc[0] if len(rows) else None)
    return rows.drop(columns=["total_found"]), total, found


def window(
    db, today: date, where: Where, order: Sequence[tuple[str, bool]], limit: int, offset: int, columns: Sequence[str]
) -> tuple[list[dict[str, Any]], int]:
    """One window of the episodes matching ``where`` as plain rows of the named columns, and how many match in
    all: for a reader that draws the rows rather than tabulating them (the timeline's lanes)."""
    sql, params = window_sql(db.dialect, today, where, order, limit, offset, columns)
    rows = db.rows(sql, params)
    total = _total(db, today, where, offset, rows[0]["total_found"] if rows else None)
    for row in rows:
        del row["total_found"]
    return rows, total


def _total(db, today: date, where: Where, offset: int, found: Any) -> int:
    """How many match: as a window's rows say (``found``); a window past the last match has no rows to say it,
    so it is counted (none match when the first window is empty)."""
    if found is not None:
        return int(found)
    return count(db, today, where) if offset else 0


def _columns(columns: Sequence[str] | None, alias: str = "") -> str:
    """The select list: every column of the read query, or the named ones (names from code, checked here)."""
    if columns is None:
        return f"{alias}*"
    _check_names(columns)
    if "episode_id" not in columns:
        raise ValueError("a window of episodes names each one: episode_id is needed")
    return ", ".join(alias + c for c in columns)


def _check_names(columns: Sequence[str]) -> None:
    unknown = set(columns) - READ_COLUMNS
    if unknown:
        raise ValueError(f"not a column of the case state's read query: {sorted(unknown)}")


def count(db, today: date, where: Where) -> int:
    return int(db.scalar(f"SELECT count(*) FROM ({_READ}) q WHERE {where.sql()}", [today, *where.params]))


def figures(db, today: date, where: Where, counted: dict[str, str]) -> dict[str, int]:
    """Counts of the open episodes matching ``where``: ``counted`` maps a name to a condition over the columns."""
    selects = ", ".join(f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in counted.items())
    found = db.row(f"SELECT {selects} FROM ({_READ}) q WHERE status = 'open' AND {where.sql()}", [today, *where.params])
    return {name: int((found or {}).get(name) or 0) for name in counted}


def episodes_of_patient(cur, patient_id: int) -> list[int]:
    return [r[0] for r in cur.execute("SELECT episode_id FROM episodes WHERE patient_id = ?", [patient_id]).fetchall()]
