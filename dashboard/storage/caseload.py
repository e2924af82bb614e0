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
tier AS (
    SELECT episode_id, arg_max(tier, {order_tier}) AS tier, max(effective_on) AS tier_since
    FROM tier_changes JOIN scope USING (episode_id) GROUP BY episode_id
),
stage AS (
    SELECT episode_id, arg_max(stage, {order_stage}) AS stage, max(effective_on) AS stage_since,
           max(stage) AS max_stage
    FROM stage_changes JOIN scope USING (episode_id) GROUP BY episode_id
),
a AS (
    SELECT a.episode_id, a.assessment_id, a.assessed_on, a.pain_avg, a.groc, a.next_morning, a.pain_exercise,
           a.bridge_reps_left, a.bridge_reps_right, a.next_review_on, a.nirschl_phase,
           date_diff('day', DATE '1900-01-01', a.assessed_on) * 100000000 + a.assessment_id AS ord,
           -- the pathway's outcome (CLINICAL.md §7): PHAT after surgery, the functional scale's average for
           -- distal cases, VISA-H for proximal ones
           CASE WHEN e.post_operative THEN a.phat_total
                WHEN e.region LIKE 'distal%' THEN
                    (coalesce(a.psfs_1_score, 0) + coalesce(a.psfs_2_score, 0) + coalesce(a.psfs_3_score, 0))
                    / nullif(CASE WHEN a.psfs_1_score IS NULL THEN 0 ELSE 1 END
                             + CASE WHEN a.psfs_2_score IS NULL THEN 0 ELSE 1 END
                             + CASE WHEN a.psfs_3_score IS NULL THEN 0 ELSE 1 END, 0)
                ELSE a.visa_h_total END AS outcome,
           -- a good session (§4, §9): pain during the exercises within green/amber and a settled next morning
           coalesce(a.pain_exercise <= ? AND a.next_morning = 'settled', FALSE) AS good_session,
           coalesce(a.assessed_on >= stage.stage_since, FALSE) AS in_stage,
           coalesce(a.assessed_on <= tier.tier_since, FALSE) AS by_tier_start
    FROM assessments a JOIN scope USING (episode_id)
    JOIN episodes e ON e.episode_id = a.episode_id
    LEFT JOIN tier ON tier.episode_id = a.episode_id
    LEFT JOIN stage ON stage.episode_id = a.episode_id
),
agg AS (
    SELECT episode_id,
           count(*) AS n_assessments,
           max(assessed_on) AS last_assessed_on,
           -- the latest visit's values only (§9)
           arg_max(outcome, ord) AS outcome_latest,
           arg_max(pain_avg, ord) AS pain_latest,
           arg_max(groc, ord) AS groc_latest,
           arg_max(pain_exercise, ord) AS session_pain,
           arg_max(next_morning, ord) AS next_morning_latest,
           arg_max(bridge_reps_left, ord) AS bridge_left,
           arg_max(bridge_reps_right, ord) AS bridge_right,
           arg_max(nirschl_phase, ord) AS nirschl_latest,
           arg_max(next_review_on, ord) AS planned_review_on,
           -- baselines: the first recorded values
           arg_min(outcome, ord) FILTER (WHERE outcome IS NOT NULL) AS outcome_baseline,
           min(assessed_on) FILTER (WHERE outcome IS NOT NULL) AS outcome_baseline_on,
           arg_min(pain_avg, ord) AS pain_baseline,
           -- where the current tier started from: the last value on or before its start, else its first
           coalesce(arg_max(outcome, ord) FILTER (WHERE outcome IS NOT NULL AND by_tier_start),
                    arg_min(outcome, ord) FILTER (WHERE outcome IS NOT NULL)) AS outcome_tier_start,
           coalesce(arg_max(pain_avg, ord) FILTER (WHERE by_tier_start), arg_min(pain_avg, ord)) AS pain_tier_start,
           max(assessed_on) FILTER (WHERE in_stage AND NOT good_session) AS last_bad_on
    FROM a GROUP BY episode_id
),
run AS (  -- ready to progress counts only the sessions since the current stage began (§9)
    SELECT a.episode_id, min(a.assessed_on) AS good_run_start
    FROM a JOIN agg USING (episode_id)
    WHERE a.in_stage AND a.assessed_on > coalesce(agg.last_bad_on, DATE '1900-01-01')
    GROUP BY a.episode_id
),
alerts AS (
    SELECT episode_id, count(*) AS open_alerts, string_agg(DISTINCT kind, ',' ORDER BY kind) AS open_alert_kinds,
           min(raised_on) AS alert_since
    FROM red_flag_alerts JOIN scope USING (episode_id) WHERE status = 'open' GROUP BY episode_id
),
waived AS (  -- the clinician recorded why an adjunct comes before loading stage 2 (§9)
    SELECT episode_id, TRUE AS stage_gate_waived
    FROM suggestion_decisions JOIN scope USING (episode_id)
    WHERE rule_id = 'load_before_adjunct' AND decision = 'accepted' GROUP BY episode_id
),
img AS (
    SELECT i.episode_id,
           -- exact age in whole years on the imaging date (§9)
           max(extract(year FROM i.imaged_on) - extract(year FROM p.date_of_birth)
               - CASE WHEN extract(month FROM i.imaged_on) * 100 + extract(day FROM i.imaged_on)
                           < extract(month FROM p.date_of_birth) * 100 + extract(day FROM p.date_of_birth)
                      THEN 1 ELSE 0 END) FILTER (WHERE i.mri_type = 3) AS incidental_mri_age,
           max(i.imaged_on) AS last_imaged_on
    FROM imaging_reports i JOIN scope USING (episode_id)
    JOIN episodes e ON e.episode_id = i.episode_id JOIN patients p ON p.patient_id = e.patient_id
    GROUP BY i.episode_id
),
injection_review AS (  -- an injection sets a review about two weeks later (§8)
    SELECT t.episode_id, min(t.review_on) AS review_on
    FROM treatments t JOIN scope USING (episode_id) LEFT JOIN agg USING (episode_id)
    WHERE t.review_on IS NOT NULL AND t.given_on >= coalesce(agg.last_assessed_on, DATE '1900-01-01')
    GROUP BY t.episode_id
)
SELECT e.episode_id, e.patient_id, p.clinic_id, p.given_name, p.family_name, p.date_of_birth,
       e.clinician_id, u.display_name AS clinician_name, e.side, e.region, e.post_operative, e.severity, e.status,
       e.onset_date, e.opened_on, e.closed_on, e.discharge_outcome,
       tier.tier, tier.tier_since, stage.stage, stage.stage_since, stage.max_stage,
       agg.n_assessments, agg.last_assessed_on, agg.outcome_latest, agg.outcome_baseline, agg.outcome_baseline_on,
       agg.outcome_tier_start, agg.pain_baseline, agg.pain_latest, agg.pain_tier_start, agg.groc_latest,
       agg.session_pain, agg.next_morning_latest, agg.bridge_left, agg.bridge_right, agg.nirschl_latest,
       least(agg.planned_review_on, injection_review.review_on) AS next_review_on, run.good_run_start,
       coalesce(alerts.open_alerts, 0) AS open_alerts, alerts.open_alert_kinds, alerts.alert_since,
       coalesce(waived.stage_gate_waived, FALSE) AS stage_gate_waived,
       img.incidental_mri_age, img.last_imaged_on
FROM episodes e
JOIN scope USING (episode_id)
JOIN patients p ON p.patient_id = e.patient_id
LEFT JOIN users u ON u.user_id = e.clinician_id
LEFT JOIN agg USING (episode_id)
LEFT JOIN run USING (episode_id)
LEFT JOIN tier USING (episode_id)
LEFT JOIN stage USING (episode_id)
LEFT JOIN alerts USING (episode_id)
LEFT JOIN waived USING (episode_id)
LEFT JOIN img USING (episode_id)
LEFT JOIN injection_review USING (episode_id)
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
