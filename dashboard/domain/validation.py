"""Validation of everything a person types. Pure functions: raw values in, clean values or problems out.

Each problem is keyed by the field it belongs to and worded for a clinician. Callers save nothing
while any problem remains (``FieldProblems`` is raised by ``require_valid``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from . import safety
from .model import (
    AGGRAVATING_ACTIVITIES,
    ALERT_KINDS,
    DIFFERENTIAL_CODES,
    DISTAL_TESTS,
    IMAGING_FINDINGS,
    MRI_MODALITIES,
    MRI_TYPES,
    NIRSCHL_RED_FLAG_FROM,
    PATHWAY_WORDS,
    PROVOCATION_TESTS,
    PSFS_ITEMS,
    RED_FLAG_CODES,
    TEST_SIDES,
    VISA_H_ITEMS,
    AlertAnswer,
    DischargeOutcome,
    EpisodeStatus,
    FieldProblems,
    JointRange,
    Modality,
    NextMorning,
    Onset,
    Palpation,
    Pathway,
    Region,
    Severity,
    Sex,
    Side,
    StrengthMethod,
    TendonsInvolved,
    TestResult,
    pathway_of,
    test_column,
    test_columns,
)

MAX_AGE_YEARS = 120
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CLINIC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


def _blank(raw: Any) -> bool:
    return (
        raw is None or (isinstance(raw, str) and raw.strip() == "") or (isinstance(raw, float) and raw != raw)
    )  # NaN from pandas


class Checker:
    """Collects clean values and problems for one record."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.clean: dict[str, Any] = {}
        self.problems: dict[str, str] = {}

    def problem(self, name: str, text: str) -> None:
        self.problems.setdefault(name, text)

    def _absent(self, name: str, label: str, raw: Any, required: bool) -> bool:
        """True when nothing was given (recorded as None, and as a problem if the field is required)."""
        if not _blank(raw):
            return False
        if required:
            self.problem(name, f"{label} is required.")
        self.clean[name] = None
        return True

    def text(self, name: str, label: str, *, required=False, max_len=200, multiline=False) -> str | None:
        raw = self.raw.get(name)
        if self._absent(name, label, raw, required):
            return None
        value = str(raw).strip()
        if len(value) > max_len:
            self.problem(name, f"{label} is too long ({len(value)} characters; at most {max_len}).")
        check = value.replace("\n", "").replace("\r", "").replace("\t", "") if multiline else value
        if _CONTROL.search(check) or (not multiline and ("\n" in value or "\r" in value)):
            self.problem(
                name, f"{label} contains characters that cannot be stored (control characters or line breaks)."
            )
        self.clean[name] = value
        return value

    def integer(
        self,
        name: str,
        label: str,
        lo: int,
        hi: int,
        *,
        required=False,
        allowed: Iterable[int] | None = None,
        unit: str = "",
    ) -> int | None:
        raw: Any = self.raw.get(name)
        if self._absent(name, label, raw, required):
            return None
        try:
            if isinstance(raw, bool):
                raise ValueError
            number = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
            if number != int(number):
                raise ValueError
            value = int(number)
        except (ValueError, TypeError, OverflowError):
            self.problem(name, f"{label} must be a whole number.")
            self.clean[name] = None
            return None
        suffix = f" {unit}" if unit else ""
        if allowed is not None and value not in set(allowed):
            self.problem(name, f"{label} must be one of {', '.join(str(a) for a in allowed)}.")
        elif not lo <= value <= hi:
            self.problem(name, f"{label} must be between {lo} and {hi}{suffix} (got {value}).")
        self.clean[name] = value
        return value

    def decimal(self, name: str, label: str, lo: float, hi: float, *, required=False, unit="") -> float | None:
        raw: Any = self.raw.get(name)
        if self._absent(name, label, raw, required):
            return None
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
            if value != value:
                raise ValueError
        except (ValueError, TypeError):
            self.problem(name, f"{label} must be a number.")
            self.clean[name] = None
            return None
        if not lo <= value <= hi:
            self.problem(name, f"{label} must be between {lo:g} and {hi:g} {unit}".rstrip() + f" (got {value:g}).")
        self.clean[name] = value
        return value

    def choice(self, name: str, label: str, options: Iterable[str], *, required=False) -> str | None:
        raw = self.raw.get(name)
        if self._absent(name, label, raw, required):
            return None
        value = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
        options = [str(o) for o in options]
        if value not in options:
            self.problem(name, f"{label} must be one of: {', '.join(o.replace('_', ' ') for o in options)}.")
        self.clean[name] = value
        return value

    def flag(self, name: str, label: str, *, default: bool | None = None) -> bool | None:
        raw = self.raw.get(name)
        if _blank(raw):
            self.clean[name] = default
            return default
        if isinstance(raw, bool):
            value = raw
        elif str(raw).strip().lower() in {"yes", "y", "true", "1"}:
            value = True
        elif str(raw).strip().lower() in {"no", "n", "false", "0"}:
            value = False
        else:
            self.problem(name, f"{label} must be yes or no.")
            value = None
        self.clean[name] = value
        return value

    def day(
        self,
        name: str,
        label: str,
        *,
        required=False,
        today: date,
        not_future=True,
        not_before: tuple[date | None, str] | None = None,
    ) -> date | None:
        raw = self.raw.get(name)
        if self._absent(name, label, raw, required):
            return None
        value = parse_date(raw)
        if value is None:
            self.problem(name, f"{label} must be a real date written as YYYY-MM-DD.")
            self.clean[name] = None
            return None
        if not_future and value > today:
            self.problem(name, f"{label} cannot be in the future ({value.isoformat()} is after today).")
        if not_before is not None and not_before[0] is not None and value < not_before[0]:
            self.problem(name, f"{label} cannot be before {not_before[1]} ({not_before[0].isoformat()}).")
        self.clean[name] = value
        return value


def parse_date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def require_valid(check: Checker) -> dict[str, Any]:
    if check.problems:
        raise FieldProblems(dict(check.problems))
    return check.clean


# -- patients --------------------------------------------------------------------------------------


def check_patient(raw: dict[str, Any], today: date) -> Checker:
    c = Checker(raw)
    clinic_id = c.text("clinic_id", "Clinic ID", required=True, max_len=32)
    if clinic_id and not _CLINIC_ID.match(clinic_id):
        c.problem("clinic_id", "Clinic ID may use letters, digits and - _ . / only, starting with a letter or digit.")
    c.text("given_name", "Given name", required=True, max_len=100)
    c.text("family_name", "Family name", required=True, max_len=100)
    earliest = date(today.year - MAX_AGE_YEARS, today.month, min(today.day, 28))
    dob = c.day("date_of_birth", "Date of birth", required=True, today=today)
    if dob is not None and dob < earliest:
        c.problem("date_of_birth", f"Date of birth gives an age over {MAX_AGE_YEARS} years; please check it.")
    c.choice("sex", "Sex", [s.value for s in Sex])
    phone = c.text("phone", "Phone", max_len=24)
    if phone and not _PHONE.match(phone):
        c.problem("phone", "Phone may contain digits, spaces, + ( ) - . / only (6 to 24 characters).")
    email = c.text("email", "Email", max_len=120)
    if email and not _EMAIL.match(email):
        c.problem("email", "Email does not look like an address (name@example.org).")
    return c


# -- episodes --------------------------------------------------------------------------------------


def check_episode(raw: dict[str, Any], *, date_of_birth: date | None, today: date) -> Checker:
    c = Checker(raw)
    c.choice("side", "Side", [s.value for s in Side], required=True)
    c.choice("region", "Region", [r.value for r in Region], required=True)
    c.choice("onset_type", "Onset", [o.value for o in Onset], required=True)
    onset = c.day(
        "onset_date", "Onset date", required=True, today=today, not_before=(date_of_birth, "the date of birth")
    )
    c.flag("load_change", "Training-load change before onset")
    c.text("sport", "Sport or activity", max_len=100)
    c.choice("severity", "Severity", [s.value for s in Severity], required=True)
    post_op = c.flag("post_operative", "After surgical repair (post-operative pathway)", default=False)
    if post_op:
        c.day("surgery_date", "Date of surgery", today=today, not_before=(onset, "the onset date"))
    else:
        c.clean["surgery_date"] = None
    clinician = c.raw.get("clinician_id")
    if _blank(clinician):
        c.problem("clinician_id", "Assigned clinician is required.")
        c.clean["clinician_id"] = None
    else:
        c.integer("clinician_id", "Assigned clinician", 1, 2**31 - 1, required=True)
    c.text("referral_source", "Referral source", max_len=100)
    if _blank(raw.get("opened_on")):
        c.clean["opened_on"] = today
    else:
        c.day("opened_on", "Episode opened on", today=today, not_before=(onset, "the onset date"))
    return c


def check_closing(raw: dict[str, Any], *, opened_on: date, last_assessed: date | None, today: date) -> Checker:
    c = Checker(raw)
    status = c.choice(
        "status", "Closing as", [EpisodeStatus.DISCHARGED.value, EpisodeStatus.REFERRED_ON.value], required=True
    )
    closed = c.day(
        "closed_on",
        "Closing date",
        required=True,
        today=today,
        not_before=(opened_on, "the date the episode was opened"),
    )
    if closed and last_assessed and closed < last_assessed:
        c.problem("closed_on", f"Closing date cannot be before the last assessment ({last_assessed.isoformat()}).")
    c.choice("discharge_outcome", "Outcome", [o.value for o in DischargeOutcome], required=True)
    referred_to = c.text("referred_to", "Referred to", max_len=120)
    if status == EpisodeStatus.REFERRED_ON and not referred_to:
        c.problem("referred_to", "Say who the patient is referred on to (e.g. sports physician, orthopaedic surgeon).")
    c.text("closing_note", "Closing note", max_len=2000, multiline=True)
    return c


# -- pathways (CLINICAL.md §7): what each pathway asks at an assessment ------------------------------

_VISA_H = {f"visa_h_{n}" for n in range(1, 9)} | {"visa_h_total"}
_PSFS = {f"psfs_{n}_{part}" for n in range(1, PSFS_ITEMS + 1) for part in ("activity", "score")}
_POSTOP = {
    "postop_phase",
    "postop_brace",
    "postop_hip_flexion_limit",
    "postop_loaded_flexion_week",
    "postop_restrictions",
}
_PROXIMAL_TESTS = set(test_columns(PROVOCATION_TESTS))
_DISTAL_TESTS = set(test_columns(DISTAL_TESTS))
PATHWAY_FIELDS: dict[Pathway, set[str]] = {
    Pathway.PROXIMAL: _VISA_H | _PROXIMAL_TESTS | {"sitting_minutes", "palpation_left", "palpation_right"},
    Pathway.DISTAL: _PSFS | _DISTAL_TESTS | {"distal_palpation"},
    Pathway.POST_OPERATIVE: _POSTOP | {"phat_total", "palpation_left", "palpation_right", "sitting_minutes"},
}
ALL_PATHWAY_FIELDS = set().union(*PATHWAY_FIELDS.values())
NOT_ASKED_WHY = {
    Pathway.PROXIMAL: "PHAT is for repaired avulsions; the functional scale and knee tests are for distal cases",
    Pathway.DISTAL: "VISA-H, sitting and sit-bone findings are for proximal tendinopathy",
    Pathway.POST_OPERATIVE: "after repair the surgeon's protocol applies: PHAT is the outcome, no provocation tests",
}


def _check_visa_h(c: Checker, raw: dict[str, Any]) -> None:
    # VISA-H: all eight items or none; the total must equal their sum (§2).
    items = {}
    for item in VISA_H_ITEMS:
        name = f"visa_h_{item.number}"
        items[item.number] = c.integer(
            name,
            f"VISA-H item {item.number} ({item.topic})",
            0,
            item.maximum,
            allowed=item.allowed if item.number == 7 else None,
        )
    given = [n for n, v in items.items() if v is not None]
    if given and len(given) < len(VISA_H_ITEMS):
        missing = [str(n) for n, v in items.items() if v is None]
        c.problem(f"visa_h_{missing[0]}", f"VISA-H needs all 8 items, or none; item(s) {', '.join(missing)} missing.")
    total = sum(v for v in items.values() if v is not None) if len(given) == len(VISA_H_ITEMS) else None
    stated: Any = raw.get("visa_h_total")
    if not _blank(stated) and total is not None:
        try:
            stated_total = int(float(stated))
        except (TypeError, ValueError):
            stated_total = None
        if stated_total != total:
            c.problem("visa_h_total", f"VISA-H total ({stated}) does not equal the sum of its items ({total}).")
    elif not _blank(stated) and total is None:
        c.problem("visa_h_total", "A VISA-H total needs its 8 item scores.")
    c.clean["visa_h_total"] = total


# -- assessments -----------------------------------------------------------------------------------


def check_assessment(
    raw: dict[str, Any], *, episode: dict[str, Any], today: date, open_alerts: list[dict[str, Any]] | None = None
) -> Checker:
    """An assessment (CLINICAL.md §2, §6, §7) for ``episode`` (needs onset_date, side, region, post_operative):
    the fields of the episode's pathway, and an answer for each red flag still open on it."""
    c = Checker(raw)
    c.day(
        "assessed_on",
        "Assessment date",
        required=True,
        today=today,
        not_before=(episode.get("onset_date"), "the episode's onset date"),
    )
    avg = c.integer("pain_avg", "Average pain (last week)", 0, 10, required=True)
    worst = c.integer("pain_worst", "Worst pain (last week)", 0, 10, required=True)
    both_valid = not ({"pain_avg", "pain_worst"} & set(c.problems))
    if both_valid and avg is not None and worst is not None and worst < avg:
        c.problem("pain_worst", f"Worst pain ({worst}) cannot be lower than average pain ({avg}).")
    task = c.integer("pain_task", "Pain during the meaningful task", 0, 10)
    task_name = c.text("pain_task_name", "Meaningful task", max_len=80)
    if task is not None and not task_name:
        c.problem("pain_task_name", "Name the task the pain score refers to (e.g. running 5 km).")
    c.integer("pain_exercise", "Pain during and after the exercises", 0, 10)
    c.flag("morning_stiffness", "Morning stiffness")
    c.choice("next_morning", "Next-morning response", [n.value for n in NextMorning])
    activities = raw.get("aggravating") or []
    if isinstance(activities, str):
        activities = [a.strip() for a in activities.split(",") if a.strip()]
    unknown = [a for a in activities if a not in AGGRAVATING_ACTIVITIES]
    if unknown:
        c.problem("aggravating", f"Unknown aggravating activity: {', '.join(unknown)}.")
    c.clean["aggravating"] = ",".join(a for a in AGGRAVATING_ACTIVITIES if a in activities) or None
    c.flag("previous_injury", "Previous hamstring injury")
    c.flag("low_back_pain", "Low back pain history")
    nirschl = c.integer("nirschl_phase", "Nirschl pain phase", 1, 7)

    pathway = pathway_of(episode)
    asked = PATHWAY_FIELDS[pathway]
    for name in sorted(ALL_PATHWAY_FIELDS - asked):  # §7: what this pathway does not ask is never stored
        if not _blank(raw.get(name)) and raw.get(name) is not False:
            c.problem(name, f"Not recorded on the {PATHWAY_WORDS[pathway].lower()} pathway ({NOT_ASKED_WHY[pathway]}).")
        c.clean[name] = None
    if "sitting_minutes" in asked:
        c.integer("sitting_minutes", "Pain-free sitting", 0, 720, unit="minutes")
    if "visa_h_total" in asked:
        _check_visa_h(c, raw)
    if "phat_total" in asked:
        c.integer("phat_total", "PHAT total", 0, 100)
    c.integer("groc", "Global rating of change", -3, 3)
    palp = [p.value for p in Palpation]
    if "palpation_left" in asked:
        c.choice("palpation_left", "Tenderness at the left sit bone", palp)
        c.choice("palpation_right", "Tenderness at the right sit bone", palp)
    if "distal_palpation" in asked:
        c.choice("distal_palpation", "Tenderness of the involved distal tendon", palp)
    if "psfs_1_score" in asked:
        for n in range(1, PSFS_ITEMS + 1):
            activity = c.text(f"psfs_{n}_activity", f"Functional scale activity {n}", max_len=80)
            score = c.integer(f"psfs_{n}_score", f"Functional scale activity {n}: ability", 0, 10)
            if score is not None and not activity:
                c.problem(f"psfs_{n}_activity", f"Name activity {n} that the score refers to.")
            if activity and score is None:
                c.problem(f"psfs_{n}_score", f"Score activity {n} from 0 (unable) to 10 (as before the problem).")
    if "postop_phase" in asked:
        c.text("postop_phase", "Protocol phase", max_len=80, required=True)
        c.flag("postop_brace", "Brace")
        c.integer("postop_hip_flexion_limit", "Hip flexion limit", 0, 130, unit="degrees")
        c.integer("postop_loaded_flexion_week", "No loaded hip flexion before week", 0, 52, unit="weeks")
        c.text("postop_restrictions", "Other restrictions", max_len=1000, multiline=True)
    results = [r.value for r in TestResult]
    for test in PROVOCATION_TESTS + DISTAL_TESTS:
        if test_column(test.code, "left") not in asked:
            continue
        for side in TEST_SIDES:
            name, pain_name = test_column(test.code, side), test_column(test.code, side, pain=True)
            label = f"{test.label} ({side})"
            result = c.choice(name, label, results)
            pain = c.integer(pain_name, f"{label}: pain", 0, 10)
            if result == TestResult.POSITIVE and pain is None:
                c.problem(pain_name, f"{label} is positive: record the pain it reproduced (0-10).")
            if result != TestResult.POSITIVE and pain is not None:
                c.problem(pain_name, f"Pain is recorded only for a positive {label}.")

    for side in ("left", "right"):
        reps = c.integer(f"bridge_reps_{side}", f"Bridge reps, {side}", 0, 150, unit="reps")
        pain = c.integer(f"bridge_pain_{side}", f"Bridge pain, {side}", 0, 10)
        if pain is not None and reps is None:
            c.problem(f"bridge_pain_{side}", f"Record the {side} bridge reps with its pain.")

    c.choice("strength_method", "Strength method", [m.value for m in StrengthMethod])
    unit = c.text("strength_unit", "Strength unit", max_len=12)
    c.choice("strength_range", "Joint range tested", [r.value for r in JointRange])
    left = c.decimal("strength_left", "Strength, left", 0, 5000, unit=unit or "")
    right = c.decimal("strength_right", "Strength, right", 0, 5000, unit=unit or "")
    if (left is not None or right is not None) and not unit:
        c.problem("strength_unit", "Give the unit of the strength values (N, kg, Nm).")

    # Red flags (§6): a ticked one raises an alert on the episode; Nirschl 6-7 is the rest / night-pain flag.
    for code in RED_FLAG_CODES:
        c.flag(code, "Red flag", default=False)
    night_phase = nirschl is not None and nirschl >= NIRSCHL_RED_FLAG_FROM
    if night_phase:
        c.clean["rf_rest_night_pain"] = True
    for code in DIFFERENTIAL_CODES:
        c.flag(code, "Consider", default=False)
    action = c.text("red_flag_action", "Action taken on the red flag", max_len=1000, multiline=True)
    if any(c.clean.get(code) for code in RED_FLAG_CODES) and not action:
        why = " (Nirschl phase 6-7 is the rest or night pain red flag)" if night_phase else ""
        c.problem(
            "red_flag_action",
            f"A red flag is recorded{why}: record what you did about it (e.g. referral made, to whom, how urgently).",
        )
    # Every red flag still open on the episode is asked about; none is cleared by leaving it unanswered (§6).
    answers = raw.get("alert_answers") or {}
    clean_answers = {}
    for alert in open_alerts or []:
        answer = answers.get(alert["alert_id"], answers.get(str(alert["alert_id"])))
        if answer not in {a.value for a in AlertAnswer}:
            kind = ALERT_KINDS[alert["kind"]].label.split(" (")[0]
            c.problem(f"alert_{alert['alert_id']}", f"Open red flag ({kind}): say whether it is still present.")
        else:
            clean_answers[int(alert["alert_id"])] = answer
    c.clean["alert_answers"] = clean_answers

    c.text("impression", "Clinical impression", max_len=4000, multiline=True)
    c.text("plan", "Plan", max_len=4000, multiline=True)
    assessed = c.clean.get("assessed_on")
    c.day(
        "next_review_on",
        "Next review",
        today=today,
        not_future=False,
        not_before=(assessed, "the assessment date") if assessed else None,
    )
    return c


# -- red flag alerts (CLINICAL.md §6) --------------------------------------------------------------

URGENCIES = ("same_hour", "same_day", "within_days", "within_a_week", "routine")


def check_manual_alert(raw: dict[str, Any], *, opened_on: date, today: date) -> Checker:
    """A red flag raised by a clinician on the case, outside an assessment."""
    c = Checker(raw)
    kind = c.choice("kind", "Red flag", list(ALERT_KINDS), required=True)
    c.text("detail", "What was found", max_len=1000, multiline=True, required=True)
    c.day("raised_on", "Noticed on", required=True, today=today, not_before=(opened_on, "the episode's opening"))
    if kind == "avulsion":
        c.day("injury_on", "Date of injury", today=today)
    else:
        c.clean["injury_on"] = None
    return c


def check_alert_resolution(raw: dict[str, Any], *, raised_on: date, today: date) -> Checker:
    """Resolving a red flag (§6): referred (to whom, how urgently, date sent) or ruled out (why)."""
    c = Checker(raw)
    how = c.choice("resolution", "Outcome", ["referred", "ruled_out"], required=True)
    if how == "referred":
        c.text("referred_to", "Referred to", max_len=200, required=True)
        c.choice("referral_urgency", "Urgency", list(URGENCIES), required=True)
        c.day(
            "referral_sent_on",
            "Date the referral was sent",
            required=True,
            today=today,
            not_before=(raised_on, "the date the red flag was raised"),
        )
        c.text("resolution_note", "Note", max_len=2000, multiline=True)
    else:
        c.text("resolution_note", "Why it was ruled out", max_len=2000, multiline=True, required=True)
        for name in ("referred_to", "referral_urgency", "referral_sent_on"):
            c.clean[name] = None
    return c


# -- imaging ---------------------------------------------------------------------------------------


def check_imaging(raw: dict[str, Any], *, episode: dict[str, Any], date_of_birth: date | None, today: date) -> Checker:
    c = Checker(raw)
    modality = c.choice("modality", "Modality", [m.value for m in Modality], required=True)
    c.day("imaged_on", "Imaging date", required=True, today=today, not_before=(date_of_birth, "the date of birth"))
    mri_type = c.integer("mri_type", "MRI type", 0, 4, allowed=list(MRI_TYPES))
    if mri_type is not None and modality and modality not in {m.value for m in MRI_MODALITIES}:
        c.problem("mri_type", "An MRI type is graded on MRI only.")
    for name in IMAGING_FINDINGS:
        c.flag(name, name.replace("_", " "), default=False)
    tendons = c.integer("tendons_avulsed", "Tendons avulsed", 0, 3)
    if tendons and not c.clean.get("avulsion"):
        c.problem("tendons_avulsed", "Tick avulsion if tendons are avulsed.")
    c.decimal("retraction_cm", "Retraction", 0, 30, unit="cm")
    c.choice("tendons_involved", "Tendons involved", [t.value for t in TendonsInvolved])
    c.decimal("thickness_mm", "Tendon thickness", 0, 50, unit="mm")
    c.text("report_text", "Report", max_len=20000, multiline=True)
    return c


# -- tiers, stages, treatments, prescriptions (CLINICAL.md §3) --------------------------------------

TREATMENT_TIER = {
    "shockwave": "adjunct",
    "dry_needling": "adjunct",
    "soft_tissue": "adjunct",
    "injection": "regenerative",
}
TIER_ORDER = {"conservative": 0, "adjunct": 1, "regenerative": 2}


def check_change(raw: dict[str, Any], *, kind: str, current: Any, since: date, opened_on: date, today: date) -> Checker:
    """A tier or stage change: a new value, dated on or after the current period's start, with a reason."""
    c = Checker(raw)
    value: str | int | None
    if kind == "tier":
        value = c.choice("tier", "Tier", list(TIER_ORDER), required=True)
    else:
        value = c.integer("stage", "Loading stage", 1, 4, required=True)
    if value is not None and value == current:
        c.problem(kind, f"The episode is already in {kind} {current}.")
    c.day(
        "effective_on",
        "Effective date",
        required=True,
        today=today,
        not_before=(max(since, opened_on), "the start of the current period (history is never rewritten)"),
    )
    c.text("reason", "Reason", required=True, max_len=1000, multiline=True)
    if kind == "tier":
        planned = c.choice("planned_treatment", "Planned treatment", [t for ts in PLANNED.values() for t in ts])
        if planned and value in PLANNED and planned not in PLANNED[str(value)]:
            c.problem("planned_treatment", f"{planned.replace('_', ' ').capitalize()} is not a {value} treatment.")
        if planned and value not in PLANNED:
            c.problem("planned_treatment", "Conservative care has no planned treatment besides loading.")
    return c


# What each tier can plan (CLINICAL.md §3): the handout explains it and gives its aftercare before it is given.
PLANNED = {
    "adjunct": ("shockwave", "dry_needling", "soft_tissue"),
    "regenerative": ("prp", "corticosteroid", "prolotherapy"),
}


def check_treatment(
    raw: dict[str, Any],
    *,
    tier: str,
    opened_on: date,
    today: date,
    date_of_birth: date | None = None,
    previous_treatments: Iterable[Mapping[str, Any]] = (),
) -> Checker:
    """A treatment session (CLINICAL.md §3) with its safety screen (§8). ``raw["screen"]`` holds the
    clinician's answers (item code -> yes/no); ``date_of_birth`` and ``previous_treatments`` (the
    episode's earlier treatments) decide the computed items."""
    c = Checker(raw)
    kind = c.choice("kind", "Treatment", list(TREATMENT_TIER), required=True)
    given_on = c.day(
        "given_on", "Date given", required=True, today=today, not_before=(opened_on, "the episode's start")
    )
    if kind and TIER_ORDER.get(tier, 0) < TIER_ORDER[TREATMENT_TIER[kind]]:
        c.problem(
            "kind",
            f"{kind.replace('_', ' ').capitalize()} belongs to the {TREATMENT_TIER[kind]} tier; the case is "
            f"in the {tier} tier. Change the tier first, with its reason.",
        )
    injection_type = None
    if kind == "shockwave":
        c.choice("shockwave_type", "Shockwave type", ["radial", "focused"], required=True)
        c.integer("impulses", "Impulses", 100, 10000, required=True)
        c.decimal("energy_flux", "Energy flux density", 0.01, 0.6, required=True, unit="mJ/mm2")
        session = c.integer("session_number", "Session number", 1, 20, required=True)
        planned = c.integer("sessions_planned", "Sessions planned", 1, 20, required=True)
        if session and planned and session > planned:
            c.problem("session_number", f"Session {session} of {planned}: the session number cannot exceed the plan.")
    if kind == "injection":
        injection_type = c.choice("injection_type", "Injection", list(safety.INJECTION_TYPES), required=True)
        c.choice("side", "Side injected", ["left", "right"], required=True)
        c.choice("image_guidance", "Guidance used", list(safety.GUIDANCE), required=True)
        c.text("agent", "Agent injected", required=True, max_len=120)
        c.text("dose", "Dose", required=True, max_len=80)
        c.text("given_by", "Given by (the person who injected)", required=True, max_len=120)
        review = c.day(
            "review_on",
            "Review date",
            today=today,
            not_future=False,
            not_before=(given_on, "the date given") if given_on else None,
        )
        if review is None and given_on is not None and "review_on" not in c.problems:
            c.clean["review_on"] = given_on + timedelta(days=safety.INJECTION_REVIEW_DAYS.value)
    c.text("notes", "Notes", max_len=2000, multiline=True)
    _check_screen(c, kind, injection_type, date_of_birth, previous_treatments)
    return c


def _check_screen(
    c: Checker,
    kind: str | None,
    injection_type: str | None,
    date_of_birth: date | None,
    previous: Iterable[Mapping[str, Any]],
) -> None:
    """The safety screen (§8): every asked item answered yes or no; computed items from the record;
    an item that applies needs the clinician's reason for going ahead (kept only then)."""
    items = safety.items_for(kind, injection_type)
    if not items:
        c.clean["screen_json"] = c.clean["override_reason"] = None
        return
    given_on = c.clean.get("given_on")
    previous = list(previous)
    computed = safety.computed_answers(
        kind,
        injection_type,
        date_of_birth=date_of_birth,
        given_on=given_on,
        previous_treatments=previous,
        side=c.clean.get("side"),
    )
    given = c.raw.get("screen")
    given = given if isinstance(given, Mapping) else {}
    answers: dict[str, bool] = {}
    for item in items:
        if item.code in computed:
            answers[item.code] = computed[item.code].applies
        elif item.computed and given_on is None:
            continue  # decided from the date given, which has its own problem
        else:
            answer = safety.answer_of(given.get(item.code))
            if answer is None:
                c.problem(f"screen_{item.code}", f"Answer yes or no: {item.wording}.")
            else:
                answers[item.code] = answer
    reason = c.text("override_reason", "Override reason", max_len=1000, multiline=True)
    applying = safety.screen(
        kind,
        injection_type,
        answers,
        date_of_birth=date_of_birth,
        given_on=given_on,
        previous_treatments=previous,
        side=c.clean.get("side"),
    )
    if applying and not reason and "override_reason" not in c.problems:
        c.problem("override_reason", safety.refusal(applying))
    if not applying:
        c.clean["override_reason"] = None
    c.clean["screen_json"] = json.dumps({"answers": answers, "computed": sorted(computed)}, sort_keys=True)


def check_prescription(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The exercises of a prescription; problems keyed 'row N: field'."""
    problems: dict[str, str] = {}
    clean = []
    kept = [i for i in items if any(not _blank(v) for v in i.values())]
    if not kept:
        return [], {"items": "A prescription needs at least one exercise."}
    for n, item in enumerate(kept, start=1):
        c = Checker(item)
        c.text("exercise", "Exercise", required=True, max_len=80)
        c.integer("sets", "Sets", 1, 10, required=True)
        reps = c.integer("reps", "Reps", 1, 100)
        hold = c.integer("hold_seconds", "Hold (seconds)", 5, 3600)
        if reps is None and hold is None and "reps" not in c.problems and "hold_seconds" not in c.problems:
            c.problem("reps", "Give reps or a hold time.")
        c.text("load_cue", "Load cue", max_len=120)
        c.integer("days_per_week", "Days a week", 1, 7, required=True)
        for name, text in c.problems.items():
            problems[f"row {n}: {name}"] = text
        clean.append(c.clean)
    return clean, problems
