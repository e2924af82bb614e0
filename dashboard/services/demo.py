"""A deterministic, clearly fictional demo clinic that looks like a real hamstring tendinopathy service.

Same seed and day, same clinic. Everything is generated as whole numpy columns (one short loop over the
visit number) and bulk-inserted with one INSERT ... SELECT per table, so 100,000 episodes build in well
under a minute. The cases follow ../shared/CLINICAL.md:

- Episodes (§1): mostly proximal, some distal, a few after surgical repair. Severity sets how long the
  symptoms ran before referral, the baseline, and the time to recovery (mild 6-8 weeks, moderate 3-4
  months, chronic 6 months or longer, with a long tail). A patient's next episode opens only after the
  previous one closed: a recurrence on the same side or the other, or a repair after an avulsion.
- Trajectories: responders (some with a plateau, and flare-ups after a load spike), cases that stall until
  an adjunct or an injection is added, non-responders referred on for a surgical opinion, and patients who
  stop coming. Each pathway has its outcome (§7): VISA-H, the distal functional scale, PHAT after surgery.
- The rules decide (§4, §9): a loading stage moves up only after two weeks of green or amber sessions with
  settled mornings in that stage; a case escalates only when it is stalled, after 12 weeks of conservative
  care and loading stage 2 (regenerative after 6 weeks in adjunct); each escalation is followed by
  treatment sessions with their dose and a safety screen that passes validation (§8).
- Red flags (§6) are coherent (night pain with Nirschl 6-7, an avulsion with a sudden onset and an MRI),
  raised as alerts, routed and resolved; a few raised in the last days are still open.
- People: one culture, one alphabet and a given name that matches the sex; a sport, a meaningful task and
  aggravating activities that fit them. Phone numbers are from the ranges set aside for drama; clinic IDs
  start with DEMO-. Each clinician's open cases make a believable day: a few reviews due today, some
  overdue, most booked ahead.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..domain import safety
from ..domain.model import AGGRAVATING_ACTIVITIES, SHOCKWAVE_PROTOCOL, VISA_H_ITEMS, Role
from ..domain.rules import default_thresholds
from ..storage import audit, bulk
from ..storage import records as sql
from ..storage.db import Database, utc_now
from . import case_state
from .passwords import hash_password

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
CLINICIAN_SHARE = (0.24, 0.21, 0.19, 0.18, 0.18)  # of new episodes, in DEMO_USERS order
CLINIC = (
    ("clinic_name", "Riverside Physio (fictional DEMO clinic)"),
    ("clinic_phone", "0113 496 0000"),  # Ofcom's range set aside for drama: rings nowhere
    ("clinic_address", "4 Mill Lane, Leeds (fictional address)"),
    ("is_demo", "true"),
)


# -- people --------------------------------------------------------------------------------------------
# Each person comes from one culture and is written in one alphabet; the given name matches the sex.
# Family names written "masculine/feminine" take the form of the person's sex.


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Culture:
    code: str
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]

    def family_for(self, female: bool) -> tuple[str, ...]:
        return tuple(f.split("/")[-1 if female else 0] for f in self.family)


CULTURES = (
    Culture(
        "english",
        30,
        _words(
            "Emma Olivia Sophie Grace Hannah Charlotte Lucy Amelia Ella Ruth Claire Rachel Sarah Joanne Helen "
            "Karen Laura Jessica Rebecca Megan Katie Alice Harriet Eleanor Fiona"
        ),
        _words(
            "James Oliver Harry Jack George Thomas Daniel Samuel Matthew Andrew Mark Paul David Richard Stephen "
            "Ben Callum Joseph William Adam Luke Peter Simon Robert Noah"
        ),
        _words(
            "Smith Jones Taylor Brown Wilson Evans Roberts Walker Wright Hughes Green Hall Wood Clarke Reid Abbott "
            "Underwood Quinn Turner Harris Cooper Ward Morris Baker Bennett Campbell Stewart Palmer Lawson Marsh"
        ),
    ),
    Culture(
        "irish",
        6,
        _words("Aoife Siobhán Niamh Clodagh Orla Saoirse Róisín Aisling Ciara Éabha"),
        _words("Cian Tadhg Oisín Seán Ciarán Darragh Eoin Pádraig Conor Rónán"),
        _words("O'Brien Murphy Kelly Byrne Ryan O'Sullivan Walsh Fitzgerald O'Connor Gallagher Doyle McCarthy"),
    ),
    Culture(
        "spanish",
        5,
        _words("Lucía María Carmen Sofía Paula Elena Marta Alba Nerea Inés"),
        _words("Mateo Javier Alejandro Pablo Diego Ángel Tomás Sergio Álvaro Hugo"),
        _words("García Martínez López Castillo Valdés Fernández Romero Navarro Ortega Delgado Morales Ruiz"),
    ),
    Culture(
        "portuguese",
        3,
        _words("Ana Beatriz Mariana Júlia Carolina Leonor Rita Joana"),
        _words("João Pedro Tiago Rafael Gonçalo Duarte Rodrigo Miguel"),
        _words("Silva Santos Oliveira Costa Pereira Ferreira Almeida Carvalho Sousa Ribeiro"),
    ),
    Culture(
        "french",
        5,
        _words("Chloé Léa Camille Manon Élodie Amélie Juliette Margaux Céline Océane"),
        _words("Quentin Lucas Julien Antoine Théo Mathieu Baptiste Étienne Nicolas Rémi"),
        _words("Dubois Moreau Lefèvre Laurent Girard Tremblay Fontaine Mercier Bonnet Rousseau Garnier Chevalier"),
    ),
    Culture(
        "german",
        5,
        _words("Anna Lena Katrin Julia Sabine Franziska Johanna Miriam Anke Greta"),
        _words("Lukas Jonas Felix Matthias Tobias Florian Stefan Jürgen Niklas Maximilian"),
        _words("Müller Schneider Fischer Weber Zeller Becker Hoffmann Schäfer Koch Richter Wagner Schulz"),
    ),
    Culture(
        "nordic",
        4,
        _words("Ingrid Astrid Sigrid Freja Linnea Maja Elsa Karin Hanne Sofie"),
        _words("Bjørn Oskar Erik Lars Magnus Anders Henrik Nils Søren Mikkel"),
        _words("Bergström Lindqvist Eriksen Jensen Hansen Nilsson Johansson Larsen Andersson Halvorsen Sandberg Lund"),
    ),
    Culture(
        "polish",
        6,
        _words("Wiktoria Agnieszka Katarzyna Zofia Magdalena Joanna Aleksandra Ewa Małgorzata Natalia"),
        _words("Piotr Tomasz Krzysztof Jakub Paweł Michał Łukasz Marcin Kamil Wojciech"),
        _words(
            "Kowalski/Kowalska Nowak Wójcik Lewandowski/Lewandowska Zieliński/Zielińska Kamiński/Kamińska "
            "Szymański/Szymańska Woźniak Dąbrowski/Dąbrowska Kozłowski/Kozłowska"
        ),
    ),
    Culture(
        "italian",
        5,
        _words("Giulia Francesca Chiara Sara Alessia Martina Valentina Elisa Federica Giorgia"),
        _words("Marco Luca Giorgio Matteo Alessandro Lorenzo Davide Simone Federico Riccardo"),
        _words("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Conti Gallo"),
    ),
    Culture(  # written in the Greek alphabet
        "greek",
        3,
        _words("Ελένη Μαρία Κατερίνα Σοφία Δήμητρα Γεωργία Βασιλική Ιωάννα Χριστίνα Αναστασία"),
        _words("Γιώργος Νίκος Δημήτρης Κώστας Γιάννης Παναγιώτης Χρήστος Αλέξανδρος Θανάσης Μιχάλης"),
        _words(
            "Παπαδόπουλος/Παπαδοπούλου Παπαδάκης/Παπαδάκη Οικονόμου Γεωργίου Νικολάου Βλάχος/Βλάχου Αντωνίου "
            "Καραγιάννης/Καραγιάννη Μακρής/Μακρή Πετρίδης/Πετρίδου"
        ),
    ),
    Culture(  # written in the Cyrillic alphabet
        "russian",
        3,
        _words("Ольга Анна Татьяна Екатерина Наталья Мария Елена Ирина Светлана Дарья"),
        _words("Дмитрий Иван Алексей Сергей Андрей Михаил Николай Павел Артём Владимир"),
        _words(
            "Смирнов/Смирнова Иванов/Иванова Кузнецов/Кузнецова Попов/Попова Соколов/Соколова Лебедев/Лебедева "
            "Новиков/Новикова Морозов/Морозова Волков/Волкова Павлов/Павлова"
        ),
    ),
    Culture(
        "japanese",
        2,
        _words("Hana Yui Aiko Sakura Haruka Nanami Emi Akiko Rin Misaki"),
        _words("Haruto Kenji Takeshi Ren Hiroshi Daiki Sota Kaito Yuto Shota"),
        _words("Sato Nakamura Suzuki Takahashi Kobayashi Watanabe Ito Yamamoto Kato Yoshida"),
    ),
    Culture(
        "west_african",
        6,
        _words("Chiamaka Ngozi Adaeze Ama Abena Folake Yetunde Efua Chioma Funmilayo"),
        _words("Kwame Chinedu Emeka Kofi Oluwaseun Tunde Kwabena Ikenna Yaw Babatunde"),
        _words("Adeyemi Mensah Okonkwo Boateng Balogun Eze Nwosu Asante Owusu Adebayo"),
    ),
    Culture(
        "south_asian",
        9,
        _words("Priya Ananya Sunita Kavya Anjali Deepa Meera Pooja Shreya Nisha"),
        _words("Arjun Rahul Vikram Sanjay Rohan Amit Karan Nikhil Rajesh Imran"),
        _words("Patel Sharma Singh Gupta Iyer Shah Reddy Nair Kapoor Chopra Mehta Joshi"),
    ),
    Culture(
        "arabic",
        4,
        _words("Farah Layla Yara Nour Mariam Salma Huda Rania Dina Leila"),
        _words("Omar Karim Youssef Khalid Tariq Hassan Sami Rami Ziad Nabil"),
        _words("Haddad Khoury Nasser Mansour Saleh Aziz Hamdan Rahman Farouk Najjar"),
    ),
    Culture(
        "turkish",
        2,
        _words("Elif Zeynep Ayşe Merve Selin Esra Büşra Gizem"),
        _words("Emre Mehmet Burak Mert Kerem Oğuz Serkan Volkan"),
        _words("Yılmaz Demir Kaya Çelik Şahin Aydın Öztürk Arslan Doğan Koç"),
    ),
    Culture(
        "chinese",
        3,
        _words("Xiaoyan Jing Hui Ling Fang Xue Qian Yuxin Jiayi Lihua"),
        _words("Wei Jun Hao Lei Ming Qiang Bo Tao Zhiwei Haoran"),
        _words("Xu Wang Li Zhang Chen Liu Yang Huang Zhao Zhou"),
    ),
)
# people who record their sex as other or not stated get a name used for anyone
UNISEX = _words("Alex Sam Robin Jordan Charlie Jamie Morgan Riley Frankie Kit")
FEMALE_NAMES = frozenset(name for c in CULTURES for name in c.female)
MALE_NAMES = frozenset(name for c in CULTURES for name in c.male)
SEXES = ("female", "male", "other", "not_stated")
SEX_SHARE = (0.52, 0.45, 0.015, 0.015)


# -- sports, meaningful tasks, aggravating activities --------------------------------------------------


@dataclass(frozen=True)
class Sport:
    name: str | None  # None: no sport; daily life
    weights: tuple[float, float, float]  # how common, by age: under 30, 30-49, 50 and over
    women: float  # share of women among those who do it
    tasks: tuple[str, ...]  # the meaningful task scored at each visit (proximal)
    distal_tasks: tuple[str, ...]  # the same for a distal case (never sitting)
    psfs: tuple[str, str, str]  # the distal functional scale's three activities
    aggravating: tuple[str, ...]  # besides sitting, most typical first (proximal)
    distal_aggravating: tuple[str, ...]  # behind the knee: never sitting or driving
    spikes: tuple[str, ...]  # load spikes that bring on a flare-up


SPORTS = (
    Sport(
        "Running",
        (20, 22, 10),
        0.55,
        ("Running 5 km", "Running 10 km at an easy pace", "A parkrun", "Running hills"),
        ("Running 5 km", "Running downhill", "Strides at the end of a run"),
        ("Running 5 km", "Running downhill", "Climbing stairs two at a time"),
        ("running", "hills", "stretching"),
        ("running", "hills"),
        ("a half-marathon race", "a sudden jump in weekly mileage", "a hilly trail run", "speed work on the track"),
    ),
    Sport(
        "Sprinting",
        (8, 1, 0),
        0.45,
        ("Sprinting 60 m at full pace", "Block starts"),
        ("Sprinting 60 m at full pace", "Flying 30 m sprints"),
        ("Sprinting at full pace", "Bounding", "Jogging"),
        ("sprinting", "running", "stretching"),
        ("sprinting", "running"),
        ("a first session of maximal sprints", "a competition with three rounds", "block starts on a cold day"),
    ),
    Sport(
        "Football",
        (16, 6, 1),
        0.25,
        ("Sprinting for the ball in a match", "Striking a long pass", "A full 90-minute match"),
        ("Sprinting for the ball in a match", "Striking a long pass"),
        ("Sprinting", "Kicking a ball", "Changing direction at speed"),
        ("sprinting", "running", "stretching"),
        ("sprinting", "running", "lunging"),
        ("two matches in three days", "a pre-season fitness session", "extra sprint drills"),
    ),
    Sport(
        "Rugby",
        (6, 2, 0),
        0.2,
        ("Sprinting at training", "A full match"),
        ("Sprinting at training", "A full match"),
        ("Sprinting", "Accelerating from a standstill", "Scrummaging"),
        ("sprinting", "running"),
        ("sprinting", "running"),
        ("a pre-season conditioning session", "a full match after a layoff"),
    ),
    Sport(
        "Hockey",
        (4, 2, 0.5),
        0.6,
        ("Playing a full hockey match", "Running low with the stick"),
        ("Playing a full hockey match", "Running low with the stick"),
        ("Running low with the stick", "Sprinting", "Lunging for the ball"),
        ("running", "lunging", "sprinting"),
        ("running", "lunging", "sprinting"),
        ("a weekend tournament", "extra drag-flick practice"),
    ),
    Sport(
        "Hurdles",
        (3, 0.5, 0),
        0.5,
        ("Hurdle drills at race pace", "Lead-leg drills over hurdles"),
        ("Hurdle drills at race pace",),
        ("Hurdling", "Sprinting", "Lead-leg drills"),
        ("sprinting", "stretching", "running"),
        ("sprinting", "running"),
        ("a session of race-height hurdles", "a competition weekend"),
    ),
    Sport(
        "Dance",
        (5, 2, 0.5),
        0.85,
        ("High kicks in dance class", "Holding an arabesque on the affected leg", "A full rehearsal"),
        ("A full rehearsal", "Jumps in dance class"),
        ("Jumps in dance class", "Deep pliés", "Kneeling on the floor"),
        ("stretching", "lunging"),
        ("lunging", "stretching"),
        ("an extra week of rehearsals", "a performance weekend", "new choreography with splits"),
    ),
    Sport(
        "Yoga",
        (3, 5, 4),
        0.8,
        ("A forward fold in yoga class", "A 60-minute yoga class"),
        ("A 60-minute yoga class",),
        ("Deep squats", "Kneeling", "Forward folds"),
        ("stretching", "lunging"),
        ("stretching", "lunging"),
        ("a hot yoga weekend", "an intensive stretching class"),
    ),
    Sport(
        "Cycling",
        (2, 6, 6),
        0.35,
        ("Sitting on the saddle for a 40 km ride", "Climbing out of the saddle"),
        ("A 40 km ride", "Climbing out of the saddle"),
        ("Cycling uphill", "Climbing stairs", "Getting up from a squat"),
        ("hills", "driving"),
        ("hills", "lunging"),
        ("a 100 km sportive", "a week of hilly rides"),
    ),
    Sport(
        "Triathlon",
        (2, 5, 1),
        0.4,
        ("Running off the bike", "A sprint triathlon"),
        ("Running off the bike",),
        ("Running off the bike", "Running 10 km", "Climbing stairs"),
        ("running", "hills"),
        ("running", "hills"),
        ("a brick session", "a race at the weekend"),
    ),
    Sport(
        "Tennis",
        (2, 4, 4),
        0.45,
        ("Lunging for a wide ball", "Two sets of tennis"),
        ("Lunging for a wide ball", "Two sets of tennis"),
        ("Lunging for a wide ball", "Sprinting to the net", "Climbing stairs"),
        ("lunging", "sprinting", "running"),
        ("lunging", "sprinting"),
        ("a club tournament", "three matches in a weekend"),
    ),
    Sport(
        "Weight training",
        (5, 4, 1),
        0.3,
        ("Romanian deadlifts at the gym", "Heavy back squats"),
        ("Heavy back squats", "Leg curls at the gym"),
        ("Leg curls", "Deep squats", "Lunges"),
        ("lunging", "stretching"),
        ("lunging", "stretching"),
        ("a new heavy deadlift programme", "a one-rep-max test"),
    ),
    Sport(
        "Walking",
        (1, 4, 14),
        0.6,
        ("Walking 5 km with hills", "A two-hour country walk"),
        ("Walking 5 km with hills", "Walking downhill"),
        ("Walking uphill", "Climbing stairs", "Kneeling in the garden"),
        ("hills", "driving"),
        ("hills", "lunging"),
        ("a long hill walk on holiday", "a charity walk of 20 km"),
    ),
    Sport(
        "Golf",
        (0.5, 2, 6),
        0.3,
        ("Playing 18 holes", "Bending to tee up the ball"),
        ("Playing 18 holes", "Walking the course"),
        ("Walking 18 holes", "Bending to tee up", "Climbing stairs"),
        ("driving", "hills"),
        ("hills",),
        ("36 holes in one weekend", "a golf holiday"),
    ),
    Sport(
        None,
        (8, 12, 14),
        0.55,
        ("Sitting through a working day", "Driving for an hour", "Walking the dog for 30 minutes"),
        ("Walking the dog for 30 minutes", "Climbing stairs at work", "Kneeling in the garden"),
        ("Climbing stairs", "Kneeling in the garden", "Walking 30 minutes"),
        ("driving", "stretching"),
        ("hills", "lunging"),
        ("a long drive to visit family", "a day moving house", "a long-haul flight"),
    ),
)
POST_OP_TASKS = ("Walking 30 minutes", "Climbing stairs", "Getting in and out of the car", "Sitting for an hour")
ACTIVITY_CODES = tuple(AGGRAVATING_ACTIVITIES)  # the form's order: stored lists follow it
# every set of aggravating activities (a bit mask over ACTIVITY_CODES) as the form stores it
_AGGRAVATING_TEXT = np.array(
    [",".join(c for i, c in enumerate(ACTIVITY_CODES) if m >> i & 1) or None for m in range(1 << len(ACTIVITY_CODES))],
    dtype=object,
)

# -- trajectories, pathways, red flags -----------------------------------------------------------------

VISA_MAX = np.array([item.maximum for item in VISA_H_ITEMS])
VISA_7 = np.array(VISA_H_ITEMS[6].allowed)  # the activity-level item takes one of four values
EPOCH = np.datetime64("1970-01-01", "D")
MAX_VISITS = 34  # an episode's visits (weekly at first, then less often): about 95 weeks of care at most
WINDOW_DAYS = 728  # episodes open over the last two years
PROXIMAL, DISTAL, POST_OP = 0, 1, 2
MILD, MODERATE, CHRONIC = 0, 1, 2
SEVERITIES = ("mild", "moderate", "chronic")
REGIONS = ("proximal", "distal_medial", "distal_lateral")
SIDES = ("left", "right", "bilateral")
# how a case goes
RESPONDER, LATE_ADJUNCT, LATE_REGENERATIVE, NON_RESPONDER, STOPPED, AFTER_REPAIR, REFERRED_AT_FLAG = range(7)
TRAJECTORY_SHARE = {  # by severity: responder, better after adjunct, after an injection, none, stopped coming
    MILD: (0.88, 0.03, 0.0, 0.03, 0.06),
    MODERATE: (0.71, 0.11, 0.04, 0.06, 0.08),
    CHRONIC: (0.50, 0.19, 0.10, 0.13, 0.08),
}
RECOVERY_WEEKS = {MILD: (5.9, 0.14), MODERATE: (13.3, 0.2), CHRONIC: (29.5, 0.25)}  # median, log spread
# red flags (§6): none, night pain (Nirschl 6-7), systemic, neurological, avulsion, fracture, cauda equina
NO_FLAG, NIGHT, SYSTEMIC, NEURO, AVULSION, FRACTURE, CAUDA = range(7)
FLAG_SHARE = (0.964, 0.012, 0.003, 0.010, 0.007, 0.003, 0.001)
FLAG_ALERT_KIND = ("", "medical", "medical", "neurological", "avulsion", "fracture", "cauda_equina")
FLAG_COLUMN = (
    "",
    "rf_rest_night_pain",
    "rf_systemic",
    "rf_neurological",
    "rf_avulsion_signs",
    "rf_fracture",
    "rf_cauda_equina",
)
FLAG_LABEL = (  # as the assessment form raises it (model.RED_FLAGS)
    "",
    "Pain at complete rest or at night (Nirschl 6-7)",
    "Fever, unexplained weight loss, feeling unwell, or a history of cancer",
    "Neurological signs: pins and needles, weakness, foot drop",
    "Suspected avulsion: sudden pop with forced hip flexion and straight knee, large bruise or palpable gap",
    "Suspected stress or avulsion fracture (bony tenderness, adolescent apophysis)",
    "Saddle numbness, new bladder or bowel change",
)
FLAG_ACTION = (
    "",
    "Night pain waking the patient; no fever. GP asked for a medical review within days; loading held.",
    "Weight loss of 6 kg in three months without trying. GP asked for a medical review within days.",
    "Pins and needles down the calf and weak toe lifting. GP asked for a spinal review; loading held.",
    "Felt a pop during forced hip flexion with the knee straight; large bruise. Urgent MRI and orthopaedic "
    "opinion requested today.",
    "Bony tenderness at the sit bone after a sprint start. X-ray requested; sports physician within a week.",
    "New saddle numbness since yesterday. Sent to the emergency department now; patient left by taxi.",
)
FLAG_ROUTE = (  # referred to, urgency (§6)
    ("", ""),
    ("GP for medical review (exclude infection or tumour)", "within_days"),
    ("GP for medical review (weight loss)", "within_days"),
    ("GP for spinal review", "within_days"),
    ("Urgent MRI and orthopaedic surgical opinion", "within_days"),
    ("Sports physician (X-ray requested)", "within_a_week"),
    ("Emergency department", "same_hour"),
)
FLAG_RULED_OUT = (
    "",
    "Night pain came from lying on the sore side; no fever, weight loss or cancer history. Gone with a pillow "
    "between the knees; not present at review.",
    "Weight loss explained by a planned diet; GP not needed.",
    "Pins and needles gone by the review; normal reflexes, power and sensation. Lumbar referral ruled out.",
    "",
    "",
    "",
)
REFERRED_ON_TO = (
    "Orthopaedic surgeon (surgical opinion)",
    "Sports and exercise medicine physician",
    "Pain management service",
)
PROXIMAL_TESTS = (  # code, how often it reproduces the pain at the first visit (sensitivity, §2), retested
    ("puranen_orava", 0.76, False),
    ("bent_knee", 0.84, False),
    ("modified_bent_knee", 0.89, True),
    ("arabesque", 0.75, True),
    ("bridge", 0.70, True),
)
DISTAL_TEST_RATES = (("resisted_flexion_extended", 0.80, True), ("resisted_flexion_90", 0.65, True))
INJECTORS = ("Dr Helen Marsh (sports physician)", "Dr Tomás Reyes (radiologist)", "Dr Kofi Asante (sports physician)")


def _choice(rng: np.random.Generator, options, size: int, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size, p=p)]


def _norm(p) -> np.ndarray:
    p = np.asarray(p, dtype="float64")
    return p / p.sum()


def _ints(values, mask=None, dtype: str = "Int16") -> np.ndarray:
    """A nullable integer column: ``values`` where ``mask`` (and not NaN), else NULL."""
    series = pd.Series(np.asarray(values, dtype="float64"))
    if mask is not None:
        series = series.where(np.asarray(mask, dtype=bool))
    return series.round().astype(dtype).to_numpy()


_NULL = np.array(None, dtype=object)  # "no value" for np.where, typed so the numpy stubs accept it


def _where(mask, values) -> np.ndarray:
    """``values`` where ``mask``, else NULL (an object column)."""
    return np.where(np.asarray(mask, dtype=bool), np.asarray(values, dtype=object), _NULL)


def _dates(days) -> np.ndarray:
    return (EPOCH + np.asarray(days, dtype="int64").astype("timedelta64[D]")).astype("datetime64[D]")


# -- the generator -------------------------------------------------------------------------------------


class _Clinic:
    """Plans episodes and their visit schedules, then plays each visit through the rules."""

    def __init__(self, rng: np.random.Generator, cases: int, today: date, at: datetime) -> None:
        self.rng = rng
        self.cases = cases
        self.today = int((np.datetime64(today, "D") - EPOCH).astype("int64"))
        self.at = np.datetime64(at, "s") - np.timedelta64(60, "s")  # no record is stamped later than now
        self.t = default_thresholds()
        self.clinician_ids = np.array([i + 1 for i, u in enumerate(DEMO_USERS) if u[2] == Role.CLINICIAN])
        self.usernames = np.array([""] + [u[0] for u in DEMO_USERS], dtype=object)  # by user id
        self.patients: list[dict[str, np.ndarray]] = []
        self.n_patients = 0

    # -- planning ------------------------------------------------------------------------------------

    def plan(self) -> dict[str, np.ndarray]:
        n = self.cases
        first = self._new_episodes(max(1, n - round(0.1 * n)), force_flags=True)
        groups = [first]
        repairs = self._repairs(first, n - len(first["opened"]))
        groups.append(repairs)
        taken = len(first["opened"]) + len(repairs["opened"])
        recurrences = self._recurrences(first, n - taken)
        groups.append(recurrences)
        taken += len(recurrences["opened"])
        if taken < n:
            groups.append(self._new_episodes(n - taken, force_flags=False))
        keys = first.keys()
        return {key: np.concatenate([g[key] for g in groups]) for key in keys}

    def _new_patients(self, k: int, age: np.ndarray, opened: np.ndarray) -> np.ndarray:
        rng = self.rng
        sex = rng.choice(len(SEXES), k, p=SEX_SHARE)
        culture = rng.choice(len(CULTURES), k, p=_norm([c.weight for c in CULTURES]))
        anyone = sex >= 2
        culture[anyone] = 0
        given = np.empty(k, dtype=object)
        family = np.empty(k, dtype=object)
        for i, c in enumerate(CULTURES):
            for s, names in ((0, c.female), (1, c.male)):
                mask = (culture == i) & (sex == s)
                given[mask] = _choice(rng, names, int(mask.sum()))
                family[mask] = _choice(rng, c.family_for(s == 0), int(mask.sum()))
        given[anyone] = _choice(rng, UNISEX, int(anyone.sum()))
        family[anyone] = _choice(rng, CULTURES[0].family_for(False), int(anyone.sum()))
        birth = opened - np.round(age * 365.25).astype("int64") - rng.integers(0, 180, k)
        ids = self.n_patients + np.arange(k)
        self.patients.append({"index": ids, "sex": sex, "given": given, "family": family, "birth": birth})
        self.n_patients += k
        return ids

    def _sports(self, age: np.ndarray, female: np.ndarray) -> np.ndarray:
        rng = self.rng
        band = np.digitize(age, [30, 50])
        sport = np.zeros(len(age), dtype="int64")
        for b in range(3):
            for fem in (False, True):
                mask = (band == b) & (female == fem)
                w = [s.weights[b] * (s.women if fem else 1 - s.women) for s in SPORTS]
                sport[mask] = rng.choice(len(SPORTS), int(mask.sum()), p=_norm(w))
        return sport

    def _new_episodes(self, k: int, *, force_flags: bool) -> dict[str, np.ndarray]:
        rng = self.rng
        E: dict[str, np.ndarray] = {}
        opened = self.today - rng.integers(0, WINDOW_DAYS, k)
        flag = rng.choice(len(FLAG_SHARE), k, p=_norm(FLAG_SHARE))
        post_op = (rng.random(k) < 0.015) & (flag == NO_FLAG)
        fresh = np.zeros(k, dtype=bool)
        waiting = np.zeros(k, dtype=bool)
        showcase: list[tuple[np.ndarray, np.ndarray]] = []
        if force_flags:
            # whatever the size, the clinic shows each situation: red flags raised in the last days and still
            # open (§6), an avulsion seen this week (its surgical window running) and one repaired earlier, and
            # rehabilitation after a repair under way (§7)
            quiet = np.nonzero((flag == NO_FLAG) & ~post_op)[0]
            m = min(max(2, round(0.003 * k)), len(quiet) // 20)
            few = min(2, k // 50)
            picks = rng.choice(quiet, m + 3 * few + (few > 0), replace=False)
            chosen, avulsed, repaired = picks[:m], picks[m : m + few], picks[m + few : m + 2 * few]
            waiting[picks[m + 2 * few :]] = True
            flag[chosen] = np.where(np.arange(m) % 2 == 0, NIGHT, NEURO)
            opened[chosen] = self.today - rng.integers(0, 3, m)
            fresh[chosen] = True
            flag[avulsed] = AVULSION
            opened[avulsed] = self.today - np.where(
                np.arange(few) == 0, rng.integers(0, 2, few), rng.integers(60, 300, few)
            )
            post_op[repaired] = True
            opened[repaired] = self.today - rng.integers(14, 120, few)
            # and chronic cases not changing with loading: one 8-11 weeks in, the others stalled after 12 weeks,
            # the adjunct not yet agreed (§9)
            slow = picks[m + 2 * few :]
            opened[slow] = self.today - np.where(
                np.arange(len(slow)) == len(slow) - 1, rng.integers(58, 78, len(slow)), rng.integers(95, 140, len(slow))
            )
            # the first of each goes to the first clinician listed on the sign-in page, then round the others
            showcase = [
                (group, np.arange(len(group)) % len(self.clinician_ids)) for group in (chosen, avulsed, repaired, slow)
            ]
        region = rng.choice(3, k, p=[0.86, 0.07, 0.07])
        region[post_op | np.isin(flag, (AVULSION, FRACTURE))] = 0
        side = rng.choice(3, k, p=[0.47, 0.45, 0.08])
        side = np.where((region > 0) & (side == 2) & (rng.random(k) < 0.7), rng.integers(0, 2, k), side)
        side = np.where(np.isin(flag, (AVULSION, FRACTURE)) & (side == 2), rng.integers(0, 2, k), side)
        severity = np.where(waiting, CHRONIC, rng.choice(3, k, p=[0.30, 0.45, 0.25]))
        age = np.where(region == 0, np.clip(rng.normal(41, 11, k), 18, 76), np.clip(rng.normal(33, 9, k), 18, 62))
        injured = post_op | (flag == AVULSION)
        age = np.where(injured, np.clip(rng.normal(45, 11, k), 22, 70), age)
        teen = (flag == FRACTURE) & (rng.random(k) < 0.7)  # an adolescent's apophysis
        age = np.where(teen, rng.uniform(16.1, 17.9, k), age)
        patient = self._new_patients(k, age, opened)
        sex = self.patients[-1]["sex"]
        E["patient"] = patient
        E["sport"] = self._sports(age, sex == 0)
        E["opened"] = opened
        E["region"] = region
        E["side"] = side
        E["severity"] = np.where(post_op, CHRONIC, np.where(np.isin(flag, (AVULSION, FRACTURE)), MODERATE, severity))
        E["post_op"] = post_op
        E["flag"] = flag
        E["fresh"] = fresh
        E["waiting"] = waiting
        E["age"] = age
        E["recurrence"] = np.zeros(k, dtype=bool)
        E["clinician"] = self.clinician_ids[rng.choice(len(self.clinician_ids), k, p=_norm(CLINICIAN_SHARE))]
        for group, turn in showcase:
            E["clinician"][group] = self.clinician_ids[turn]
        # an injury (avulsion, fracture, the avulsion a repair followed) has a date; tendinopathy builds up
        injury_days = np.where(flag == AVULSION, rng.integers(2, 11, k), rng.integers(3, 15, k))
        surgery = np.where(post_op, opened - rng.integers(10, 21, k), -1)
        E["surgery"] = surgery
        E["onset"] = np.where(
            post_op,
            surgery - rng.integers(7, 26, k),
            np.where(
                np.isin(flag, (AVULSION, FRACTURE)),
                opened - injury_days,
                opened - self._symptom_days(E["severity"]),
            ),
        )
        E["sudden"] = injured | (flag == FRACTURE) | (rng.random(k) < 0.08)
        E["referral"] = np.where(
            post_op,
            "Orthopaedics",
            np.where(
                np.isin(flag, (AVULSION, FRACTURE)),
                "Emergency department",
                _choice(
                    rng,
                    ["GP", "Self-referral", "Sports physician", "Club physio", None],
                    k,
                    [0.42, 0.3, 0.1, 0.1, 0.08],
                ),
            ),
        )
        self._trajectories(E)
        return E

    def _symptom_days(self, severity: np.ndarray) -> np.ndarray:
        """How long the symptoms ran before the referral: weeks when mild, months when chronic (§1)."""
        rng = self.rng
        k = len(severity)
        weeks = np.select(
            [severity == MILD, severity == MODERATE],
            [rng.uniform(1, 6, k), np.clip(rng.lognormal(np.log(9), 0.4, k), 4, 26)],
            np.clip(rng.lognormal(np.log(40), 0.5, k), 13, 156),
        )
        return np.round(weeks * 7).astype("int64")

    def _trajectories(self, E: dict[str, np.ndarray]) -> None:
        """How each case goes, and when it ends (weeks from opening), before any visit is played."""
        rng = self.rng
        k = len(E["opened"])
        sev, flag, post_op = E["severity"], E["flag"], E["post_op"]
        kind = np.zeros(k, dtype="int64")
        for s, share in TRAJECTORY_SHARE.items():
            mask = sev == s
            kind[mask] = rng.choice(5, int(mask.sum()), p=_norm(share))
        median = np.select([sev == MILD, sev == MODERATE], [RECOVERY_WEEKS[MILD][0], RECOVERY_WEEKS[MODERATE][0]])
        median = np.where(sev == CHRONIC, RECOVERY_WEEKS[CHRONIC][0], median)
        spread = np.where(sev == MILD, RECOVERY_WEEKS[MILD][1], RECOVERY_WEEKS[MODERATE][1])
        spread = np.where(sev == CHRONIC, RECOVERY_WEEKS[CHRONIC][1], spread)
        recovery = np.clip(median * np.exp(rng.normal(0, 1, k) * spread), 4, 58)
        plateau = (rng.random(k) < 0.25) & (kind == RESPONDER)
        plateau_len = np.where(plateau, rng.uniform(3, 8, k), 0.0)
        plateau_start = np.where(plateau, rng.uniform(0.25, 0.6, k) * recovery, 1e9)
        adjunct_week = np.clip(12 + rng.gamma(2.0, 2.5, k), 12, 34)
        regen_week = np.maximum(adjunct_week + 6, 18) + rng.gamma(1.5, 2.0, k)
        after = np.clip(rng.lognormal(np.log(12), 0.3, k), 6, 30)
        end = np.select(
            [kind == RESPONDER, kind == LATE_ADJUNCT, kind == LATE_REGENERATIVE, kind == NON_RESPONDER],
            [recovery + plateau_len, adjunct_week + after, regen_week + after, rng.uniform(24, 46, k)],
            recovery * rng.uniform(0.25, 0.8, k),  # stopped coming
        )
        waiting = E["waiting"]  # stalled, the adjunct not yet agreed: it comes later
        kind = np.where(waiting, LATE_ADJUNCT, kind)
        adjunct_week = np.where(waiting, 30 + rng.uniform(0, 4, k), adjunct_week)
        end = np.where(waiting, adjunct_week + after, end)
        kind = np.where(post_op, AFTER_REPAIR, kind)
        end = np.where(post_op, rng.uniform(24, 36, k), end)
        # red flags: the visit that raises it; some end the episode there (referred on)
        flag_k = np.where(rng.random(k) < 0.4, 0, rng.integers(1, 5, k))
        acute = np.isin(flag, (AVULSION, FRACTURE))
        neuro_on = (flag == NEURO) & (rng.random(k) < 0.4)
        fresh = E["fresh"]
        flag_k = np.where(acute | fresh, 0, np.where(flag == CAUDA, rng.integers(1, 5, k), flag_k))
        referred = acute | (neuro_on & ~fresh) | (flag == CAUDA)
        kind = np.where(referred, REFERRED_AT_FLAG, kind)
        end = np.where(referred, 40.0, np.clip(end, 2, 62))
        E["kind"] = kind
        E["end"] = end
        E["flag_k"] = np.where(flag == NO_FLAG, -1, flag_k)
        E["watch"] = np.isin(flag, (NIGHT, SYSTEMIC, NEURO)) & ~referred & ~fresh & (rng.random(k) < 0.35)
        # response: responders from the start, late ones from their escalation
        E["recovery"] = np.where(np.isin(kind, (RESPONDER, STOPPED)), recovery, after)
        E["recovery"] = np.where(post_op, end, np.where(referred, 30.0, E["recovery"]))
        E["plateau_start"] = plateau_start
        E["plateau_len"] = plateau_len
        E["adjunct_week"] = adjunct_week
        E["regen_week"] = regen_week
        self._schedule(E)

    def _schedule(self, E: dict[str, np.ndarray]) -> None:
        """Visit days from opening (weekly for three weeks, then about every 12, 18 and 25 days), the last
        visit, and the closing date (past ones close the episode)."""
        rng = self.rng
        k = len(E["opened"])
        off = np.zeros((k, MAX_VISITS), dtype="int64")
        for v in range(1, MAX_VISITS):
            weeks = off[:, v - 1] / 7
            step = np.select([weeks < 2.5, weeks < 11.5, weeks < 25.5], [7, 12, 18], 25)
            jitter = np.where(step == 7, rng.integers(0, 2, k), rng.integers(-3, 4, k) + (step > 12))
            off[:, v] = off[:, v - 1] + step + jitter
        weeks = off / 7
        end, kind = E["end"], E["kind"]
        nearest = np.argmin(np.abs(weeks - end[:, None]), axis=1)
        first_after = np.argmax(weeks >= end[:, None], axis=1)
        before = np.maximum((weeks < end[:, None]).sum(axis=1) - 1, 0)
        last = np.select(
            [kind == NON_RESPONDER, kind == STOPPED, kind == REFERRED_AT_FLAG],
            [first_after, before, np.maximum(E["flag_k"], 0)],
            np.maximum(nearest, 1),
        )
        last = np.clip(last, 0, MAX_VISITS - 1)
        last_day = E["opened"] + off[np.arange(k), last]
        flag = E["flag"]
        after_close = np.select(
            [
                kind == STOPPED,
                kind == NON_RESPONDER,
                (kind == REFERRED_AT_FLAG) & (flag == AVULSION),
                (kind == REFERRED_AT_FLAG) & (flag == FRACTURE),
                kind == REFERRED_AT_FLAG,
            ],
            [rng.integers(42, 64, k), rng.integers(0, 8, k), rng.integers(2, 6, k), rng.integers(1, 8, k), 0],
            np.where(rng.random(k) < 0.75, 0, rng.integers(7, 15, k)),
        )
        closes = last_day + after_close
        E["off"] = off
        E["last"] = last
        E["closes"] = closes
        E["closed"] = closes <= self.today
        # a red flag is raised at a visit the episode has (never at a discharge visit)
        flag_k = E["flag_k"]
        routine = kind != REFERRED_AT_FLAG
        E["flag_k"] = np.where(routine & (flag_k >= last), np.where(last >= 1, last - 1, -1), flag_k)
        E["flag"] = np.where(E["flag_k"] < 0, NO_FLAG, flag)

    def _follow_ons(self, parents: np.ndarray, P: dict[str, np.ndarray], opened: np.ndarray) -> dict[str, np.ndarray]:
        """Episodes of earlier patients (the fields a new episode inherits)."""
        rng = self.rng
        k = len(parents)
        E = {
            "patient": P["patient"][parents],
            "sport": P["sport"][parents],
            "opened": opened,
            "age": P["age"][parents] + (opened - P["opened"][parents]) / 365.25,
            "clinician": np.where(
                rng.random(k) < 0.75,
                P["clinician"][parents],
                self.clinician_ids[rng.integers(0, len(self.clinician_ids), k)],
            ),
        }
        return E

    def _repairs(self, P: dict[str, np.ndarray], room: int) -> dict[str, np.ndarray]:
        """After an avulsion referred for surgery: the repair, then rehabilitation here (§7)."""
        rng = self.rng
        avulsed = np.nonzero((P["flag"] == AVULSION) & P["closed"])[0]
        surgery = P["onset"][avulsed] + rng.integers(10, 26, len(avulsed))
        opened = surgery + rng.integers(10, 21, len(avulsed))
        keep = (opened <= self.today) & (rng.random(len(avulsed)) < 0.75)
        parents, surgery, opened = (
            avulsed[keep][: max(room, 0)],
            surgery[keep][: max(room, 0)],
            opened[keep][: max(room, 0)],
        )
        k = len(parents)
        E = self._follow_ons(parents, P, opened)
        E.update(
            region=np.zeros(k, dtype="int64"),
            side=P["side"][parents],
            severity=np.full(k, CHRONIC),
            post_op=np.ones(k, dtype=bool),
            flag=np.zeros(k, dtype="int64"),
            fresh=np.zeros(k, dtype=bool),
            waiting=np.zeros(k, dtype=bool),
            recurrence=np.zeros(k, dtype=bool),
            surgery=surgery,
            onset=P["onset"][parents],
            sudden=np.ones(k, dtype=bool),
            referral=np.full(k, "Orthopaedics", dtype=object),
        )
        self._trajectories(E)
        return E

    def _recurrences(self, P: dict[str, np.ndarray], room: int) -> dict[str, np.ndarray]:
        """A new episode of a discharged patient: the same side again or the other side, opened only after
        the previous episode closed (never two open episodes on one side)."""
        rng = self.rng
        done = np.nonzero(P["closed"] & (P["closes"] <= self.today - 56) & ~P["post_op"] & (P["flag"] == NO_FLAG))[0]
        parents = np.sort(rng.permutation(done)[: max(room, 0)])
        k = len(parents)
        gap = P["closes"][parents] + rng.integers(42, 400, k)
        opened = np.minimum(gap, self.today - rng.integers(1, 30, k))
        opened = np.maximum(opened, P["closes"][parents] + 1)
        E = self._follow_ons(parents, P, opened)
        same = rng.random(k) < 0.55
        parent_side = P["side"][parents]
        other = np.where(parent_side == 0, 1, np.where(parent_side == 1, 0, rng.integers(0, 2, k)))
        region = np.where(rng.random(k) < 0.9, P["region"][parents], 0)
        flag = rng.choice(len(FLAG_SHARE), k, p=_norm(FLAG_SHARE))
        flag = np.where(np.isin(flag, (NIGHT, NEURO)), flag, NO_FLAG)
        severity = rng.choice(3, k, p=[0.2, 0.45, 0.35])
        E.update(
            region=region,
            side=np.where(same, parent_side, other),
            severity=severity,
            post_op=np.zeros(k, dtype=bool),
            flag=flag,
            fresh=np.zeros(k, dtype=bool),
            waiting=np.zeros(k, dtype=bool),
            recurrence=np.ones(k, dtype=bool),
            surgery=np.full(k, -1),
            onset=opened - self._symptom_days(severity),
            sudden=rng.random(k) < 0.08,
            referral=_choice(rng, ["GP", "Self-referral", "Sports physician", None], k, [0.3, 0.55, 0.1, 0.05]),
        )
        E["onset"] = np.maximum(E["onset"], P["closes"][parents] + 1)  # the symptoms came back after discharge
        self._trajectories(E)
        return E

    # -- the day the clinic is seen --------------------------------------------------------------------

    def book(self, E: dict[str, np.ndarray]) -> None:
        """How many visits each episode has had by today, and the review booked at the latest one: most
        open cases are booked ahead; some are due today, a few a day or two late, and some overdue (a
        missed appointment, or a patient who stopped coming)."""
        rng = self.rng
        n = len(E["opened"])
        today = self.today
        visit_days = E["opened"][:, None] + E["off"]
        cutoff = np.full(n, today)
        open_ = ~E["closed"]
        due = np.zeros(n, dtype="int64")  # 0 booked ahead, 1 due today, 2 due in the last week, 3 overdue
        n_open = int(open_.sum())
        # patients who stopped coming and are not closed yet are overdue already
        last_planned = visit_days[np.arange(n), E["last"]]
        nxt = visit_days[np.arange(n), np.minimum(E["last"] + 1, MAX_VISITS - 1)]
        stopped = open_ & (E["kind"] == STOPPED) & (last_planned <= today)
        late_already = int((stopped & (nxt < today - 7)).sum())
        settled = open_ & ~stopped & (E["flag"] == NO_FLAG) & (E["opened"] <= today - 60)
        pool = rng.permutation(np.nonzero(settled)[0])
        n_today = min(round(0.12 * n_open), len(pool))
        n_week = min(round(0.04 * n_open), len(pool) - n_today)
        n_over = min(max(0, round(0.08 * n_open) - late_already), len(pool) - n_today - n_week)
        due[pool[:n_today]] = 1
        due[pool[n_today : n_today + n_week]] = 2
        due[pool[n_today + n_week : n_today + n_week + n_over]] = 3
        cutoff = np.select(
            [due == 1, due == 2, due == 3], [today - 1, today - 8, today - 22 - rng.integers(0, 29, n)], cutoff
        )
        planned = E["last"] + 1
        happened = (visit_days <= cutoff[:, None]).sum(axis=1)
        n_vis = np.where(E["closed"], planned, np.minimum(planned, happened))
        n_vis = np.maximum(n_vis, 1)
        E["n_vis"] = n_vis
        E["due"] = due
        E["cutoff"] = np.where(E["closed"], E["closes"], cutoff)
        # the review booked at the latest visit of an open case
        last_day = visit_days[np.arange(n), n_vis - 1]
        booked = np.where(
            n_vis < MAX_VISITS, visit_days[np.arange(n), np.minimum(n_vis, MAX_VISITS - 1)], last_day + 28
        )
        since = today - last_day
        booked = np.where((due == 1) & (since >= 7) & (since <= 35), today, booked)
        booked = np.where(due == 2, np.maximum(last_day + 7, today - rng.integers(1, 8, n)), booked)
        booked = np.where(
            due == 3, np.maximum(last_day + 7, np.minimum(booked, today - 8 - rng.integers(0, 7, n))), booked
        )
        E["booked"] = booked

    # -- the visits, played through the rules ------------------------------------------------------------

    def play(self, E: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each visit in turn for every episode: outcome, pain, the session's traffic light, and what the
        clinician did by the rules (§9): progress the loading stage, escalate a stalled case, or not."""
        rng, t_ = self.rng, self.t
        n = len(E["opened"])
        kind, flag, post_op = E["kind"], E["flag"], E["post_op"]
        path = np.where(post_op, POST_OP, np.where(E["region"] > 0, DISTAL, PROXIMAL))
        sev = E["severity"]
        acute = np.isin(flag, (AVULSION, FRACTURE))
        E["path"] = path
        visa_base = np.clip(rng.normal(np.select([sev == MILD, sev == MODERATE], [59, 51], 44), 7), 22, 75)
        visa_base = np.where(
            flag == AVULSION, rng.uniform(12, 30, n), np.where(flag == FRACTURE, rng.uniform(25, 45, n), visa_base)
        )
        visa_top = np.clip(rng.normal(88 + 2 * (sev == MILD), 5), 74, 97)
        psfs_base = np.clip(
            np.select([sev == MILD, sev == MODERATE], [5, 4], 3)[:, None] + rng.normal(0, 1, (n, 3)), 0, 8
        )
        psfs_top = np.clip(9 + rng.normal(0, 0.7, (n, 3)), 7, 10)
        phat_base, phat_top = rng.uniform(25, 45, n), np.clip(rng.normal(85, 6, n), 70, 98)
        pain_base = np.select(
            [sev == MILD, sev == MODERATE], [rng.integers(3, 6, n), rng.integers(4, 7, n)], rng.integers(4, 8, n)
        )
        pain_base = np.where(acute, rng.integers(6, 9, n), np.where(post_op, rng.integers(3, 6, n), pain_base))
        gamma = np.where(post_op, 0.8, rng.uniform(0.75, 1.3, n))
        drift = rng.uniform(0, 0.12, n)
        late_baseline = (path == PROXIMAL) & (flag == NO_FLAG) & (rng.random(n) < 0.015)
        loaded_week = rng.integers(10, 13, n)  # after surgery: no loaded hip flexion before this week (§7)
        E["loaded_week"] = loaded_week
        mcid = np.where(path == DISTAL, t_["psfs_mcid"], t_["visa_h_mcid"])
        amber = t_["pain_amber_max"]

        shape = (n, MAX_VISITS)
        P = np.zeros(shape, dtype="float32")
        OUT = np.full(shape, np.nan, dtype="float32")
        ITEMS = np.zeros((*shape, 8), dtype="int8")
        PSFS = np.zeros((*shape, 3), dtype="int8")
        PAIN = np.zeros(shape, dtype="int8")
        GROC = np.full(shape, np.nan, dtype="float32")
        PE = np.full(shape, np.nan, dtype="float32")
        NM = np.zeros(shape, dtype="int8")  # 0 not loaded yet, 1 settled, 2 not settled
        FLARE = np.zeros(shape, dtype=bool)
        STAGE = np.zeros(shape, dtype="int8")
        TIER = np.zeros(shape, dtype="int8")

        stage = np.ones(n, dtype="int64")
        max_stage = np.ones(n, dtype="int64")
        run = np.full(n, -1, dtype="int64")
        tier = np.zeros(n, dtype="int64")
        tier_since = E["opened"].copy()
        base_out = np.full(n, np.nan)
        base_pain = np.zeros(n)
        out_ts = np.full(n, np.nan)
        pain_ts = np.zeros(n)
        responding = np.isin(kind, (RESPONDER, STOPPED, AFTER_REPAIR, REFERRED_AT_FLAG))
        resp = np.where(responding, 0.0, np.inf)
        flare_pen = np.zeros(n)
        setback = np.zeros(n)
        events: dict[str, list] = {"stage": [], "escalate": [], "dismiss": []}

        def pain_drop(reference, now):
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = np.where(reference > 0, np.round(100.0 * (reference - now) / reference), np.nan)
            return (pct >= t_["pain_reduction_pct"]) & (reference - now >= t_["pain_reduction_points"])

        for k in range(MAX_VISITS):
            i = np.nonzero(E["n_vis"] > k)[0]
            if not len(i):
                break
            m = len(i)
            off = E["off"][i, k]
            day = E["opened"][i] + off
            t = off / 7.0
            # how far along the recovery is: a plateau and each flare-up set it back (§1, §4)
            held = np.clip(t - E["plateau_start"][i], 0, E["plateau_len"][i])
            tau = t - np.where(np.isfinite(resp[i]), resp[i], 0) - held - setback[i]
            started = np.isfinite(resp[i])
            pr = np.where(started, np.clip(tau / (0.95 * E["recovery"][i]), 0, 1) ** gamma[i], 0.0)
            ps = drift[i] * np.minimum(t / 16, 1)
            p = ps + (1 - ps) * pr
            last_closed = E["closed"][i] & (k == E["n_vis"][i] - 1)
            flagged = E["flag_k"][i] == k
            reviewing = E["watch"][i] & (E["flag_k"][i] == k - 1)
            alert_open = flagged | reviewing
            flare = (k >= 2) & ~last_closed & ~alert_open & (rng.random(m) < np.where(post_op[i], 0.03, 0.065))
            pen = np.where(flare, 0.22, flare_pen[i] * 0.35)
            flare_pen[i] = pen
            setback[i] += np.where(flare, 1.0, 0.0)
            p_obs = np.clip(p - pen - np.where(flagged, 0.3, 0.0), 0, 1)
            p_obs = np.where(acute[i], 0.0, p_obs)
            P[i, k] = p_obs
            FLARE[i, k] = flare

            # the pathway's outcome (§7): VISA-H items, the functional scale, or PHAT
            pw = path[i]
            target = visa_base[i] + (visa_top[i] - visa_base[i]) * p_obs + rng.normal(0, 3, m)
            frac = np.clip(target / 100, 0, 1)
            items = np.clip(np.round(VISA_MAX * frac[:, None] + rng.normal(0, 1, (m, 8)) * VISA_MAX / 11), 0, VISA_MAX)
            seven = 10 * frac + rng.normal(0, 1.2, m)
            items[:, 6] = VISA_7[np.argmin(np.abs(VISA_7[None, :] - seven[:, None]), axis=1)]
            ITEMS[i, k] = items
            psfs = np.clip(
                np.round(psfs_base[i] + (psfs_top[i] - psfs_base[i]) * p_obs[:, None] + rng.normal(0, 0.6, (m, 3))),
                0,
                10,
            )
            PSFS[i, k] = psfs
            phat = np.clip(np.round(phat_base[i] + (phat_top[i] - phat_base[i]) * p_obs + rng.normal(0, 3, m)), 0, 100)
            out = np.select([pw == PROXIMAL, pw == DISTAL], [items.sum(axis=1), psfs.mean(axis=1)], phat)
            recorded = ~(late_baseline[i] & (t < 5))
            out = np.where(recorded, out, np.nan)
            OUT[i, k] = out
            pain = (
                pain_base[i] * (1 - 0.8 * p_obs) + rng.normal(0, 0.55, m) + np.where(flare, rng.uniform(1.5, 3, m), 0)
            )
            pain = np.clip(np.round(pain), 0, 10)
            pain = np.where(flagged, np.maximum(pain, 5 + rng.integers(0, 3, m)), pain)
            PAIN[i, k] = pain
            groc = np.clip(np.round(3.6 * p_obs - 0.6 + rng.normal(0, 0.6, m)), -3, 3)
            groc = np.where(flare | flagged, np.minimum(groc, 0), groc)
            GROC[i, k] = np.nan if k == 0 else groc
            # pain during and after the exercises, and the next morning (§4 traffic light)
            pe = np.clip(np.round(0.8 + 3.2 * (1 - p_obs) + rng.normal(0, 0.9, m)), 0, 10)
            pe = np.where(flare, rng.integers(6, 9, m), np.where(flagged, rng.integers(4, 8, m), pe))
            settle = np.where(pe <= 3, 0.93, np.where(pe <= amber, 0.72, 0.2))
            nm = np.where(flare, 2, np.where(rng.random(m) < settle, 1, 2))
            if k == 0:  # no exercises yet at the first visit
                pe = np.full(m, np.nan)
                nm = np.zeros(m, dtype="int64")
            PE[i, k] = pe
            NM[i, k] = nm
            good = (pe <= amber) & (nm == 1)

            # baselines (§9): the first outcome recorded, the first visit's pain
            base_out[i] = np.where(np.isnan(base_out[i]) & recorded, out, base_out[i])
            out_ts[i] = np.where((tier[i] == 0) & np.isnan(out_ts[i]) & recorded, out, out_ts[i])
            if k == 0:
                base_pain[i] = pain
                pain_ts[i] = pain

            # loading stage: two weeks of good sessions in this stage, settled, no open red flag (§4, §9)
            st = stage[i]
            run_i = np.where(good, np.where(run[i] < 0, day, run[i]), -1)
            ready = good & (run_i >= 0) & (day - run_i >= 7 * t_["progress_weeks"]) & (st < 4) & ~alert_open
            gate = np.select(
                [st == 1, st == 2], [True, (p_obs >= 0.35) | ((t >= 10) & (rng.random(m) < 0.25))], p_obs >= 0.65
            )
            up = ready & gate & ~post_op[i] & (rng.random(m) < 0.8)
            # after surgery the surgeon's protocol sets the stage by the week (§7)
            weeks_after = (day - E["surgery"][i]) / 7
            protocol = 1 + (weeks_after >= 6) + (weeks_after >= loaded_week[i]) + (weeks_after >= 20)
            up |= post_op[i] & (protocol > st) & ~alert_open & ~flare
            stage[i] = st + up
            max_stage[i] = np.maximum(max_stage[i], stage[i])
            run[i] = np.where(up, day, run_i)
            STAGE[i, k] = stage[i]
            if up.any():
                events["stage"].append((i[up], np.full(int(up.sum()), k), stage[i][up]))

            # escalation (§9): stalled, 12 weeks conservative at stage 2 or more; regenerative after 6 in adjunct
            weeks_episode = (day - E["opened"][i]) // 7
            weeks_tier = (day - tier_since[i]) // 7
            gain = out - base_out[i]
            improved = ((gain >= mcid[i]) & ~np.isnan(gain)) | pain_drop(base_pain[i], pain) | (groc >= t_["groc_min"])
            if k == 0:
                improved = np.zeros(m, dtype=bool)
            gain_tier = out - out_ts[i]
            improved_tier = ((gain_tier >= mcid[i]) & ~np.isnan(gain_tier)) | pain_drop(pain_ts[i], pain)
            stalled = ((weeks_episode >= t_["stalled_weeks"]) & ~improved) | (
                (weeks_tier >= t_["stalled_weeks"]) & ~improved_tier
            )
            may = ~post_op[i] & ~alert_open & ~up & (k > 0)
            to_adjunct = (
                may
                & (tier[i] == 0)
                & (weeks_tier >= t_["adjunct_weeks"])
                & stalled
                & (max_stage[i] >= t_["adjunct_min_stage"])
            )
            to_regen = (
                may
                & (tier[i] == 1)
                & (weeks_tier >= t_["regenerative_adjunct_weeks"])
                & (weeks_episode >= t_["regenerative_weeks"])
                & ~improved_tier
                & ~improved
            )
            ki = kind[i]
            late = np.isin(ki, (LATE_ADJUNCT, LATE_REGENERATIVE))
            # the clinician and the patient agree an escalation at one of the visits it is due (not always the
            # first): the cases that later respond to it sooner than the others
            chance_a = np.where(
                late, np.where(t >= E["adjunct_week"][i], 0.55, 0.05), np.where(ki == NON_RESPONDER, 0.35, 0.2)
            )
            chance_r = np.where(
                ki == LATE_REGENERATIVE,
                np.where(t >= E["regen_week"][i], 0.6, 0.1),
                np.where(ki == NON_RESPONDER, 0.3, 0.1),
            )
            roll = rng.random(m)
            esc_a = to_adjunct & (roll < chance_a)
            esc_r = to_regen & (roll < chance_r)
            waited = (to_adjunct & ~esc_a) | (to_regen & ~esc_r)
            dismiss = waited & (k < E["n_vis"][i] - 1) & (rng.random(m) < 0.3)
            if dismiss.any():
                rule = np.where(to_adjunct, 1, 2)[dismiss]
                events["dismiss"].append((i[dismiss], np.full(int(dismiss.sum()), k), rule))
            esc = esc_a | esc_r
            if esc.any():
                new_tier = np.where(esc_a, 1, 2)
                tier[i] = np.where(esc, new_tier, tier[i])
                tier_since[i] = np.where(esc, day, tier_since[i])
                out_ts[i] = np.where(esc & recorded, out, out_ts[i])
                pain_ts[i] = np.where(esc, pain, pain_ts[i])
                lag = np.where(esc_a, rng.uniform(1, 3, m), rng.uniform(3, 6, m))
                starts = (esc_a & (ki == LATE_ADJUNCT)) | (esc_r & (ki == LATE_REGENERATIVE))
                resp[i] = np.where(starts & ~np.isfinite(resp[i]), t + lag, resp[i])
                events["escalate"].append((i[esc], np.full(int(esc.sum()), k), new_tier[esc]))
            # a late responder never escalated still comes round in the end
            overdue = (
                late
                & ~np.isfinite(resp[i])
                & (t >= np.where(ki == LATE_ADJUNCT, E["adjunct_week"][i], E["regen_week"][i]) + 10)
            )
            resp[i] = np.where(overdue, t, resp[i])
            TIER[i, k] = tier[i]

        return {
            "P": P, "OUT": OUT, "ITEMS": ITEMS, "PSFS": PSFS, "PAIN": PAIN, "GROC": GROC, "PE": PE, "NM": NM,
            "FLARE": FLARE, "STAGE": STAGE, "TIER": TIER, "late_baseline": late_baseline, "events": events,
        }  # fmt: skip

    # -- the records ---------------------------------------------------------------------------------------

    def stamps(self, days: np.ndarray) -> np.ndarray:
        """A time in clinic hours on each day (never later than now)."""
        minutes = 8 * 60 + 30 * self.rng.integers(0, 20, len(days))
        at = _dates(days).astype("datetime64[s]") + (minutes * 60).astype("timedelta64[s]")
        return np.minimum(at, self.at)

    def records(self, E: dict[str, np.ndarray], S: dict) -> dict[str, pd.DataFrame]:
        n = len(E["opened"])
        # ids: episodes in the order they were opened, patients in the order they were first seen
        eid = np.empty(n, dtype="int64")
        eid[np.argsort(E["opened"], kind="stable")] = np.arange(1, n + 1)
        first_seen = np.full(self.n_patients, np.iinfo("int64").max)
        np.minimum.at(first_seen, E["patient"], E["opened"])
        pid = np.empty(self.n_patients, dtype="int64")
        pid[np.argsort(first_seen, kind="stable")] = np.arange(1, self.n_patients + 1)

        visits = np.arange(MAX_VISITS)[None, :] < E["n_vis"][:, None]
        ep, k = np.nonzero(visits)
        day = E["opened"][ep] + E["off"][ep, k]
        order = np.lexsort((eid[ep], day))  # assessment ids in date order
        ep, k, day = ep[order], k[order], day[order]
        m = len(ep)
        aid = np.arange(1, m + 1)
        AID = np.zeros((n, MAX_VISITS), dtype="int64")
        AID[ep, k] = aid
        stamp = self.stamps(day)
        STAMP = np.zeros((n, MAX_VISITS), dtype="datetime64[s]")
        STAMP[ep, k] = stamp
        ctx = {"ep": ep, "k": k, "day": day, "aid": aid, "AID": AID, "stamp": stamp, "STAMP": STAMP, "eid": eid}

        assess = self._assessments(E, S, ctx)
        tiers, stages, decisions, treatments = self._care(E, S, ctx)
        imaging, image_alerts = self._imaging(E, ctx)
        alerts, reviews = self._alerts(E, ctx, image_alerts)
        episodes = self._episodes(E, S, ctx, pid)
        patients = self._patients(pid)
        first = episodes.groupby("patient_id")["created_at"].min()  # a patient is registered at the first referral
        patients["created_at"] = patients["updated_at"] = patients["patient_id"].map(first).to_numpy()
        patients["created_by"] = patients["updated_by"] = "demo"
        return {
            "patients": patients,
            "episodes": episodes,
            "assessments": assess,
            "tier_changes": tiers,
            "stage_changes": stages,
            "suggestion_decisions": decisions,
            "treatments": treatments,
            "imaging_reports": imaging,
            "red_flag_alerts": alerts,
            "alert_reviews": reviews,
        }

    def _patients(self, pid: np.ndarray) -> pd.DataFrame:
        rng = self.rng
        P = {key: np.concatenate([p[key] for p in self.patients]) for key in self.patients[0]}
        count = len(pid)
        landline = rng.random(count) < 0.25
        number = rng.integers(0, 1000, count)
        phone = [  # the ranges Ofcom sets aside for drama: 07700 900xxx and 0113 496 0xxx
            f"0113 496 0{x:03d}" if fixed else f"+44 7700 900{x:03d}" for x, fixed in zip(number, landline, strict=True)
        ]
        email_wanted = rng.random(count) < 0.6
        emails = []
        for given, family, wanted, x in zip(P["given"], P["family"], email_wanted, number, strict=True):
            local = _ascii(f"{given}.{family}")
            emails.append(f"{local}{x % 100}@example.com" if wanted and local else None)
        frame = pd.DataFrame(
            {
                "patient_id": pid[P["index"]],
                "given_name": P["given"],
                "family_name": P["family"],
                "date_of_birth": _dates(P["birth"]),
                "sex": np.asarray(SEXES, dtype=object)[P["sex"]],
                "phone": phone,
                "email": emails,
            }
        ).sort_values("patient_id", ignore_index=True)
        frame.insert(1, "clinic_id", [f"DEMO-{i:06d}" for i in frame["patient_id"]])
        return frame

    def _assessments(self, E: dict[str, np.ndarray], S: dict, ctx: dict) -> pd.DataFrame:
        rng = self.rng
        ep, k, day = ctx["ep"], ctx["k"], ctx["day"]
        m = len(ep)
        n = len(E["opened"])
        path = E["path"][ep]
        prox, distal, after = path == PROXIMAL, path == DISTAL, path == POST_OP
        flag = E["flag"][ep]
        flagged = E["flag_k"][ep] == k
        acute_visit = flagged & np.isin(flag, (AVULSION, FRACTURE))
        p = S["P"][ep, k].astype("float64")
        pain = S["PAIN"][ep, k].astype("int64")
        flare = S["FLARE"][ep, k]
        side = E["side"][ep]
        affected = {"left": side != 1, "right": side != 0}
        n_vis = E["n_vis"][ep]
        last = k == n_vis - 1
        sport = E["sport"]
        weeks_after = (day - E["surgery"][ep]) / 7

        # per episode: the meaningful task, the functional scale's activities, what aggravates it
        task = np.empty(n, dtype=object)
        psfs_names = np.empty((n, 3), dtype=object)
        slots = np.full((n, 3), -1, dtype="int64")
        code = {c: i for i, c in enumerate(ACTIVITY_CODES)}
        pick = rng.integers(0, 1000, (n, 3))
        sits = rng.random(n)
        for s, info in enumerate(SPORTS):
            here = sport == s
            for which, mask in (
                (info.tasks, here & (E["path"] == PROXIMAL)),
                (info.distal_tasks, here & (E["path"] == DISTAL)),
            ):
                task[mask] = np.asarray(which, dtype=object)[pick[mask, 0] % len(which)]
            psfs_names[here] = info.psfs
            prox_here = here & (E["path"] == PROXIMAL)
            sitting = sits < (0.95 if info.name in (None, "Cycling") else 0.75)
            first, second = code[info.aggravating[0]], code[info.aggravating[-1]]
            athlete = info.name is not None
            slots[prox_here, 0] = np.where(sitting[prox_here] & ~athlete, code["sitting"], first)
            slots[prox_here, 1] = np.where(sitting[prox_here], code["sitting"] if athlete else first, -1)
            slots[prox_here, 2] = np.where(pick[prox_here, 1] % 2 == 0, second, -1)
            dist_here = here & (E["path"] == DISTAL)
            slots[dist_here, 0] = code[info.distal_aggravating[0]]
            slots[dist_here, 1] = np.where(pick[dist_here, 1] % 2 == 0, code[info.distal_aggravating[-1]], -1)
        post_op = E["path"] == POST_OP
        task[post_op] = np.asarray(POST_OP_TASKS, dtype=object)[pick[post_op, 0] % len(POST_OP_TASKS)]
        slots[post_op, 0] = code["sitting"]
        slots[post_op, 1] = np.where(pick[post_op, 1] % 2 == 0, code["stretching"], -1)
        keep = np.where(flare | (p < 0.5), 3, np.where(p < 0.8, 2, np.where(p < 0.95, 1, 0)))
        bits = np.zeros(m, dtype="int64")
        for j in range(3):
            slot = slots[ep, j]
            bits |= np.where((slot >= 0) & (keep > j), 1 << np.maximum(slot, 0), 0)
        sit_aggravated = (slots == code["sitting"]).any(axis=1)

        pain_worst = np.minimum(10, pain + 1 + (rng.random(m) < 0.6) + (rng.random(m) < 0.25) + flare)
        pain_worst = np.maximum(pain_worst, pain)
        sit_base = np.where(sit_aggravated, rng.uniform(5, 25, n), rng.uniform(30, 90, n))
        sit_gain = rng.uniform(60, 180, n)
        sitting = np.round((sit_base[ep] + sit_gain[ep] * p + rng.normal(0, 5, m)) / 5) * 5
        nirschl = np.clip(np.round(1 + 0.55 * pain + rng.normal(0, 0.45, m)), 1, 5)
        night = flagged & (flag == NIGHT)
        nirschl = np.where(night, 6 + (rng.random(m) < 0.5), nirschl)
        previous_injury = E["recurrence"] | (rng.random(n) < 0.25)
        low_back = (rng.random(n) < 0.2) | (E["flag"] == NEURO)
        covering = (k > 0) & (rng.random(m) < 0.07)
        nc = len(self.clinician_ids)
        own = E["clinician"][ep]
        position = np.searchsorted(self.clinician_ids, own)
        clinician = np.where(covering, self.clinician_ids[(position + rng.integers(1, nc, m)) % nc], own)
        username = self.usernames[clinician]
        stamp = ctx["stamp"]
        latest_open = last & ~E["closed"][ep]
        draft = (latest_open & (day >= self.today - 7) & (rng.random(m) < 0.6)) | (day == self.today)
        draft |= ~last & (rng.random(m) < 0.004)
        signed_at = np.minimum(stamp + (rng.integers(5, 600, m) * 60).astype("timedelta64[s]"), self.at)

        # the review booked at each visit: the next visit; at the latest of an open case, the booking
        nxt = np.minimum(k + 1, MAX_VISITS - 1)
        next_day = E["opened"][ep] + E["off"][ep, nxt]
        review = np.where(last, np.where(E["closed"][ep], -1, E["booked"][ep]), next_day)

        frame: dict[str, object] = {
            "assessment_id": ctx["aid"],
            "episode_id": ctx["eid"][ep],
            "assessed_on": _dates(day),
            "clinician_id": clinician,
            "pain_avg": pain,
            "pain_worst": pain_worst,
            "pain_task": np.clip(pain_worst - rng.integers(0, 2, m), 0, 10),
            "pain_task_name": task[ep],
            "pain_exercise": _ints(S["PE"][ep, k]),
            "sitting_minutes": _ints(np.clip(sitting, 0, 720), ~distal),
            "morning_stiffness": rng.random(m) < 0.55 * (1 - p),
            "next_morning": np.asarray(["not_loaded", "settled", "not_settled"], dtype=object)[S["NM"][ep, k]],
            "aggravating": _AGGRAVATING_TEXT[bits],
            "previous_injury": previous_injury[ep],
            "low_back_pain": low_back[ep],
            "nirschl_phase": nirschl.astype("int64"),
            "groc": _ints(S["GROC"][ep, k]),
            "impression": self._impressions(E, S, ctx, p, flagged, flare),
            "plan": self._plans(E, S, ctx, review, last),
            "next_review_on": pd.Series(_dates(np.maximum(review, day))).where(review >= 0).to_numpy(),
            "signed_at": pd.Series(signed_at).where(~draft).to_numpy(),
            "signed_by": _where(~draft, username),
            "created_at": stamp,
            "created_by": username,
            "updated_at": stamp,
            "updated_by": username,
        }
        # VISA-H (proximal), the functional scale (distal), PHAT and the surgeon's limits (after repair): §7
        out = S["OUT"][ep, k]
        items = S["ITEMS"][ep, k]
        has_visa = prox & ~np.isnan(out)
        for j in range(8):
            frame[f"visa_h_{j + 1}"] = _ints(items[:, j], has_visa)
        frame["visa_h_total"] = _ints(items.sum(axis=1, dtype="int64"), has_visa)
        frame["phat_total"] = _ints(out, after)
        psfs = S["PSFS"][ep, k]
        for j in range(3):
            frame[f"psfs_{j + 1}_activity"] = _where(distal, psfs_names[ep, j])
            frame[f"psfs_{j + 1}_score"] = _ints(psfs[:, j], distal)
        phase = np.select(
            [weeks_after < 6, weeks_after < 12, weeks_after < 20],
            [
                "Phase 1: protection (weeks 0-6)",
                "Phase 2: early strength (weeks 6-12)",
                "Phase 3: strength into hip flexion (weeks 12-20)",
            ],
            "Phase 4: running and return to sport (week 20 on)",
        )
        brace_weeks = np.where(rng.random(n) < 0.4, 0, rng.integers(3, 7, n))
        frame["postop_phase"] = _where(after, phase)
        frame["postop_brace"] = pd.array(_where(after, weeks_after < brace_weeks[ep]), dtype="boolean")
        limit = np.select([weeks_after < 4, weeks_after < 6, weeks_after < 10], [60, 70, 90], -1)
        frame["postop_hip_flexion_limit"] = _ints(limit, after & (limit > 0))
        frame["postop_loaded_flexion_week"] = _ints(E["loaded_week"][ep], after)
        frame["postop_restrictions"] = _where(
            after & (weeks_after < E["loaded_week"][ep]),
            np.where(
                weeks_after < 6,
                "No stretching; no hip flexion past the limit with the knee straight; crutches as the surgeon advised.",
                "No loaded hip flexion yet (no deadlifts or lunges); no stretching.",
            ),
        )
        # palpation: the sit bone (proximal, after repair) or the distal tendon (§2, §7); never a rule-out
        palp_levels = np.asarray(["none", "mild", "marked"], dtype=object)
        u = rng.random(m)
        tender = np.select(
            [p < 0.35, p < 0.7],
            [np.where(u < 0.3, 2, np.where(u < 0.75, 1, 0)), (u < 0.45).astype(int)],
            (u < 0.08).astype(int),
        )
        tender = np.where(acute_visit, 2, tender)
        for name in ("left", "right"):
            frame[f"palpation_{name}"] = _where(~distal, palp_levels[np.where(affected[name], tender, 0)])
        frame["distal_palpation"] = _where(distal, palp_levels[tender])
        # provocation tests per side (§2, §9): all at the first visit, the key ones again every third visit
        retest = (k > 0) & (k % 3 == 0)
        for code_, sens, again in PROXIMAL_TESTS:
            self._test(frame, code_, sens, prox & ~acute_visit & ((k == 0) | (retest & again)), affected, p, retest)
        for code_, sens, again in DISTAL_TEST_RATES:
            self._test(frame, code_, sens, distal & ((k == 0) | (retest & again)), affected, p, retest)
        # single-leg bridge (§2): not on an acute injury, not before week 12 after a repair
        other = rng.integers(22, 37, n)
        weak = np.round(other * rng.uniform(0.4, 0.85, n))
        reach = other * rng.uniform(0.95, 1.05, n)
        aff_reps = np.round(weak[ep] + (reach[ep] - weak[ep]) * p + rng.normal(0, 1.5, m))
        aff_reps2 = np.round(aff_reps + rng.normal(0, 2, m))
        oth_reps = np.round(other[ep] + rng.normal(0, 1.2, m))
        bridged = ~acute_visit & ~(after & (weeks_after < 12))
        left = np.where(side == 1, oth_reps, aff_reps)
        right = np.where(side == 0, oth_reps, np.where(side == 2, aff_reps2, aff_reps))
        bridge_pain = np.clip(np.round(4.5 * (1 - p) + rng.normal(0, 1, m)), 0, 10)
        told = rng.random(m) < 0.7
        for name, reps in (("left", left), ("right", right)):
            frame[f"bridge_reps_{name}"] = _ints(np.clip(reps, 0, 150), bridged)
            frame[f"bridge_pain_{name}"] = _ints(bridge_pain, bridged & affected[name] & told)
        # hand-held dynamometry for some cases, at the first visit and every fourth (N, outer range)
        strong = (E["path"] != POST_OP) & (rng.random(n) < 0.15)
        measured = strong[ep] & ((k == 0) | (k % 4 == 0)) & ~acute_visit
        base_n = rng.uniform(150, 300, n)[ep]
        weak_n = np.round(base_n * (0.6 + 0.38 * p) + rng.normal(0, 8, m), 1)
        frame["strength_method"] = _where(measured, "hand_held")
        frame["strength_unit"] = _where(measured, "N")
        frame["strength_range"] = _where(measured, "outer")
        frame["strength_left"] = pd.Series(np.where(side == 1, np.round(base_n, 1), weak_n)).where(measured).to_numpy()
        frame["strength_right"] = pd.Series(np.where(side == 0, np.round(base_n, 1), weak_n)).where(measured).to_numpy()
        # red flags at the visit that raised them (§6), differentials as "consider"
        for f in range(1, len(FLAG_COLUMN)):
            frame[FLAG_COLUMN[f]] = flagged & (flag == f)
        frame["red_flag_action"] = _where(flagged, np.asarray(FLAG_ACTION, dtype=object)[flag])
        first = k == 0
        frame["dx_ischiofemoral"] = prox & first & (rng.random(m) < 0.02)
        frame["dx_lumbar"] = first & low_back[ep] & (rng.random(m) < 0.2)
        frame["dx_sciatic"] = (flagged & (flag == NEURO)) | (prox & first & (rng.random(m) < 0.02))
        frame["dx_hip"] = prox & first & (rng.random(m) < 0.01)
        ctx["nirschl"] = nirschl.astype("int64")
        ctx["username"] = username
        return pd.DataFrame(frame)

    def _test(self, frame: dict, code: str, sensitivity: float, done, affected: dict, p, retest) -> None:
        rng = self.rng
        m = len(p)
        for s in ("left", "right"):
            here = done & (affected[s] | ~retest)  # retests only on the affected side
            chance = np.where(affected[s], sensitivity * (1 - 0.85 * p), 0.03)
            positive = here & (rng.random(m) < chance)
            frame[f"test_{code}_{s}"] = _where(here, np.where(positive, "positive", "negative"))
            pain = np.clip(np.round(2.5 + 4.5 * (1 - p) + rng.normal(0, 1, m)), 1, 10)
            frame[f"test_{code}_{s}_pain"] = _ints(pain, positive)

    def _impressions(self, E, S, ctx, p, flagged, flare) -> np.ndarray:
        rng = self.rng
        ep, k = ctx["ep"], ctx["k"]
        path, region, flag = E["path"][ep], E["region"][ep], E["flag"][ep]
        prev = S["P"][ep, np.maximum(k - 1, 0)]
        escalated = (k > 0) & (S["TIER"][ep, k] > S["TIER"][ep, np.maximum(k - 1, 0)])
        reviewing = E["watch"][ep] & (E["flag_k"][ep] == k - 1)
        weeks = E["off"][ep, k] / 7
        code = np.select(
            [p >= 0.9, p - prev >= 0.04, (weeks >= 10) & (p < 0.2)],
            [IMP_RECOVERED, IMP_BETTER, IMP_STALLED],
            IMP_STEADY,
        )
        code = np.where(path == POST_OP, np.where(p >= 0.9, IMP_RECOVERED, IMP_PROTOCOL), code)
        code = np.where(escalated, IMP_ESCALATED, code)
        code = np.where(reviewing, IMP_REVIEWED, code)
        first = np.select(
            [path == POST_OP, region == 1, region == 2],
            [IMP_FIRST_REPAIR, IMP_FIRST_MEDIAL, IMP_FIRST_LATERAL],
            IMP_FIRST,
        )
        code = np.where(k == 0, first, code)
        text = IMPRESSIONS[code]
        text = np.where(flagged, FLAG_IMPRESSION[flag], text)
        where = np.nonzero(flare)[0]
        spikes = [SPORTS[s].spikes for s in E["sport"][ep[where]]]
        roll = rng.integers(0, 1000, len(where))
        text[where] = [
            f"Flare-up after {spike[r % len(spike)]}: pain up, not settled the next morning. Load eased for two weeks."
            for spike, r in zip(spikes, roll, strict=True)
        ]
        return text

    def _plans(self, E, S, ctx, review, last) -> np.ndarray:
        ep, k, day = ctx["ep"], ctx["k"], ctx["day"]
        weeks = np.clip(np.round((review - day) / 7), 1, 8).astype("int64")
        stage = S["STAGE"][ep, k].astype("int64")
        tier = S["TIER"][ep, k].astype("int64")
        text = PLANS[np.where(E["path"][ep] == POST_OP, 3, tier), stage - 1, weeks]
        flagged = E["flag_k"][ep] == k
        text = np.where(flagged, HOLD_PLANS[weeks], text)
        text = np.where(flagged, np.where(E["kind"][ep] == REFERRED_AT_FLAG, URGENT_PLANS[E["flag"][ep]], text), text)
        closing = last & E["closed"][ep]
        return np.where(closing, E["closing_plan"][ep], text)

    def close(self, E: dict[str, np.ndarray], S: dict) -> None:
        """How each closed episode ended: discharged (with its outcome) or referred on (to whom)."""
        rng = self.rng
        n = len(E["opened"])
        kind, flag, closed = E["kind"], E["flag"], E["closed"]
        final = S["P"][np.arange(n), E["n_vis"] - 1]
        referred = closed & ((kind == REFERRED_AT_FLAG) | ((kind == NON_RESPONDER) & (rng.random(n) < 0.75)))
        status = np.where(closed, np.where(referred, 2, 1), 0)
        outcome = np.select(
            [final >= 0.93, final >= 0.75, final >= 0.4], ["resolved", "much_improved", "improved"], "unchanged"
        ).astype(object)
        outcome = np.where(kind == STOPPED, "did_not_return", outcome)
        outcome = np.where(kind == NON_RESPONDER, np.where(rng.random(n) < 0.85, "unchanged", "worse"), outcome)
        outcome = np.where(referred, np.where(kind == NON_RESPONDER, outcome, "unchanged"), outcome)
        to = _choice(rng, REFERRED_ON_TO, n, [0.5, 0.35, 0.15])
        to = np.select(
            [flag == AVULSION, flag == FRACTURE, flag == NEURO, flag == CAUDA],
            [
                "Orthopaedic surgeon (avulsion repair)",
                "Sports physician (fracture care)",
                "Spinal team",
                "Emergency department (possible cauda equina)",
            ],
            to,
        )
        E["status"] = status
        E["outcome"] = _where(closed, outcome)
        E["referred_to"] = _where(referred, to)
        note = np.select(
            [kind == STOPPED, referred, outcome == "resolved"],
            [
                "Did not attend the last two booked reviews; letter sent. Closed.",
                "Referred on; the referral letter has the case summary.",
                "Back to full activity without pain. Maintenance programme given.",
            ],
            "Much better and managing on their own programme; knows to come back if it returns.",
        )
        E["closing_note"] = _where(closed, note)
        plan = np.where(
            referred,
            "Referred on: " + np.where(referred, to, "").astype(str) + ".",
            "Discharged: keep the maintenance exercises going twice a week; contact us if it comes back.",
        ).astype(object)
        E["closing_plan"] = np.where(kind == STOPPED, "Did not return; see the closing note.", plan)

    def _care(self, E, S, ctx) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Tier and stage history with the clinician's decisions, and the treatment sessions each escalation
        led to (§3, §8)."""
        rng = self.rng
        n = len(E["opened"])
        eid, STAMP = ctx["eid"], ctx["STAMP"]
        opened, clin = E["opened"], E["clinician"]
        visit_day = opened[:, None] + E["off"]
        last_day = visit_day[np.arange(n), E["n_vis"] - 1]
        limit = np.where(E["closed"], last_day, np.minimum(E["cutoff"], self.today))

        tiers = [
            pd.DataFrame(
                {
                    "episode_id": eid,
                    "tier": "conservative",
                    "effective_on": _dates(opened),
                    "reason": "Episode opened: everyone starts with conservative care (loading and activity advice)",
                    "clinician_id": clin,
                    "recorded_at": STAMP[:, 0],
                    "planned_treatment": None,
                }
            )
        ]
        stage_rows = [
            pd.DataFrame(
                {
                    "episode_id": eid,
                    "stage": 1,
                    "effective_on": _dates(opened),
                    "reason": "Episode opened: loading starts at stage 1 (isometric holds)",
                    "clinician_id": clin,
                    "recorded_at": STAMP[:, 0],
                }
            )
        ]
        decisions = []

        def gather(name: str, width: int) -> list[np.ndarray]:
            parts = S["events"][name]
            if not parts:
                return [np.zeros(0, dtype="int64")] * width
            return [np.concatenate([p[j] for p in parts]) for j in range(width)]

        # stage changes: by the rules, some through the "ready to progress" suggestion (§4)
        s_ep, s_k, s_stage = gather("stage", 3)
        s_day = opened[s_ep] + E["off"][s_ep, s_k]
        post_op = E["path"][s_ep] == POST_OP
        via = ~post_op & (rng.random(len(s_ep)) < 0.4)
        distal = E["path"][s_ep] == DISTAL
        reason = np.where(distal, DISTAL_STAGE_REASONS[s_stage], STAGE_REASONS[s_stage])
        reason = np.where(
            via, "Ready to progress. Decision: two weeks of green sessions with settled mornings.", reason
        )
        weeks_after = (s_day - E["surgery"][s_ep]) // 7
        reason[post_op] = [
            f"Week {w + 1} after the repair: the surgeon's protocol allows stage {s}."
            for w, s in zip(weeks_after[post_op], s_stage[post_op], strict=True)
        ]
        s_stamp = STAMP[s_ep, s_k] + np.timedelta64(5, "m")
        stage_rows.append(
            pd.DataFrame(
                {
                    "episode_id": eid[s_ep],
                    "stage": s_stage,
                    "effective_on": _dates(s_day),
                    "reason": reason,
                    "clinician_id": clin[s_ep],
                    "recorded_at": np.minimum(s_stamp, self.at),
                }
            )
        )
        decisions.append(
            pd.DataFrame(
                {
                    "episode_id": eid[s_ep[via]],
                    "rule_id": "ready_to_progress",
                    "decision": "accepted",
                    "reason": "Two weeks of green sessions with settled mornings",
                    "clinician_id": clin[s_ep[via]],
                    "decided_at": np.minimum(s_stamp[via], self.at),
                }
            )
        )

        # suggestions the clinician put off for now (they come back at the next visit)
        d_ep, d_k, d_rule = gather("dismiss", 3)
        decisions.append(
            pd.DataFrame(
                {
                    "episode_id": eid[d_ep],
                    "rule_id": np.where(d_rule == 1, "consider_adjunct", "consider_regenerative"),
                    "decision": "dismissed",
                    "reason": _choice(rng, DISMISS_REASONS, len(d_ep)),
                    "clinician_id": clin[d_ep],
                    "decided_at": np.minimum(STAMP[d_ep, d_k] + np.timedelta64(10, "m"), self.at),
                }
            )
        )

        # escalations of stalled cases, each followed by treatment sessions
        e_ep, e_k, e_tier = gather("escalate", 3)
        count = len(e_ep)
        e_day = opened[e_ep] + E["off"][e_ep, e_k]
        e_stamp = np.minimum(STAMP[e_ep, e_k] + np.timedelta64(10, "m"), self.at)
        adult = E["age"][e_ep] + (e_day - opened[e_ep]) / 365.25 >= 18.5
        roll = rng.random(count)
        adjunct_kind = np.where(
            adult & (roll < 0.82), "shockwave", np.where(roll < 0.91, "dry_needling", "soft_tissue")
        )
        steroid = rng.random(count) < np.where(E["age"][e_ep] > 50, 0.45, 0.25)
        planned = np.where(e_tier == 1, adjunct_kind, np.where(steroid, "corticosteroid", "prp")).astype(object)
        base = _first_recorded(S["OUT"])
        gain = S["OUT"][e_ep, e_k] - base[e_ep]
        since = np.full(n, 0, dtype="int64")
        since[e_ep[e_tier == 1]] = e_day[e_tier == 1]
        tier_weeks = np.where(e_tier == 1, e_day - opened[e_ep], e_day - since[e_ep]) // 7
        reasons = []
        for tier_, weeks, what, g, path_, st in zip(
            e_tier, tier_weeks, planned, gain, E["path"][e_ep], S["STAGE"][e_ep, e_k], strict=True
        ):
            change = (
                "no outcome recorded"
                if g != g
                else (f"VISA-H {g:+.0f}" if path_ == PROXIMAL else f"functional scale {g:+.1f}")
            )
            if tier_ == 1:
                reasons.append(
                    f"Stalled after {weeks} weeks of conservative care with loading at stage {st} ({change} from "
                    f"baseline): {TREATMENT_WORDS[what]} added to loading."
                )
            else:
                reasons.append(
                    f"No meaningful change after {weeks} weeks of adjunct care ({change} from baseline): "
                    f"{TREATMENT_WORDS[what]} planned, loading continues."
                )
        tiers.append(
            pd.DataFrame(
                {
                    "episode_id": eid[e_ep],
                    "tier": np.where(e_tier == 1, "adjunct", "regenerative"),
                    "effective_on": _dates(e_day),
                    "reason": reasons,
                    "clinician_id": clin[e_ep],
                    "recorded_at": e_stamp,
                    "planned_treatment": planned,
                }
            )
        )
        decisions.append(
            pd.DataFrame(
                {
                    "episode_id": eid[e_ep],
                    "rule_id": np.where(e_tier == 1, "consider_adjunct", "consider_regenerative"),
                    "decision": "accepted",
                    "reason": [f"{TREATMENT_WORDS[w].capitalize()}: {DECISION_WHY[w]}" for w in planned],
                    "clinician_id": clin[e_ep],
                    "decided_at": e_stamp,
                }
            )
        )
        treatments = self._treatments(E, ctx, e_ep, e_k, e_day, planned, limit, e_stamp)
        decision_frame = pd.concat(decisions, ignore_index=True)
        decision_frame = decision_frame.sort_values("decided_at", kind="stable", ignore_index=True)
        decision_frame.insert(0, "decision_id", np.arange(1, len(decision_frame) + 1))
        return (
            pd.concat(tiers, ignore_index=True),
            pd.concat(stage_rows, ignore_index=True),
            decision_frame,
            treatments,
        )

    def _treatments(self, E, ctx, e_ep, e_k, e_day, planned, limit, e_stamp) -> pd.DataFrame:
        """Shockwave at the protocol's dose, weekly; dry needling or soft tissue work; an injection with its
        agent, dose, guidance, who gave it and the review (§3, §8). Every screen is answered and computed as
        validation would; an item that applies has the clinician's reason for going ahead."""
        rng = self.rng
        eid = ctx["eid"]
        clin = E["clinician"]
        side_names = np.asarray(SIDES, dtype=object)
        rows: list[dict] = []
        n_vis = E["n_vis"]
        visit_day = E["opened"][:, None] + E["off"]
        override_roll = rng.random(len(e_ep))
        guide_roll = rng.random(len(e_ep))
        who = rng.integers(0, len(INJECTORS), len(e_ep))
        jitter = rng.integers(0, 2, (len(e_ep), 4))
        for j, (e, k, d, what) in enumerate(zip(e_ep, e_k, e_day, planned, strict=True)):
            base = {"episode_id": int(eid[e]), "clinician_id": int(clin[e]), "created_by": self.usernames[clin[e]]}
            if what in ("prp", "corticosteroid"):
                # the review about two weeks after (§8): the next visit when it is booked about then; at the
                # latest visit of an open case, the review booked there
                review = int(d) + safety.INJECTION_REVIEW_DAYS.value
                if k + 1 < n_vis[e] and 7 <= visit_day[e, k + 1] - d <= 28:
                    review = int(visit_day[e, k + 1])
                elif k + 1 == n_vis[e] and not E["closed"][e]:
                    review = int(E["booked"][e])
                sides = ("left", "right") if E["side"][e] == 2 else (side_names[E["side"][e]],)
                agent, dose = INJECTIONS[what]
                answers = {item.code: False for item in safety.items_for("injection", what)}
                reason = None
                if override_roll[j] < 0.05:
                    flagged_item = "anticoagulant_antiplatelet" if what == "prp" else "uncontrolled_diabetes"
                    answers[flagged_item] = True
                    reason = OVERRIDES[flagged_item]
                computed = sorted(i.code for i in safety.items_for("injection", what) if i.computed)
                for s in sides:
                    rows.append(
                        base
                        | {
                            "kind": "injection",
                            "given_on": int(d),
                            "injection_type": what,
                            "side": s,
                            "image_guidance": "ultrasound" if guide_roll[j] < 0.9 else "landmark",
                            "agent": agent,
                            "dose": dose,
                            "given_by": INJECTORS[who[j]],
                            "review_on": review,
                            "screen_json": json.dumps({"answers": answers, "computed": computed}, sort_keys=True),
                            "override_reason": reason,
                            "notes": INJECTION_NOTES[what],
                        }
                    )
                continue
            sessions = SHOCKWAVE_PROTOCOL.sessions if what == "shockwave" else 3
            screen = None
            reason = None
            if what == "shockwave":
                answers = {item.code: False for item in safety.SHOCKWAVE_ITEMS}
                if override_roll[j] < 0.04:
                    answers["bleeding"] = True
                    reason = OVERRIDES["bleeding"]
                computed = sorted(i.code for i in safety.SHOCKWAVE_ITEMS if i.computed)
                screen = json.dumps({"answers": answers, "computed": computed}, sort_keys=True)
            given = int(d)
            for s in range(sessions):
                if s:
                    given += 7 + int(jitter[j, s])
                if given > limit[e]:
                    break
                row = base | {"kind": what, "given_on": given, "notes": ADJUNCT_NOTES[what]}
                if what == "shockwave":
                    row |= {
                        "shockwave_type": SHOCKWAVE_PROTOCOL.shockwave_type,
                        "impulses": SHOCKWAVE_PROTOCOL.impulses,
                        "energy_flux": SHOCKWAVE_PROTOCOL.energy_flux,
                        "session_number": s + 1,
                        "sessions_planned": sessions,
                        "screen_json": screen,
                        "override_reason": reason,
                    }
                rows.append(row)
        columns = [
            "episode_id", "kind", "given_on", "clinician_id", "shockwave_type", "impulses", "energy_flux",
            "session_number", "sessions_planned", "injection_type", "side", "image_guidance", "notes", "created_by",
            "agent", "dose", "given_by", "review_on", "screen_json", "override_reason",
        ]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        given = frame["given_on"].to_numpy(dtype="int64")
        frame["given_on"] = _dates(given)
        review = frame["review_on"].to_numpy(dtype="float64")
        frame["review_on"] = (
            pd.Series(_dates(np.nan_to_num(review).astype("int64"))).where(~np.isnan(review)).to_numpy()
        )
        for column in ("impulses", "session_number", "sessions_planned"):
            frame[column] = _ints(
                frame[column].to_numpy(dtype="float64"), dtype="Int32" if column == "impulses" else "Int16"
            )
        frame["energy_flux"] = frame["energy_flux"].astype("float64")
        frame["created_at"] = self.stamps(given)
        frame = frame.sort_values(["given_on", "episode_id"], kind="stable", ignore_index=True)
        frame.insert(0, "treatment_id", np.arange(1, len(frame) + 1))
        return frame

    def _imaging(self, E, ctx) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """Imaging for about one case in five (more when chronic), the urgent MRI of every suspected avulsion
        and the X-ray of a suspected fracture (§2, §6)."""
        rng = self.rng
        n = len(E["opened"])
        opened, flag, path = E["opened"], E["flag"], E["path"]
        visit_day = opened[:, None] + E["off"]
        last_day = visit_day[np.arange(n), E["n_vis"] - 1]
        limit = np.minimum(np.where(E["closed"], E["closes"], E["cutoff"]), self.today)
        chance = np.select(
            [path == PROXIMAL, path == DISTAL], [np.where(E["severity"] == CHRONIC, 0.35, 0.18), 0.12], 0
        )
        routine = np.isin(flag, (NO_FLAG, NIGHT, SYSTEMIC, NEURO)) & (rng.random(n) < chance)
        day = opened + rng.integers(0, 57, n)
        routine &= day <= np.minimum(limit, np.maximum(last_day, opened))
        mri = (path == PROXIMAL) & (rng.random(n) < 0.55)
        age = E["age"] + (day - opened) / 365.25
        u = rng.random(n)
        grade = np.select([u < 0.05, u < 0.5, u < np.where(age > 45, 0.65, 0.8)], [0, 1, 2], 3)
        avulsed = (flag == AVULSION) & (E["kind"] == REFERRED_AT_FLAG)
        mri_day = np.minimum(opened + rng.integers(1, 5, n), E["closes"])
        avulsed &= mri_day <= self.today
        xray_day = np.minimum(opened + rng.integers(0, 4, n), E["closes"])
        fractured = (flag == FRACTURE) & (xray_day <= self.today)
        teen = E["age"] < 18
        bony = rng.random(n) < 0.15
        tendons = np.where(rng.random(n) < 0.75, rng.integers(2, 4, n), 1)
        retraction = np.round(rng.uniform(1.0, 6.0, n) * 2) / 2
        thick = np.round(rng.uniform(6, 11, n), 1)

        pieces = []
        r = np.nonzero(routine)[0]
        is_mri = mri[r]
        g = np.where(is_mri, grade[r], -1)
        region = E["region"][r]
        tendon = _choice(rng, ["conjoint", "semimembranosus", "both"], len(r), [0.5, 0.3, 0.2])
        report = np.where(
            region > 0,
            np.where(region == 1, DISTAL_REPORT["medial"], DISTAL_REPORT["lateral"]),
            np.where(is_mri, MRI_REPORTS[np.maximum(g, 0)], US_REPORT),
        )
        pieces.append(
            pd.DataFrame(
                {
                    "ep": r,
                    "day": day[r],
                    "modality": np.where(is_mri, "mri", "ultrasound"),
                    "mri_type": _ints(g, is_mri),
                    "thickening": g != 0,
                    "hypoechogenicity": ~is_mri,
                    "neovascularity": ~is_mri & (rng.random(len(r)) < 0.3),
                    "partial_tear": g == 3,
                    "peritendinous_oedema": is_mri & (g >= 1) & (rng.random(len(r)) < 0.5),
                    "bone_marrow_oedema": g == 2,
                    "avulsion": False,
                    "tendons_avulsed": _ints(np.zeros(len(r)), np.zeros(len(r), dtype=bool)),
                    "retraction_cm": np.full(len(r), np.nan),
                    "tendons_involved": _where(region == 0, tendon),
                    "thickness_mm": pd.Series(thick[r]).where(~is_mri).to_numpy(),
                    "report_text": report,
                }
            )
        )
        a = np.nonzero(avulsed)[0]
        pieces.append(
            pd.DataFrame(
                {
                    "ep": a,
                    "day": mri_day[a],
                    "modality": "mri",
                    "mri_type": _ints(np.full(len(a), 4), bony[a]),
                    "thickening": False,
                    "hypoechogenicity": False,
                    "neovascularity": False,
                    "partial_tear": False,
                    "peritendinous_oedema": True,
                    "bone_marrow_oedema": bony[a],
                    "avulsion": True,
                    "tendons_avulsed": _ints(tendons[a]),
                    "retraction_cm": retraction[a],
                    "tendons_involved": np.where(tendons[a] >= 2, "both", "conjoint"),
                    "thickness_mm": np.full(len(a), np.nan),
                    "report_text": np.where(bony[a], AVULSION_REPORT["bony"], AVULSION_REPORT["tendon"]),
                }
            )
        )
        f = np.nonzero(fractured)[0]
        pieces.append(
            pd.DataFrame(
                {
                    "ep": f,
                    "day": xray_day[f],
                    "modality": "xray",
                    "mri_type": _ints(np.zeros(len(f)), np.zeros(len(f), dtype=bool)),
                    "thickening": False,
                    "hypoechogenicity": False,
                    "neovascularity": False,
                    "partial_tear": False,
                    "peritendinous_oedema": False,
                    "bone_marrow_oedema": False,
                    "avulsion": False,
                    "tendons_avulsed": _ints(np.zeros(len(f)), np.zeros(len(f), dtype=bool)),
                    "retraction_cm": np.full(len(f), np.nan),
                    "tendons_involved": None,
                    "thickness_mm": np.full(len(f), np.nan),
                    "report_text": np.where(teen[f], FRACTURE_REPORT["teen"], FRACTURE_REPORT["adult"]),
                }
            )
        )
        frame = pd.concat(pieces, ignore_index=True)
        frame["episode_id"] = ctx["eid"][frame["ep"].to_numpy()]
        frame = frame.sort_values(["day", "episode_id"], kind="stable", ignore_index=True)
        frame.insert(0, "imaging_id", np.arange(1, len(frame) + 1))
        days = frame["day"].to_numpy(dtype="int64")
        frame["imaged_on"] = _dates(days)
        frame["created_at"] = self.stamps(days)
        frame["created_by"] = self.usernames[E["clinician"][frame["ep"].to_numpy()]]
        # an imaging avulsion raises its own alert (§6), worded as the app words it
        av = frame[frame["avulsion"]]
        detail = []
        for d, t, cm, bone in zip(
            av["imaged_on"], av["tendons_avulsed"], av["retraction_cm"], av["mri_type"].fillna(0), strict=True
        ):
            text = f"Imaging {pd.Timestamp(d):%d %b %Y}: {'MRI type IV (bony avulsion)' if bone == 4 else 'avulsion'}"
            text += f" of {t} tendon(s) with {cm:g} cm retraction"
            if t >= self.t["avulsion_tendons"] or cm > self.t["avulsion_retraction_cm"]:
                text += ": urgent surgical opinion, ideally within 4 weeks of the injury"
            detail.append(text)
        raised = {
            "ep": av["ep"].to_numpy(dtype="int64"),
            "imaging_id": av["imaging_id"].to_numpy(dtype="int64"),
            "day": av["day"].to_numpy(dtype="int64"),
            "detail": np.asarray(detail, dtype=object),
        }
        return frame.drop(columns=["ep", "day"]), raised

    def _alerts(self, E, ctx, image_alerts) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Red flags as alerts (§6): routed by kind and resolved (referred, or ruled out at the next visit),
        before the episode closed; a few raised in the last two days are still open."""
        rng = self.rng
        today = self.today
        AID, STAMP = ctx["AID"], ctx["STAMP"]
        opened, flag, flag_k = E["opened"], E["flag"], E["flag_k"]
        f = np.nonzero((flag != NO_FLAG) & (flag_k >= 0) & (flag_k < E["n_vis"]))[0]
        kf = flag_k[f]
        fk = flag[f]
        day = opened[f] + E["off"][f, kf]
        stamp = STAMP[f, kf]
        nirschl = ctx["nirschl"][AID[f, kf] - 1]
        detail = np.asarray(FLAG_LABEL, dtype=object)[fk]
        detail = np.where(fk == NIGHT, detail + "; Nirschl phase " + nirschl.astype(str), detail)
        detail = detail + ". Action at the visit: " + np.asarray(FLAG_ACTION, dtype=object)[fk]
        follow = E["watch"][f] & (kf + 1 < E["n_vis"][f])
        open_ = ~E["closed"][f] & (day >= today - 2) & ~follow
        ruled = follow & (rng.random(len(f)) < 0.7)
        route = np.asarray([r[0] for r in FLAG_ROUTE], dtype=object)[fk]
        urgency = np.asarray([r[1] for r in FLAG_ROUTE], dtype=object)[fk]
        hurry = (fk == NEURO) & (rng.random(len(f)) < 0.2)  # progressing: seen the same day
        route = np.where((fk == NEURO) & (E["kind"][f] == REFERRED_AT_FLAG), "Spinal team (urgent review)", route)
        route = np.where(hurry, "Spinal team (same-day assessment)", route)
        urgency = np.where(hurry, "same_day", urgency)
        k_next = np.minimum(kf + 1, MAX_VISITS - 1)
        resolved_day = np.where(follow, opened[f] + E["off"][f, k_next], day)
        resolved_at = np.where(
            follow,
            STAMP[f, k_next] + np.timedelta64(15, "m"),
            stamp + (rng.integers(20, 180, len(f)) * 60).astype("timedelta64[s]"),
        )
        by = self.usernames[E["clinician"][f]]
        found = pd.DataFrame(
            {
                "ep": f,
                "kind": np.asarray(FLAG_ALERT_KIND, dtype=object)[fk],
                "detail": detail,
                "source": "assessment",
                "source_id": AID[f, kf],
                "day": day,
                "injury_on": pd.Series(_dates(E["onset"][f])).where(fk == AVULSION).to_numpy(),
                "raised_at": stamp,
                "raised_by": by,
                "open": open_,
                "resolution": np.where(ruled, "ruled_out", "referred"),
                "referred_to": _where(~ruled, route),
                "referral_urgency": _where(~ruled, urgency),
                "sent": resolved_day,
                "resolution_note": np.where(
                    ruled,
                    np.asarray(FLAG_RULED_OUT, dtype=object)[fk],
                    "Referral sent; the patient knows how soon to expect contact and what to do if it gets worse.",
                ),
                "resolved_at": np.minimum(resolved_at, self.at),
                "resolved_by": by,
                "review_aid": np.where(follow, AID[f, k_next], 0),
                "review_at": STAMP[f, k_next],
                "answer": np.where(ruled, "not_present", "still_present"),
            }
        )
        i = image_alerts["ep"]
        i_day = image_alerts["day"]
        i_stamp = self.stamps(i_day)
        i_by = self.usernames[E["clinician"][i]]
        imaged = pd.DataFrame(
            {
                "ep": i,
                "kind": "avulsion",
                "detail": image_alerts["detail"],
                "source": "imaging",
                "source_id": image_alerts["imaging_id"],
                "day": i_day,
                "injury_on": _dates(E["onset"][i]),
                "raised_at": i_stamp,
                "raised_by": i_by,
                "open": ~E["closed"][i] & (i_day >= today - 2),
                "resolution": "referred",
                "referred_to": "Orthopaedic surgeon (hip and knee)",
                "referral_urgency": "within_days",
                "sent": i_day,
                "resolution_note": "MRI shows the avulsion: referred for a surgical opinion within the 4-week window.",
                "resolved_at": np.minimum(i_stamp + np.timedelta64(30, "m"), self.at),
                "resolved_by": i_by,
                "review_aid": 0,
                "review_at": i_stamp,
                "answer": "",
            }
        )
        both = pd.concat([found, imaged], ignore_index=True)
        both["episode_id"] = ctx["eid"][both["ep"].to_numpy(dtype="int64")]
        both = both.sort_values(["day", "episode_id", "source"], kind="stable", ignore_index=True)
        both["alert_id"] = np.arange(1, len(both) + 1)
        is_open = both["open"].to_numpy(dtype=bool)
        alerts = pd.DataFrame(
            {
                "alert_id": both["alert_id"],
                "episode_id": both["episode_id"],
                "kind": both["kind"],
                "detail": both["detail"],
                "source": both["source"],
                "source_id": both["source_id"].astype("int64"),
                "raised_on": _dates(both["day"].to_numpy(dtype="int64")),
                "injury_on": both["injury_on"],
                "raised_at": both["raised_at"],
                "raised_by": both["raised_by"],
                "status": np.where(is_open, "open", "resolved"),
                "resolution": _where(~is_open, both["resolution"]),
                "referred_to": _where(~is_open, both["referred_to"]),
                "referral_urgency": _where(~is_open, both["referral_urgency"]),
                "referral_sent_on": pd.Series(_dates(both["sent"].to_numpy(dtype="int64"))).where(
                    ~is_open & (both["resolution"] == "referred").to_numpy()
                ),
                "resolution_note": _where(~is_open, both["resolution_note"]),
                "resolved_at": pd.Series(both["resolved_at"]).where(~is_open),
                "resolved_by": _where(~is_open, both["resolved_by"]),
            }
        )
        seen = both[both["review_aid"] > 0]
        reviews = pd.DataFrame(
            {
                "alert_id": seen["alert_id"].to_numpy(),
                "assessment_id": seen["review_aid"].to_numpy(),
                "answer": seen["answer"].to_numpy(),
                "recorded_at": np.minimum(seen["review_at"].to_numpy(), self.at),
                "recorded_by": seen["resolved_by"].to_numpy(),
            }
        )
        return alerts, reviews

    def _episodes(self, E, S, ctx, pid) -> pd.DataFrame:
        n = len(E["opened"])
        closed = E["closed"]
        status = np.asarray(["open", "discharged", "referred_on"], dtype=object)[E["status"]]
        user = self.usernames[E["clinician"]]
        created = ctx["STAMP"][:, 0]
        closed_at = np.minimum(_dates(E["closes"]).astype("datetime64[s]") + np.timedelta64(17, "h"), self.at)
        frame = pd.DataFrame(
            {
                "episode_id": ctx["eid"],
                "patient_id": pid[E["patient"]],
                "side": np.asarray(SIDES, dtype=object)[E["side"]],
                "region": np.asarray(REGIONS, dtype=object)[E["region"]],
                "onset_type": np.where(E["sudden"], "sudden", "gradual"),
                "onset_date": _dates(E["onset"]),
                "load_change": np.where(E["sudden"], self.rng.random(n) < 0.3, self.rng.random(n) < 0.6)
                & ~(E["post_op"] | np.isin(E["flag"], (AVULSION, FRACTURE))),
                "sport": np.asarray([s.name for s in SPORTS], dtype=object)[E["sport"]],
                "severity": np.asarray(SEVERITIES, dtype=object)[E["severity"]],
                "post_operative": E["post_op"],
                "surgery_date": pd.Series(_dates(np.maximum(E["surgery"], 0))).where(E["post_op"]).to_numpy(),
                "clinician_id": E["clinician"],
                "referral_source": E["referral"],
                "status": status,
                "opened_on": _dates(E["opened"]),
                "closed_on": pd.Series(_dates(E["closes"])).where(closed).to_numpy(),
                "discharge_outcome": E["outcome"],
                "referred_to": E["referred_to"],
                "closing_note": E["closing_note"],
                "created_at": created,
                "created_by": user,
                "updated_at": np.where(closed, closed_at, created),
                "updated_by": user,
            }
        )
        return frame.sort_values("episode_id", ignore_index=True)


def _first_recorded(out: np.ndarray) -> np.ndarray:
    """Each row's first value that is not NaN (the baseline, §9)."""
    has = ~np.isnan(out)
    first = np.argmax(has, axis=1)
    value = out[np.arange(len(out)), first].astype("float64")
    return np.where(has.any(axis=1), value, np.nan)


def _ascii(text: str) -> str:
    """Latin letters without accents, for an e-mail address; empty for other alphabets."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = plain.lower().replace("'", "").replace(" ", "")
    return plain if plain.replace(".", "").isalpha() and len(plain) > 3 else ""


# -- words -------------------------------------------------------------------------------------------------

IMP_FIRST, IMP_FIRST_MEDIAL, IMP_FIRST_LATERAL, IMP_FIRST_REPAIR = range(4)
IMP_BETTER, IMP_STEADY, IMP_STALLED, IMP_RECOVERED, IMP_PROTOCOL, IMP_ESCALATED, IMP_REVIEWED = range(4, 11)
IMPRESSIONS = np.array(
    [
        "Deep ache at the sit bone, worse sitting and bending: proximal hamstring tendinopathy.",
        "Pain behind the inner knee on resisted knee bending: distal medial hamstring tendinopathy.",
        "Pain behind the outer knee on resisted knee bending: distal biceps femoris tendinopathy.",
        "Early after a proximal hamstring repair: wound healed; following the surgeon's protocol.",
        "Settling with loading: less pain and better function.",
        "Slow but steady; loading tolerated.",
        "Little change despite steady loading.",
        "Back to full activity with little or no pain.",
        "Recovering within the surgeon's protocol.",
        "Stalled despite well-run loading: escalation agreed with the patient.",
        "Red flag reviewed at this visit.",
    ],
    dtype=object,
)
FLAG_IMPRESSION = np.array(
    [
        "",
        "Pain at rest and at night (Nirschl 6-7): red flag, medical review needed.",
        "Unexplained weight loss: red flag, medical review needed.",
        "Pins and needles and weakness below the knee: red flag, neurological review needed.",
        "Suspected proximal hamstring avulsion: red flag, urgent MRI and surgical opinion.",
        "Bony tenderness after a sprint start: suspected avulsion fracture (red flag).",
        "Possible cauda equina: sent to the emergency department now.",
    ],
    dtype=object,
)
_TIER_WORDS = ("", " alongside the adjunct treatment", " after the injection", "")
PLANS = np.array(
    [
        [
            [
                (
                    f"Follow the surgeon's protocol at stage {stage}; review in {w} week{'s' if w > 1 else ''}."
                    if tier == 3
                    else f"Continue stage {stage} loading{_TIER_WORDS[tier]}; review in {w} week{'s' if w > 1 else ''}."
                )
                for w in range(9)
            ]
            for stage in range(1, 5)
        ]
        for tier in range(4)
    ],
    dtype=object,
)
URGENT_PLANS = np.array(
    [
        "",
        "",
        "",
        "Referred for an urgent spinal review; no loading until then.",
        "Urgent MRI and surgical opinion arranged; crutches, no stretching or loading until seen.",
        "X-ray requested and sports physician within a week; no sprinting or loading until seen.",
        "Emergency department now.",
    ],
    dtype=object,
)
HOLD_PLANS = np.array(
    [f"Loading held while the red flag is followed up; review in {w} week{'s' if w > 1 else ''}." for w in range(9)],
    dtype=object,
)
STAGE_REASONS = np.array(
    [
        "",
        "",
        "Green sessions and settled mornings for two weeks: progressed to slow heavy strength work.",
        "Strong and settled: progressed to strength work into hip flexion.",
        "Settled with loading into hip flexion: started running drills and a return to sport.",
    ],
    dtype=object,
)
DISTAL_STAGE_REASONS = np.array(
    [
        "",
        "",
        "Green sessions and settled mornings for two weeks: progressed to slow knee-bend strength.",
        "Strong and settled: progressed to harder knee-bend strength (assisted Nordics).",
        "Settled with Nordic work: started running drills and a return to sport.",
    ],
    dtype=object,
)
DISMISS_REASONS = (
    "Patient prefers four more weeks of loading first",
    "Away for a month; revisit at the next visit",
    "Loading only just progressed; reconsider at the review",
)
TREATMENT_WORDS = {
    "shockwave": "radial shockwave (4 weekly sessions)",
    "dry_needling": "dry needling",
    "soft_tissue": "soft tissue work",
    "prp": "a PRP injection",
    "corticosteroid": "a corticosteroid injection around the tendon",
}
DECISION_WHY = {
    "shockwave": "no meaningful change after 12 weeks of loading",
    "dry_needling": "wants a hands-on adjunct; not keen on shockwave",
    "soft_tissue": "under 18, so no shockwave; soft tissue work with the loading",
    "prp": "no change after adjunct care; PRP discussed and chosen",
    "corticosteroid": "no change after adjunct care; short-term relief wanted for a big event",
}
INJECTIONS = {  # agent, dose
    "prp": ("Autologous platelet-rich plasma (leukocyte-poor)", "4 mL"),
    "corticosteroid": ("Triamcinolone acetonide 40 mg/mL with 1% lidocaine", "40 mg (1 mL) with 2 mL lidocaine"),
}
INJECTION_NOTES = {
    "prp": "Around the tendon origin under ultrasound. No anti-inflammatories from a week before to two weeks after.",
    "corticosteroid": "Around (not into) the tendon. Relative rest for 48 hours, then back to loading.",
}
ADJUNCT_NOTES = {
    "shockwave": "Radial shockwave over the painful tendon; loading continues.",
    "dry_needling": "Dry needling of the hamstring muscle; loading continues.",
    "soft_tissue": "Soft tissue work to the hamstring and gluteal muscles; loading continues.",
}
OVERRIDES = {
    "bleeding": "Takes apixaban: GP agreed to go ahead; bruising risk explained and accepted.",
    "anticoagulant_antiplatelet": "Low-dose aspirin paused for a week with the GP's agreement.",
    "uncontrolled_diabetes": "HbA1c 62: will check glucose for five days after; GP informed.",
}
US_REPORT = "Thickened, hypoechoic proximal hamstring origin; no tear. (fictional demo report)"
MRI_REPORTS = np.array(
    [
        "Normal proximal hamstring origin. (fictional demo report)",
        "Intratendinous signal change at the proximal hamstring origin (type I). (fictional demo report)",
        "Tendinopathy with ischial bone and soft-tissue oedema (type II). (fictional demo report)",
        "Curvilinear fluid signal at the origin: partial tear (type III). (fictional demo report)",
    ],
    dtype=object,
)
DISTAL_REPORT = {
    "medial": "Thickened distal semimembranosus tendon with Doppler signal; no tear. (fictional demo report)",
    "lateral": "Thickened distal biceps femoris tendon; no tear. (fictional demo report)",
}
AVULSION_REPORT = {
    "tendon": "Avulsion of the proximal hamstring tendons from the ischial tuberosity with retraction. "
    "(fictional demo report)",
    "bony": "Bony avulsion of the ischial tuberosity (type IV) with the tendons attached. (fictional demo report)",
}
FRACTURE_REPORT = {
    "teen": "Ischial apophyseal avulsion fracture, displaced 9 mm. (fictional demo report)",
    "adult": "No fracture seen on X-ray; MRI advised to exclude a stress fracture. (fictional demo report)",
}


# -- building ---------------------------------------------------------------------------------------------


def build_demo(db: Database, *, cases: int = 150, seed: int = 1, today: date | None = None) -> dict[str, int]:
    """Fill an empty database with a demo clinic of ``cases`` episodes. Returns row counts."""
    if cases < 1:
        raise ValueError("The demo needs at least one case.")
    today = today or date.today()
    if db.scalar("SELECT count(*) FROM patients") or db.scalar("SELECT count(*) FROM users"):
        raise ValueError(f"{db.path} already holds a clinic; the demo is built only into an empty database.")
    at = utc_now()
    clinic = _Clinic(np.random.default_rng(seed), cases, today, at)
    episodes = clinic.plan()
    clinic.book(episodes)
    played = clinic.play(episodes)
    clinic.close(episodes, played)
    frames = clinic.records(episodes, played)
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
    return _bulk_insert(db, at, {"users": users, **frames})


def _bulk_insert(db: Database, at: datetime, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    with db.transaction() as cur:
        for name, frame in frames.items():
            bulk.load(cur, name, frame)
        for key, value in CLINIC:
            sql.set_setting(cur, key, value, at, "demo")
        case_state.refresh_all(cur)
        audit.append(
            cur,
            "demo",
            "create",
            "demo_clinic",
            None,
            after={name: len(frame) for name, frame in frames.items() if name != "users"},
        )
    db.checkpoint()
    db.analyze()
    return {
        "users": len(frames["users"]),
        "patients": len(frames["patients"]),
        "episodes": len(frames["episodes"]),
        "assessments": len(frames["assessments"]),
        "imaging_reports": len(frames["imaging_reports"]),
        "treatments": len(frames["treatments"]),
        "red_flag_alerts": len(frames["red_flag_alerts"]),
    }
