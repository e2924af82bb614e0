"""The clinical model: the vocabulary of an episode of care and of an assessment.

Everything here is plain data (no Streamlit, no SQL). Sections refer to ../shared/CLINICAL.md.
Questionnaire items are named by paraphrased topic only; the questionnaire wording is never stored
or printed (CLINICAL.md, preamble).
"""

from __future__ import annotations

from collections.abc import Callable
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

IMAGING_FINDINGS = (  # §2 imaging findings recorded as yes/no
    "thickening",
    "hypoechogenicity",
    "neovascularity",
    "partial_tear",
    "peritendinous_oedema",
    "bone_marrow_oedema",
    "avulsion",
)

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

NIRSCHL_PHASES = {  # §2 Nirschl's overuse pain phases, in our words (check against the original scale)
    1: "1 - stiffness or mild soreness only after activity, gone within a day",
    2: "2 - stiffness or mild soreness before activity that warms out, back after, gone within two days",
    3: "3 - soreness before activity, partly eased by warm-up, slight during it without changing it",
    4: "4 - like 3 but stronger: the activity has to be changed; mild pain in daily life",
    5: "5 - moderate or worse pain before, during and after activity; activity changed; daily life managed",
    6: "6 - phase 5 pain that persists at complete rest and disrupts simple daily tasks",
    7: "7 - phase 6 pain that also disturbs sleep",
}
NIRSCHL_RED_FLAG_FROM = 6  # §2: only phases 6-7 count as the rest / night-pain red flag


class Pathway(StrEnum):  # §7
    PROXIMAL = "proximal"
    DISTAL = "distal"
    POST_OPERATIVE = "post_operative"


PATHWAY_WORDS = {
    Pathway.PROXIMAL: "Proximal hamstring tendinopathy",
    Pathway.DISTAL: "Distal hamstring tendinopathy",
    Pathway.POST_OPERATIVE: "After surgical repair",
}


def pathway_of(episode: dict) -> Pathway:
    """§7: after surgical repair follows the surgeon's protocol whatever the region; distal regions
    (medial or lateral, behind the knee) have their own outcomes, tests and advice."""
    if episode.get("post_operative"):
        return Pathway.POST_OPERATIVE
    if str(episode.get("region") or "").startswith("distal"):
        return Pathway.DISTAL
    return Pathway.PROXIMAL


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
DISTAL_TESTS = (  # §7 distal pathway: pain on resisted knee flexion, near extension and at 90 degrees
    ProvocationTest("resisted_flexion_extended", "Resisted knee flexion near extension", None, None),
    ProvocationTest("resisted_flexion_90", "Resisted knee flexion at 90 degrees", None, None),
)
TEST_SIDES = ("left", "right")  # every test is recorded per side (§9)
# §9 research definition of PHT (Rich et al. 2023; primary): on the affected side, at least 3 of these 4
# reproduce the familiar pain (sitting under the sitting-tolerance threshold counts as the fourth).
RESEARCH_DEFINITION_TESTS = ("arabesque", "bridge", "modified_bent_knee")
RESEARCH_DEFINITION_NEEDED = 3


def test_column(code: str, side: str, pain: bool = False) -> str:
    return f"test_{code}_{side}" + ("_pain" if pain else "")


def test_columns(tests=PROVOCATION_TESTS + DISTAL_TESTS) -> list[str]:
    return [test_column(t.code, side, pain) for t in tests for side in TEST_SIDES for pain in (False, True)]


PSFS_ITEMS = 3  # §7 distal: a patient-specific functional scale, up to 3 activities the patient names, each 0-10


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
class AlertKind:
    """A kind of red flag (§6): its route and urgency (secondary unless marked; the clinician may choose
    another route and records why)."""

    code: str
    label: str
    route: str
    urgency: str
    plain: str  # words for the patient handout


ALERT_KINDS = {
    k.code: k
    for k in (
        AlertKind(
            "avulsion",
            "Suspected avulsion (pop with hip flexion and straight knee, large bruise, palpable gap) or imaging "
            "avulsion / MRI type IV",
            "Urgent MRI if not done; orthopaedic surgical opinion",
            "Within days; surgery for 2 or more tendons or retraction over 2 cm is best within 4 weeks of injury",
            "a sudden pop at the back of the thigh with heavy bruising or a dip you can feel",
        ),
        AlertKind(
            "cauda_equina",
            "Saddle numbness, new bladder or bowel change (possible cauda equina)",
            "Emergency department now",
            "Same hour",
            "numbness between the legs or around the back passage, or a new problem passing water or stools",
        ),
        AlertKind(
            "neurological",
            "Neurological signs: pins and needles, weakness, foot drop",
            "GP or spinal / neurology review",
            "Urgent (days); same day if progressing",
            "pins and needles, numbness or weakness in the leg or foot",
        ),
        AlertKind(
            "medical",
            "Rest or night pain (Nirschl 6-7), fever, weight loss or a history of cancer",
            "GP / medical review to exclude infection or tumour",
            "Urgent (days)",
            "pain at rest or at night, fever, feeling unwell or losing weight without trying",
        ),
        AlertKind(
            "fracture",
            "Suspected stress or avulsion fracture (bony tenderness, adolescent apophysis)",
            "X-ray or MRI; sports physician",
            "Within a week",
            "sudden sharp bone pain after a fall or heavy effort",
        ),
    )
}
AVULSION_WINDOW_DAYS = 28  # §6: surgery for 2+ tendons or retraction > 2 cm best within 4 weeks (secondary)


@dataclass(frozen=True)
class RedFlag:  # a red-flag question on the assessment form, and the alert kind it raises
    code: str
    label: str
    kind: str


RED_FLAGS = (
    RedFlag(
        "rf_avulsion_signs",
        "Suspected avulsion: sudden pop with forced hip flexion and straight knee, large bruise or palpable gap",
        "avulsion",
    ),
    RedFlag("rf_cauda_equina", "Saddle numbness, new bladder or bowel change", "cauda_equina"),
    RedFlag("rf_neurological", "Neurological signs: pins and needles, weakness, foot drop", "neurological"),
    RedFlag("rf_rest_night_pain", "Pain at complete rest or at night (Nirschl 6-7)", "medical"),
    RedFlag("rf_systemic", "Fever, unexplained weight loss, feeling unwell, or a history of cancer", "medical"),
    RedFlag("rf_fracture", "Suspected stress or avulsion fracture (bony tenderness, adolescent apophysis)", "fracture"),
)
RED_FLAG_CODES = tuple(flag.code for flag in RED_FLAGS)


@dataclass(frozen=True)
class Differential:  # §6: not red flags, but they change the plan: shown as "consider", never as an alarm
    code: str
    label: str
    consider: str


DIFFERENTIALS = (
    Differential(
        "dx_ischiofemoral",
        "Ischiofemoral impingement pattern (pain with hip extension, adduction and external rotation; long strides)",
        "Consider ischiofemoral impingement: shorter strides, avoid hip extension with adduction; "
        "imaging if it persists.",
    ),
    Differential(
        "dx_lumbar",
        "Lumbar referral (back movements reproduce the pain)",
        "Consider lumbar referral: assess the lumbar spine.",
    ),
    Differential(
        "dx_sciatic",
        "Sciatic nerve irritation (slump or straight-leg raise reproduces the pain)",
        "Consider sciatic nerve irritation: neural mobility, avoid prolonged compressive sitting.",
    ),
    Differential(
        "dx_hip",
        "Hip joint pathology (groin pain, painful hip rotation)",
        "Consider hip joint pathology: examine the hip; imaging if it persists.",
    ),
)
DIFFERENTIAL_CODES = tuple(d.code for d in DIFFERENTIALS)


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):  # §6 resolving a red flag
    REFERRED = "referred"
    RULED_OUT = "ruled_out"
    BEFORE_ALERTS = "before_alerts"  # migration: flags recorded before alerts existed


class AlertAnswer(StrEnum):  # what a later visit says about an open red flag (it never clears one)
    STILL_PRESENT = "still_present"
    IMPROVING = "improving"
    NOT_PRESENT = "not_present"


ALERT_ANSWER_WORDS = {
    AlertAnswer.STILL_PRESENT: "Still present",
    AlertAnswer.IMPROVING: "Present, improving",
    AlertAnswer.NOT_PRESENT: "Not present today (resolve it on the case, recording what was done)",
}


@dataclass
class User:
    user_id: int
    username: str
    display_name: str
    role: Role
    # For a user signed in through a server-side session: reads the account and the session again and
    # returns the user as they are now (or refuses). ``services.auth.require`` calls it before every action
    # (``reading``: the action only reads), so a disabled, demoted or signed-out user's next action is refused
    # or limited at once.
    recheck: Callable[..., User] | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})"


SYSTEM_USER = User(0, "system", "System (command line)", Role.ADMINISTRATOR)


def age_on(date_of_birth, day) -> int:
    """Age in whole years on ``day``, the birthday counted exactly (§9)."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def label_of(value: object) -> str:
    """A code such as ``distal_medial`` as people write it: ``Distal medial``."""
    if value is None:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


class NotDone(Exception):
    """An action that could not be completed. Its message says what was done and what was not; nothing is left
    half done (whatever had been written is undone first)."""


@dataclass
class FieldProblems(Exception):
    """Validation problems keyed by field name; nothing is saved while any exist."""

    problems: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {text}" for name, text in self.problems.items())
