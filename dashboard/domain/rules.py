"""Clinical rules: every threshold the app applies, each with its source and evidence level.

This is the one place thresholds live (CLINICAL.md §4). Administrators may override a threshold's
value; the override is stored in the database and audited, and reaches the rules as a
``Thresholds`` mapping. Nothing else in the code writes a clinical number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Threshold:
    key: str
    label: str
    default: float
    unit: str
    minimum: float
    maximum: float
    source: str
    level: str  # primary | secondary | extrapolated | heuristic


THRESHOLDS: dict[str, Threshold] = {
    t.key: t
    for t in (
        Threshold(
            "pain_green_max", "Session pain: green up to", 3, "NPRS", 0, 10, "Silbernagel, AJSM 2007", "secondary"
        ),
        Threshold(
            "pain_amber_max",
            "Session pain: amber up to (above is red)",
            5,
            "NPRS",
            0,
            10,
            "Silbernagel, AJSM 2007",
            "secondary",
        ),
        Threshold(
            "progress_weeks",
            "Ready to progress: weeks of green/amber sessions with settled mornings in the current stage",
            2,
            "weeks",
            1,
            8,
            "project default (no published number)",
            "heuristic",
        ),
        Threshold(
            "bridge_min_reps",
            "Bridge deficit: fewer reps than",
            20,
            "reps",
            5,
            50,
            "Freckleton 2014; Pori 2021",
            "primary",
        ),
        Threshold(
            "bridge_min_lsi",
            "Bridge deficit: limb symmetry index below",
            90,
            "%",
            50,
            100,
            "project default",
            "heuristic",
        ),
        Threshold(
            "visa_h_mcid",
            "Meaningful improvement: VISA-H gain of at least",
            13,
            "points",
            5,
            30,
            "VISA-P MCID, Hernandez-Sanchez BJSM 2014",
            "extrapolated",
        ),
        Threshold(
            "psfs_mcid",
            "Meaningful improvement (distal): functional scale average gain of at least",
            2,
            "points",
            1,
            5,
            "project default for the patient-specific functional scale",
            "heuristic",
        ),
        Threshold(
            "pain_reduction_pct",
            "Meaningful improvement: average pain down by at least",
            50,
            "%",
            10,
            100,
            "Cacchio et al., AJSM 2011",
            "primary",
        ),
        Threshold(
            "pain_reduction_points",
            "Meaningful improvement: and average pain down by at least",
            2,
            "points",
            1,
            5,
            "Farrar et al., Pain 2001 (smallest important change in chronic pain)",
            "primary",
        ),
        Threshold(
            "groc_min",
            "Meaningful improvement: global rating of change at the latest visit of at least",
            2,
            "GROC",
            1,
            3,
            "Rich et al., J Exp Orthop 2023",
            "heuristic",
        ),
        Threshold(
            "baseline_window_weeks",
            "Baseline: first outcome score within this many weeks of opening (later: a late baseline)",
            4,
            "weeks",
            1,
            12,
            "CLINICAL.md §9",
            "heuristic",
        ),
        Threshold(
            "stalled_weeks",
            "Stalled: weeks in the episode, or in the current tier, without meaningful improvement",
            12,
            "weeks",
            4,
            52,
            "Goom et al., JOSPT 2016 (3-6 months)",
            "heuristic",
        ),
        Threshold(
            "adjunct_weeks",
            "Consider adjunct: weeks of conservative care, stalled",
            12,
            "weeks",
            4,
            52,
            "Goom 2016; Rich 2023",
            "heuristic",
        ),
        Threshold(
            "adjunct_min_stage",
            "Consider adjunct: loading stage reached at least",
            2,
            "stage",
            1,
            4,
            "CLINICAL.md §9 (Goom 2016)",
            "heuristic",
        ),
        Threshold(
            "regenerative_adjunct_weeks",
            "Consider regenerative: weeks in the adjunct tier, stalled, at least",
            6,
            "weeks",
            2,
            26,
            "CLINICAL.md §9",
            "heuristic",
        ),
        Threshold(
            "regenerative_weeks",
            "Consider regenerative: weeks of care in the episode, at least",
            18,
            "weeks",
            12,
            52,
            "seed article (12-24 weeks)",
            "heuristic",
        ),
        Threshold(
            "surgical_weeks",
            "Consider surgical opinion: weeks of failed non-operative care",
            24,
            "weeks",
            12,
            104,
            "Kayani 2020",
            "primary",
        ),
        Threshold(
            "review_overdue_weeks",
            "Review overdue with no review planned: weeks since the last assessment (or opening)",
            4,
            "weeks",
            1,
            26,
            "project default",
            "heuristic",
        ),
        Threshold(
            "review_grace_days",
            "Review overdue: days past the planned review date",
            7,
            "days",
            0,
            28,
            "CLINICAL.md §9",
            "heuristic",
        ),
        Threshold(
            "incidental_mri_age",
            "Possibly incidental MRI type III: age above",
            45,
            "years",
            18,
            90,
            "Clin Radiol 2018",
            "primary",
        ),
        Threshold(
            "avulsion_retraction_cm",
            "Urgent surgical opinion: retraction above",
            2,
            "cm",
            0.5,
            10,
            "CLINICAL.md §2 red flags",
            "secondary",
        ),
        Threshold(
            "avulsion_tendons",
            "Urgent surgical opinion: tendons avulsed, at least",
            2,
            "tendons",
            1,
            3,
            "CLINICAL.md §2 red flags",
            "secondary",
        ),
        Threshold(
            "sitting_tolerance_min",
            "Sitting tolerance typical of PHT: below",
            30,
            "minutes",
            5,
            120,
            "Rich et al., J Exp Orthop 2023",
            "primary",
        ),
    )
}

Thresholds = Mapping[str, float]

# Pairs that must stay in order (§9 "thresholds stay consistent"): (smaller, larger, why).
ORDERED = (
    ("pain_green_max", "pain_amber_max", "the green limit must be below the amber limit"),
    ("adjunct_weeks", "surgical_weeks", "adjunct is considered before a surgical opinion"),
    ("regenerative_weeks", "surgical_weeks", "regenerative treatment is considered before a surgical opinion"),
    ("adjunct_weeks", "regenerative_weeks", "adjunct is considered before regenerative treatment"),
)


def default_thresholds() -> dict[str, float]:
    return {key: t.default for key, t in THRESHOLDS.items()}


def check_threshold_value(key: str, value: float, current: Thresholds | None = None) -> str | None:
    """A problem with an administrator's new value (alone, and against the other values in force), or None."""
    spec = THRESHOLDS.get(key)
    if spec is None:
        return "Unknown setting."
    if not (spec.minimum <= value <= spec.maximum):
        return f"Must be between {spec.minimum:g} and {spec.maximum:g} {spec.unit}."
    t = {**default_thresholds(), **(current or {}), key: value}
    for low, high, why in ORDERED:
        if key in (low, high) and not t[low] < t[high]:
            return (
                f"Not saved: {why} ({THRESHOLDS[low].label} {t[low]:g}, {THRESHOLDS[high].label.lower()} {t[high]:g})."
            )
    return None


# -- single-leg bridge (Freckleton, Cook, Pizzari, BJSM 2014) --------------------------------------


def lsi_values(side, left, right):
    """Limb symmetry index, affected / unaffected x 100 (§2), for scalars or whole columns.

    For a bilateral case the weaker side is compared with the stronger. NaN where a side is missing or
    the comparison side is 0.
    """
    left = np.asarray(left, dtype="float64")
    right = np.asarray(right, dtype="float64")
    side = np.asarray(side, dtype=object)
    affected = np.where(side == "left", left, np.where(side == "right", right, np.fmin(left, right)))
    other = np.where(side == "left", right, np.where(side == "right", left, np.fmax(left, right)))
    with np.errstate(divide="ignore", invalid="ignore"):
        lsi = np.where(other > 0, np.round(100.0 * affected / other, 1), np.nan)
    return lsi


def deficit_values(side, left, right, t: Thresholds):
    """Bridge deficit (reps < 20 on a side, or LSI < 90%) for scalars or columns."""
    left = np.asarray(left, dtype="float64")
    right = np.asarray(right, dtype="float64")
    lsi = lsi_values(side, left, right)
    few = (left < t["bridge_min_reps"]) | (right < t["bridge_min_reps"])  # NaN compares False
    return few | (lsi < t["bridge_min_lsi"])


def _number(value):
    return None if value is None or value != value else value


def bridge_lsi(side: str, reps_left, reps_right) -> float | None:
    if _number(reps_left) is None or _number(reps_right) is None:
        return None
    value = float(lsi_values(side, reps_left, reps_right))
    return None if value != value else value


def bridge_deficit(side: str, reps_left, reps_right, thresholds: Thresholds | None = None) -> list[str]:
    """Reasons the bridge test shows a deficit (empty when none), in words for the form."""
    t = thresholds or default_thresholds()
    reasons = []
    for name, reps in (("left", _number(reps_left)), ("right", _number(reps_right))):
        if reps is not None and reps < t["bridge_min_reps"]:
            reasons.append(f"{name} side {reps:g} reps (< {t['bridge_min_reps']:g})")
    lsi = bridge_lsi(side, reps_left, reps_right)
    if lsi is not None and lsi < t["bridge_min_lsi"]:
        reasons.append(f"LSI {lsi:g}% (< {t['bridge_min_lsi']:g}%)")
    return reasons


def strength_lsi(side: str, left, right) -> float | None:
    """Strength limb symmetry index, computed like the bridge LSI."""
    return bridge_lsi(side, left, right)


def pain_light(pain: int | None, thresholds: Thresholds | None = None) -> str | None:
    """Session pain traffic light (Silbernagel 2007): green, amber or red."""
    if pain is None:
        return None
    t = thresholds or default_thresholds()
    if pain <= t["pain_green_max"]:
        return "green"
    if pain <= t["pain_amber_max"]:
        return "amber"
    return "red"


# -- the rules, evaluated over episodes (CLINICAL.md §4 and §9) ------------------------------------


@dataclass(frozen=True)
class Rule:
    rule_id: str
    statement: str  # a format string over the thresholds: the statement shows the values in force
    source: str
    level: str
    suggests_tier: str | None = None  # accepting the suggestion moves the episode to this tier

    def text(self, thresholds: Thresholds | None = None) -> str:
        return self.statement.format(**{**default_thresholds(), **(thresholds or {})})


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule(
            "red_flag",
            "A red flag is open on this case: follow its route and resolve it, recording what was done. "
            "Loading is not progressed and no routine handout is printed while it is open.",
            "CLINICAL.md §6",
            "secondary",
        ),
        Rule(
            "pain_light",
            "Pain during and after the prescribed exercises: 0-{pain_green_max:g} green, up to {pain_amber_max:g} "
            "amber (fine if settled next morning), above {pain_amber_max:g} red: reduce load.",
            "Silbernagel, AJSM 2007",
            "secondary",
        ),
        Rule(
            "hold_stage",
            "Next-morning pain has not settled: do not progress the loading stage.",
            "Silbernagel, AJSM 2007",
            "secondary",
        ),
        Rule(
            "ready_to_progress",
            "At least {progress_weeks:g} consecutive weeks of green or amber sessions with settled mornings since "
            "the current stage began: ready to progress to the next loading stage.",
            "project default",
            "heuristic",
        ),
        Rule(
            "bridge_deficit",
            "Single-leg bridge under {bridge_min_reps:g} reps on a side, or limb symmetry index under "
            "{bridge_min_lsi:g}%.",
            "Freckleton 2014; Pori 2021 (LSI: project default)",
            "primary",
        ),
        Rule(
            "improved",
            "Meaningful improvement at the latest visit: the pathway's outcome up by its meaningful change from "
            "baseline (VISA-H {visa_h_mcid:g} points; distal functional scale {psfs_mcid:g} points), or average pain "
            "down by at least {pain_reduction_pct:g}% and {pain_reduction_points:g} points, or a global rating of "
            "change of +{groc_min:g} or better.",
            "VISA-P MCID (extrapolated); Cacchio 2011; Farrar 2001; Rich 2023",
            "extrapolated",
        ),
        Rule(
            "late_baseline",
            "The first outcome score was recorded more than {baseline_window_weeks:g} weeks after the episode opened: "
            "a late baseline, so change from it understates the whole course.",
            "CLINICAL.md §9",
            "heuristic",
        ),
        Rule(
            "stalled",
            "{stalled_weeks:g} weeks or more in the episode, or in the current tier, without a meaningful change.",
            "Goom et al., JOSPT 2016 (3-6 months)",
            "heuristic",
        ),
        Rule(
            "load_before_adjunct",
            "Stalled after {adjunct_weeks:g} weeks of conservative care, but loading has not reached stage "
            "{adjunct_min_stage:g}: progress loading before adding an adjunct, or accept to record why not.",
            "CLINICAL.md §9 (Goom 2016)",
            "heuristic",
        ),
        Rule(
            "consider_adjunct",
            "{adjunct_weeks:g} weeks or more of conservative care, stalled, loading at stage {adjunct_min_stage:g} or "
            "beyond: consider adding an adjunct (e.g. shockwave) to loading.",
            "Goom 2016; Rich 2023",
            "heuristic",
            "adjunct",
        ),
        Rule(
            "consider_regenerative",
            "{regenerative_adjunct_weeks:g} weeks or more in the adjunct tier without a meaningful change, and "
            "{regenerative_weeks:g} weeks or more of care: consider regenerative or injection treatment.",
            "seed article",
            "heuristic",
            "regenerative",
        ),
        Rule(
            "consider_surgical",
            "{surgical_weeks:g} weeks or more of failed non-operative care, or an open avulsion red flag: consider "
            "an orthopaedic surgical opinion.",
            "Kayani 2020",
            "primary",
        ),
        Rule(
            "review_overdue",
            "Open case whose planned review is more than {review_grace_days:g} days past; with no review planned, "
            "more than {review_overdue_weeks:g} weeks since the last assessment (or since opening).",
            "project default",
            "heuristic",
        ),
        Rule(
            "incidental_mri",
            "MRI type III in a person over {incidental_mri_age:g} may be an incidental finding.",
            "Clin Radiol 2018",
            "primary",
        ),
        Rule(
            "research_definition",
            "Research definition of PHT: on the affected side, at least 3 of 4 of single-leg arabesque, single-leg "
            "bridge, sitting under {sitting_tolerance_min:g} minutes and modified bent-knee stretch reproduce the "
            "familiar pain. Information only, never a gate.",
            "Rich et al., J Exp Orthop 2023",
            "primary",
        ),
    )
}

SUGGESTION_RULES = (
    "load_before_adjunct",
    "consider_adjunct",
    "consider_regenerative",
    "consider_surgical",
    "ready_to_progress",
)


def _weeks(later, earlier) -> pd.Series:
    return ((pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days // 7).astype("float64")


def _flag(series) -> pd.Series:
    return pd.Series(series).fillna(False).astype(bool)


# The date-dependent rules hold from a given day on; the case state (storage/case_state.py) keeps that day and
# compares it with today in SQL at read time, so a stored row never goes stale overnight.
DATED_RULES = ("stalled", "stalled_in_tier", "adjunct", "regenerative", "surgical", "review_overdue")
# What needs doing first (the caseload's "Priority" order): the first of these that holds, else the rest.
PRIORITY = ("red_flag", "review_overdue", "review_due", "stalled", "escalation_due")
_EVER = pd.Timestamp("1900-01-01")  # "from any day": an open avulsion red flag asks for a surgical opinion now


def evaluate(features: pd.DataFrame, thresholds: Thresholds | None, today: date) -> pd.DataFrame:
    """Every rule for every episode in ``features`` (one row per episode, from
    ``storage.case_state.features``). Vectorised: the same code serves one case or the clinic. The same as
    ``on_date(state_columns(features, thresholds), today)``, which is how the case state splits it."""
    return on_date(state_columns(features, thresholds), today)


_DAY = np.timedelta64(1, "D")
_NEVER = np.datetime64("NaT", "ns")


def _dates(column) -> np.ndarray:
    return pd.to_datetime(pd.Series(column)).to_numpy(dtype="datetime64[ns]")


def _numbers(column) -> np.ndarray:
    return pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _booleans(column) -> np.ndarray:
    return pd.Series(column).fillna(False).to_numpy(dtype=bool)


def _texts(column) -> np.ndarray:
    return pd.Series(column).to_numpy(dtype=object)


def _from(start: np.ndarray, weeks: float) -> np.ndarray:
    """The first day on which whole weeks since ``start`` reach ``weeks`` (``_weeks`` counts whole weeks)."""
    return start + 7 * int(np.ceil(weeks)) * _DAY


def _latest(*columns: np.ndarray) -> np.ndarray:
    """Row-wise latest date; NaT where any is missing (every condition must hold)."""
    return np.maximum.reduce(columns)  # NaT wins, as it should: one condition never holds


def _earliest(*columns: np.ndarray) -> np.ndarray:
    """Row-wise earliest date, ignoring missing ones (either condition is enough)."""
    return np.fmin.reduce(columns)


def _only(condition: np.ndarray, when: np.ndarray) -> np.ndarray:
    """``when`` where ``condition`` holds, else never."""
    return np.where(condition, when, _NEVER)


def state_columns(features: pd.DataFrame, thresholds: Thresholds | None) -> pd.DataFrame:
    """The rules' results that do not depend on today's date, and for each date-dependent rule the first day
    it holds (``<rule>_from``; NaT: not while the records stay as they are). Kept in the case state, so it runs
    inside every save: plain numpy arrays, one frame built at the end."""
    t = dict(default_thresholds(), **(thresholds or {}))
    f = features
    out: dict[str, np.ndarray] = {}
    open_ = _texts(f["status"]) == "open"
    post_op = _booleans(f["post_operative"])
    distal = np.array([str(r).startswith("distal") for r in _texts(f["region"])], dtype=bool) & ~post_op
    red_flag = open_ & (np.nan_to_num(_numbers(f["open_alerts"])) > 0)
    out["red_flag"] = red_flag

    # session pain traffic light: pain during and after the prescribed exercises at the latest visit (§9)
    pain = _numbers(f["session_pain"])
    out["pain_light"] = np.select(
        [pain <= t["pain_green_max"], pain <= t["pain_amber_max"], ~np.isnan(pain)],
        np.array(["green", "amber", "red"], dtype=object),
        default=np.array(None, dtype=object),
    ).astype(object)
    hold = open_ & (_texts(f["next_morning_latest"]) == "not_settled")
    out["hold_stage"] = hold
    last_seen_on = _dates(f["last_assessed_on"])
    run_weeks = np.floor((last_seen_on - _dates(f["good_run_start"])) / _DAY / 7)  # this stage's sessions only
    with np.errstate(invalid="ignore"):
        out["ready_to_progress"] = (
            open_
            & ~post_op  # after surgery, progression follows the surgeon's protocol (§7)
            & ~red_flag  # no progression while a red flag is open (§6)
            & (_numbers(f["stage"]) < 4)
            & (run_weeks >= t["progress_weeks"])
            & ~hold
        )
    left, right = _numbers(f["bridge_left"]), _numbers(f["bridge_right"])
    out["bridge_lsi"] = lsi_values(_texts(f["side"]), left, right)
    out["bridge_deficit"] = open_ & deficit_values(_texts(f["side"]), left, right, t)

    # improvement (§9): the latest visit's values only, against the baseline and against the tier's start
    mcid = np.where(post_op, np.nan, np.where(distal, t["psfs_mcid"], t["visa_h_mcid"]))
    outcome_now, pain_now = _numbers(f["outcome_latest"]), _numbers(f["pain_latest"])
    outcome_change = outcome_now - _numbers(f["outcome_baseline"])
    out["outcome_change"] = outcome_change
    out["visa_change"] = np.where(post_op | distal, np.nan, outcome_change)

    def pain_better(reference) -> tuple[np.ndarray, np.ndarray]:
        ref = _numbers(reference)
        points = ref - pain_now
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(ref > 0, np.round(100.0 * points / ref), np.nan)
            return pct, (pct >= t["pain_reduction_pct"]) & (points >= t["pain_reduction_points"])

    with np.errstate(invalid="ignore"):
        pct, better = pain_better(f["pain_baseline"])
        out["pain_change_pct"] = pct
        improved = (outcome_change >= mcid) | better | (_numbers(f["groc_latest"]) >= t["groc_min"])
        _, better_in_tier = pain_better(f["pain_tier_start"])
        improved_in_tier = ((outcome_now - _numbers(f["outcome_tier_start"])) >= mcid) | better_in_tier
    out["improved"], out["improved_in_tier"] = improved, improved_in_tier
    opened_on, tier_since = _dates(f["opened_on"]), _dates(f["tier_since"])
    window = int(7 * t["baseline_window_weeks"]) * _DAY
    out["late_baseline"] = _dates(f["outcome_baseline_on"]) > opened_on + window

    # stalled (§9): so many weeks in the episode, or in the current tier, without a meaningful change
    stalled_in_tier = _only(~improved_in_tier, _from(tier_since, t["stalled_weeks"]))
    stalled = _earliest(_only(~improved, _from(opened_on, t["stalled_weeks"])), stalled_in_tier)
    out["stalled_in_tier_from"], out["stalled_from"] = stalled_in_tier, stalled

    # escalation (§9): gated on stage and tier history, one prompt at a time, none after surgery
    tier = _texts(f["tier"])
    out["adjunct_from"] = _only(
        ~post_op & (tier == "conservative"), _latest(_from(tier_since, t["adjunct_weeks"]), stalled)
    )
    out["loaded_enough"] = (_numbers(f["max_stage"]) >= t["adjunct_min_stage"]) | _booleans(f["stage_gate_waived"])
    out["regenerative_from"] = _only(
        ~post_op & (tier == "adjunct") & ~improved_in_tier & ~improved,
        _latest(_from(tier_since, t["regenerative_adjunct_weeks"]), _from(opened_on, t["regenerative_weeks"])),
    )
    avulsion_open = np.array(["avulsion" in str(k) for k in _texts(f["open_alert_kinds"])], dtype=bool)
    ever = np.full(len(f), _EVER.to_datetime64(), dtype="datetime64[ns]")
    out["surgical_from"] = _only(
        ~post_op,
        _earliest(_only(~improved, _from(opened_on, t["surgical_weeks"])), _only(avulsion_open, ever)),
    )

    # review overdue (§9): the planned date plus a grace period; with none planned, 4 weeks since last seen
    planned = _dates(f["next_review_on"])
    last_seen = np.where(np.isnat(last_seen_on), opened_on, last_seen_on)
    out["review_overdue_from"] = np.where(
        np.isnat(planned),
        last_seen + (int(7 * t["review_overdue_weeks"]) + 1) * _DAY,
        planned + (int(t["review_grace_days"]) + 1) * _DAY,
    )
    with np.errstate(invalid="ignore"):
        out["incidental_mri"] = _numbers(f["incidental_mri_age"]) > t["incidental_mri_age"]
    kept = features.drop(columns=[c for c in out if c in features.columns])
    return pd.concat([kept, pd.DataFrame(out, index=features.index)], axis=1)


def on_date(state: pd.DataFrame, today: date) -> pd.DataFrame:
    """The date-dependent rules on ``today`` from ``state_columns``. storage/case_state.py's read query says the
    same in SQL (a test compares the two on the demo clinic)."""
    f = state.copy()
    today_ts = pd.Timestamp(today)
    open_ = f["status"] == "open"
    end = pd.to_datetime(f["closed_on"]).fillna(today_ts)
    f["weeks_in_episode"] = _weeks(end, f["opened_on"])
    f["weeks_in_tier"] = _weeks(end, f["tier_since"])

    def holds(rule: str) -> pd.Series:
        return open_ & (pd.to_datetime(f[f"{rule}_from"]) <= today_ts).fillna(False)

    f["stalled_in_tier"] = holds("stalled_in_tier")
    f["stalled"] = holds("stalled")
    adjunct_due = holds("adjunct")
    f["consider_adjunct"] = adjunct_due & _flag(f["loaded_enough"])
    f["load_before_adjunct"] = adjunct_due & ~_flag(f["loaded_enough"])
    f["consider_regenerative"] = holds("regenerative")
    f["consider_surgical"] = holds("surgical")
    f["escalation_due"] = f["consider_adjunct"] | f["consider_regenerative"] | f["consider_surgical"]
    f["review_overdue"] = holds("review_overdue")
    planned = pd.to_datetime(f["next_review_on"])
    f["review_due"] = open_ & (planned <= today_ts).fillna(False) & ~f["review_overdue"]  # due, not yet overdue
    f["priority"] = np.select([f[rule].astype(bool) for rule in PRIORITY], list(range(len(PRIORITY))), default=5)
    return f


def research_definition(assessment: dict, side: str, thresholds: Thresholds | None = None) -> tuple[int, int]:
    """§9 research definition of PHT on the affected side(s): (tests reproducing the pain, tests recorded)
    out of arabesque, bridge provocation, sitting under the threshold and modified bent-knee stretch. For a
    bilateral case the side with more positives counts. Information only, never a gate."""
    from .model import RESEARCH_DEFINITION_TESTS, test_column

    t = {**default_thresholds(), **(thresholds or {})}
    best = (0, 0)
    for each in ("left", "right") if side == "bilateral" else (side,):
        positive = recorded = 0
        for code in RESEARCH_DEFINITION_TESTS:
            result = assessment.get(test_column(code, each))
            if result in ("positive", "negative"):
                recorded += 1
                positive += result == "positive"
        sitting = assessment.get("sitting_minutes")
        if sitting is not None and sitting == sitting:
            recorded += 1
            positive += sitting < t["sitting_tolerance_min"]
        best = max(best, (positive, recorded))
    return best
