"""Clinical rules: every threshold the app applies, each with its source and evidence level.

This is the one place thresholds live (CLINICAL.md §4). Administrators may override a threshold's
value; the override is stored in the database and audited, and reaches the rules as a
``Thresholds`` mapping. Nothing else in the code writes a clinical number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


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


THRESHOLDS: dict[str, Threshold] = {t.key: t for t in (
    Threshold("pain_green_max", "Session pain: green up to", 3, "NPRS", 0, 10,
              "Silbernagel, AJSM 2007", "secondary"),
    Threshold("pain_amber_max", "Session pain: amber up to (above is red)", 5, "NPRS", 0, 10,
              "Silbernagel, AJSM 2007", "secondary"),
    Threshold("progress_weeks", "Ready to progress: weeks of green/amber with settled mornings", 2, "weeks", 1, 8,
              "project default (no published number)", "heuristic"),
    Threshold("bridge_min_reps", "Bridge deficit: fewer reps than", 20, "reps", 5, 50,
              "Freckleton 2014; Pori 2021", "primary"),
    Threshold("bridge_min_lsi", "Bridge deficit: limb symmetry index below", 90, "%", 50, 100,
              "project default", "heuristic"),
    Threshold("visa_h_mcid", "Meaningful improvement: VISA-H gain of at least", 13, "points", 5, 30,
              "VISA-P MCID, Hernandez-Sanchez BJSM 2014", "extrapolated"),
    Threshold("pain_reduction_pct", "Meaningful improvement: average pain down by at least", 50, "%", 10, 100,
              "Cacchio et al., AJSM 2011", "primary"),
    Threshold("groc_min", "Meaningful improvement: global rating of change of at least", 2, "GROC", 1, 3,
              "Rich et al., J Exp Orthop 2023", "heuristic"),
    Threshold("stalled_weeks", "Stalled: weeks in episode without meaningful improvement", 12, "weeks", 4, 52,
              "Goom et al., JOSPT 2016 (3-6 months)", "heuristic"),
    Threshold("adjunct_weeks", "Consider adjunct: weeks of conservative care, stalled", 12, "weeks", 4, 52,
              "Goom 2016; Rich 2023", "heuristic"),
    Threshold("regenerative_weeks", "Consider regenerative: weeks of care, stalled", 18, "weeks", 12, 52,
              "seed article (12-24 weeks)", "heuristic"),
    Threshold("surgical_weeks", "Consider surgical opinion: weeks of failed non-operative care", 24, "weeks", 12, 104,
              "Kayani 2020", "primary"),
    Threshold("review_overdue_weeks", "Review overdue: weeks since last assessment", 4, "weeks", 1, 26,
              "project default", "heuristic"),
    Threshold("incidental_mri_age", "Possibly incidental MRI type III: age above", 45, "years", 18, 90,
              "Clin Radiol 2018", "primary"),
    Threshold("avulsion_retraction_cm", "Urgent surgical opinion: retraction above", 2, "cm", 0.5, 10,
              "CLINICAL.md §2 red flags", "secondary"),
    Threshold("avulsion_tendons", "Urgent surgical opinion: tendons avulsed, at least", 2, "tendons", 1, 3,
              "CLINICAL.md §2 red flags", "secondary"),
    Threshold("sitting_tolerance_min", "Sitting tolerance typical of PHT: below", 30, "minutes", 5, 120,
              "Rich et al., J Exp Orthop 2023", "primary"),
)}

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

def bridge_lsi(side: str, reps_left: int | None, reps_right: int | None) -> float | None:
    """Limb symmetry index, affected / unaffected x 100 (§2).

    For a bilateral case the weaker side is compared with the stronger. None when either side is
    missing or the comparison side scored 0.
    """
    if reps_left is None or reps_right is None:
        return None
    if side == "left":
        affected, other = reps_left, reps_right
    elif side == "right":
        affected, other = reps_right, reps_left
    else:
        affected, other = min(reps_left, reps_right), max(reps_left, reps_right)
    if other <= 0:
        return None
    return round(100.0 * affected / other, 1)


def bridge_deficit(side: str, reps_left: int | None, reps_right: int | None,
                   thresholds: Thresholds | None = None) -> list[str]:
    """Reasons the bridge test shows a deficit (empty when none): reps < 20 a side, or LSI < 90%."""
    t = thresholds or default_thresholds()
    reasons = []
    for name, reps in (("left", reps_left), ("right", reps_right)):
        if reps is not None and reps < t["bridge_min_reps"]:
            reasons.append(f"{name} side {reps} reps (< {t['bridge_min_reps']:g})")
    lsi = bridge_lsi(side, reps_left, reps_right)
    if lsi is not None and lsi < t["bridge_min_lsi"]:
        reasons.append(f"LSI {lsi:g}% (< {t['bridge_min_lsi']:g}%)")
    return reasons


def strength_lsi(side: str, left: float | None, right: float | None) -> float | None:
    """Strength limb symmetry index, computed like the bridge LSI."""
    if left is None or right is None:
        return None
    return bridge_lsi(side, left, right)  # same arithmetic; float inputs are fine


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
            found.append(f"Imaging {report['imaged_on']}: avulsion of {tendons} tendons: urgent surgical opinion, "
                         "ideally within 4 weeks")
        elif retraction is not None and retraction == retraction and retraction > t["avulsion_retraction_cm"]:
            found.append(f"Imaging {report['imaged_on']}: retraction {retraction:g} cm: urgent surgical opinion, "
                         "ideally within 4 weeks")
    return found
