"""Validation of everything a person types. Pure functions: raw values in, clean values or problems out.

Each problem is keyed by the field it belongs to and worded for a clinician. Callers save nothing
while any problem remains (``FieldProblems`` is raised by ``require_valid``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from .model import (
    AGGRAVATING_ACTIVITIES,
    MRI_MODALITIES,
    MRI_TYPES,
    PROVOCATION_TESTS,
    RED_FLAG_CODES,
    VISA_H_ITEMS,
    DischargeOutcome,
    EpisodeStatus,
    FieldProblems,
    JointRange,
    Modality,
    NextMorning,
    Onset,
    Palpation,
    Region,
    Severity,
    Sex,
    Side,
    StrengthMethod,
    TendonsInvolved,
    TestResult,
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
    c.flag("post_operative", "Avulsion / post-operative case", default=False)
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


# -- assessments -----------------------------------------------------------------------------------


def check_assessment(raw: dict[str, Any], *, episode: dict[str, Any], today: date) -> Checker:
    """An assessment (CLINICAL.md §2) for ``episode`` (needs onset_date, opened_on, side, post_operative)."""
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
    c.integer("sitting_minutes", "Pain-free sitting", 0, 720, unit="minutes")
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
    c.integer("nirschl_phase", "Nirschl pain phase", 1, 7)

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

    phat = c.integer("phat_total", "PHAT total", 0, 100)
    if phat is not None and not episode.get("post_operative"):
        c.problem(
            "phat_total",
            "PHAT is validated only after avulsion repair: record it for avulsion / post-operative cases only.",
        )
    c.integer("groc", "Global rating of change", -3, 3)

    palp = [p.value for p in Palpation]
    c.choice("palpation_left", "Tenderness at the left sit bone", palp)
    c.choice("palpation_right", "Tenderness at the right sit bone", palp)
    results = [r.value for r in TestResult]
    for test in PROVOCATION_TESTS:
        name = f"test_{test.code}"
        result = c.choice(name, test.label, results)
        pain = c.integer(f"{name}_pain", f"{test.label}: pain", 0, 10)
        if result == TestResult.POSITIVE and pain is None:
            c.problem(f"{name}_pain", f"{test.label} is positive: record the pain it reproduced (0-10).")
        if result != TestResult.POSITIVE and pain is not None:
            c.problem(f"{name}_pain", f"Pain is recorded only for a positive {test.label}.")

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

    any_flag = False
    for code in RED_FLAG_CODES:
        any_flag |= bool(c.flag(code, "Red flag", default=False))
    action = c.text("red_flag_action", "Action taken on the red flag", max_len=1000, multiline=True)
    if any_flag and not action:
        c.problem(
            "red_flag_action", "A red flag is ticked: record what you did about it (e.g. referral made, to whom)."
        )

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


# -- imaging ---------------------------------------------------------------------------------------


def check_imaging(raw: dict[str, Any], *, episode: dict[str, Any], date_of_birth: date | None, today: date) -> Checker:
    c = Checker(raw)
    modality = c.choice("modality", "Modality", [m.value for m in Modality], required=True)
    c.day("imaged_on", "Imaging date", required=True, today=today, not_before=(date_of_birth, "the date of birth"))
    mri_type = c.integer("mri_type", "MRI type", 0, 4, allowed=list(MRI_TYPES))
    if mri_type is not None and modality and modality not in {m.value for m in MRI_MODALITIES}:
        c.problem("mri_type", "An MRI type is graded on MRI only.")
    for name in (
        "thickening",
        "hypoechogenicity",
        "neovascularity",
        "partial_tear",
        "peritendinous_oedema",
        "bone_marrow_oedema",
        "avulsion",
    ):
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
    return c


def check_treatment(raw: dict[str, Any], *, tier: str, opened_on: date, today: date) -> Checker:
    c = Checker(raw)
    kind = c.choice("kind", "Treatment", list(TREATMENT_TIER), required=True)
    c.day("given_on", "Date given", required=True, today=today, not_before=(opened_on, "the episode's start"))
    if kind and TIER_ORDER.get(tier, 0) < TIER_ORDER[TREATMENT_TIER[kind]]:
        c.problem(
            "kind",
            f"{kind.replace('_', ' ').capitalize()} belongs to the {TREATMENT_TIER[kind]} tier; the case is "
            f"in the {tier} tier. Change the tier first, with its reason.",
        )
    if kind == "shockwave":
        c.choice("shockwave_type", "Shockwave type", ["radial", "focused"], required=True)
        c.integer("impulses", "Impulses", 100, 10000, required=True)
        c.decimal("energy_flux", "Energy flux density", 0.01, 0.6, required=True, unit="mJ/mm2")
        session = c.integer("session_number", "Session number", 1, 20, required=True)
        planned = c.integer("sessions_planned", "Sessions planned", 1, 20, required=True)
        if session and planned and session > planned:
            c.problem("session_number", f"Session {session} of {planned}: the session number cannot exceed the plan.")
    if kind == "injection":
        c.choice("injection_type", "Injection", ["prp", "prolotherapy", "corticosteroid"], required=True)
        c.choice("side", "Side injected", ["left", "right"], required=True)
        c.choice("image_guidance", "Image guidance", ["ultrasound", "none"], required=True)
    c.text("notes", "Notes", max_len=2000, multiline=True)
    return c


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
