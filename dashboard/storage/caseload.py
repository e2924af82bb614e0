"""SQL for the timeline's periods and visits and the service views. All aggregation happens in the database;
the fragments that differ between DuckDB and PostgreSQL come from ``db.dialect`` (storage/dialect.py). What the
caseload and the rules read per episode is the case state (storage/case_state.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .db import Database

# Tier periods: each change runs until the next one, or the episode's closing, or the open end (its one parameter);
# ``seq`` orders two changes of one day as they were recorded.
PERIODS = (
    "SELECT t.episode_id, t.tier, t.effective_on AS start,"
    "       coalesce(lead(t.effective_on) OVER (PARTITION BY t.episode_id"
    "                ORDER BY t.effective_on, t.tier_change_id), e.closed_on, CAST(? AS DATE)) AS finish,"
    "       t.tier_change_id AS seq"
    " FROM tier_changes t JOIN episodes e USING (episode_id)"
)


def lane_history(db: Database, episode_ids: list[int], today: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the timeline draws in the lanes of these episodes: their tier periods (start, finish; a running
    period ends today), in each episode's order, and their assessment dates. (Two plain queries: one query of
    both, split again in pandas, measured slower.)"""
    periods = db.frame(
        f"SELECT episode_id, tier, start, finish FROM ({PERIODS} WHERE {db.dialect.member('t.episode_id')}) p"
        " ORDER BY episode_id, start, seq",
        [today, episode_ids],
    )
    visits = db.frame(
        f"SELECT episode_id, assessed_on FROM assessments WHERE {db.dialect.member('episode_id')}"
        " ORDER BY episode_id, assessed_on",
        [episode_ids],
    )
    return periods, visits


def open_per_tier_by_week(db: Database, start: date, today: date) -> pd.DataFrame:
    """For each week from ``start``, how many episodes were open in each tier (counted on the week's Monday)."""
    return db.frame(
        f"WITH weeks AS (SELECT week FROM {db.dialect.weeks('CAST(? AS DATE)', 'CAST(? AS DATE)')} r),"
        f" periods AS ({PERIODS})"
        " SELECT w.week, p.tier, count(*) AS episodes"
        " FROM weeks w JOIN periods p ON p.start <= w.week AND p.finish > w.week"
        " GROUP BY w.week, p.tier ORDER BY w.week, p.tier",
        [start, today, today + timedelta(days=1)],
    )


def weeks_in_each_tier(db: Database, today: date) -> pd.DataFrame:
    """Median and quartiles of the weeks spent in each tier (finished periods and those still running)."""
    weeks = f"{db.dialect.days_between('start', 'finish')} / 7.0"
    return db.frame(
        f"WITH periods AS ({PERIODS})"
        " SELECT tier, count(*) AS periods,"
        f" {_quartiles(db, weeks)} FROM periods GROUP BY tier ORDER BY tier",
        [today],
    )


def _quartiles(db: Database, expr: str) -> str:
    return ", ".join(
        f"CAST({db.dialect.quantile(expr, q)} AS DOUBLE PRECISION) AS {name}"
        for name, q in (("median_weeks", 0.5), ("q1_weeks", 0.25), ("q3_weeks", 0.75))
    )


def time_to_discharge(db: Database) -> pd.DataFrame:
    """Weeks from opening to discharge, by severity (discharged episodes only)."""
    weeks = f"{db.dialect.days_between('opened_on', 'closed_on')} / 7.0"
    return db.frame(
        f"SELECT severity, count(*) AS discharged, {_quartiles(db, weeks)}"
        " FROM episodes WHERE status = 'discharged' AND closed_on IS NOT NULL GROUP BY severity ORDER BY severity"
    )
