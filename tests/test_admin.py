"""Backups and restore, a patient's record on request, anonymisation, the audit trail, and a writer
killed mid-burst."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from io import BytesIO

import pytest

from dashboard.domain.model import FieldProblems
from dashboard.services import admin, auth, handouts, records
from dashboard.services.records import RecordLocked
from dashboard.storage.db import Database
from tests.apptest import as_user, button, goto, start, texts
from tests.conftest import TODAY, full_assessment, only_duckdb
from tests.serverproc import ROOT

TABLES = (
    "patients",
    "episodes",
    "assessments",
    "imaging_reports",
    "tier_changes",
    "stage_changes",
    "users",
    "assessment_addenda",
)


def fingerprint(db):
    return {
        t: db.scalar(f"SELECT md5(coalesce(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR), '')) FROM {t} x")
        for t in TABLES
    }


def test_backup_then_restore_gives_the_same_data(demo_db, tmp_path):
    only_duckdb(demo_db, "restore makes a DuckDB file; a PostgreSQL backup is restored with pg_restore")
    admin_user = as_user(demo_db, "admin")
    clin = as_user(demo_db, "amara.okafor")
    episode_id = demo_db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    records.record_assessment(
        demo_db, clin, episode_id, {"assessed_on": TODAY.isoformat(), "pain_avg": 2, "pain_worst": 3}
    )  # sits in the WAL until checkpoint
    before = fingerprint(demo_db)
    with pytest.raises(auth.NotAllowed):
        admin.backup(demo_db, clin, tmp_path)
    backup = admin.backup(demo_db, admin_user, tmp_path / "backups")
    assert (backup.parent / (backup.name + ".sha256")).exists()
    restored_path = admin.restore(backup, tmp_path / "restored.duckdb", admin_user)
    restored = Database(restored_path)
    assert fingerprint(restored) == before
    assert restored.scalar("SELECT count(*) FROM audit_log WHERE action = 'restore'") == 1
    restored.close()
    with pytest.raises(FieldProblems, match="already exists"):
        admin.restore(backup, restored_path, admin_user)
    backup.write_bytes(backup.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(FieldProblems, match="checksum"):
        admin.restore(backup, tmp_path / "other.duckdb", admin_user)


def test_cli_backup_and_restore(demo_path, tmp_path):
    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "dashboard", *a], capture_output=True, text=True, timeout=120, cwd=ROOT
        )

    done = run("backup", "--db", str(demo_path), "--out", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    backup = next((tmp_path / "b").glob("*.duckdb"))
    done = run("restore", "--backup", str(backup), "--db", str(tmp_path / "r.duckdb"))
    assert done.returncode == 0, done.stderr
    a, b = Database(demo_path), Database(tmp_path / "r.duckdb")
    assert fingerprint(a) == fingerprint(b)
    a.close(), b.close()


def test_cli_backup_while_app_runs_says_what_to_do(demo_path, tmp_path):
    holder = Database(demo_path)
    code = (
        "import sys; from dashboard.cli import main; "
        "sys.exit(main(['backup', '--db', sys.argv[1], '--out', sys.argv[2]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(demo_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    holder.close()
    assert done.returncode == 2 and "Back up now" in done.stderr and "Traceback" not in done.stderr


def test_patient_record_export_has_everything_and_their_handouts(demo_db, tmp_path, monkeypatch):
    import dashboard.config as cfg

    monkeypatch.setattr(cfg, "REPORTS_DIR", tmp_path)
    admin_user, clin = as_user(demo_db, "admin"), as_user(demo_db, "amara.okafor")
    episode_id = demo_db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    patient_id = demo_db.scalar("SELECT patient_id FROM episodes WHERE episode_id = ?", [episode_id])
    issued = handouts.issue(demo_db, clin, episode_id)
    with pytest.raises(auth.NotAllowed):
        admin.export_patient(demo_db, clin, patient_id)
    archive = zipfile.ZipFile(BytesIO(admin.export_patient(demo_db, admin_user, patient_id)))
    record = json.loads(archive.read("record.json"))
    assert record["patient"][0]["patient_id"] == patient_id
    assert len(record["assessments"]) == demo_db.scalar(
        "SELECT count(*) FROM assessments JOIN episodes USING (episode_id) WHERE patient_id = ?", [patient_id]
    )
    assert f"handouts/{issued.path.name}" in archive.namelist()
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'export' AND entity = 'patient'") == 1


def test_anonymise_only_discharged_and_removes_identity_everywhere(open_case, tmp_path, monkeypatch):
    import dashboard.config as cfg

    monkeypatch.setattr(cfg, "REPORTS_DIR", tmp_path)
    db, clin, patient_id, episode_id = open_case
    boss = db.actors["admin"]
    records.record_assessment(db, clin, episode_id, full_assessment(impression="Zoë's left sit bone"), today=TODAY)
    admin.set_clinic_details(db, boss, {"clinic_name": "Test clinic", "clinic_phone": "+44 20 7946 0123"})
    issued = handouts.issue(db, clin, episode_id)
    with pytest.raises(RecordLocked, match="discharged"):
        admin.anonymise_patient(db, boss, patient_id, "Written request 2026-11-20")
    records.close_episode(
        db,
        clin,
        episode_id,
        {"status": "discharged", "closed_on": "2026-11-01", "discharge_outcome": "resolved"},
        1,
        today=TODAY,
    )
    with pytest.raises(FieldProblems):
        admin.anonymise_patient(db, boss, patient_id, " ")
    counts = admin.anonymise_patient(db, boss, patient_id, "Written request 2026-11-20")
    person = db.row("SELECT * FROM patients WHERE patient_id = ?", [patient_id])
    assert (person["given_name"], person["family_name"], person["phone"], person["email"]) == (
        "Anonymised",
        "Patient",
        None,
        None,
    )
    assert person["clinic_id"] == f"ANON-{patient_id}" and person["date_of_birth"].year == 1984
    assert db.scalar("SELECT count(*) FROM assessments WHERE impression IS NOT NULL") == 0
    assert not issued.path.exists() and counts["handout files deleted"] == 1
    everything = json.dumps(db.rows("SELECT * FROM audit_log"), default=str)
    assert "O'Brien" not in everything and "Zoë" not in everything and "zoe@example.org" not in everything
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'anonymise'") == 1
    assert db.scalar("SELECT count(*) FROM assessments") == 1  # clinical data kept for the service figures


def test_audit_trail_page_filters_and_exports(monkeypatch, demo_path):
    db = Database(demo_path)
    clin = as_user(db, "amara.okafor")
    episode_id = db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    records.record_assessment(db, clin, episode_id, {"assessed_on": TODAY.isoformat(), "pain_avg": 2, "pain_worst": 3})
    at = goto(start(monkeypatch, demo_path, as_user(db, "admin")), "audit")
    at.selectbox(key="audit_username").set_value("amara.okafor")
    at.run()
    shown = texts(at)  # in words: names, sentences, the patient; no codes or JSON
    patient = db.row(
        "SELECT p.* FROM patients p JOIN episodes e USING (patient_id) WHERE e.episode_id = ?", [episode_id]
    )
    name = f"{patient['given_name']} {patient['family_name']} ({patient['clinic_id']})"
    assert f"Amara Okafor · Recorded an assessment · {name}" in shown
    assert f"Assessment of {TODAY.isoformat()}" in shown
    assert "{" not in shown and "amara.okafor" not in shown  # no JSON, no usernames
    assert not [b for b in at.button if "delete" in b.label.lower() or "edit" in b.label.lower()]
    with pytest.raises(auth.NotAllowed):
        admin.audit_trail(db, clin)
    db.close()


def test_data_admin_page_backs_up(monkeypatch, demo_path, tmp_path):
    db = Database(demo_path)
    at = goto(start(monkeypatch, demo_path, as_user(db, "admin")), "data_admin")
    at.text_input(key="backup_folder").input(str(tmp_path / "bk"))
    button(at, "Back up now").click()
    at.run()
    assert "Backup written" in texts(at) and len(list((tmp_path / "bk").glob("*.duckdb"))) == 1
    db.close()


WRITER = """
import sys
from datetime import date
from dashboard.domain.model import Role, User
from dashboard.services import records
from dashboard.storage.db import Database
db = Database(sys.argv[1])
me = User(2, "amara.okafor", "Amara Okafor", Role.CLINICIAN)
episode_id = int(sys.argv[2])
for n in range(100000):
    assessment_id = records.record_assessment(db, me, episode_id, {"assessed_on": date.today(), "pain_avg": n % 10,
                                                                  "pain_worst": 10})
    print(assessment_id, flush=True)  # acknowledged: the transaction has committed
"""


def test_writer_killed_mid_burst_keeps_every_acknowledged_write(demo_path):
    db = Database(demo_path)
    episode_id = db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    before = db.scalar("SELECT count(*) FROM assessments")
    db.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(demo_path), str(episode_id)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip():
            acknowledged.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    acknowledged += [int(x) for x in proc.stdout.read().split()]  # anything printed before the kill
    assert len(acknowledged) >= 150
    db = Database(demo_path)  # the file opens after the crash
    present = {r["assessment_id"] for r in db.rows("SELECT assessment_id FROM assessments WHERE assessment_id > 0")}
    assert set(acknowledged) <= present
    audited = {int(r["entity_id"]) for r in db.rows("SELECT entity_id FROM audit_log WHERE entity = 'assessment'")}
    assert set(acknowledged) <= audited
    assert db.scalar("SELECT count(*) FROM assessments") >= before + len(acknowledged)
    db.close()


def test_audit_trail_reads_as_sentences_with_names_and_the_change(open_case):
    """Issue 14: what changed, in words, with the patient's name; names, not usernames; no JSON, no codes."""
    from dashboard.services import alerts, care

    db, clin, patient_id, episode_id = open_case
    boss, reader = db.actors["admin"], db.actors["read_only"]
    from tests.conftest import PATIENT

    records.update_patient(db, clin, patient_id, {**PATIENT, "phone": "+44 20 7946 0001"}, 1, today=TODAY)
    care.change_tier(db, clin, episode_id, {"tier": "adjunct", "effective_on": "2026-10-01", "reason": "No gain"})
    flag = {"kind": "neurological", "detail": "Foot drop", "raised_on": "2026-10-02"}
    alert_id = alerts.raise_alert(db, clin, episode_id, flag, today=TODAY)
    auth.set_role(db, boss, reader.user_id, "clinician")
    care.set_threshold(db, boss, "stalled_weeks", 10)
    admin.set_clinic_details(db, boss, {"clinic_name": "Eastside Physio", "clinic_phone": "0113 496 0000"})
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(db, "nobody.here", "wrong password")

    trail = admin.audit_trail(db, boss)
    shown = trail[["When (UTC)", "Who", "What", "Patient", "Details"]]
    said = {row["What"]: row for row in shown.to_dict("records")}
    person = "Zoë O'Brien (P-001)"
    assert said["Changed a patient's details"]["Patient"] == person
    assert said["Changed a patient's details"]["Details"] == "phone: +44 20 7946 0000 → +44 20 7946 0001"
    assert said["Changed the treatment tier"]["Who"] == "Ana Physio"
    assert said["Changed the treatment tier"]["Details"].startswith("Conservative → Adjunct, from 2026-10-01.")
    assert said["Raised a red flag"]["Patient"] == person and "Neurological" in said["Raised a red flag"]["Details"]
    assert said["Changed a user's role"]["Details"] == "Rea Der: Read only → Clinician"
    assert said["Changed a rule threshold"]["Details"].endswith(": 12 → 10")
    assert "clinic name: nothing → Eastside Physio" in set(shown["Details"])
    assert said["Sign-in refused"]["Who"] == "Typed name “nobody.here” (no such account)"
    for column in ("Who", "What", "Details"):
        assert not shown[column].str.contains(r"[{}]|_id|None|\bnan\b", regex=True).any(), column
    assert alert_id and trail["Username"].isin(["ana", "boss", "nobody.here"]).all()  # stored values kept
