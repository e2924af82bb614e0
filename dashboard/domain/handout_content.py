"""What a patient handout says: a pure function from the episode's data to plain-text blocks (CLINICAL.md §5-8).

The situation decides the content: an open red flag gives a "what happens next" sheet and no exercise
progression; distal and after-surgery pathways get their own advice, and the surgeon's limits are printed and
never contradicted; an injection planned or given gets its aftercare and the anti-inflammatory advice for that
treatment; the timeframe counts the weeks already done; day-to-day advice never contradicts the prescribed
exercises. The wording is the project's own, in short sentences for a reading age of about 12 (the tests keep
every variant at Flesch-Kincaid grade 7 or below). No ReportLab here: handout_pdf.py draws the blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .exercises import Restrictions, find, stage_names
from .model import EXPECTED_RECOVERY_WEEKS, RECOVERY_WORDS, Severity

CONTENT_VERSION = "2026.11-2"


@dataclass
class HandoutExercise:
    exercise: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    load_cue: str | None
    days_per_week: int


@dataclass
class OpenRedFlag:
    kind: str  # avulsion | cauda_equina | neurological | medical | fracture
    raised_on: date


@dataclass
class HandoutData:
    clinic_name: str
    patient_name: str
    side: str  # left | right | bilateral
    region: str  # proximal | distal_medial | distal_lateral
    severity: str
    tier: str
    stage: int
    exercises: list[HandoutExercise]
    clinician_name: str  # the case's clinician ("your clinician")
    issued_on: date
    next_review_on: date | None
    treatments: list[str] = field(default_factory=list)  # kinds given in the current tier
    pain_green_max: float = 3
    pain_amber_max: float = 5
    clinic_phone: str | None = None
    clinic_url: str | None = None
    clinic_address: str | None = None
    issued_by: str | None = None  # the clinician who issued it ("given by"); the case's clinician when None
    pathway: str = "proximal"  # proximal | distal | post_operative
    weeks_done: int = 0  # weeks since the episode opened
    red_flags: list[OpenRedFlag] = field(default_factory=list)  # open red flags
    injection: str | None = None  # prp | corticosteroid | prolotherapy: given in this tier, or planned
    injection_given_on: date | None = None  # None: planned, not yet given
    restrictions: Restrictions | None = None  # after surgery: the surgeon's limits in force


@dataclass(frozen=True)
class Block:
    """One piece of the handout. ``kind``: title, meta, h2, p, bullets, exercises, pain_light, urgent, qa, note."""

    kind: str
    text: str = ""
    lead: str = ""  # a bold start to the paragraph
    items: tuple[str, ...] = ()


SIDE_WORDS = {"left": "on your left side", "right": "on your right side", "bilateral": "on both sides"}
WHERE = {
    "proximal": "where the hamstring tendon joins your sit bone, at the bottom of your buttock",
    "distal_medial": "behind your knee, on the inner side, where the hamstring tendons join the shin bone",
    "distal_lateral": "behind your knee, on the outer side, where the hamstring tendon joins the leg bone",
}

# §6, in plain words: who the patient is referred to, and how soon.
RED_FLAG_NEXT = {
    "avulsion": (
        "A bone and joint surgeon will see you, after an MRI scan if you have not had one.",
        "Within days. If an operation is needed, it works best within 4 weeks of the injury.",
    ),
    "cauda_equina": (
        "You need the emergency department.",
        "Now. Do not wait for an appointment.",
    ),
    "neurological": (
        "Your GP or a back and nerve doctor will check the nerves in your back and leg.",
        "Within a few days. Go the same day if it is getting worse.",
    ),
    "medical": (
        "Your GP or another doctor will check for other causes of the pain.",
        "Within a few days.",
    ),
    "fracture": (
        "A sports doctor will check the bone, with an X-ray or MRI scan.",
        "Within a week.",
    ),
}

URGENT_SIGNS = (
    "a sudden pop at the back of your thigh, with a big bruise or a dip you can feel",
    "pins and needles, numbness or weakness in your leg or foot",
    "pain when you rest, or pain that wakes you at night and keeps getting worse",
    "a fever, feeling very unwell, or losing weight without trying",
)
EMERGENCY_SIGNS = (
    "Go to an emergency department straight away if you get numbness between your legs or around your "
    "bottom, or a new problem passing urine or opening your bowels."
)

NSAID_USUAL = (
    "Pills for swelling, like ibuprofen, can help for a few days. Taking them for a long time may slow "
    "healing. Ask your doctor or pharmacist first."
)
NSAID_PRP = (
    "Do not take pills for swelling, like ibuprofen or naproxen, from one week before your injection until "
    "two weeks after it. They can stop the injection from working. Ask your pharmacist what to take for pain "
    "instead."
)  # CLINICAL.md §8 (heuristic): no NSAIDs from a week before to two weeks after PRP

INJECTION_WORDS = {
    "prp": (
        "Your injection uses a small amount of your own blood, spun to collect the part that helps healing.",
        "After the injection, rest from hard exercise for a few days, then build back up as your clinician "
        "says. It can take 6 to 12 weeks to know if it has helped.",
    ),
    "corticosteroid": (
        "Your injection is a steroid medicine placed next to the tendon to calm the pain for a while.",
        "For two weeks after it, go easy: no hard or fast leg work. If you have diabetes, check your sugar "
        "more often for a few days, as it can go up.",
    ),
    "prolotherapy": (
        "Your injection is a sugar solution placed near the tendon to prompt healing.",
        "After the injection, rest from hard exercise for a few days, then build back up as your clinician says.",
    ),
}
TREATMENT_WORDS = {
    "shockwave": "Shockwave: a hand-held device sends pulses into the sore area. It is usually once a week for "
    "about four weeks. It can be uncomfortable for a few minutes. Keep doing your exercises: shockwave helps "
    "them work.",
    "dry_needling": "Dry needling: very fine needles are placed in tight muscle to ease pain. You may feel sore "
    "for a day after.",
    "soft_tissue": "Hands-on work to ease tight, tender muscle near the tendon.",
}


def compose(data: HandoutData) -> list[Block]:
    """Every block of the handout, chosen by the patient's situation."""
    blocks = _opening(data)
    if data.red_flags:
        blocks += _red_flag_sheet(data)
    else:
        blocks += _routine(data)
    blocks += _urgent(data)
    return blocks


def _opening(data: HandoutData) -> list[Block]:
    upcoming = data.next_review_on is not None and data.next_review_on >= data.issued_on
    review = f"{data.next_review_on:%d %B %Y}" if upcoming else "to be booked with the clinic"
    given_by = data.issued_by or data.clinician_name
    title = "What happens next" if data.red_flags else "Your hamstring plan"
    return [
        Block("meta", data.clinic_name),
        Block("title", f"{title}, {data.patient_name}"),
        Block(
            "p",
            f"Given on {data.issued_on:%d %B %Y} by {given_by}. Your clinician is {data.clinician_name}. "
            f"Next review: {review}.",
        ),
    ]


def _red_flag_sheet(data: HandoutData) -> list[Block]:
    blocks = [
        Block("h2", "Why you are being referred"),
        Block(
            "p",
            "Today we found a sign that needs a doctor to check it. Most of the time it turns out to be "
            "nothing serious. But it is important to get it checked soon.",
        ),
    ]
    for flag in data.red_flags:
        who, when = RED_FLAG_NEXT[flag.kind]
        blocks += [Block("p", who, lead="Who: "), Block("p", when, lead="How soon: ")]
    avulsion = any(f.kind == "avulsion" for f in data.red_flags)
    avoid = (
        "Stop your hamstring exercises until you have been seen. Walk only as far as is comfortable. Do not "
        "stretch the back of your thigh."
        if avulsion
        else "Do not start new or harder exercises until you have been seen. You may keep doing the gentle ones "
        "you know, if they do not make things worse. Avoid sprints, heavy lifting and stretching the back of "
        "your thigh."
    )
    blocks += [Block("h2", "Until then"), Block("p", avoid)]
    return blocks


def _routine(data: HandoutData) -> list[Block]:
    blocks = _what_is_going_on(data) + _how_long(data) + _treatment(data)
    if data.restrictions is not None:
        blocks += _limits(data.restrictions)
    blocks += _exercise_blocks(data)
    blocks += _pain_guide(data)
    blocks += _day_to_day(data)
    blocks += _questions(data)
    blocks += _once_better(data)
    return blocks


def _what_is_going_on(data: HandoutData) -> list[Block]:
    side = SIDE_WORDS.get(data.side, "")
    if data.pathway == "post_operative":
        text = (
            f"You have had an operation to fix the hamstring tendon back onto the bone {side}. The repair needs "
            "time to heal and get strong. Your exercises follow your surgeon's plan, one step at a time."
        )
    else:
        text = (
            f"You have a sore hamstring tendon {side}, {WHERE.get(data.region, '')}. A tendon is the tough cord "
            "that joins muscle to bone. When it gets more work than it is ready for, it gets sore. The good "
            "news: tendons get stronger when you give them the right amount of work. That is what your "
            "exercises do."
        )
    blocks = [Block("h2", "What is going on"), Block("p", text)]
    if data.pathway != "post_operative":
        blocks.append(
            Block(
                "p",
                "Some pain during your exercises is fine, as long as it stays in the green or amber zone below and "
                "settles by the next morning.",
                lead="Hurt does not mean harm. ",
            )
        )
    return blocks


def _how_long(data: HandoutData) -> list[Block]:
    w = max(0, int(data.weeks_done))
    if data.pathway == "post_operative":
        since = data.restrictions.weeks_since_surgery if data.restrictions else None
        text = "Your surgeon's plan sets how long each step lasts. We move on when your surgeon's plan allows it."
        if since is not None:
            text = f"You are in week {since} after your operation. " + text
        return [Block("h2", "How long it takes"), Block("p", text)]
    severity = Severity(data.severity)
    low, high = EXPECTED_RECOVERY_WEEKS[severity]
    words = RECOVERY_WORDS[severity]
    weeks = "week" if w == 1 else "weeks"
    if w < low:
        more = f"about {low - w} to {high - w} more weeks" if high else f"at least {low - w} more weeks"
        text = (
            f"Most people with a problem like yours get better in about {words}. You are {w} {weeks} in, so "
            f"there may be {more} to go. Tendons change slowly, and steady work pays off."
        )
    elif high is not None and w <= high:
        text = (
            f"Most people with a problem like yours get better in about {words}. You are {w} weeks in, so many "
            "people are close to better around now. Keep going."
        )
    else:
        text = (
            f"You have been working on this for {w} weeks. That is longer than usual for a problem like yours "
            f"({words}). This happens, and it can still get better. Your clinician will talk with you about the "
            "next steps."
        )
    return [Block("h2", "How long it takes"), Block("p", text)]


def _treatment(data: HandoutData) -> list[Block]:
    blocks: list[Block] = []
    kinds = [k for k in data.treatments if k in TREATMENT_WORDS]
    if data.tier == "adjunct" and not kinds:
        kinds = ["shockwave"]
    if kinds or data.injection:
        blocks.append(Block("h2", "Your treatment now"))
        blocks.append(Block("p", "This is added to your exercises. It does not replace them."))
    blocks += [Block("p", TREATMENT_WORDS[k]) for k in kinds]
    if data.injection in INJECTION_WORDS:
        what, after = INJECTION_WORDS[data.injection]
        when = f"You had it on {data.injection_given_on:%d %B %Y}. " if data.injection_given_on else "It is planned. "
        blocks += [
            Block("p", what),
            Block("p", when + after),
            Block(
                "p",
                "Call the clinic if the area gets red, hot or swollen, or you get a fever. We will see you about "
                "two weeks after the injection.",
            ),
        ]
    return blocks


def _limits(limits: Restrictions) -> list[Block]:
    items = []
    if limits.phase:
        items.append(f"Where you are in the plan: {limits.phase}.")
    if limits.brace:
        items.append("Wear your brace as your surgeon told you.")
    if limits.hip_flexion_limit is not None:
        items.append(f"Do not bend your hip more than {limits.hip_flexion_limit} degrees.")
    if limits.loaded_flexion_week is not None:
        now = f" (you are in week {limits.weeks_since_surgery})" if limits.weeks_since_surgery is not None else ""
        items.append(f"No lifting or loaded exercise with your hip bent before week {limits.loaded_flexion_week}{now}.")
    if limits.notes:
        items.append(limits.notes)
    return [
        Block("h2", "Your surgeon's limits"),
        Block("p", "Follow these until your surgeon or clinician changes them."),
        Block("bullets", items=tuple(items)),
    ]


def stage_title(data: HandoutData) -> str:
    return stage_names(data.pathway).get(data.stage, f"Stage {data.stage}")


def _exercise_blocks(data: HandoutData) -> list[Block]:
    return [
        Block("h2", f"Your exercises: {stage_title(data)}"),
        Block("exercises"),
        Block(
            "note",
            "Move on to harder exercises only when your clinician says so. We go by how your tendon feels, not by "
            "the calendar.",
        ),
    ]


def _pain_guide(data: HandoutData) -> list[Block]:
    return [
        Block("h2", "How much pain is OK"),
        Block("pain_light"),
        Block(
            "p",
            "When you get up the day after exercise, is the tendon back to how it usually is? If yes, keep going. "
            "If it is sorer than usual, make the next session easier.",
            lead="The next-morning check: ",
        ),
    ]


def _plan_has(data: HandoutData, poses: set[str]) -> bool:
    return any((entry := find(e.exercise)) is not None and entry.pose in poses for e in data.exercises)


def _day_to_day(data: HandoutData) -> list[Block]:
    items: list[str] = []
    jumps = _plan_has(data, {"bound", "skip"})
    runs = _plan_has(data, {"run"})
    if data.pathway == "post_operative":
        items.append("Keep to your surgeon's limits above in daily life too, not only in your exercises.")
        items.append("Ask your clinician before you start swimming, cycling or running.")
    else:
        avoid = ["deep stretching of the back of your thigh"]
        if data.pathway == "proximal":
            avoid.insert(0, "long spells of sitting")
        if not jumps:
            avoid.append("sprints")
        avoid.append("steep hills")
        items.append("For now, cut down on what sets it off: " + ", ".join(avoid[:-1]) + f" and {avoid[-1]}.")
        if jumps or runs:
            items.append("Build up running and jumping only as your plan above says.")
        keep_fit = (
            "swimming (go easy on the kick), cycling with the seat a little higher, and walking"
            if data.pathway == "proximal"
            else "swimming, walking, and cycling if it does not hurt behind the knee"
        )
        items.append(f"Keep fit in ways that do not hurt: {keep_fit}.")
        if data.pathway == "proximal":
            items.append(
                "When you sit, use a cushion or a folded towel, pick a higher seat, and stand up for a minute every "
                "20 to 30 minutes."
            )
    items.append("Ice for 15 to 20 minutes after activity can ease soreness. Wrap it in a cloth.")
    items.append(NSAID_PRP if data.injection == "prp" else NSAID_USUAL)
    return [Block("h2", "Day to day"), Block("bullets", items=tuple(items))]


def _questions(data: HandoutData) -> list[Block]:
    after_surgery = data.pathway == "post_operative"
    if after_surgery:
        running = "Only when your surgeon's plan says so. Your clinician will tell you when."
    elif _plan_has(data, {"run"}):
        running = "Yes. Follow the running plan above, and keep the pain in the green or amber zone."
    else:
        running = (
            "Often yes, if the pain stays in the green or amber zone and settles by the next morning. You may need "
            "to run slower, shorter or on flat ground for a while. Sprints and hills come back last."
        )
    injections = (
        "They are not part of the usual plan after an operation."
        if after_surgery
        else "Only when three to six months of well-done exercise has not helped enough. Even then, exercise "
        "stays the main treatment."
    )
    pairs = (
        ("Can I keep running?", running),
        (
            "How long will it take?",
            'See "How long it takes" above. It depends on how long you have had it and how steady your exercise is.',
        ),
        (
            "Is stretching good for it?",
            "Not for now. Stretching pulls and presses on the sore tendon and can make "
            "it worse. Strength work helps much more. Gentle movement is fine.",
        ),
        ("When are injections used?", injections),
        (
            "Can it last a long time?",
            "It can last months, most of all when it gets too much work or too much "
            "rest. Steady, well-judged exercise gives the best chance for it to settle for good.",
        ),
        (
            "How is it different from a strain?",
            "A strain is a sudden tear in the muscle, often while sprinting. "
            "It usually heals in weeks. Tendon pain builds up slowly where the tendon joins the bone, and it needs "
            "steady work over months.",
        ),
    )
    return [Block("h2", "Questions people ask")] + [Block("qa", answer, lead=question) for question, answer in pairs]


def _once_better(data: HandoutData) -> list[Block]:
    return [
        Block("h2", "Once you are better"),
        Block(
            "bullets",
            items=(
                "Warm up before sport: easy jogging, then build up speed.",
                "Add training bit by bit. Do not jump up in distance, speed or hills all at once.",
                "Keep up strength work for your hamstrings and buttocks once or twice a week.",
                "Run tall, with relaxed steps that are not too long.",
            ),
        ),
    ]


def _urgent(data: HandoutData) -> list[Block]:
    phone = f"Call the clinic on {data.clinic_phone}." if data.clinic_phone else "Call the clinic."
    lines = (
        *[f"{sign[0].upper()}{sign[1:]}." for sign in URGENT_SIGNS],
        f"{phone} If the clinic is closed, call your doctor or an urgent care service.",
        EMERGENCY_SIGNS,
    )
    return [Block("urgent", "Call the clinic straight away if you notice:", items=lines)]


def reading_text(blocks: list[Block], data: HandoutData) -> str:
    """The handout's prose as sentences, for a reading-grade check (names, titles and the clinic left out)."""
    parts: list[str] = []
    for block in blocks:
        if block.kind in ("p", "note"):
            parts.append(block.lead + block.text)
        elif block.kind == "qa":
            parts += [block.lead, block.text]
        elif block.kind in ("bullets", "urgent"):
            parts += list(block.items)
        elif block.kind == "exercises":
            for e in data.exercises:
                entry = find(e.exercise)
                if entry is not None:
                    parts.append(entry.how)
    text = " ".join(p.strip() for p in parts if p.strip())
    for name in (data.patient_name, data.clinician_name, data.issued_by or "", data.clinic_phone or ""):
        if name:
            text = text.replace(name, "them")
    return text
