"""Hardening after the attack review (issue 12): spreadsheet formulas in exports, anonymisation down to the
file's bytes, an audit trail that records only what happened, failures that clean up and say what was and
was not done, batches that are all or nothing, drafts that belong to their author, a damaged database file
refused at start, and command-line passwords kept off the command line."""

import csv
import errno
import io
import os
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from dashboard import config
from dashboard.domain.model import NotDone, Role, User
from dashboard.services import admin, alerts, auth, care, caseload, exports, records
from dashboard.services.records import NotYourDraft, RecordLocked
from dashboard.storage.db import Database, DatabaseDamaged
from tests.apptest import as_user, goto, start, texts
from tests.conftest import (
    TODAY,
    distal_assessment,
    episode_values,
    full_assessment,
    only_duckdb,
    post_operative_assessment,
)
from tests.serverproc import ROOT

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _handouts():
    from dashboard.services import handouts

    return handouts


def cli(*args, env=None, timeout=180, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
    )


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_no_formula(cells: list[list[str]]) -> None:
    for row in cells:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a number may start with - or +: a number is not a formula


# -- 2. CSV exports never carry a formula ---------------------------------------------------------------------


def test_the_csv_helper_prefixes_every_formula_start_and_keeps_numbers():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "O'Brien", None],
            "number": [-3.5, 2, -1, 0, 4, 5, 6, 7, 8],
        }
    )
    cells = csv_cells(exports.csv_bytes(frame))
    assert [row[0] for row in cells[1:]] == ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "O'Brien", ""]
    assert [row[1] for row in cells[1:]][:3] == ["-3.5", "2.0", "-1.0"]
    assert_no_formula(cells)


def test_caseload_and_audit_exports_neutralise_formulas(clinic):
    clin, boss = clinic.actors["clinician"], clinic.actors["admin"]
    for n, (given, family) in enumerate(
        [('=HYPERLINK("http://198.51.100.7/x","open")', "+1+2"), ("-3+4", "@SUM(A1:A9)")]
    ):
        patient_id = records.create_patient(
            clinic,
            clin,
            {"clinic_id": f"F-{n}", "given_name": given, "family_name": family, "date_of_birth": "1980-01-01"},
            today=TODAY,
        )
        records.open_episode(clinic, clin, patient_id, episode_values(clin.user_id), today=TODAY)
    data = caseload.export_csv(clinic, clin, caseload.CaseloadFilter(), today=TODAY)
    cells = csv_cells(data)
    assert_no_formula(cells)
    assert '\'=HYPERLINK("http://198.51.100.7/x","open") +1+2' in [c for row in cells for c in row]
    # a visitor who is not signed in types a formula as the username of a failed sign-in
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(clinic, '=HYPERLINK("http://198.51.100.7/y")', "whatever")
    cells = csv_cells(admin.export_audit(clinic, boss))
    assert_no_formula(cells)
    assert '\'=HYPERLINK("http://198.51.100.7/y")' in [c for row in cells for c in row]


# -- 3. anonymisation leaves nothing of the person in the file --------------------------------------------------

PERSON = {
    "clinic_id": "TP-48213",
    "given_name": "Zedekiah",
    "family_name": "Testperson",
    "date_of_birth": "1979-04-23",
    "sex": "male",
    "phone": "+44 20 7946 0123",
    "email": "zed.testperson@example.org",
}
IDENTIFIERS = ["Zedekiah", "Testperson", "TP-48213", "zed.testperson@example.org", "+44 20 7946 0123", "1979-04-23"]


def _file_bytes(db: Database) -> bytes:
    """What a person with the database could read: the DuckDB file (and its WAL) byte for byte; on PostgreSQL,
    where the files belong to the server, every row of every table (VACUUM FULL has rewritten the touched
    tables; the server's write-ahead log is the administrator's, see the README)."""
    if db.engine != "duckdb":
        tables = [
            r["table_name"]
            for r in db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        ]
        return "\n".join(repr(db.rows(f"SELECT * FROM {t}")) for t in tables).encode()
    db.checkpoint()
    data = db.path.read_bytes()
    wal = db.path.with_name(db.path.name + ".wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _found(data: bytes) -> list[str]:
    lowered = data.lower()
    return [i for i in IDENTIFIERS if i.lower().encode() in lowered]


def _a_full_record_naming_the_patient(db, tmp_path):
    """A patient whose identifiers appear in every free-text field a clinician can fill, and in the audit."""
    clin = db.actors["clinician"]
    admin.set_clinic_details(db, db.actors["admin"], {"clinic_name": "Test clinic", "clinic_phone": "01632 960000"})
    who = "Zedekiah Testperson (TP-48213, zed.testperson@example.org, +44 20 7946 0123, born 1979-04-23)"
    patient_id = records.create_patient(db, clin, PERSON, today=TODAY)
    records.update_patient(db, clin, patient_id, {**PERSON, "phone": "+44 20 7946 0123"}, 1, today=TODAY)
    proximal = records.open_episode(
        db,
        clin,
        patient_id,
        episode_values(
            clin.user_id,
            sport="Running club of Zedekiah Testperson",
            referral_source="GP letter re TP-48213, 1979-04-23",
        ),
        today=TODAY,
    )
    first = records.record_assessment(
        db,
        clin,
        proximal,
        full_assessment(
            pain_task_name="Zedekiah's 5 km",
            impression=f"Impression: {who}",
            plan="Ring Testperson on +44 20 7946 0123",
            rf_rest_night_pain=True,
            red_flag_action="Told Zedekiah Testperson to see the GP",
        ),
        today=TODAY,
    )
    records.sign_assessment(db, clin, first)
    records.add_addendum(db, clin, first, "Testperson rang", "Zedekiah confirmed DOB 1979-04-23")
    alert = db.row("SELECT alert_id, version FROM red_flag_alerts WHERE episode_id = ?", [proximal])
    second = records.record_assessment(
        db,
        clin,
        proximal,
        full_assessment(assessed_on="2026-09-15", alert_answers={alert["alert_id"]: "improving"}),
        today=TODAY,
    )
    assert second
    manual = alerts.raise_alert(
        db,
        clin,
        proximal,
        {"kind": "neurological", "detail": f"Call from {who}", "raised_on": "2026-09-16"},
        today=TODAY,
    )
    alerts.resolve(
        db,
        clin,
        manual,
        {
            "resolution": "referred",
            "referred_to": "Dr Testperson's surgery",
            "referral_urgency": "within_days",
            "referral_sent_on": "2026-09-16",
            "resolution_note": f"Letter to {who}",
        },
        1,
        today=TODAY,
    )
    care.change_tier(
        db,
        clin,
        proximal,
        {"tier": "regenerative", "effective_on": "2026-10-01", "reason": "Discussed with Zed Testperson's GP"},
        today=TODAY,
    )
    care.change_stage(
        db, clin, proximal, {"stage": 2, "effective_on": "2026-10-01", "reason": "Zedekiah ready"}, today=TODAY
    )
    from tests.test_treatment_safety import injection

    care.record_treatment(
        db,
        clin,
        proximal,
        injection(
            "2026-10-05",
            "prp",
            "bleeding",
            given_by="Dr Testperson (his cousin)",
            notes=f"For {who}",
            override_reason="Zedekiah Testperson consented after discussion",
        ),
        today=TODAY,
    )
    care.save_prescription(
        db,
        clin,
        proximal,
        [
            {
                "exercise": "Isometric bridge",
                "sets": 3,
                "reps": 5,
                "hold_seconds": 30,
                "load_cue": "Zedekiah: go light",
                "days_per_week": 5,
            }
        ],
    )
    care.decide(db, clin, proximal, "stalled", False, "Testperson prefers to wait")
    records.record_imaging(
        db, clin, proximal, {"modality": "mri", "imaged_on": "2026-09-20", "report_text": f"MRI of {who}"}, today=TODAY
    )
    distal = records.open_episode(
        db, clin, patient_id, episode_values(clin.user_id, region="distal_medial", side="right"), today=TODAY
    )
    records.record_assessment(
        db, clin, distal, distal_assessment(psfs_1_activity="Playing with Zedekiah's children"), today=TODAY
    )
    post_op = records.open_episode(
        db,
        clin,
        patient_id,
        episode_values(clin.user_id, post_operative=True, surgery_date="2026-08-20", side="right"),
        today=TODAY,
    )
    records.record_assessment(
        db,
        clin,
        post_op,
        post_operative_assessment(postop_phase="Testperson protocol", postop_restrictions=f"Per letter for {who}"),
        today=TODAY,
    )
    _handouts().issue(db, clin, proximal, reports_dir=tmp_path / "reports")
    caseload.export_csv(db, clin, caseload.CaseloadFilter(text="Testperson"), today=TODAY)
    admin.export_patient(db, db.actors["admin"], patient_id)
    for episode_id in (proximal, distal, post_op):
        version = db.scalar("SELECT version FROM episodes WHERE episode_id = ?", [episode_id])
        records.close_episode(
            db,
            clin,
            episode_id,
            {
                "status": "referred_on",
                "closed_on": "2026-11-20",
                "discharge_outcome": "unchanged",
                "referred_to": f"Surgeon, re {who}",
                "closing_note": "Goodbye Zedekiah",
            },
            version,
            today=TODAY,
        )
    return patient_id


def test_anonymisation_leaves_no_identifier_anywhere_in_the_database_file(clinic, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    patient_id = _a_full_record_naming_the_patient(clinic, tmp_path)
    assert set(_found(_file_bytes(clinic))) == set(IDENTIFIERS)  # the search does find them while they are there
    kept = {
        t: clinic.scalar(f"SELECT count(*) FROM {t}")
        for t in ("episodes", "assessments", "tier_changes", "red_flag_alerts", "alert_reviews", "treatments")
    }
    counts = admin.anonymise_patient(
        clinic, clinic.actors["admin"], patient_id, "Letter from Zedekiah Testperson (TP-48213) dated 2026-11-20"
    )
    assert _found(_file_bytes(clinic)) == []
    assert counts["audit rows redacted"] > 0
    # the clinical record stays (for the service figures), without the person
    assert {t: clinic.scalar(f"SELECT count(*) FROM {t}") for t in kept} == kept
    assert clinic.scalar("SELECT pain_avg FROM assessments ORDER BY assessment_id LIMIT 1") == 5
    # and the database still works afterwards
    clin = clinic.actors["clinician"]
    other = records.create_patient(clinic, clin, {**PERSON, "clinic_id": "TP-2", "given_name": "Al"}, today=TODAY)
    assert records.patient(clinic, clin, other)["given_name"] == "Al"


def test_every_table_holding_a_patients_rows_is_covered_by_anonymisation(clinic):
    from dashboard.storage import patient_data

    keyed = {
        r["table_name"]
        for r in clinic.rows(
            "SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND column_name IN ('patient_id', 'episode_id', 'assessment_id', 'alert_id', 'prescription_id')"
        )
    }
    assert keyed - set(patient_data.PATIENT_ROWS) == set()
    assert set(patient_data.NARRATIVE) <= set(patient_data.PATIENT_ROWS)


def test_reads_during_a_file_rewrite_wait_and_then_go_on(demo_db):
    import threading

    demo_db.limit_memory("128MB")  # as the app server has it (services/clinic.py): kept across the rewrite
    expected = demo_db.scalar("SELECT count(*) FROM assessments")
    failures, counts, stop = [], [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                counts.append(demo_db.scalar("SELECT count(*) FROM assessments"))
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    demo_db.rewrite_file()
    demo_db.rewrite_file()
    stop.set()
    for t in readers:
        t.join()
    assert failures == [] and set(counts) == {expected}
    if demo_db.engine == "duckdb":  # (PostgreSQL's memory is its server's own setting)
        assert demo_db.scalar("SELECT current_setting('memory_limit')") in ("128.0 MiB", "122.0 MiB", "128.0 MB")
    clin = as_user(demo_db, "amara.okafor")
    episode_id = demo_db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    records.record_assessment(demo_db, clin, episode_id, {"assessed_on": TODAY, "pain_avg": 1, "pain_worst": 2})
    assert demo_db.scalar("SELECT count(*) FROM assessments") == expected + 1


def test_patient_record_export_includes_red_flags_and_their_reviews(clinic, tmp_path, monkeypatch):
    import json
    import zipfile

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    patient_id = _a_full_record_naming_the_patient(clinic, tmp_path)
    record = json.loads(
        zipfile.ZipFile(io.BytesIO(admin.export_patient(clinic, clinic.actors["admin"], patient_id))).read(
            "record.json"
        )
    )
    assert len(record["red_flag_alerts"]) == 2 and len(record["alert_reviews"]) == 1


# -- 4. the audit trail says only what happened; failures clean up and say so -------------------------------


def _disk_full(monkeypatch):
    """The copy of a backup fails part-way, as on a full disk."""

    def copy(src, dst, *args, **kwargs):
        with open(dst, "wb") as out:
            out.write(b"\0" * 4096)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", copy)


def test_a_failed_backup_cleans_up_and_is_not_audited_as_made(demo_db, tmp_path, monkeypatch):
    only_duckdb(demo_db, "a .duckdb backup is a file copy; PostgreSQL's is pg_dump's")
    boss = as_user(demo_db, "admin")
    _disk_full(monkeypatch)
    with pytest.raises(NotDone) as failed:
        admin.backup(demo_db, boss, tmp_path / "bk")
    words = str(failed.value)
    assert "No space left on device" in words and "not made" in words and "unchanged" in words
    assert list((tmp_path / "bk").iterdir()) == []  # no .part, no half file, no checksum
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'backup'") == 0
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'backup_failed'") == 1


def test_a_successful_backup_is_audited_with_its_checksum(demo_db, tmp_path):
    target = admin.backup(demo_db, as_user(demo_db, "admin"), tmp_path / "bk")
    entry = demo_db.row("SELECT after_json FROM audit_log WHERE action = 'backup'")
    assert (
        str(target) in entry["after_json"]
        and (target.parent / (target.name + ".sha256")).read_text().split()[0] in entry["after_json"]
    )


FAILING_BACKUP = textwrap.dedent(
    """
    import errno, shutil, sys
    def copy(src, dst, *a, **k):
        open(dst, "wb").write(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")
    shutil.copyfile = copy
    from dashboard.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_cli_backup_on_a_full_disk_explains_without_a_traceback(demo_path, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FAILING_BACKUP, "backup", "--db", str(demo_path), "--out", str(tmp_path / "bk")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr and "not made" in done.stderr
    assert list((tmp_path / "bk").iterdir()) == []


@pytest.mark.parametrize(
    "args,words",
    [
        (["import-patients", "--db", "{db}", "{tmp}/missing.csv"], "missing.csv"),
        (["handouts", "--db", "{db}", "--episode", "1", "--out", "{tmp}/no/such/folder/x.pdf"], "folder"),
        (["users", "--db", "{db}", "add", "--name", "No Username"], "Username"),
        (["restore", "--backup", "{tmp}/nothing.duckdb", "--db", "{tmp}/new.duckdb"], "nothing.duckdb"),
        (["backup", "--db", "{db}", "--out", "{db}"], "folder"),
    ],
    ids=["import-missing-file", "handout-missing-folder", "user-without-name", "restore-missing", "backup-onto-file"],
)
def test_no_cli_command_shows_a_traceback(demo_path, tmp_path, args, words):
    done = cli(
        *[a.format(db=demo_path, tmp=tmp_path) for a in args],
        env={"CLINIC_REPORTS_DIR": str(tmp_path / "reports"), "CLINIC_NEW_PASSWORD": "long-enough-pw"},
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "error:" in done.stderr, done.stderr
    assert words in done.stderr


def _open_ids(db, n):
    return [r["episode_id"] for r in db.rows("SELECT episode_id FROM episodes WHERE status = 'open' ORDER BY 1")][:n]


def test_a_batch_with_an_unknown_episode_prints_and_records_nothing(demo_db, tmp_path):
    clin = as_user(demo_db, "amara.okafor")
    first, second, third = _open_ids(demo_db, 3)
    with pytest.raises(NotDone) as refused:
        _handouts().issue_many(demo_db, clin, [first, second, 999999, third], reports_dir=tmp_path)
    assert "999999" in str(refused.value) and "Nothing was printed or recorded" in str(refused.value)
    assert demo_db.scalar("SELECT count(*) FROM handouts_issued") == 0
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'issue'") == 0
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_batch_that_fails_while_recording_removes_its_archived_files(demo_db, tmp_path, monkeypatch):
    from dashboard.storage import handouts as handout_sql

    clin = as_user(demo_db, "amara.okafor")
    calls = []

    def insert_then_fail(cur, *args):
        calls.append(args)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(cur, *args)

    original = handout_sql.insert_issue
    monkeypatch.setattr(handout_sql, "insert_issue", insert_then_fail)
    with pytest.raises(NotDone, match="No space left on device"):
        _handouts().issue_many(demo_db, clin, _open_ids(demo_db, 3), reports_dir=tmp_path)
    assert demo_db.scalar("SELECT count(*) FROM handouts_issued") == 0
    assert not list(tmp_path.rglob("*.pdf")) and not list(tmp_path.rglob("*.part"))


def test_thresholds_saved_together_or_not_at_all(monkeypatch, demo):
    from dashboard.domain import rules

    path, db = demo
    at = goto(start(monkeypatch, path, as_user(db, "admin")), "rules_settings")
    stalled = rules.THRESHOLDS["stalled_weeks"]
    at.number_input(key="threshold_stalled_weeks").set_value(float(stalled.default + 1))
    at.number_input(key="threshold_pain_green_max").set_value(99.0)  # out of range: refused
    next(b for b in at.button if b.label == "Save thresholds").click()
    at.run()
    assert not at.exception
    assert db.scalar("SELECT count(*) FROM rule_thresholds") == 0  # the valid one was not saved alone
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'rule_threshold'") == 0
    shown = texts(at)
    assert "Nothing was saved" in shown and "others were saved" not in shown
    with pytest.raises(Exception, match="pain_green_max"):
        care.set_thresholds(db, as_user(db, "admin"), {"stalled_weeks": stalled.default + 1, "pain_green_max": 99})
    assert care.set_thresholds(db, as_user(db, "admin"), {"stalled_weeks": stalled.default + 1}) == 1
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'rule_threshold'") == 1


@pytest.mark.parametrize("page", ["case", "assessment", "imaging", "handouts"])
def test_a_bookmarked_case_that_does_not_exist_says_so(monkeypatch, demo, page):
    path, db = demo
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=999999), page)
    assert not at.exception
    assert "There is no case (episode) 999999" in texts(at)


def test_a_bookmarked_patient_that_does_not_exist_says_so(monkeypatch, demo):
    path, db = demo
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), patient_id=999999), "patient")
    assert not at.exception
    assert "There is no patient 999999" in texts(at)


# -- 5. a draft belongs to its author ---------------------------------------------------------------------------


def test_only_the_author_edits_or_signs_a_draft_and_others_amend_once_signed(open_case):
    db, ana, _, episode_id = open_case
    boss = db.actors["admin"]
    mei_id = auth.create_user(db, boss, "mei", "Mei Tanaka", "clinician", "clinician-pass-2")
    mei = User(mei_id, "mei", "Mei Tanaka", Role.CLINICIAN)
    draft = records.record_assessment(db, ana, episode_id, full_assessment(), today=TODAY)
    for someone in (mei, boss):
        with pytest.raises(NotYourDraft, match="Ana Physio"):
            records.update_draft(db, someone, draft, full_assessment(pain_avg=1), 1, today=TODAY)
        with pytest.raises(NotYourDraft):
            records.sign_assessment(db, someone, draft)
        with pytest.raises(RecordLocked, match="still a draft"):
            records.add_addendum(db, someone, draft, "Correction", "Pain was 4")
    assert db.scalar("SELECT signed_at FROM assessments WHERE assessment_id = ?", [draft]) is None
    assert db.scalar("SELECT pain_avg FROM assessments WHERE assessment_id = ?", [draft]) == 5
    records.update_draft(db, ana, draft, full_assessment(pain_avg=4), 1, today=TODAY)
    records.sign_assessment(db, ana, draft)
    records.add_addendum(db, mei, draft, "Seen again", "Pain settled")  # others amend a signed record
    assert db.scalar("SELECT signed_by FROM assessments WHERE assessment_id = ?", [draft]) == "ana"


def test_an_administrator_reassigns_a_draft_and_the_new_author_signs_it(open_case):
    db, ana, _, episode_id = open_case
    boss = db.actors["admin"]
    mei_id = auth.create_user(db, boss, "mei", "Mei Tanaka", "clinician", "clinician-pass-2")
    mei = User(mei_id, "mei", "Mei Tanaka", Role.CLINICIAN)
    draft = records.record_assessment(db, ana, episode_id, full_assessment(), today=TODAY)
    with pytest.raises(auth.NotAllowed):
        records.reassign_draft(db, ana, draft, "mei", "Ana is away")
    with pytest.raises(Exception, match="reason"):
        records.reassign_draft(db, boss, draft, "mei", " ")
    with pytest.raises(Exception, match="reader"):
        records.reassign_draft(db, boss, draft, "reader", "Cover")  # read-only users cannot write records
    records.reassign_draft(db, boss, draft, "mei", "Ana is away until March")
    assert len(records.my_drafts(db, mei)) == 1 and len(records.my_drafts(db, ana)) == 0
    with pytest.raises(NotYourDraft):
        records.sign_assessment(db, ana, draft)
    records.sign_assessment(db, mei, draft)
    entry = db.row("SELECT username, before_json, after_json FROM audit_log WHERE action = 'reassign'")
    assert entry["username"] == "boss" and '"ana"' in entry["before_json"] and '"mei"' in entry["after_json"]
    assert "Ana is away until March" in entry["after_json"]


# -- 6. a damaged database file is refused at start, naming the last backup ------------------------------------


def _damage(path, how):
    size = path.stat().st_size
    if how == "truncated":
        with open(path, "r+b") as f:
            f.truncate(size // 2)
        return
    # 64 KB overwritten inside a block that holds assessments (after the file's three 4 KB headers)
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        blocks = con.execute(
            "SELECT DISTINCT block_id FROM pragma_storage_info('assessments') WHERE persistent AND block_id >= 0"
            " ORDER BY 1"
        ).fetchall()
    with open(path, "r+b") as f:
        f.seek(3 * 4096 + blocks[len(blocks) // 2][0] * block_size + 1024)
        f.write(os.urandom(64 * 1024))


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
def test_a_damaged_file_is_refused_at_start_naming_the_last_backup(demo_path, tmp_path, how):
    from dashboard.services.clinic import open_clinic

    db = Database(demo_path)
    target = admin.backup(db, as_user(db, "admin"), tmp_path / "bk")
    db.close()
    _damage(demo_path, how)
    with pytest.raises(DatabaseDamaged) as refused:
        open_clinic(config.ClinicConfig(demo_path, demo=False))
    words = str(refused.value)
    assert "damaged" in words and str(target) in words and "restore" in words
    listed = cli("users", "--db", str(demo_path), "list")
    assert listed.returncode == 2 and "Traceback" not in listed.stderr
    assert "damaged" in listed.stderr and str(target) in listed.stderr
    served = cli("serve", "--port", "1", env={"CLINIC_DB": str(demo_path)}, timeout=120)
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert "damaged" in served.stderr and str(target) in served.stderr


def test_a_file_from_a_newer_version_is_refused(demo_path):
    db = Database(demo_path)
    with db.transaction() as cur:
        cur.execute("INSERT INTO schema_version VALUES (999, '999_future.sql', now()::TIMESTAMP)")
    db.close()
    with pytest.raises(DatabaseDamaged, match="newer version"):
        Database(demo_path)


# -- 8. batch printing and passwords ----------------------------------------------------------------------------


def test_a_batch_skips_closed_episodes_unless_asked(demo_db, tmp_path):
    clin = as_user(demo_db, "amara.okafor")
    first, second = _open_ids(demo_db, 2)
    closed = demo_db.scalar("SELECT min(episode_id) FROM episodes WHERE status <> 'open'")
    batch = _handouts().issue_many(demo_db, clin, [first, closed, second], reports_dir=tmp_path)
    assert [i.episode_id for i in batch.issued] == [first, second] and batch.skipped == [closed]
    assert demo_db.scalar("SELECT count(*) FROM handouts_issued WHERE episode_id = ?", [closed]) == 0
    asked = _handouts().issue_many(demo_db, clin, [closed], include_closed=True, reports_dir=tmp_path)
    assert [i.episode_id for i in asked.issued] == [closed] and asked.skipped == []


def test_cli_takes_a_password_only_from_the_environment_or_a_prompt(tmp_path):
    path = str(tmp_path / "clinic.duckdb")
    on_the_line = cli("users", "--db", path, "add", "--admin", "--username", "chief", "--password", "long-enough-pw")
    assert on_the_line.returncode == 2 and "Traceback" not in on_the_line.stderr
    assert "never on the command line" in on_the_line.stderr
    db = Database(path)
    assert not db.scalar("SELECT count(*) FROM users")
    db.close()
    without = cli("users", "--db", path, "add", "--admin", "--username", "chief")
    assert without.returncode == 2 and "CLINIC_NEW_PASSWORD" in without.stderr
    done = cli(
        "users", "--db", path, "add", "--admin", "--username", "chief", env={"CLINIC_NEW_PASSWORD": "long-enough-pw"}
    )
    assert done.returncode == 0, done.stderr
    db = Database(path)
    assert auth.sign_in(db, "chief", "long-enough-pw").username == "chief"
    db.close()
