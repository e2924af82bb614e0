"""Treatment safety screen before a shockwave session or an injection (CLINICAL.md §8).

Pure: no Streamlit, no SQL. Each treatment has its list of screen items; an item that applies blocks
the save unless the clinician records a reason for going ahead (the override, audited). Items the
record itself can decide (age on the treatment date, earlier corticosteroid injections of the episode)
are computed, never asked. Every number used here is a ``SafetyConstant`` with its source and level,
like the thresholds of ``rules.py``.

Windows ("in the last 6 weeks", "in the last 3 months", "in 12 months") count their boundary day as
inside: an injection exactly 6 weeks (42 days) before a shockwave session applies. A screen errs on
the side of asking; the clinician can always override with a reason.

The site of a treatment is the episode's tendon, so "at the site" means an earlier treatment of the
same episode; for an injection with a side recorded (bilateral episodes), on the same side. The
yearly corticosteroid count takes every corticosteroid injection of the episode, either side.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .model import age_on

SCREEN_SOURCE = "CLINICAL.md §8 (check local protocols)"
SCREEN_LEVEL = "secondary"


@dataclass(frozen=True)
class SafetyConstant:
    value: int
    unit: str
    meaning: str
    source: str
    level: str  # primary | secondary | extrapolated | heuristic


SHOCKWAVE_MIN_AGE = SafetyConstant(
    18, "years", "Shockwave: not before this age (growth plates may be open)", SCREEN_SOURCE, "secondary"
)
STEROID_BEFORE_SHOCKWAVE = SafetyConstant(
    42,
    "days",
    "Shockwave: no corticosteroid injection at the site in this many days before (6 weeks)",
    SCREEN_SOURCE,
    "secondary",
)
STEROID_REPEAT_MONTHS = SafetyConstant(
    3, "months", "Corticosteroid: no injection at the site in this many months before", SCREEN_SOURCE, "secondary"
)
STEROID_MAX_PER_YEAR = SafetyConstant(
    3, "injections", "Corticosteroid: at most this many injections in 12 months", SCREEN_SOURCE, "secondary"
)
YEAR_MONTHS = 12  # "a year" of the corticosteroid count, as calendar months
FLUOROQUINOLONE_MONTHS = SafetyConstant(
    6,
    "months",
    "Corticosteroid: fluoroquinolone antibiotic in this many months before (tendon rupture risk)",
    SCREEN_SOURCE,
    "secondary",
)
INJECTION_REVIEW_DAYS = SafetyConstant(
    14, "days", "Every injection: review this many days after (about 2 weeks)", "CLINICAL.md §8", "heuristic"
)
PRP_RESPONSE_WEEKS = (
    SafetyConstant(6, "weeks", "PRP: judge the response from", SCREEN_SOURCE, "secondary"),
    SafetyConstant(12, "weeks", "PRP: judge the response by", SCREEN_SOURCE, "secondary"),
)
PRP_NO_NSAID_DAYS_BEFORE = SafetyConstant(
    7, "days", "PRP: no NSAIDs from this many days before the injection", "CLINICAL.md §8", "heuristic"
)
PRP_NO_NSAID_DAYS_AFTER = SafetyConstant(
    14, "days", "PRP: no NSAIDs until this many days after the injection", "CLINICAL.md §8", "heuristic"
)

CONSTANTS: tuple[SafetyConstant, ...] = (
    SHOCKWAVE_MIN_AGE,
    STEROID_BEFORE_SHOCKWAVE,
    STEROID_REPEAT_MONTHS,
    STEROID_MAX_PER_YEAR,
    FLUOROQUINOLONE_MONTHS,
    INJECTION_REVIEW_DAYS,
    *PRP_RESPONSE_WEEKS,
    PRP_NO_NSAID_DAYS_BEFORE,
    PRP_NO_NSAID_DAYS_AFTER,
)

GUIDANCE = ("ultrasound", "landmark", "none")  # the guidance actually used for an injection
INJECTION_TYPES = ("prp", "prolotherapy", "corticosteroid")


@dataclass(frozen=True)
class ScreenItem:
    code: str
    wording: str  # what the clinician confirms, in our own words; "yes" means the item applies
    note: str = ""  # why it matters, or how strongly (caution, warn)
    computed: bool = False  # decided from the record, never asked
    source: str = SCREEN_SOURCE
    level: str = SCREEN_LEVEL


@dataclass(frozen=True)
class Computed:
    applies: bool
    why: str  # for the clinician: what in the record decided it (shown, not stored)


_BLEEDING = ScreenItem("bleeding", "Takes an anticoagulant, or has a bleeding disorder")
_INFECTION = ScreenItem("infection", "Infection at the injection site, or anywhere in the body (fever, unwell)")
_ALLERGY = ScreenItem("agent_allergy", "Allergy or previous reaction to the agent to be injected")
_MALIGNANCY = ScreenItem("malignancy", "Active cancer, or cancer at or near the site")

SHOCKWAVE_ITEMS = (
    ScreenItem("pregnancy", "Pregnant, or may be pregnant"),
    _BLEEDING,
    ScreenItem("site_malignancy", "Cancer at or near the treatment area"),
    ScreenItem("site_infection", "Infection at or near the treatment area"),
    ScreenItem(
        "under_18",
        f"Under {SHOCKWAVE_MIN_AGE.value} on the treatment date",
        "Growth plates may still be open.",
        computed=True,
    ),
    ScreenItem(
        "recent_corticosteroid",
        f"Corticosteroid injection at the site in the last 6 weeks ({STEROID_BEFORE_SHOCKWAVE.value} days)",
        computed=True,
    ),
    ScreenItem("implant_near_field", "Implanted device near the treatment field (e.g. a stimulator or a pump)"),
)
CORTICOSTEROID_ITEMS = (
    ScreenItem("infection", "Infection, local or systemic (fever, unwell)"),
    _ALLERGY,
    ScreenItem(
        "uncontrolled_diabetes",
        "Diabetes that is not well controlled",
        "Warn: blood glucose rises for several days after a steroid injection.",
    ),
    ScreenItem("anticoagulant", "Takes an anticoagulant", "Caution: bleeding and bruising at the site."),
    ScreenItem(
        "corticosteroid_within_3_months",
        f"Corticosteroid injection at the site in the last {STEROID_REPEAT_MONTHS.value} months",
        computed=True,
    ),
    ScreenItem(
        "corticosteroid_over_yearly_limit",
        f"More than {STEROID_MAX_PER_YEAR.value} corticosteroid injections in {YEAR_MONTHS} months with this one",
        computed=True,
    ),
    ScreenItem(
        "fluoroquinolone",
        f"A fluoroquinolone antibiotic (e.g. ciprofloxacin) in the last {FLUOROQUINOLONE_MONTHS.value} months",
        "Tendon rupture risk.",
    ),
)
PRP_ITEMS = (
    ScreenItem(
        "anticoagulant_antiplatelet",
        "Takes an anticoagulant or an antiplatelet drug (e.g. warfarin, a DOAC, clopidogrel, aspirin)",
    ),
    ScreenItem("low_platelets", "Low platelet count"),
    _INFECTION,
    _MALIGNANCY,
)
GENERAL_INJECTION_ITEMS = (_INFECTION, _BLEEDING, _ALLERGY, _MALIGNANCY)

_INJECTION_ITEMS = {
    "corticosteroid": CORTICOSTEROID_ITEMS,
    "prp": PRP_ITEMS,
    "prolotherapy": GENERAL_INJECTION_ITEMS,
}


def items_for(kind: str | None, injection_type: str | None = None) -> tuple[ScreenItem, ...]:
    """The screen for a treatment; empty when the treatment has none (dry needling, soft tissue)."""
    if kind == "shockwave":
        return SHOCKWAVE_ITEMS
    if kind == "injection":
        return _INJECTION_ITEMS.get(str(injection_type), GENERAL_INJECTION_ITEMS)
    return ()


def has_screen(kind: str | None) -> bool:
    return kind in {"shockwave", "injection"}


# -- what the record decides ------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _day(value: Any) -> date | None:
    if value is None or value != value:  # None, NaN, NaT
        return None
    if isinstance(value, datetime):  # also pandas Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _corticosteroids(previous: Iterable[Mapping[str, Any]], on: date) -> list[tuple[date, str | None]]:
    """Earlier corticosteroid injections (on or before ``on``): (date, side), oldest first."""
    found = []
    for row in previous:
        when = _day(row.get("given_on"))
        if row.get("kind") == "injection" and row.get("injection_type") == "corticosteroid" and when and when <= on:
            side = row.get("side")
            found.append((when, side if isinstance(side, str) else None))
    return sorted(found, key=lambda pair: pair[0])


def computed_answers(
    kind: str | None,
    injection_type: str | None,
    *,
    date_of_birth: date | None,
    given_on: date | None,
    previous_treatments: Iterable[Mapping[str, Any]],
    side: str | None = None,
) -> dict[str, Computed]:
    """The items the record decides, by code. An item whose facts are missing (no date given, no
    date of birth) is left out: it is then asked like any other."""
    codes = {i.code for i in items_for(kind, injection_type) if i.computed}
    found: dict[str, Computed] = {}
    if given_on is None or not codes:
        return found
    previous = list(previous_treatments)
    if "under_18" in codes and date_of_birth is not None:
        age = age_on(date_of_birth, given_on)
        limit = SHOCKWAVE_MIN_AGE.value
        found["under_18"] = Computed(
            age < limit,
            f"{age} years old on {given_on.isoformat()} (whole years, the birthday counted exactly).",
        )
    steroids = _corticosteroids(previous, given_on)
    if "recent_corticosteroid" in codes:
        limit = STEROID_BEFORE_SHOCKWAVE.value
        recent = [when for when, _ in steroids if (given_on - when).days <= limit]
        found["recent_corticosteroid"] = Computed(
            bool(recent),
            f"Corticosteroid injection on {recent[-1].isoformat()}, {(given_on - recent[-1]).days} days before "
            f"(the limit is {limit} days)."
            if recent
            else f"No corticosteroid injection recorded in this episode in the {limit} days before.",
        )
    if "corticosteroid_within_3_months" in codes:
        since = months_before(given_on, STEROID_REPEAT_MONTHS.value)
        here = [when for when, where in steroids if when >= since and (side is None or where in (None, side))]
        found["corticosteroid_within_3_months"] = Computed(
            bool(here),
            f"Corticosteroid injection at the site on {here[-1].isoformat()} (on or after {since.isoformat()})."
            if here
            else f"No corticosteroid injection at the site recorded since {since.isoformat()}.",
        )
    if "corticosteroid_over_yearly_limit" in codes:
        since = months_before(given_on, YEAR_MONTHS)
        year = [when for when, _ in steroids if when >= since]
        found["corticosteroid_over_yearly_limit"] = Computed(
            len(year) >= STEROID_MAX_PER_YEAR.value,
            f"{len(year)} corticosteroid injection(s) recorded since {since.isoformat()}: this one would be "
            f"number {len(year) + 1} (at most {STEROID_MAX_PER_YEAR.value} in {YEAR_MONTHS} months).",
        )
    return found


# -- the screen ---------------------------------------------------------------------------------------


def answer_of(value: Any) -> bool | None:
    """A yes/no answer as True/False; None when not answered (or not a yes/no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in {"yes", "y", "true", "1"}:
        return True
    if text in {"no", "n", "false", "0"}:
        return False
    return None


def screen(
    kind: str | None,
    injection_type: str | None,
    answers: Mapping[str, Any],
    *,
    date_of_birth: date | None,
    given_on: date | None,
    previous_treatments: Iterable[Mapping[str, Any]],
    side: str | None = None,
) -> list[ScreenItem]:
    """The items that apply: computed items from the record (the answers given for them are ignored),
    the others from the clinician's yes/no ``answers`` (code -> yes/no). Unanswered items do not apply
    here; validation requires every asked item to be answered."""
    computed = computed_answers(
        kind,
        injection_type,
        date_of_birth=date_of_birth,
        given_on=given_on,
        previous_treatments=previous_treatments,
        side=side,
    )
    applying = []
    for item in items_for(kind, injection_type):
        decided = computed.get(item.code)
        if (decided.applies if decided is not None else answer_of(answers.get(item.code))) is True:
            applying.append(item)
    return applying


def override_needed(
    kind: str | None,
    injection_type: str | None,
    answers: Mapping[str, Any],
    *,
    date_of_birth: date | None,
    given_on: date | None,
    previous_treatments: Iterable[Mapping[str, Any]],
    side: str | None = None,
) -> bool:
    """True when an item applies, so the save needs the clinician's reason for going ahead."""
    return bool(
        screen(
            kind,
            injection_type,
            answers,
            date_of_birth=date_of_birth,
            given_on=given_on,
            previous_treatments=previous_treatments,
            side=side,
        )
    )


def refusal(applying: Sequence[ScreenItem]) -> str:
    """The message when items apply and no override reason is given."""
    names = "; ".join(item.wording for item in applying)
    return (
        f"The safety screen applies ({names}). Do not go ahead, or record why you are going ahead anyway "
        "(the override reason is audited)."
    )
