import os
import shutil
from datetime import date

import pytest

from dashboard.domain.model import Role, User
from dashboard.services import auth
from dashboard.services.demo import build_demo
from dashboard.storage.db import Database, open_database

TODAY = date(2026, 11, 25)
READING_GRADES: dict[str, float] = {}  # filled by tests/test_handout_variants.py, listed at the end of the run
ACCESSIBILITY: list[str] = []  # filled by tests/test_accessibility.py (axe per page; Streamlit's own, by rule)
# The browser journeys' window: BROWSER_WIDTH=1280 or 1024 runs them at a laptop's or a tablet's width
# (tests/test_browser_layout.py visits every page at all three widths in any case).
SCREENS = {1440: 1000, 1280: 800, 1024: 768}


def pytest_terminal_summary(terminalreporter):
    if READING_GRADES:
        terminalreporter.write_sep("-", "handout reading grade (Flesch-Kincaid, must be 7 or below)")
        for name, grade in READING_GRADES.items():
            terminalreporter.write_line(f"{name:<32} {grade:4.1f}")
    if ACCESSIBILITY:
        terminalreporter.write_sep("-", "accessibility (axe-core, WCAG 2.2 AA): elements per page; Streamlit's own")
        for line in ACCESSIBILITY:
            terminalreporter.write_line(line)


# -- the database engines -----------------------------------------------------------------------------------
# Fixtures that make a database (demo_db, demo, clinic, db_target, ...) run each test on both engines: a DuckDB
# file, and a database on a real PostgreSQL 15 started once for the session (tests/pgserver.py). Tests about
# the DuckDB file itself (its bytes, its lock, its damage, .duckdb backups) use demo_path, which is a file.
ENGINES = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL, or a skip saying why it cannot run here."""
    from tests.pgserver import PgServer, Unavailable

    try:
        server = PgServer()
    except Unavailable as exc:
        pytest.skip(f"PostgreSQL cannot be started: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_demo_template(pg_server):
    """The demo clinic built once into a PostgreSQL template database."""
    name = pg_server.create(name="demo_template")
    db = open_database(pg_server.url(name))
    build_demo(db, cases=150, seed=1)
    db.close()
    return name


@pytest.fixture(scope="session")
def pg_empty_template(pg_server):
    """An empty, migrated PostgreSQL clinic database to copy."""
    name = pg_server.create(name="empty_template")
    open_database(pg_server.url(name)).close()
    return name


def only_duckdb(db, why: str) -> None:
    """Skip the PostgreSQL variant of a test that is about the DuckDB file itself."""
    if db.engine != "duckdb":
        pytest.skip(f"DuckDB only: {why}")


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def _pg_copy(request, template_fixture: str):
    server = request.getfixturevalue("pg_server")
    name = server.create(template=request.getfixturevalue(template_fixture))
    request.addfinalizer(lambda: server.drop(name))
    return server.url(name)


@pytest.fixture
def db_target(engine, request, tmp_path):
    """Where a copy of the demo clinic is: a DuckDB file's path, or a PostgreSQL URL."""
    if engine == "postgresql":
        return _pg_copy(request, "pg_demo_template")
    return request.getfixturevalue("demo_path")


@pytest.fixture
def empty_target(engine, request, tmp_path):
    """Where a new, empty clinic database goes: a DuckDB file's path, or a migrated PostgreSQL database's URL."""
    if engine == "postgresql":
        return _pg_copy(request, "pg_empty_template")
    return tmp_path / "clinic.duckdb"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """One demo clinic built per test run; tests that write get their own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    db = Database(path)
    build_demo(db, cases=150, seed=1)
    db.close()
    return path


@pytest.fixture
def demo_path(demo_template, tmp_path):
    """A copy of the demo clinic as a DuckDB file (tests about the file; others use db_target)."""
    target = tmp_path / "clinic.duckdb"
    shutil.copy(demo_template, target)
    return target


@pytest.fixture
def demo_db(db_target):
    db = open_database(db_target)
    yield db
    db.close()


@pytest.fixture
def demo(db_target):
    """A copy of the demo clinic: (where it is: a path or a URL, an open Database on it)."""
    db = open_database(db_target)
    yield db_target, db
    db.close()


@pytest.fixture
def clinic(empty_target):
    """An empty real clinic with an administrator, a clinician and a read-only user."""
    db = open_database(empty_target)
    admin_id = auth.create_user(db, None, "boss", "Bo Boss", "administrator", "admin-password-1", first_admin=True)
    admin = User(admin_id, "boss", "Bo Boss", Role.ADMINISTRATOR)
    clin_id = auth.create_user(db, admin, "ana", "Ana Physio", "clinician", "clinician-pass-1")
    ro_id = auth.create_user(db, admin, "reader", "Rea Der", "read_only", "quiet-shelf-reading-12")
    db.actors = {
        "admin": admin,
        "clinician": User(clin_id, "ana", "Ana Physio", Role.CLINICIAN),
        "read_only": User(ro_id, "reader", "Rea Der", Role.READ_ONLY),
    }
    yield db
    db.close()


PATIENT = {
    "clinic_id": "P-001",
    "given_name": "Zoë",
    "family_name": "O'Brien",
    "date_of_birth": "1984-03-02",
    "sex": "female",
    "phone": "+44 20 7946 0000",
    "email": "zoe@example.org",
}


def episode_values(clinician_id, **over):
    values = {
        "side": "left",
        "region": "proximal",
        "onset_type": "gradual",
        "onset_date": "2026-08-01",
        "severity": "moderate",
        "clinician_id": clinician_id,
        "opened_on": "2026-09-01",
        "sport": "Running",
        "load_change": True,
    }
    values.update(over)
    return values


def full_assessment(**over):
    """A complete, valid assessment of a proximal (left) case with every section filled."""
    values = {
        "assessed_on": "2026-09-01",
        "pain_avg": 5,
        "pain_worst": 7,
        "pain_task": 6,
        "pain_task_name": "Running 5 km",
        "sitting_minutes": 20,
        "morning_stiffness": True,
        "next_morning": "not_settled",
        "aggravating": ["sitting", "running"],
        "previous_injury": False,
        "low_back_pain": True,
        "nirschl_phase": 4,
        **{f"visa_h_{i}": 5 for i in range(1, 7)},
        "visa_h_7": 4,
        "visa_h_8": 12,
        "groc": 0,
        "palpation_left": "marked",
        "palpation_right": "none",
        "test_puranen_orava_left": "positive",
        "test_puranen_orava_left_pain": 5,
        "test_bent_knee_left": "negative",
        "test_modified_bent_knee_left": "positive",
        "test_modified_bent_knee_left_pain": 6,
        "test_modified_bent_knee_right": "negative",
        "test_arabesque_left": "not_done",
        "test_bridge_left": "positive",
        "test_bridge_left_pain": 4,
        "pain_exercise": 3,
        "bridge_reps_left": 12,
        "bridge_reps_right": 28,
        "bridge_pain_left": 4,
        "bridge_pain_right": 0,
        "strength_method": "hand_held",
        "strength_unit": "N",
        "strength_range": "outer",
        "strength_left": 180.0,
        "strength_right": 240.5,
        "impression": "Left proximal hamstring tendinopathy <reactive>",
        "plan": "Isometrics & sitting advice",
        "next_review_on": "2026-09-15",
    }
    values.update(over)
    return values


@pytest.fixture
def open_case(clinic):
    """A patient with an open episode in the empty clinic: (db, clinician, patient_id, episode_id)."""
    from dashboard.services import records

    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    episode_id = records.open_episode(clinic, clin, patient_id, episode_values(clin.user_id), today=TODAY)
    return clinic, clin, patient_id, episode_id


def distal_assessment(**over):
    """A complete, valid assessment of a distal (left) case: its own outcome and tests (CLINICAL.md §7)."""
    values = {k: v for k, v in full_assessment().items() if not k.startswith(("visa_h", "test_", "palpation_"))}
    values.pop("sitting_minutes")
    values.update(
        aggravating=["running"],
        psfs_1_activity="Running",
        psfs_1_score=4,
        psfs_2_activity="Kneeling",
        psfs_2_score=6,
        distal_palpation="mild",
        test_resisted_flexion_extended_left="positive",
        test_resisted_flexion_extended_left_pain=5,
        test_resisted_flexion_90_left="negative",
    )
    values.update(over)
    return values


def post_operative_assessment(**over):
    """A complete, valid assessment after surgical repair: PHAT and the surgeon's protocol (CLINICAL.md §7)."""
    values = {k: v for k, v in full_assessment().items() if not k.startswith(("visa_h", "test_"))}
    values.update(
        phat_total=55,
        postop_phase="Phase 2: strength (weeks 6-12)",
        postop_brace=False,
        postop_hip_flexion_limit=90,
        postop_loaded_flexion_week=12,
        postop_restrictions="No running before week 12",
    )
    values.update(over)
    return values


# -- browser journeys (tests/browser_helpers.py has the helpers) -------------------------------------------


@pytest.fixture(scope="module")
def server(demo_template, tmp_path_factory):
    """The real server on a free local port, serving a copy of the demo clinic."""
    from tests.serverproc import Server

    folder = tmp_path_factory.mktemp("browser")
    path = folder / "clinic.duckdb"
    shutil.copy(demo_template, path)
    running = Server(path, extra_env={"CLINIC_REPORTS_DIR": str(folder / "reports")}).wait_ready()
    running.db_path = path
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    from playwright.sync_api import expect

    from tests.browser_helpers import RUN_COUNTER, WAIT, Shots

    width = int(os.environ.get("BROWSER_WIDTH", "1440"))
    context = browser.new_context(viewport={"width": width, "height": SCREENS.get(width, 900)}, accept_downloads=True)
    context.add_init_script(RUN_COUNTER)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    expect.set_options(timeout=WAIT)
    page.shots = Shots(page, request.node.name)
    yield page
    context.close()
