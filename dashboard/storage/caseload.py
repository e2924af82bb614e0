"""SQL that summarises episodes for the rules, the caseload and the timeline. All aggregation happens
here in DuckDB; Python only sees one row per episode (or per period).

arg_min/arg_max ("the value at the first/latest date") are DuckDB's; in PostgreSQL the same is
(array_agg(x ORDER BY d))[1] or a DISTINCT ON subquery.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .db import Database

_FEATURES = """
WITH scope AS (
    SELECT episode_id FROM episodes WHERE {where}
),
a AS (
    SELECT a.*, coalesce(a.pain_task, a.pain_avg) AS session_pain,
           (a.rf_avulsion_signs OR a.rf_neurological OR a.rf_rest_night_pain OR a.rf_systemic
            OR a.rf_fracture OR a.rf_ischiofemoral) AS any_red_flag,
           -- a good session: pain within green/amber (rules.pain_amber_max) and a settled next morning
           (coalesce(a.pain_task, a.pain_avg) <= ? AND a.next_morning = 'settled') AS good_session
    FROM assessments a JOIN scope USING (episode_id)
),
agg AS (
    SELECT episode_id,
           count(*) AS n_assessments,
           max(assessed_on) AS last_assessed_on,
           arg_min(visa_h_total, assessed_on) FILTER (WHERE visa_h_total IS NOT NULL) AS visa_baseline,
           arg_max(visa_h_total, assessed_on) FILTER (WHERE visa_h_total IS NOT NULL) AS visa_latest,
           arg_min(pain_avg, assessed_on) AS pain_baseline,
           arg_max(pain_avg, assessed_on) AS pain_latest,
           arg_max(groc, assessed_on) FILTER (WHERE groc IS NOT NULL) AS groc_latest,
           arg_max(session_pain, assessed_on) AS session_pain,
           arg_max(next_morning, assessed_on) AS next_morning_latest,
           arg_max(bridge_reps_left, assessed_on) AS bridge_left,
           arg_max(bridge_reps_right, assessed_on) AS bridge_right,
           arg_max(any_red_flag, assessed_on) AS red_flag_latest,
           arg_max(nirschl_phase, assessed_on) AS nirschl_latest,
           arg_max(next_review_on, assessed_on) AS next_review_on,
           max(assessed_on) FILTER (WHERE NOT coalesce(good_session, FALSE)) AS last_bad_on
    FROM a GROUP BY episode_id
),
run AS (
    SELECT a.episode_id, min(a.assessed_on) AS good_run_start
    FROM a JOIN agg USING (episode_id)
    WHERE a.assessed_on > coalesce(agg.last_bad_on, DATE '1900-01-01')
    GROUP BY a.episode_id
),
tier AS (
    SELECT episode_id, arg_max(tier, {order_tier}) AS tier, max(effective_on) AS tier_since
    FROM tier_changes JOIN scope USING (episode_id) GROUP BY episode_id
),
stage AS (
    SELECT episode_id, arg_max(stage, {order_stage}) AS stage, max(effective_on) AS stage_since
    FROM stage_changes JOIN scope USING (episode_id) GROUP BY episode_id
),
img AS (
    SELECT i.episode_id,
           max(i.tendons_avulsed) FILTER (WHERE i.avulsion) AS max_tendons_avulsed,
           max(i.retraction_cm) AS max_retraction_cm,
           max(date_diff('year', p.date_of_birth, i.imaged_on)) FILTER (WHERE i.mri_type = 3) AS incidental_mri_age,
           max(i.imaged_on) AS last_imaged_on
    FROM imaging_reports i JOIN scope USING (episode_id)
    JOIN episodes e ON e.episode_id = i.episode_id JOIN patients p ON p.patient_id = e.patient_id
    GROUP BY i.episode_id
)
SELECT e.episode_id, e.patient_id, p.clinic_id, p.given_name, p.family_name, p.date_of_birth,
       e.clinician_id, u.display_name AS clinician_name, e.side, e.region, e.severity, e.status,
       e.onset_date, e.opened_on, e.closed_on, e.discharge_outcome,
       tier.tier, tier.tier_since, stage.stage, stage.stage_since,
       agg.n_assessments, agg.last_assessed_on, agg.visa_baseline, agg.visa_latest, agg.pain_baseline,
       agg.pain_latest, agg.groc_latest, agg.session_pain, agg.next_morning_latest, agg.bridge_left,
       agg.bridge_right, agg.red_flag_latest, agg.nirschl_latest, agg.next_review_on, run.good_run_start,
       img.max_tendons_avulsed, img.max_retraction_cm, img.incidental_mri_age, img.last_imaged_on
FROM episodes e
JOIN scope USING (episode_id)
JOIN patients p ON p.patient_id = e.patient_id
LEFT JOIN users u ON u.user_id = e.clinician_id
LEFT JOIN agg USING (episode_id)
LEFT JOIN run USING (episode_id)
LEFT JOIN tier USING (episode_id)
LEFT JOIN stage USING (episode_id)
LEFT JOIN img USING (episode_id)
ORDER BY e.episode_id
"""


# the latest change wins; on the same day, the one recorded last
_ORDER = {
    "order_tier": "date_diff('day', DATE '1900-01-01', effective_on) * 100000000 + tier_change_id",
    "order_stage": "date_diff('day', DATE '1900-01-01', effective_on) * 100000000 + stage_change_id",
}


def episode_features(db: Database, *, pain_amber_max: float, episode_id: int | None = None) -> pd.DataFrame:
    """One row per episode with what the rules need (``domain.rules.evaluate``)."""
    if episode_id is None:
        return db.frame(_FEATURES.format(where="TRUE", **_ORDER), [pain_amber_max])
    return db.frame(_FEATURES.format(where="episode_id = ?", **_ORDER), [episode_id, pain_amber_max])


# Tier periods: each change runs until the next one, or the episode's closing, or the given open end.
_PERIODS = (
    "SELECT t.episode_id, t.tier, t.effective_on AS start,"
    "       coalesce(lead(t.effective_on) OVER (PARTITION BY t.episode_id"
    "                ORDER BY t.effective_on, t.tier_change_id), e.closed_on, CAST(? AS DATE)) AS finish"
    " FROM tier_changes t JOIN episodes e USING (episode_id)"
)


def tier_periods(db: Database, episode_ids: list[int], today: date) -> pd.DataFrame:
    """Tier periods (start, finish) of the given episodes; a running period ends today."""
    return db.frame(
        f"SELECT * FROM ({_PERIODS}) WHERE list_contains(?, episode_id) ORDER BY episode_id, start",
        [today, episode_ids],
    )


def assessment_dates(db: Database, episode_ids: list[int]) -> pd.DataFrame:
    return db.frame("SELECT episode_id, assessed_on FROM assessments WHERE list_contains(?, episode_id)", [episode_ids])


def open_per_tier_by_week(db: Database, start: date, today: date) -> pd.DataFrame:
    """For each week from ``start``, how many episodes were open in each tier (counted on the week's Monday)."""
    return db.frame(
        "WITH weeks AS (SELECT CAST(w AS DATE) AS week FROM range(date_trunc('week', CAST(? AS DATE)),"
        "                 CAST(? AS DATE) + INTERVAL 1 DAY, INTERVAL 7 DAY) r(w)),"
        f" periods AS ({_PERIODS})"
        " SELECT w.week, p.tier, count(*) AS episodes"
        " FROM weeks w JOIN periods p ON p.start <= w.week AND p.finish > w.week"
        " GROUP BY ALL ORDER BY w.week, p.tier",
        [start, today, today + timedelta(days=1)],
    )


def weeks_in_each_tier(db: Database, today: date) -> pd.DataFrame:
    """Median and quartiles of the weeks spent in each tier (finished periods and those still running)."""
    return db.frame(
        f"WITH periods AS ({_PERIODS})"
        " SELECT tier, count(*) AS periods,"
        "        quantile_cont(date_diff('day', start, finish) / 7.0, 0.5) AS median_weeks,"
        "        quantile_cont(date_diff('day', start, finish) / 7.0, 0.25) AS q1_weeks,"
        "        quantile_cont(date_diff('day', start, finish) / 7.0, 0.75) AS q3_weeks"
        " FROM periods GROUP BY tier ORDER BY tier",
        [today],
    )


def time_to_discharge(db: Database) -> pd.DataFrame:
    """Weeks from opening to discharge, by severity (discharged episodes only)."""
    return db.frame(
        "SELECT severity, count(*) AS discharged,"
        "       quantile_cont(date_diff('day', opened_on, closed_on) / 7.0, 0.5) AS median_weeks,"
        "       quantile_cont(date_diff('day', opened_on, closed_on) / 7.0, 0.25) AS q1_weeks,"
        "       quantile_cont(date_diff('day', opened_on, closed_on) / 7.0, 0.75) AS q3_weeks"
        " FROM episodes WHERE status = 'discharged' AND closed_on IS NOT NULL GROUP BY severity ORDER BY severity"
    )
