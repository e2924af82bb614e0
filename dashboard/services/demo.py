"""A deterministic, clearly fictional demo clinic.

Everything is generated as whole numpy columns and bulk-inserted with one INSERT ... SELECT per table,
so 100,000 episodes with about ten assessments each build in well under a minute. Trajectories:
improving (most), stalled (some escalate to adjunct or regenerative care), recurrences (a second
episode on the other side), and a few red flags. Names are invented combinations; clinic IDs start
with DEMO-.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..domain.model import Role
from ..storage import audit, bulk
from ..storage import records as sql
from ..storage.db import Database, utc_now
from .passwords import hash_password

_NULL = np.array(None, dtype=object)  # "no value" for np.where, typed so the numpy stubs accept it

DEMO_PASSWORD = "demo-clinic-2026"
DEMO_USERS = (  # username, display name, role: shown on the sign-in page of the demo clinic only
    ("admin", "Alex Admin", Role.ADMINISTRATOR),
    ("amara.okafor", "Amara Okafor", Role.CLINICIAN),
    ("lukas.brenner", "Lukas Brenner", Role.CLINICIAN),
    ("sofia.papadaki", "Sofia Papadaki", Role.CLINICIAN),
    ("ian.mcallister", "Ian McAllister", Role.CLINICIAN),
    ("mei.tanaka", "Mei Tanaka", Role.CLINICIAN),
    ("reception", "Robin Reception", Role.READ_ONLY),
)

GIVEN = [
    "Aoife",
    "Bjørn",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farah",
    "Giorgos",
    "Hana",
    "Ivan",
    "Júlia",
    "Kwame",
    "Léa",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Siobhán",
    "Tomás",
    "Uma",
    "Viktor",
    "Wiktoria",
    "Xavier",
    "Yara",
    "Zoë",
    "Ángel",
    "Ελένη",
    "Ольга",
    "Noah",
    "Grace",
    "Omar",
    "Ruth",
    "Sam",
]
FAMILY = [
    "Abbott",
    "Bergström",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fitzgerald",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Müller",
    "Novák",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sato",
    "Tremblay",
    "Underwood",
    "Valdés",
    "Wójcik",
    "Xu",
    "Yilmaz",
    "Zeller",
    "Παπαδοπούλου",
    "Смирнова",
    "Nakamura",
    "Okafor",
    "Reid",
    "Moreau",
    "Hughes",
    "Silva",
]
SPORTS = [
    "Running",
    "Football",
    "Sprinting",
    "Hurdles",
    "Rugby",
    "Dance",
    "Cycling",
    "Hockey",
    "Tennis",
    "Walking",
    "Triathlon",
    None,
]
REFERRALS = ["GP", "Self-referral", "Sports physician", "Orthopaedics", "Club physio", None]
ACTIVITIES = ["sitting", "running", "sprinting", "hills", "lunging", "stretching", "driving"]
VISA_MAX = np.array([10, 10, 10, 10, 10, 10, 10, 30])


def build_demo(db: Database, *, cases: int = 150, seed: int = 1, today: date | None = None) -> dict[str, int]:
    """Fill an empty database with a demo clinic of ``cases`` episodes. Returns row counts."""
    if cases < 1:
        raise ValueError("The demo needs at least one case.")
    today = today or date.today()
    if db.scalar("SELECT count(*) FROM patients") or db.scalar("SELECT count(*) FROM users"):
        raise ValueError(f"{db.path} already holds a clinic; the demo is built only into an empty database.")
    rng = np.random.default_rng(seed)
    at = utc_now()
    today64 = np.datetime64(today, "D")

    # -- users -------------------------------------------------------------------------------------
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, len(DEMO_USERS) + 1),
            "username": [u[0] for u in DEMO_USERS],
            "display_name": [u[1] for u in DEMO_USERS],
            "role": [u[2].value for u in DEMO_USERS],
            "password_hash": [hash_password(DEMO_PASSWORD)] * len(DEMO_USERS),
            "created_at": at,
        }
    )
    clinician_ids = users.loc[users.role == Role.CLINICIAN.value, "user_id"].to_numpy()

    # -- episodes and their patients ---------------------------------------------------------------
    n = cases
    recurrence = rng.random(n) < 0.10  # second episode of an earlier patient
    recurrence[0] = False
    first = ~recurrence
    patient_of = np.cumsum(first)  # 1-based patient id of each episode
    n_patients = int(patient_of[-1])
    kind = rng.choice(["improving", "stalled", "slow"], size=n, p=[0.6, 0.25, 0.15])
    severity = np.where(
        kind == "improving",
        rng.choice(["mild", "moderate", "chronic"], n, p=[0.35, 0.45, 0.2]),
        rng.choice(["moderate", "chronic"], n, p=[0.4, 0.6]),
    )
    region = rng.choice(["proximal", "distal_medial", "distal_lateral"], n, p=[0.8, 0.1, 0.1])
    side = rng.choice(["left", "right", "bilateral"], n, p=[0.46, 0.46, 0.08])
    # a recurrence is on the other side of the same patient
    opened_days_ago = rng.integers(7, 730, n)
    opened_days_ago = np.sort(opened_days_ago)[::-1]  # older episodes first, so recurrences come later
    opened_on = today64 - opened_days_ago.astype("timedelta64[D]")
    onset_on = opened_on - rng.integers(7, 120, n).astype("timedelta64[D]")
    # visits every 14-28 days; about ten per episode, fewer for episodes opened recently
    gap = rng.integers(14, 29, n)
    # milder cases need fewer visits to finish (CLINICAL.md §1 expected recovery by severity)
    planned = np.select(
        [severity == "mild", severity == "moderate"],
        [rng.integers(5, 9, n), rng.integers(9, 14, n)],
        rng.integers(12, 19, n),
    )
    possible = opened_days_ago // gap + 1
    visits = np.clip(np.minimum(planned, possible), 1, None)
    last_visit = opened_on + ((visits - 1) * gap).astype("timedelta64[D]")
    # finished improving courses are discharged; some stalled ones referred on; the rest open
    finished = (visits == planned) & (last_visit < today64 - np.timedelta64(21, "D"))
    status = np.where(
        finished & (kind == "improving"),
        "discharged",
        np.where(finished & (kind == "stalled") & (rng.random(n) < 0.5), "referred_on", "open"),
    )
    closed_on = np.where(status != "open", last_visit + np.timedelta64(7, "D"), np.datetime64("NaT"))
    clinician = rng.choice(clinician_ids, n)
    red_flag = rng.random(n) < 0.03
    post_op = (rng.random(n) < 0.03) & (region == "proximal")

    patients = pd.DataFrame(
        {
            "patient_id": np.arange(1, n_patients + 1),
            "clinic_id": [f"DEMO-{i:06d}" for i in range(1, n_patients + 1)],
            "given_name": rng.choice(GIVEN, n_patients),
            "family_name": rng.choice(FAMILY, n_patients),
            "date_of_birth": today64 - rng.integers(16 * 365, 75 * 365, n_patients).astype("timedelta64[D]"),
            "sex": rng.choice(["female", "male", "other", "not_stated"], n_patients, p=[0.48, 0.48, 0.02, 0.02]),
            "phone": [f"+44 7700 9{i % 100000:05d}" for i in range(n_patients)],
            "email": None,
        }
    )
    # recurrences are on the other side; make sure onset is after birth
    prev_side = pd.Series(side).shift(1).to_numpy()
    side = np.where(
        recurrence & (prev_side == "left"), "right", np.where(recurrence & (prev_side == "right"), "left", side)
    )

    episodes = pd.DataFrame(
        {
            "episode_id": np.arange(1, n + 1),
            "patient_id": patient_of,
            "side": side,
            "region": region,
            "onset_type": rng.choice(["gradual", "sudden"], n, p=[0.85, 0.15]),
            "onset_date": onset_on,
            "load_change": rng.random(n) < 0.6,
            "sport": rng.choice(np.array(SPORTS, dtype=object), n),
            "severity": severity,
            "post_operative": post_op,
            "clinician_id": clinician,
            "referral_source": rng.choice(np.array(REFERRALS, dtype=object), n),
            "status": status,
            "opened_on": opened_on,
            "closed_on": closed_on,
            "discharge_outcome": np.where(
                status == "discharged",
                rng.choice(["resolved", "much_improved", "improved"], n),
                np.where(status == "referred_on", "unchanged", _NULL),
            ),
            "referred_to": np.where(
                status == "referred_on", rng.choice(["Sports physician", "Orthopaedic surgeon"], n), _NULL
            ),
        }
    )

    # -- assessments: one row per visit ------------------------------------------------------------
    ep_index = np.repeat(np.arange(n), visits)
    visit_no = np.arange(len(ep_index)) - np.repeat(np.cumsum(visits) - visits, visits)
    m = len(ep_index)
    weeks = (visit_no * gap[ep_index]) / 7.0
    assessed_on = opened_on[ep_index] + (visit_no * gap[ep_index]).astype("timedelta64[D]")
    k = kind[ep_index]
    sev = severity[ep_index]
    improving_rate = np.select([sev == "mild", sev == "moderate"], [0.16, 0.09], 0.05)
    rate = np.where(k == "improving", improving_rate, np.where(k == "slow", 0.035, 0.004))  # recovery per week
    progress = np.clip(weeks * rate + rng.normal(0, 0.04, m), 0, 1)
    base_pain = rng.integers(4, 8, n)[ep_index]
    pain_avg = np.clip(np.round(base_pain * (1 - 0.8 * progress) + rng.normal(0, 0.6, m)), 0, 10).astype(int)
    pain_worst = np.clip(pain_avg + rng.integers(1, 4, m), 0, 10)
    base_visa = rng.uniform(0.25, 0.55, n)[ep_index]
    frac = np.clip(base_visa + (0.95 - base_visa) * progress, 0, 1)
    items = np.clip(np.round(VISA_MAX * frac[:, None] + rng.normal(0, 1.0, (m, 8)) * (VISA_MAX / 10)), 0, VISA_MAX)
    items[:, 6] = np.array([0, 4, 7, 10])[np.clip(np.floor(frac * 4), 0, 3).astype(int)]
    items = items.astype(int)
    affected_base = rng.integers(6, 18, n)[ep_index]
    other = rng.integers(22, 36, n)[ep_index]
    affected = np.clip(
        np.round(affected_base + (other - affected_base) * progress + rng.normal(0, 1.5, m)), 0, 60
    ).astype(int)
    s = side[ep_index]
    reps_left = np.where(s == "left", affected, np.where(s == "right", other, affected))
    reps_right = np.where(s == "right", affected, np.where(s == "left", other, np.clip(affected + 2, 0, 60)))
    settled = np.where(pain_avg <= 3, rng.random(m) < 0.9, rng.random(m) < 0.5)
    last_of_episode = visit_no == visits[ep_index] - 1
    flag_row = red_flag[ep_index] & last_of_episode
    tested = visit_no == 0

    def test_col(positive_rate):
        res = np.where(tested, np.where(rng.random(m) < positive_rate, "positive", "negative"), "not_done")
        pain = np.where(res == "positive", rng.integers(3, 8, m), -1)
        return res, pd.Series(pain).where(pain >= 0).astype("Int16")

    assess = pd.DataFrame(
        {
            "assessment_id": np.arange(1, m + 1),
            "episode_id": ep_index + 1,
            "assessed_on": assessed_on,
            "clinician_id": clinician[ep_index],
            "pain_avg": pain_avg,
            "pain_worst": pain_worst,
            "pain_task": np.clip(pain_worst - rng.integers(0, 2, m), 0, 10),
            "pain_task_name": "Running 5 km",
            "sitting_minutes": np.clip(np.round(10 + 80 * progress + rng.normal(0, 5, m)), 0, 720).astype(int),
            "morning_stiffness": rng.random(m) < 0.4 * (1 - progress),
            "next_morning": np.where(visit_no == 0, "not_loaded", np.where(settled, "settled", "not_settled")),
            "aggravating": np.where(rng.random(m) < 0.7, "sitting,running", "sitting,lunging,stretching"),
            "previous_injury": (rng.random(n) < 0.3)[ep_index],
            "low_back_pain": (rng.random(n) < 0.2)[ep_index],
            "nirschl_phase": np.clip(np.round(5 - 4 * progress + rng.normal(0, 0.5, m)), 1, 5).astype(int),
            **{f"visa_h_{i + 1}": items[:, i] for i in range(8)},
            "visa_h_total": items.sum(axis=1),
            "groc": np.where(visit_no == 0, _NULL, np.clip(np.round(progress * 4 - 0.5), -3, 3)).astype(object),
            "palpation_left": np.where(s != "right", np.where(progress < 0.5, "mild", "none"), "none"),
            "palpation_right": np.where(s != "left", np.where(progress < 0.5, "mild", "none"), "none"),
            "bridge_reps_left": reps_left,
            "bridge_reps_right": reps_right,
            "rf_rest_night_pain": flag_row & (rng.random(m) < 0.5),
            "rf_neurological": flag_row & (rng.random(m) >= 0.5),
            "red_flag_action": np.where(
                flag_row, "Referred to sports physician the same day; patient informed.", _NULL
            ),
            "impression": np.where(k == "stalled", "Symptoms unchanged despite loading.", "Settling with loading."),
            "plan": "Continue staged loading; review in 2-3 weeks.",
            "next_review_on": assessed_on + gap[ep_index].astype("timedelta64[D]"),
            "signed_at": np.where(last_of_episode & (rng.random(m) < 0.3), _NULL, np.array(at, dtype=object)),
            "signed_by": np.where(last_of_episode & (rng.random(m) < 0.3), _NULL, "demo"),
        }
    )
    # pathways (CLINICAL.md §7): each asks its own outcome and tests; tests are recorded per side
    path = np.where(
        post_op, "post_operative", np.where(np.char.startswith(region.astype(str), "distal"), "distal", "proximal")
    )[ep_index]
    proximal, distal, after_surgery = path == "proximal", path == "distal", path == "post_operative"
    assess["pain_exercise"] = np.clip(pain_avg - rng.integers(0, 3, m), 0, 10)
    for code, positive_rate in (
        ("puranen_orava", 0.7),
        ("bent_knee", 0.75),
        ("modified_bent_knee", 0.85),
        ("arabesque", 0.7),
        ("bridge", 0.6),
        ("resisted_flexion_extended", 0.7),
        ("resisted_flexion_90", 0.6),
    ):
        res, pain = test_col(positive_rate)
        asked = distal if code.startswith("resisted") else proximal
        for each in ("left", "right"):
            affected_side = asked & ((s == each) | (s == "bilateral"))
            other_side = asked & ~affected_side & tested
            assess[f"test_{code}_{each}"] = np.where(affected_side, res, np.where(other_side, "negative", _NULL))
            assess[f"test_{code}_{each}_pain"] = pd.Series(pain).where(affected_side).astype("Int16").to_numpy()
    for column in [f"visa_h_{i + 1}" for i in range(8)] + ["visa_h_total"]:
        assess[column] = pd.Series(assess[column]).where(proximal).astype("Int16").to_numpy()
    for column in ("palpation_left", "palpation_right"):
        assess[column] = np.where(distal, _NULL, assess[column])
    assess["sitting_minutes"] = pd.Series(assess["sitting_minutes"]).where(~distal).astype("Int16").to_numpy()
    assess["aggravating"] = np.where(
        distal, np.where(rng.random(m) < 0.6, "running,sprinting", "hills,lunging"), assess["aggravating"]
    )
    assess["distal_palpation"] = np.where(distal, np.where(progress < 0.5, "mild", "none"), _NULL)
    for n_item, activity in ((1, "Running"), (2, "Climbing stairs"), (3, "Kneeling")):
        score = np.clip(np.round(2 + 7 * progress + rng.normal(0, 0.7, m)), 0, 10)
        assess[f"psfs_{n_item}_activity"] = np.where(distal, activity, _NULL)
        assess[f"psfs_{n_item}_score"] = pd.Series(score).where(distal).astype("Int16").to_numpy()
    assess["phat_total"] = (
        pd.Series(np.clip(np.round(35 + 60 * progress), 0, 100)).where(after_surgery).astype("Int16").to_numpy()
    )
    assess["postop_phase"] = np.where(
        after_surgery, np.where(weeks < 6, "Phase 1: protection (weeks 0-6)", "Phase 2: strength (weeks 6-12)"), _NULL
    )
    assess["postop_loaded_flexion_week"] = pd.Series(np.full(m, 12)).where(after_surgery).astype("Int16").to_numpy()
    # rest or night pain is Nirschl 6-7 (§2)
    assess["nirschl_phase"] = np.where(assess["rf_rest_night_pain"], 6, assess["nirschl_phase"])
    # signed rows get their clinician's username as signer
    names = dict(zip(users.user_id, users.username, strict=True))
    assess["signed_by"] = np.where(assess.signed_at.isna(), None, pd.Series(assess.clinician_id).map(names))

    # -- tiers and stages --------------------------------------------------------------------------
    ep_ids = np.arange(1, n + 1)
    tiers = [
        pd.DataFrame(
            {
                "episode_id": ep_ids,
                "tier": "conservative",
                "effective_on": opened_on,
                "reason": "Episode opened: everyone starts with conservative care",
                "clinician_id": clinician,
            }
        )
    ]
    age_days = (np.minimum(last_visit, today64) - opened_on).astype(int)
    to_adjunct = (kind == "stalled") & (age_days > 100) & (rng.random(n) < 0.6)
    tiers.append(
        pd.DataFrame(
            {
                "episode_id": ep_ids[to_adjunct],
                "tier": "adjunct",
                "effective_on": opened_on[to_adjunct] + np.timedelta64(91, "D"),
                "reason": "Stalled after 12 weeks of loading: shockwave added",
                "clinician_id": clinician[to_adjunct],
            }
        )
    )
    to_regen = to_adjunct & (age_days > 190) & (rng.random(n) < 0.5)
    tiers.append(
        pd.DataFrame(
            {
                "episode_id": ep_ids[to_regen],
                "tier": "regenerative",
                "effective_on": opened_on[to_regen] + np.timedelta64(175, "D"),
                "reason": "No meaningful change after adjunct care: PRP planned",
                "clinician_id": clinician[to_regen],
            }
        )
    )
    tier_frame = pd.concat(tiers, ignore_index=True)
    stages = [
        pd.DataFrame(
            {
                "episode_id": ep_ids,
                "stage": 1,
                "effective_on": opened_on,
                "reason": "Episode opened: loading starts at stage 1 (isometrics)",
                "clinician_id": clinician,
            }
        )
    ]
    for stage, week in ((2, 3), (3, 7), (4, 12)):
        step_days = np.where(kind == "improving", week * 7, week * 14)
        # stalled cases reach stage 2 (so the adjunct prompt can follow, CLINICAL.md §9) and go no further
        moves = (age_days >= step_days) & ((kind != "stalled") | (stage == 2))
        stages.append(
            pd.DataFrame(
                {
                    "episode_id": ep_ids[moves],
                    "stage": stage,
                    "effective_on": opened_on[moves] + step_days[moves].astype("timedelta64[D]"),
                    "reason": "Symptoms settled with green/amber sessions: progressed",
                    "clinician_id": clinician[moves],
                }
            )
        )
    stage_frame = pd.concat(stages, ignore_index=True)

    # -- imaging for about one case in five ----------------------------------------------------------
    imaged = rng.random(n) < 0.2
    mri = rng.random(n) < 0.5
    img_eps = ep_ids[imaged]
    mri_sel = mri[imaged]
    mri_type = np.where(mri_sel, rng.choice([1, 2, 3], len(img_eps), p=[0.5, 0.3, 0.2]), -1)
    imaging = pd.DataFrame(
        {
            "episode_id": img_eps,
            "modality": np.where(mri_sel, "mri", "ultrasound"),
            "imaged_on": opened_on[imaged] + rng.integers(0, 30, len(img_eps)).astype("timedelta64[D]"),
            "mri_type": pd.Series(mri_type).where(mri_type >= 0).astype("Int16").to_numpy(),
            "thickening": True,
            "hypoechogenicity": ~mri_sel,
            "neovascularity": (~mri_sel) & (rng.random(len(img_eps)) < 0.3),
            "partial_tear": mri_type == 3,
            "peritendinous_oedema": mri_sel & (rng.random(len(img_eps)) < 0.5),
            "bone_marrow_oedema": mri_type == 2,
            "thickness_mm": np.round(rng.uniform(6, 11, len(img_eps)), 1),
            "report_text": "Thickened proximal hamstring origin. No avulsion. (fictional demo report)",
        }
    )
    imaging["imaged_on"] = np.minimum(imaging["imaged_on"].to_numpy(), today64)

    # red flags are alerts (§6): most of those raised have been referred on; a few are still open
    flagged = assess[assess["rf_rest_night_pain"] | assess["rf_neurological"]]
    still_open = (episodes["status"].to_numpy()[flagged["episode_id"].to_numpy() - 1] == "open") & (
        rng.random(len(flagged)) < 0.5
    )
    neuro = flagged["rf_neurological"].to_numpy()
    alerts = pd.DataFrame(
        {
            "alert_id": np.arange(1, len(flagged) + 1),
            "episode_id": flagged["episode_id"].to_numpy(),
            "kind": np.where(neuro, "neurological", "medical"),
            "detail": np.where(
                neuro, "Pins and needles down the back of the leg", "Pain at rest and at night (Nirschl 6)"
            ),
            "source": "assessment",
            "source_id": flagged["assessment_id"].to_numpy(),
            "raised_on": flagged["assessed_on"].to_numpy(),
            "raised_at": at,
            "raised_by": "demo",
            "status": np.where(still_open, "open", "resolved"),
            "resolution": np.where(still_open, _NULL, "referred"),
            "referred_to": np.where(
                still_open, _NULL, np.where(neuro, "GP for spinal review", "GP for medical review")
            ),
            "referral_urgency": np.where(still_open, _NULL, "within_days"),
            "referral_sent_on": pd.Series(flagged["assessed_on"].to_numpy()).where(~still_open).to_numpy(),
            "resolved_at": np.where(still_open, _NULL, np.array(at, dtype=object)),
            "resolved_by": np.where(still_open, _NULL, "demo"),
        }
    )

    counts = _bulk_insert(db, at, users, patients, episodes, assess, tier_frame, stage_frame, imaging, alerts)
    return counts


def _bulk_insert(db: Database, at, users, patients, episodes, assess, tiers, stages, imaging, alerts) -> dict[str, int]:
    stamp = {"created_at": at, "created_by": "demo", "updated_at": at, "updated_by": "demo"}
    with db.transaction() as cur:
        for name, frame, extra in (
            ("users", users, {}),
            ("patients", patients, stamp),
            ("episodes", episodes, stamp),
            ("assessments", assess, stamp),
            ("tier_changes", tiers, {"recorded_at": at}),
            ("stage_changes", stages, {"recorded_at": at}),
            ("imaging_reports", imaging, {"created_at": at, "created_by": "demo"}),
            ("red_flag_alerts", alerts, {}),
        ):
            bulk.load(cur, name, frame.assign(**extra))
        for key, value in (("clinic_name", "Riverside Physio (DEMO)"), ("is_demo", "true")):
            sql.set_setting(cur, key, value, at, "demo")
        audit.append(
            cur,
            "demo",
            "create",
            "demo_clinic",
            None,
            after={"patients": len(patients), "episodes": len(episodes), "assessments": len(assess)},
        )
    db.checkpoint()
    return {
        "users": len(users),
        "patients": len(patients),
        "episodes": len(episodes),
        "assessments": len(assess),
        "imaging_reports": len(imaging),
    }
