"""Red flags are alerts on the episode (CLINICAL.md §6): raised from an assessment, imaging or by hand, with
their route and urgency; they stay until a clinician resolves them, recording what was done."""

from datetime import date, timedelta

import pytest

from dashboard.domain.model import ALERT_KINDS, FieldProblems
from dashboard.services import alerts, caseload, records
from dashboard.services.caseload import CaseloadFilter
from dashboard.storage.db import Database
from tests.conftest import TODAY, full_assessment

THREE_WEEKS_AGO = TODAY - timedelta(weeks=3)


def routine(**over):
    """A routine review: no red-flag box ticked."""
    return full_assessment(assessed_on=TODAY, next_review_on=TODAY + timedelta(days=14), **over)


def open_alerts(db, episode_id):
    return db.rows("SELECT * FROM red_flag_alerts WHERE episode_id = ? AND status = 'open'", [episode_id])


def test_red_flag_from_three_weeks_ago_stays_until_resolved_then_leaves_the_caseload(open_case):
    db, clin, _, episode_id = open_case
    records.record_assessment(
        db,
        clin,
        episode_id,
        full_assessment(
            assessed_on=THREE_WEEKS_AGO,
            next_review_on=TODAY,
            rf_neurological=True,
            red_flag_action="Pins and needles; GP letter today",
        ),
        today=TODAY,
    )
    [alert] = open_alerts(db, episode_id)
    assert alert["kind"] == "neurological" and alert["raised_on"] == THREE_WEEKS_AGO
    assert ALERT_KINDS["neurological"].route == "GP or spinal / neurology review"

    # a routine review that leaves the box empty is refused until it answers for the open flag ...
    with pytest.raises(FieldProblems) as refused:
        records.record_assessment(db, clin, episode_id, routine(), today=TODAY)
    assert f"alert_{alert['alert_id']}" in refused.value.problems
    # ... and answering "not present" does not clear it either
    answered = routine(alert_answers={alert["alert_id"]: "not_present"})
    assessment_id = records.record_assessment(db, clin, episode_id, answered, today=TODAY)
    assert len(open_alerts(db, episode_id)) == 1
    assert db.scalar("SELECT answer FROM alert_reviews WHERE assessment_id = ?", [assessment_id]) == "not_present"

    everyone = CaseloadFilter(flags=("red_flag",))
    listed = caseload.caseload(db, clin, everyone, today=TODAY).rows
    assert list(listed["episode_id"]) == [episode_id]
    assert listed.iloc[0]["Flags"].startswith("RED FLAG: Neurological signs → GP or spinal / neurology review")
    top = caseload.caseload(db, clin, CaseloadFilter(), today=TODAY).rows
    assert int(top.iloc[0]["episode_id"]) == episode_id  # red flags first

    with pytest.raises(FieldProblems) as refused:
        alerts.resolve(db, clin, alert["alert_id"], {"resolution": "referred"}, alert["version"], today=TODAY)
    assert set(refused.value.problems) == {"referred_to", "referral_urgency", "referral_sent_on"}
    alerts.resolve(
        db,
        clin,
        alert["alert_id"],
        {
            "resolution": "referred",
            "referred_to": "Dr Okoye, spinal clinic",
            "referral_urgency": "within_days",
            "referral_sent_on": TODAY - timedelta(days=20),
        },
        alert["version"],
        today=TODAY,
    )
    assert open_alerts(db, episode_id) == []
    assert caseload.caseload(db, clin, everyone, today=TODAY).total == 0
    audit = db.row("SELECT * FROM audit_log WHERE entity = 'red_flag_alert' AND action = 'resolve'")
    assert audit["entity_id"] == str(alert["alert_id"]) and "Dr Okoye, spinal clinic" in audit["after_json"]
    assert '"status": "open"' in audit["before_json"] and audit["username"] == clin.username
    with pytest.raises(alerts.AlertAlreadyResolved):
        alerts.resolve(db, clin, alert["alert_id"], {"resolution": "ruled_out", "resolution_note": "x"}, 2)


def test_a_kind_already_open_is_not_raised_twice_and_nirschl_seven_raises_medical_review(open_case):
    db, clin, _, episode_id = open_case
    records.record_assessment(
        db,
        clin,
        episode_id,
        full_assessment(
            assessed_on=THREE_WEEKS_AGO, next_review_on=TODAY, nirschl_phase=7, red_flag_action="GP review booked"
        ),
        today=TODAY,
    )
    [alert] = open_alerts(db, episode_id)
    assert alert["kind"] == "medical" and "Nirschl phase 7" in alert["detail"]
    records.record_assessment(
        db,
        clin,
        episode_id,
        routine(
            rf_systemic=True, red_flag_action="Fever: GP today", alert_answers={alert["alert_id"]: "still_present"}
        ),
        today=TODAY,
    )
    assert len(open_alerts(db, episode_id)) == 1  # still one medical-review alert, with today's answer


def test_ruling_out_needs_a_reason(open_case):
    db, clin, _, episode_id = open_case
    alert_id = alerts.raise_alert(
        db,
        clin,
        episode_id,
        {"kind": "fracture", "detail": "Bony tenderness at the ischium", "raised_on": TODAY},
        today=TODAY,
    )
    row = db.row("SELECT * FROM red_flag_alerts WHERE alert_id = ?", [alert_id])
    assert row["source"] == "clinician" and row["status"] == "open"
    with pytest.raises(FieldProblems, match="Why it was ruled out"):
        alerts.resolve(db, clin, alert_id, {"resolution": "ruled_out"}, row["version"], today=TODAY)
    alerts.resolve(
        db, clin, alert_id, {"resolution": "ruled_out", "resolution_note": "X-ray normal"}, row["version"], today=TODAY
    )
    assert db.scalar("SELECT resolution_note FROM red_flag_alerts WHERE alert_id = ?", [alert_id]) == "X-ray normal"


def test_read_only_user_cannot_raise_or_resolve(open_case):
    db, clin, _, episode_id = open_case
    reader = db.actors["read_only"]
    from dashboard.services.auth import NotAllowed

    with pytest.raises(NotAllowed):
        alerts.raise_alert(db, reader, episode_id, {"kind": "fracture", "detail": "x", "raised_on": TODAY})


@pytest.mark.parametrize(
    "report,detail",
    [
        ({"avulsion": True, "tendons_avulsed": 1, "retraction_cm": 1.0}, None),
        ({"avulsion": True, "tendons_avulsed": 2}, "urgent surgical opinion"),
        ({"avulsion": True, "tendons_avulsed": 1, "retraction_cm": 2.5}, "urgent surgical opinion"),
        ({"mri_type": 4}, "MRI type IV"),
    ],
)
def test_imaging_avulsion_raises_an_avulsion_alert_with_the_surgical_window(open_case, report, detail):
    db, clin, _, episode_id = open_case
    with db.transaction() as cur:
        cur.execute(
            "UPDATE episodes SET onset_type = 'sudden', onset_date = ? WHERE episode_id = ?",
            [TODAY - timedelta(days=10), episode_id],
        )
    records.record_imaging(db, clin, episode_id, {"modality": "mri", "imaged_on": TODAY, **report}, today=TODAY)
    [alert] = alerts.episode_alerts(db, clin, episode_id, today=TODAY)
    assert alert.kind.code == "avulsion" and alert.is_open
    assert alert.days_left == 18  # injury 10 days ago: 28 - 10
    if detail:
        assert detail in alert.row["detail"]
    verdict = caseload.case_rules(db, clin, episode_id, today=TODAY)
    assert verdict.result["consider_surgical"]  # an open avulsion routes to a surgical opinion


def test_imaging_without_avulsion_raises_nothing(open_case):
    db, clin, _, episode_id = open_case
    records.record_imaging(db, clin, episode_id, {"modality": "mri", "imaged_on": TODAY, "mri_type": 3}, today=TODAY)
    assert open_alerts(db, episode_id) == []


def test_old_database_red_flags_become_alerts_when_migrated(tmp_path, monkeypatch):
    """A clinic file from the first version (schema 3): a red flag on an open episode's latest assessment
    becomes an open alert; earlier ones are resolved 'before alerts existed'; all audited."""
    import dashboard.storage.db as storage_db

    everything = storage_db._migration_files
    monkeypatch.setattr(storage_db, "_migration_files", lambda: [m for m in everything() if m[0] <= 3])
    path = tmp_path / "v3.duckdb"
    old = Database(path)
    assert old.schema_version() == 3
    at = "2026-01-01 09:00:00"
    with old.transaction() as cur:
        cur.execute(
            "INSERT INTO patients (clinic_id, given_name, family_name, date_of_birth, created_at, created_by,"
            " updated_at, updated_by) VALUES ('P1', 'Ada', 'Old', DATE '1980-01-01', ?, 'x', ?, 'x')",
            [at, at],
        )
        for status in ("open", "discharged"):
            cur.execute(
                "INSERT INTO episodes (patient_id, side, region, onset_type, onset_date, severity, clinician_id,"
                " status, opened_on, created_at, created_by, updated_at, updated_by)"
                " VALUES (1, 'left', 'proximal', 'gradual', DATE '2026-01-01', 'moderate', 1, ?, DATE '2026-01-02',"
                " ?, 'x', ?, 'x')",
                [status, at, at],
            )
        rows = [  # episode, date, neurological, night pain
            (1, "2026-02-01", True, False),
            (1, "2026-03-01", False, True),  # the latest of the open episode
            (2, "2026-02-01", True, False),  # the latest of a discharged episode
        ]
        for episode_id, day, neuro, night in rows:
            cur.execute(
                "INSERT INTO assessments (episode_id, assessed_on, clinician_id, pain_avg, pain_worst,"
                " rf_neurological, rf_rest_night_pain, test_bridge, test_bridge_pain, created_at, created_by,"
                " updated_at, updated_by) VALUES (?, ?, 1, 3, 4, ?, ?, 'positive', 5, ?, 'x', ?, 'x')",
                [episode_id, day, neuro, night, at, at],
            )
    old.close()
    monkeypatch.setattr(storage_db, "_migration_files", everything)
    db = Database(path)
    assert db.schema_version() == storage_db.latest_migration()
    found = db.rows("SELECT episode_id, kind, status, resolution FROM red_flag_alerts ORDER BY alert_id")
    assert {(r["episode_id"], r["kind"], r["status"], r["resolution"]) for r in found} == {
        (1, "neurological", "resolved", "before_alerts"),
        (1, "medical", "open", None),
        (2, "neurological", "resolved", "before_alerts"),
    }
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'migrate' AND entity = 'red_flag_alert'") == 3
    # the tests recorded once move to the affected side
    moved = db.row("SELECT test_bridge_left, test_bridge_left_pain, test_bridge_right FROM assessments LIMIT 1")
    assert moved == {"test_bridge_left": "positive", "test_bridge_left_pain": 5, "test_bridge_right": None}
    db.close()


def test_demo_clinic_has_open_and_resolved_alerts(demo_db):
    counts = {r["status"]: r["n"] for r in demo_db.rows("SELECT status, count(*) n FROM red_flag_alerts GROUP BY 1")}
    assert counts.get("resolved", 0) > 0
    evaluated = caseload.evaluated_episodes(demo_db, records_user(demo_db), today=date.today())
    assert int(evaluated["red_flag"].sum()) == demo_db.scalar(
        "SELECT count(DISTINCT r.episode_id) FROM red_flag_alerts r JOIN episodes e USING (episode_id)"
        " WHERE r.status = 'open' AND e.status = 'open'"
    )


def records_user(db):
    from tests.apptest import as_user

    return as_user(db, "admin")
