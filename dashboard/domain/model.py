"""The clinical model: the vocabulary of an episode of care and of an assessment.

Everything here is plain data (no Streamlit, no SQL). Sections refer to ../shared/CLINICAL.md.
Questionnaire items are named by paraphrased topic only; the questionnaire wording is never stored
or printed (CLINICAL.md, preamble).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    CLINICIAN = "clinician"
    READ_ONLY = "read_only"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_STATED = "not_stated"


class Side(StrEnum):  # §1
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class Region(StrEnum):  # §1
    PROXIMAL = "proximal"
    DISTAL_MEDIAL = "distal_medial"
    DISTAL_LATERAL = "distal_lateral"


class Onset(StrEnum):  # §1
    GRADUAL = "gradual"
    SUDDEN = "sudden"


class Severity(StrEnum):  # §1, with expected recovery (seed article; secondary)
    MILD = "mild"
    MODERATE = "moderate"
    CHRONIC = "chronic"


EXPECTED_RECOVERY_WEEKS = {  # §1: mild 6-8 weeks, moderate 3-4 months, chronic 6 months or longer
    Severity.MILD: (6, 8),
    Severity.MODERATE: (13, 17),
    Severity.CHRONIC: (26, None),
}


RECOVERY_WORDS = {  # the same §1 figures, as people say them
    Severity.MILD: "6 to 8 weeks",
    Severity.MODERATE: "3 to 4 months",
    Severity.CHRONIC: "6 months or longer",
}


def expected_recovery_summary() -> str:
    return ", ".join(f"{s.value} {RECOVERY_WORDS[s]}" for s in Severity)


@dataclass(frozen=True)
class ShockwaveProtocol:  # §3 adjunct: Cacchio et al., AJSM 2011 (dose primary, weekly interval secondary)
    shockwave_type: str = "radial"
    impulses: int = 2500
    energy_flux: float = 0.18  # mJ/mm2
    sessions: int = 4
    source: str = "Cacchio et al., AJSM 2011"


SHOCKWAVE_PROTOCOL = ShockwaveProtocol()


class EpisodeStatus(StrEnum):  # §1
    OPEN = "open"
    DISCHARGED = "discharged"
    REFERRED_ON = "referred_on"


class DischargeOutcome(StrEnum):
    RESOLVED = "resolved"
    MUCH_IMPROVED = "much_improved"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSE = "worse"
    DID_NOT_RETURN = "did_not_return"


class Tier(StrEnum):  # §3
    CONSERVATIVE = "conservative"
    ADJUNCT = "adjunct"
    REGENERATIVE = "regenerative"


class NextMorning(StrEnum):  # §2 next-morning pain after loading
    SETTLED = "settled"
    NOT_SETTLED = "not_settled"
    NOT_LOADED = "not_loaded"


class Palpation(StrEnum):  # §2 tenderness at the ischial tuberosity
    NONE = "none"
    MILD = "mild"
    MARKED = "marked"


class TestResult(StrEnum):  # §2 provocation tests
    NOT_DONE = "not_done"
    NEGATIVE = "negative"
    POSITIVE = "positive"


class Modality(StrEnum):  # §2 imaging
    ULTRASOUND = "ultrasound"
    MRI = "mri"
    MRI_HIP_FLEXION = "mri_hip_flexion"
    XRAY = "xray"


MRI_MODALITIES = {Modality.MRI, Modality.MRI_HIP_FLEXION}

MRI_TYPES = {  # §2 MRI type scale (Clin Radiol 2018; primary)
    0: "0 - normal",
    1: "I - intratendinous signal change",
    2: "II - ischial bone and soft-tissue oedema",
    3: "III - curvilinear fluid signal (partial tear)",
    4: "IV - bony avulsion",
}


class TendonsInvolved(StrEnum):
    SEMIMEMBRANOSUS = "semimembranosus"
    CONJOINT = "conjoint"
    BOTH = "both"


class StrengthMethod(StrEnum):
    HAND_HELD = "hand_held"
    ISOKINETIC = "isokinetic"


class JointRange(StrEnum):  # deficits show most at long lengths
    INNER = "inner"
    MID = "mid"
    OUTER = "outer"


AGGRAVATING_ACTIVITIES = {  # §2
    "sitting": "Sitting",
    "running": "Running",
    "sprinting": "Sprinting",
    "hills": "Hills",
    "lunging": "Lunging",
    "stretching": "Stretching",
    "driving": "Driving",
}

NIRSCHL_PHASES = {  # §2 Nirschl pain phase 1-7
    1: "1 - stiffness or mild soreness after activity, gone within 24 h",
    2: "2 - stiffness or soreness after activity, gone within 48 h",
    3: "3 - stiffness or mild soreness before activity, eases with warm-up",
    4: "4 - mild pain during activity, does not change it",
    5: "5 - moderate pain before, during and after activity, changes it",
    6: "6 - pain even with daily activities",
    7: "7 - constant pain, also at rest and disturbing sleep",
}


@dataclass(frozen=True)
class ProvocationTest:  # §2, Cacchio et al., BJSM 2012 (ranking primary, figures secondary)
    code: str
    label: str
    sensitivity: int | None
    specificity: int | None


PROVOCATION_TESTS = (
    ProvocationTest("puranen_orava", "Puranen-Orava test", 76, 82),
    ProvocationTest("bent_knee", "Bent-knee stretch", 84, 87),
    ProvocationTest("modified_bent_knee", "Modified bent-knee stretch", 89, 91),
    ProvocationTest("arabesque", "Single-leg arabesque", None, None),
    ProvocationTest("bridge", "Single-leg bridge (provocation)", None, None),
)


@dataclass(frozen=True)
class VisaHItem:
    """One VISA-H item: its paraphrased topic and the scores allowed (§2; item structure secondary)."""

    number: int
    topic: str
    allowed: tuple[int, ...]

    @property
    def maximum(self) -> int:
        return max(self.allowed)


VISA_H_ITEMS = (
    VisaHItem(1, "Sitting tolerance", tuple(range(11))),
    VisaHItem(2, "Pain on a hamstring stretch", tuple(range(11))),
    VisaHItem(3, "Pain walking up stairs", tuple(range(11))),
    VisaHItem(4, "Pain walking down stairs", tuple(range(11))),
    VisaHItem(5, "Pain on a lunge", tuple(range(11))),
    VisaHItem(6, "Pain on a single-leg squat", tuple(range(11))),
    VisaHItem(7, "Current activity level", (0, 4, 7, 10)),
    VisaHItem(8, "Sport or exercise despite symptoms", tuple(range(31))),
)
VISA_H_MAX = sum(item.maximum for item in VISA_H_ITEMS)  # 100


@dataclass(frozen=True)
class RedFlag:  # §2 red flags: any one prompts referral
    code: str
    label: str
    plain: str  # words for the patient handout


RED_FLAGS = (
    RedFlag(
        "rf_avulsion_signs",
        "Suspected avulsion: sudden pop with forced hip flexion and straight knee, large bruise or palpable gap",
        "a sudden pop at the back of the thigh with heavy bruising or a dip you can feel",
    ),
    RedFlag(
        "rf_neurological",
        "Neurological signs: pins and needles, weakness, foot drop",
        "pins and needles, numbness or weakness in the leg or foot",
    ),
    RedFlag("rf_rest_night_pain", "Rest or night pain (Nirschl 6-7)", "pain at rest or pain that wakes you at night"),
    RedFlag(
        "rf_systemic",
        "Systemic symptoms (fever, weight loss, unwell)",
        "fever, feeling unwell or losing weight without trying",
    ),
    RedFlag(
        "rf_fracture", "Suspected stress or avulsion fracture", "sudden sharp bone pain after a fall or heavy effort"
    ),
    RedFlag(
        "rf_ischiofemoral",
        "Ischiofemoral impingement pattern (pain with hip extension, adduction and external rotation; long strides)",
        "deep buttock pain with long strides that keeps getting worse",
    ),
)
RED_FLAG_CODES = tuple(flag.code for flag in RED_FLAGS)


@dataclass
class User:
    user_id: int
    username: str
    display_name: str
    role: Role

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})"


SYSTEM_USER = User(0, "system", "System (command line)", Role.ADMINISTRATOR)


def label_of(value: object) -> str:
    """A code such as ``distal_medial`` as people write it: ``Distal medial``."""
    if value is None:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass
class FieldProblems(Exception):
    """Validation problems keyed by field name; nothing is saved while any exist."""

    problems: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {text}" for name, text in self.problems.items())
