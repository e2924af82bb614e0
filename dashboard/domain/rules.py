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
            "Ready to progress: weeks of green/amber with settled mornings",
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
            "groc_min",
            "Meaningful improvement: global rating of change of at least",
            2,
            "GROC",
            1,
            3,
            "Rich et al., J Exp Orthop 2023",
            "heuristic",
        ),
        Threshold(
            "stalled_weeks",
            "Stalled: weeks in episode without meaningful improvement",
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
            "regenerative_weeks",
            "Consider regenerative: weeks of care, stalled",
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
            "Review overdue: weeks since last assessment",
            4,
            "weeks",
            1,
            26,
            "project default",
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


def default_thresholds() -> dict[str, float]:
    return {key: t.default for key, t in THRESHOLDS.items()}


def check_threshold_value(key: str, value: float) -> str | None:
    """A problem with an administrator's new value, or None."""
    spec = THRESHOLDS.get(key)
    if spec is None:
        return "Unknown setting."
    if not (spec.minimum <= value <= spec.maximum):
        return f"Must be between {spec.minimum:g} and {spec.maximum:g} {spec.unit}."
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


# -- red flags (CLINICAL.md §2): any one prompts referral -------------------------------------------


def red_flags(latest: dict | None, imaging: list[dict], thresholds: Thresholds | None = None) -> list[str]:
    """Red flags standing on an episode: those ticked at the latest assessment, rest/night pain shown by
    a Nirschl phase of 6-7, and imaging that calls for an urgent surgical opinion."""
    from .model import RED_FLAGS  # local import keeps this module's top free of the model's size

    t = thresholds or default_thresholds()
    found = []
    if latest:
        found += [flag.label for flag in RED_FLAGS if latest.get(flag.code)]
        phase = latest.get("nirschl_phase")
        if phase is not None and phase >= 6 and not latest.get("rf_rest_night_pain"):
            found.append(f"Nirschl phase {phase}: pain at rest or at night")
    for report in imaging:
        tendons = report.get("tendons_avulsed") or 0
        retraction = report.get("retraction_cm")
        if report.get("avulsion") and tendons >= t["avulsion_tendons"]:
            found.append(
                f"Imaging {report['imaged_on']}: avulsion of {tendons} tendons: urgent surgical opinion, "
                "ideally within 4 weeks"
            )
        elif retraction is not None and retraction == retraction and retraction > t["avulsion_retraction_cm"]:
            found.append(
                f"Imaging {report['imaged_on']}: retraction {retraction:g} cm: urgent surgical opinion, "
                "ideally within 4 weeks"
            )
    return found


# -- the rules, evaluated over episodes (CLINICAL.md §4) --------------------------------------------


@dataclass(frozen=True)
class Rule:
    rule_id: str
    statement: str
    source: str
    level: str
    suggests_tier: str | None = None  # accepting the suggestion moves the episode to this tier


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule(
            "red_flag",
            "A red flag is present: refer on (suspected avulsion, neurological signs, rest or night pain, "
            "systemic symptoms, suspected fracture, ischiofemoral impingement, or imaging calling for surgery).",
            "CLINICAL.md §2 red flags",
            "secondary",
        ),
        Rule(
            "pain_light",
            "Session pain 0-3 green, 4-5 amber (fine if settled next morning), above 5 red: reduce load.",
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
            "At least 2 consecutive weeks of green or amber sessions with settled mornings: "
            "ready to progress to the next loading stage.",
            "project default",
            "heuristic",
        ),
        Rule(
            "bridge_deficit",
            "Single-leg bridge under 20 reps on a side, or limb symmetry index under 90%.",
            "Freckleton 2014; Pori 2021 (LSI 90%: project default)",
            "primary",
        ),
        Rule(
            "improved",
            "Meaningful improvement: VISA-H up 13 or more from baseline, or average pain down by half, "
            "or global rating of change +2 or better.",
            "VISA-P MCID (extrapolated); Cacchio 2011; Rich 2023",
            "extrapolated",
        ),
        Rule(
            "stalled",
            "12 weeks or more in the episode without meaningful improvement.",
            "Goom et al., JOSPT 2016 (3-6 months)",
            "heuristic",
        ),
        Rule(
            "consider_adjunct",
            "12 weeks or more of conservative care and stalled: consider adding an adjunct "
            "(e.g. shockwave) to loading.",
            "Goom 2016; Rich 2023",
            "heuristic",
            "adjunct",
        ),
        Rule(
            "consider_regenerative",
            "Stalled after 12-24 weeks of conservative (and adjunct) care: consider "
            "regenerative or injection treatment.",
            "seed article",
            "heuristic",
            "regenerative",
        ),
        Rule(
            "consider_surgical",
            "24 weeks or more of failed non-operative care, or a red flag: consider an orthopaedic surgical opinion.",
            "Kayani 2020",
            "primary",
        ),
        Rule("review_overdue", "Open case with no assessment for more than 4 weeks.", "project default", "heuristic"),
        Rule(
            "incidental_mri",
            "MRI type III in a person over 45 may be an incidental finding.",
            "Clin Radiol 2018",
            "primary",
        ),
    )
}

SUGGESTION_RULES = ("consider_adjunct", "consider_regenerative", "consider_surgical", "ready_to_progress")


def _num(column) -> pd.Series:
    """A column as plain floats (NaN for missing), so comparisons give plain booleans."""
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _weeks(later, earlier) -> pd.Series:
    return ((pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days // 7).astype("float64")


def evaluate(features: pd.DataFrame, thresholds: Thresholds | None, today: date) -> pd.DataFrame:
    """Every rule for every episode in ``features`` (one row per episode, from
    ``storage.caseload.episode_features``). Vectorised: the same code serves one case or the clinic."""
    t = dict(default_thresholds(), **(thresholds or {}))
    f = features.copy()
    today_ts = pd.Timestamp(today)
    open_ = f["status"] == "open"
    end = pd.to_datetime(f["closed_on"]).fillna(today_ts)
    f["weeks_in_episode"] = _weeks(end, f["opened_on"])
    f["weeks_in_tier"] = _weeks(end, f["tier_since"])

    pain = _num(f["session_pain"])
    f["pain_light"] = np.select(
        [pain <= t["pain_green_max"], pain <= t["pain_amber_max"], pain.notna()],
        ["green", "amber", "red"],
        default=np.array(None, dtype=object),
    )
    f["hold_stage"] = open_ & (f["next_morning_latest"] == "not_settled")
    run_weeks = _weeks(f["last_assessed_on"], f["good_run_start"])
    f["ready_to_progress"] = (
        open_ & (_num(f["stage"]) < 4) & (run_weeks >= t["progress_weeks"]).fillna(False) & ~f["hold_stage"]
    )

    f["bridge_lsi"] = lsi_values(f["side"], f["bridge_left"], f["bridge_right"])
    f["bridge_deficit"] = open_ & deficit_values(f["side"], f["bridge_left"], f["bridge_right"], t)

    visa_base = _num(f["visa_baseline"])
    visa_now = _num(f["visa_latest"])
    pain_base = _num(f["pain_baseline"])
    pain_now = _num(f["pain_latest"])
    f["visa_change"] = visa_now - visa_base
    with np.errstate(divide="ignore", invalid="ignore"):
        f["pain_change_pct"] = np.where(pain_base > 0, np.round(100.0 * (pain_base - pain_now) / pain_base), np.nan)
    groc = _num(f["groc_latest"])
    f["improved"] = (
        (f["visa_change"] >= t["visa_h_mcid"]).fillna(False)
        | (pd.Series(f["pain_change_pct"], index=f.index) >= t["pain_reduction_pct"]).fillna(False)
        | (groc >= t["groc_min"]).fillna(False)
    )
    f["stalled"] = open_ & (f["weeks_in_episode"] >= t["stalled_weeks"]).fillna(False) & ~f["improved"]

    imaging_flag = (_num(f["max_tendons_avulsed"]) >= t["avulsion_tendons"]).fillna(False) | (
        _num(f["max_retraction_cm"]) > t["avulsion_retraction_cm"]
    ).fillna(False)
    nirschl = _num(f["nirschl_latest"])
    f["red_flag"] = open_ & (
        f["red_flag_latest"].fillna(False).astype(bool) | (nirschl >= 6).fillna(False) | imaging_flag
    )
    f["consider_adjunct"] = (
        f["stalled"] & (f["tier"] == "conservative") & (f["weeks_in_tier"] >= t["adjunct_weeks"]).fillna(False)
    )
    f["consider_regenerative"] = (
        f["stalled"]
        & f["tier"].isin(["conservative", "adjunct"])
        & (f["weeks_in_episode"] >= t["regenerative_weeks"]).fillna(False)
    )
    f["consider_surgical"] = open_ & (
        ((f["weeks_in_episode"] >= t["surgical_weeks"]).fillna(False) & ~f["improved"]) | f["red_flag"]
    )
    f["escalation_due"] = f["consider_adjunct"] | f["consider_regenerative"] | f["consider_surgical"]
    last = pd.to_datetime(f["last_assessed_on"])
    overdue_from = today_ts - pd.Timedelta(days=int(7 * t["review_overdue_weeks"]))
    f["review_overdue"] = open_ & (last.isna() | (last < overdue_from))
    f["incidental_mri"] = (_num(f["incidental_mri_age"]) > t["incidental_mri_age"]).fillna(False)
    return f
