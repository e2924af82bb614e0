"""Default exercise prescriptions per loading stage and pathway (Goom et al., JOSPT 2016; CLINICAL.md §3, §7).

Progress on symptoms, not time. These are starting points the clinician edits; the handout prints whatever
the case's prescription says. Each exercise in the library has a plain name, a one-line "how" cue for the
handout, the drawing that shows its key position, and how far it bends the hip (with or without load), so
that an after-surgery case never gets an exercise its recorded restrictions exclude (§7).
"""

from __future__ import annotations

from dataclasses import dataclass

ITEM_FIELDS = ("exercise", "sets", "reps", "hold_seconds", "load_cue", "days_per_week")


@dataclass(frozen=True)
class Exercise:
    exercise: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    load_cue: str
    days_per_week: int
    how: str  # one plain line for the handout
    pose: str  # the drawing of its key position (handout_figures.py)
    hip_flexion_deg: int  # the most the hip bends during it
    loaded_hip_flexion: bool  # the hip bends while it carries load

    def dose(self) -> str:
        amount = f"{self.reps} reps" if self.reps else f"{self.hold_seconds} s hold"
        return f"{self.sets} x {amount}, {self.days_per_week} days a week"

    def as_item(self) -> dict:
        return {name: getattr(self, name) for name in ITEM_FIELDS}


STAGE_NAMES = {
    1: "Stage 1: holds near a straight hip",
    2: "Stage 2: slow strength work, little hip bend",
    3: "Stage 3: strength work with more hip bend",
    4: "Stage 4: spring, running and back to sport",
}
DISTAL_STAGE_NAMES = {
    1: "Stage 1: knee-bend holds",
    2: "Stage 2: slow knee-bend strength",
    3: "Stage 3: harder knee-bend strength",
    4: "Stage 4: running and back to sport",
}


def _e(name, sets, reps, hold, cue, days, how, pose, hip, loaded) -> Exercise:
    return Exercise(name, sets, reps, hold, cue, days, how, pose, hip, loaded)


# Exercises both pathways use (one definition each).
CURL_MACHINE = _e(
    "Leg curl machine, hip straight",
    4,
    10,
    None,
    "Heavy: the last few are hard",
    3,
    "Lie face down on the machine. Bend your knees slowly, then lower.",
    "curl_machine",
    10,
    True,
)

NORDIC = _e(
    "Nordic lower",
    3,
    6,
    None,
    "Lower slowly as far as you can control",
    2,
    "Kneel tall with your ankles held. Lean forward slowly as far as you can.",
    "nordic",
    10,
    True,
)

RUNNING = _e(
    "Running plan",
    1,
    None,
    1200,
    "Run and walk; add time when the next morning is fine",
    3,
    "Run and walk in turns. Add a little time when the next morning is fine.",
    "run",
    60,
    True,
)

SKIPS = _e(
    "Skips",
    3,
    20,
    None,
    "Quick, light steps",
    3,
    "Skip along, lifting one knee at a time with quick, light steps.",
    "skip",
    70,
    True,
)


PROXIMAL: dict[int, tuple[Exercise, ...]] = {
    1: (
        _e(
            "Bridge hold on both legs",
            4,
            None,
            45,
            "Firm push, pain 3 or less",
            7,
            "Lie on your back, knees bent. Lift your hips and hold still.",
            "bridge_hold",
            30,
            False,
        ),
        _e(
            "Face-down heel push into a band",
            5,
            None,
            30,
            "Medium effort, hip flat",
            7,
            "Lie on your front, knee bent. Push your heel back into the band and hold.",
            "prone_hold",
            0,
            False,
        ),
        _e(
            "Clam",
            3,
            15,
            None,
            "Light band",
            4,
            "Lie on your side, knees bent. Lift the top knee, keep feet together.",
            "clam",
            45,
            False,
        ),
    ),
    2: (
        _e(
            "One-leg bridge from a low step",
            3,
            12,
            None,
            "Slow up and down, hips level",
            3,
            "Heel on a low step. Lift your hips on one leg, then lower slowly.",
            "bridge_step",
            40,
            False,
        ),
        CURL_MACHINE,
        _e(
            "Nordic lower with help",
            3,
            5,
            None,
            "Only once strong enough; band or helper",
            2,
            "Kneel tall with your ankles held. Lean forward slowly, using a band to help.",
            "nordic_assisted",
            10,
            True,
        ),
        _e(
            "Side plank",
            3,
            None,
            30,
            "Body in a straight line",
            3,
            "Lie on your side on one elbow. Lift your hips so you are straight.",
            "side_plank",
            0,
            False,
        ),
    ),
    3: (
        _e(
            "Hip hinge with a weight",
            3,
            10,
            None,
            "Two legs, then one; back flat",
            3,
            "Stand tall. Push your hips back with a flat back, then stand up.",
            "hinge",
            80,
            True,
        ),
        _e(
            "Walking lunge",
            3,
            10,
            None,
            "A step you can control",
            3,
            "Step forward and bend both knees. Push up and step on.",
            "lunge",
            90,
            True,
        ),
        _e(
            "Step-up onto a knee-high box",
            3,
            10,
            None,
            "Drive through the front heel",
            3,
            "Put one foot on the box. Push through that heel to stand up on it.",
            "step_up",
            90,
            True,
        ),
        NORDIC,
    ),
    4: (
        SKIPS,
        _e(
            "Bounding",
            3,
            8,
            None,
            "Build the distance slowly",
            2,
            "Take long, springy jumps from one foot to the other.",
            "bound",
            80,
            True,
        ),
        RUNNING,
        _e(
            "One-leg hip hinge",
            3,
            8,
            None,
            "Heavy; keep it slow",
            2,
            "Stand on one leg. Tip forward with a flat back, the other leg going back.",
            "hinge_one_leg",
            80,
            True,
        ),
    ),
}

# §7 distal: loading is knee-focused (knee-bend holds, then curls, then Nordic work and running).
DISTAL: dict[int, tuple[Exercise, ...]] = {
    1: (
        _e(
            "Seated heel pull hold",
            5,
            None,
            30,
            "Medium effort, pain 3 or less",
            7,
            "Sit on a chair. Pull your heel back into the chair leg and hold.",
            "seated_hold",
            90,
            False,
        ),
        _e(
            "Heel dig hold lying down",
            4,
            None,
            30,
            "Firm push, pain 3 or less",
            7,
            "Lie on your back, knee a little bent. Dig your heel into the floor and hold.",
            "heel_dig",
            20,
            False,
        ),
    ),
    2: (
        _e(
            "Standing knee bend with an ankle weight",
            3,
            12,
            None,
            "Slow up and down",
            3,
            "Stand holding a chair. Bend one knee to bring your heel up, then lower slowly.",
            "standing_curl",
            0,
            False,
        ),
        CURL_MACHINE,
    ),
    3: (
        _e(
            "Slider leg curl",
            3,
            10,
            None,
            "Hips up the whole time",
            3,
            "Lie on your back, heels on sliders, hips up. Pull your heels in, then slide out.",
            "slider_curl",
            30,
            False,
        ),
        NORDIC,
    ),
    4: (
        RUNNING,
        SKIPS,
    ),
}

LIBRARY: dict[str, Exercise] = {e.exercise: e for stage in (*PROXIMAL.values(), *DISTAL.values()) for e in stage}
# Names the first version used, so prescriptions saved then still find their drawing and cue.
LEGACY_NAMES = {
    "Double-leg bridge hold": "Bridge hold on both legs",
    "Prone hamstring isometric (knee bent, heel into band)": "Face-down heel push into a band",
    "Clamshell": "Clam",
    "Single-leg bridge from a low step": "One-leg bridge from a low step",
    "Hamstring curl machine (hip straight)": "Leg curl machine, hip straight",
    "Assisted Nordic curl": "Nordic lower with help",
    "Romanian deadlift": "Hip hinge with a weight",
    "Step-up onto knee-height box": "Step-up onto a knee-high box",
    "Nordic curl": "Nordic lower",
    "Skipping and A-skips": "Skips",
    "Running progression": "Running plan",
    "Romanian deadlift (maintenance)": "One-leg hip hinge",
}


def find(name: str) -> Exercise | None:
    """The library entry for a prescribed exercise's name (a clinician's own exercise has none)."""
    name = (name or "").strip()
    return LIBRARY.get(name) or LIBRARY.get(LEGACY_NAMES.get(name, ""))


@dataclass(frozen=True)
class Restrictions:
    """The surgeon's protocol limits in force after repair (recorded at the latest assessment, §7)."""

    phase: str | None = None
    brace: bool = False
    hip_flexion_limit: int | None = None  # degrees
    loaded_flexion_week: int | None = None  # no loaded hip flexion before this week after surgery
    weeks_since_surgery: int | None = None
    notes: str | None = None


def excluded(name: str, limits: Restrictions | None) -> str | None:
    """Why the restrictions exclude this exercise, in plain words, or None when they allow it."""
    entry = find(name)
    if limits is None or entry is None:
        return None
    if limits.hip_flexion_limit is not None and entry.hip_flexion_deg > limits.hip_flexion_limit:
        return f"it bends the hip past the {limits.hip_flexion_limit} degree limit"
    if (
        limits.loaded_flexion_week is not None
        and entry.loaded_hip_flexion
        and (limits.weeks_since_surgery is None or limits.weeks_since_surgery < limits.loaded_flexion_week)
    ):
        return f"it loads the hip while bent, not allowed before week {limits.loaded_flexion_week}"
    return None


def stage_names(pathway: str) -> dict[int, str]:
    return DISTAL_STAGE_NAMES if pathway == "distal" else STAGE_NAMES


def defaults_for(stage: int, pathway: str = "proximal", limits: Restrictions | None = None) -> list[dict]:
    """The stage's default exercises for the pathway, less any the restrictions exclude. After surgery, when
    the restrictions exclude every exercise of the stage, the allowed ones of the stages before it are given."""
    table = DISTAL if pathway == "distal" else PROXIMAL
    stage = int(stage) if int(stage) in table else 1
    for each in range(stage, 0, -1):
        allowed = [e.as_item() for e in table[each] if excluded(e.exercise, limits) is None]
        if allowed:
            return allowed
    return []
