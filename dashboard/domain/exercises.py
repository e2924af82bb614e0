"""Default exercise prescriptions per loading stage (Goom et al., JOSPT 2016; CLINICAL.md §3).

Progress on symptoms, not time. These are starting points the clinician edits; the handout prints
whatever the case's prescription says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Exercise:
    exercise: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    load_cue: str
    days_per_week: int

    def dose(self) -> str:
        amount = f"{self.reps} reps" if self.reps else f"{self.hold_seconds} s hold"
        return f"{self.sets} x {amount}, {self.days_per_week} days a week"

    def as_dict(self) -> dict:
        return asdict(self)


STAGE_NAMES = {
    1: "Stage 1: isometrics near hip neutral",
    2: "Stage 2: heavy slow strength, little hip flexion",
    3: "Stage 3: strength into hip flexion",
    4: "Stage 4: energy storage, running and return to sport",
}

STAGE_DEFAULTS: dict[int, tuple[Exercise, ...]] = {
    1: (
        Exercise(
            "Double-leg bridge hold", 4, None, 45, "Push through heels; about 70% effort; pain no more than 3/10", 7
        ),
        Exercise(
            "Prone hamstring isometric (knee bent, heel into band)", 5, None, 30, "Moderate effort, hip straight", 7
        ),
        Exercise("Clamshell", 3, 15, None, "Light band", 4),
    ),
    2: (
        Exercise("Single-leg bridge from a low step", 3, 12, None, "Slow up and down, hips level", 3),
        Exercise("Hamstring curl machine (hip straight)", 4, 10, None, "Heavy: last reps hard (15RM down to 8RM)", 3),
        Exercise("Assisted Nordic curl", 3, 5, None, "Only once strong enough; band or partner assist", 2),
        Exercise("Side plank", 3, None, 30, "Straight line from head to feet", 3),
    ),
    3: (
        Exercise("Romanian deadlift", 3, 10, None, "Two legs, then one; hinge at hips, back flat", 3),
        Exercise("Walking lunge", 3, 10, None, "Stride you can control", 3),
        Exercise("Step-up onto knee-height box", 3, 10, None, "Drive through the front heel", 3),
        Exercise("Nordic curl", 3, 6, None, "Lower slowly as far as you control", 2),
    ),
    4: (
        Exercise("Skipping and A-skips", 3, 20, None, "Quick light contacts", 3),
        Exercise("Bounding", 3, 8, None, "Build distance gradually", 2),
        Exercise("Running progression", 1, None, 1200, "Run-walk, adding time when the next morning is settled", 3),
        Exercise("Romanian deadlift (maintenance)", 3, 8, None, "Heavy", 2),
    ),
}


def defaults_for(stage: int) -> list[dict]:
    return [e.as_dict() for e in STAGE_DEFAULTS.get(int(stage), STAGE_DEFAULTS[1])]
