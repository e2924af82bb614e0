"""Patient import (all or nothing, exactly as written) and the demo clinic generator."""

import hashlib
import subprocess
import sys
import time

import pytest

from dashboard.domain import validation
from dashboard.domain.model import SYSTEM_USER, FieldProblems
from dashboard.services.demo import build_demo
from dashboard.services.importer import import_patients_csv
from dashboard.storage.db import Database

GOOD = (
    "patient_id,given_name,family_name,date_of_birth,sex,phone,email,side,region,onset_date,clinician\n"
    "ACC-1,Zoë,O'Brien,1984-03-02,female,+44 20 7946 0000,zoe@example.org,left,proximal,2026-08-01,amara.okafor\n"
    "ACC-2,Ελένη,Παπαδοπούλου,1990-12-31,,,,,,,\n"
    'ACC-3,Ольга,"Смирнова, née Wu",1975-06-15,female,,,right,distal_medial,2026-01-10,mei.tanaka\n'
)


def test_import_keeps_every_character(demo_db):
    report = import_patients_csv(demo_db, SYSTEM_USER, GOOD.encode("utf-8"))
    assert report == {"patients": 3, "episodes": 2, "read_as": []}
    rows = demo_db.rows(
        "SELECT clinic_id, given_name, family_name FROM patients WHERE clinic_id LIKE 'ACC-%' ORDER BY 1"
    )
    assert [(r["given_name"], r["family_name"]) for r in rows] == [
        ("Zoë", "O'Brien"),
        ("Ελένη", "Παπαδοπούλου"),
        ("Ольга", "Смирнова, née Wu"),
    ]
    tiers = demo_db.scalar(
        "SELECT count(*) FROM tier_changes t JOIN episodes e USING (episode_id)"
        " JOIN patients p USING (patient_id) WHERE p.clinic_id LIKE 'ACC-%'"
    )
    assert tiers == 2
    entry = demo_db.row("SELECT after_json FROM audit_log WHERE action = 'import'")
    assert hashlib.sha256(GOOD.encode()).hexdigest() in entry["after_json"]


def test_one_bad_row_imports_nothing_and_lists_every_bad_row(demo_db):
    bad = GOOD + (
        "ACC-4,,Lee,1990-01-01,,,,,,,\n"
        "ACC-5,Bo,Wu,1990-02-30,,,,,,,\n"
        "ACC-1,Dup,Licate,1990-01-01,,,,,,,\n"
        "ACC-6,Al,Ng,1990-01-01,,,,left,proximal,2026-01-01,nobody\n"
    )
    before = demo_db.scalar("SELECT count(*) FROM patients")
    with pytest.raises(FieldProblems) as refused:
        import_patients_csv(demo_db, SYSTEM_USER, bad.encode())
    problems = refused.value.problems
    assert set(problems) == {"row 5", "row 6", "row 7", "row 8"}
    assert "Given name is required" in problems["row 5"]
    assert "real date" in problems["row 6"]
    assert "also on row 2" in problems["row 7"]
    assert "not an active clinician" in problems["row 8"]
    assert demo_db.scalar("SELECT count(*) FROM patients") == before


@pytest.mark.parametrize(
    "data,where,text",
    [
        (b"given_name,family_name\nA,B\n", "header", "Missing required column"),
        (
            "patient_id,given_name,family_name,date_of_birth\nA,Zo\xeb,B,1990-01-01\n".encode("latin-1"),
            "file",
            "not UTF-8",
        ),
        (b"patient_id,given_name,family_name,date_of_birth\n", "file", "no patients"),
        (b"patient_id,given_name,family_name,date_of_birth,shoe\nA,B,C,1990-01-01,9\n", "header", "Unknown column"),
    ],
)
def test_unreadable_files_are_explained(demo_db, data, where, text):
    with pytest.raises(FieldProblems) as refused:
        import_patients_csv(demo_db, SYSTEM_USER, data)
    assert text in refused.value.problems[where]


def test_cli_import_exit_codes(demo_path, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text("patient_id,given_name,family_name,date_of_birth\nZ-1,,X,1990-01-01\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "dashboard", "import-patients", "--db", str(demo_path)]
    refused = subprocess.run(cmd + [str(bad)], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "row 2: Given name is required" in refused.stderr
    done = subprocess.run(cmd + [str(good)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Imported 3 patients and opened 2 episodes" in done.stdout


def _fingerprint(db):
    return [
        db.scalar(f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY 1)) FROM (SELECT * EXCLUDE ({drop}) FROM {table}) t")
        for table, drop in (
            ("patients", "created_at, updated_at"),
            ("episodes", "created_at, updated_at"),
            ("assessments", "created_at, updated_at, signed_at"),
        )
    ]


def test_demo_is_deterministic(tmp_path):
    dbs = []
    for name in ("a", "b"):
        db = Database(tmp_path / f"{name}.duckdb")
        build_demo(db, cases=300, seed=7, today=validation.parse_date("2026-11-25"))
        dbs.append(db)
    assert _fingerprint(dbs[0]) == _fingerprint(dbs[1])


def test_demo_has_realistic_varied_cases_that_pass_validation(demo_db):
    db = demo_db
    assert db.scalar("SELECT count(*) FROM episodes") == 150
    assert db.scalar("SELECT count(DISTINCT username) FROM users WHERE role = 'clinician'") >= 3
    assert db.scalar("SELECT count(*) FROM (SELECT patient_id FROM episodes GROUP BY 1 HAVING count(*) > 1) many") > 0
    assert db.scalar("SELECT count(*) FROM imaging_reports") > 0
    assert db.scalar("SELECT count(*) FROM tier_changes WHERE tier = 'adjunct'") > 0
    assert db.scalar("SELECT count(*) FROM assessments WHERE rf_rest_night_pain OR rf_neurological") > 0
    assert set(r["status"] for r in db.rows("SELECT DISTINCT status FROM episodes")) >= {"open", "discharged"}
    assert db.scalar("SELECT count(*) FROM patients WHERE clinic_id NOT LIKE 'DEMO-%'") == 0
    # every generated assessment is one the form would accept
    episodes = {r["episode_id"]: r for r in db.rows("SELECT * FROM episodes")}
    for row in db.rows("SELECT * FROM assessments ORDER BY random() LIMIT 300"):
        check = validation.check_assessment(
            row, episode=episodes[row["episode_id"]], today=validation.parse_date("2030-01-01")
        )
        assert check.problems == {}, (row["assessment_id"], check.problems)


def test_demo_of_100000_episodes_builds_in_under_a_minute(tmp_path):
    db = Database(tmp_path / "big.duckdb")
    started = time.perf_counter()
    counts = build_demo(db, cases=100_000, seed=1)
    took = time.perf_counter() - started
    assert counts["episodes"] == 100_000
    assert 900_000 <= counts["assessments"] <= 1_300_000
    assert took < 60, f"{took:.1f} s"
    db.close()


def test_demo_refuses_a_database_that_holds_a_clinic(demo_db):
    with pytest.raises(ValueError, match="already holds a clinic"):
        build_demo(demo_db, cases=10)
