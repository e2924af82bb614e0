"""The case state (issue 15): kept current inside every write, the same as a rebuild from the records, today's
rules computed in SQL the same as in pandas, and rebuilt by the command line. On DuckDB and PostgreSQL."""

import subprocess
import sys
from datetime import timedelta

import pandas as pd
import pytest

from dashboard.domain import rules
from dashboard.services import alerts, care, case_state, caseload, records
from dashboard.services.caseload import CaseloadFilter
from dashboard.services.importer import import_patients_csv
from dashboard.storage import case_state as state_sql
from tests.apptest import as_user
from tests.conftest import PATIENT, TODAY, episode_values, full_assessment
from tests.test_treatment_safety import injection, shockwave


def _open_episode_of(db, clinician_id):
    return int(
        db.scalar(
            "SELECT min(e.episode_id) FROM episodes e WHERE e.status = 'open' AND e.clinician_id = ?"
            " AND e.region = 'proximal' AND NOT e.post_operative"
            " AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id AND r.status = 'open')",
            [clinician_id],
        )
    )


def test_every_kind_of_write_keeps_the_state_equal_to_a_rebuild(demo):
    _, db = demo
    assert case_state.differences(db).empty  # the demo clinic as built
    clin = as_user(db, "amara.okafor")
    admin = as_user(db, "admin")
    episode_id = _open_episode_of(db, clin.user_id)
    shown = lambda: caseload.case_rules(db, clin, episode_id, today=TODAY).result  # noqa: E731

    before = shown()
    records.record_assessment(
        db, clin, episode_id, full_assessment(assessed_on=TODAY, pain_avg=1, groc=3, next_review_on=None), today=TODAY
    )
    after = shown()
    assert after["n_assessments"] == before["n_assessments"] + 1 and after["pain_latest"] == 1
    assert after["improved"]  # a global rating of +3 at the latest visit
    assert pd.Timestamp(after["last_assessed_on"]) == pd.Timestamp(TODAY)

    care.change_tier(db, clin, episode_id, {"tier": "adjunct", "effective_on": TODAY, "reason": "No gain"}, today=TODAY)
    assert shown()["tier"] == "adjunct" and shown()["weeks_in_tier"] == 0
    care.change_stage(db, clin, episode_id, {"stage": 3, "effective_on": TODAY, "reason": "Good"}, today=TODAY)
    assert shown()["stage"] == 3
    care.record_treatment(db, clin, episode_id, shockwave(TODAY.isoformat()), today=TODAY)
    care.change_tier(
        db, clin, episode_id, {"tier": "regenerative", "effective_on": TODAY, "reason": "No gain"}, today=TODAY
    )
    care.record_treatment(db, clin, episode_id, injection(TODAY.isoformat(), "prp"), today=TODAY)
    assert pd.Timestamp(shown()["next_review_on"]) <= pd.Timestamp(TODAY + timedelta(days=14))  # an injection: review
    records.record_imaging(db, clin, episode_id, {"modality": "mri", "imaged_on": TODAY, "mri_type": 3}, today=TODAY)
    alert_id = alerts.raise_alert(
        db, clin, episode_id, {"kind": "fracture", "detail": "Bony tenderness", "raised_on": TODAY}, today=TODAY
    )
    assert shown()["red_flag"] and shown()["priority"] == 0
    row = db.row("SELECT version FROM red_flag_alerts WHERE alert_id = ?", [alert_id])
    alerts.resolve(
        db, clin, alert_id, {"resolution": "ruled_out", "resolution_note": "X-ray normal"}, row["version"], today=TODAY
    )
    assert not shown()["red_flag"]

    patient_id = records.create_patient(db, clin, {**PATIENT, "clinic_id": "CS-1"}, today=TODAY)
    new_episode = records.open_episode(db, clin, patient_id, episode_values(clin.user_id), today=TODAY)
    assert caseload.case_rules(db, clin, new_episode, today=TODAY).result["tier"] == "conservative"
    person = records.patient(db, clin, patient_id)
    records.update_patient(
        db,
        clin,
        patient_id,
        {**PATIENT, "clinic_id": "CS-1", "date_of_birth": "1950-01-01"},
        person["version"],
        today=TODAY,
    )
    episode = records.episode(db, clin, new_episode)
    records.close_episode(
        db,
        clin,
        new_episode,
        {"status": "discharged", "closed_on": TODAY, "discharge_outcome": "improved"},
        episode["version"],
        today=TODAY,
    )
    assert caseload.case_rules(db, clin, new_episode, today=TODAY).result["status"] == "discharged"
    care.set_threshold(db, admin, "stalled_weeks", 8)
    import_patients_csv(
        db,
        admin,
        b"patient_id,given_name,family_name,date_of_birth,side,region,onset_date,clinician\n"
        b"IMP-CS,Ida,Import,1980-01-01,L,proximal,2026-08-01,amara.okafor\n",
        today=TODAY,
    )
    found = case_state.differences(db)
    assert found.empty, found.head(10).to_string()
    assert state_sql.missing(db) == 0


def test_todays_rules_in_sql_are_the_rules_in_pandas(demo):
    """The read query's date-dependent rules (storage/case_state.py) against domain.rules.evaluate over the
    records, on days before, on and after the demo clinic's today."""
    _, db = demo
    admin = as_user(db, "admin")
    thresholds = care.effective_thresholds(db)
    with db.cursor() as cur:
        features = state_sql.features(cur, db.dialect, None, thresholds["pain_amber_max"])
    checked = [
        "weeks_in_episode",
        "weeks_in_tier",
        "red_flag",
        "stalled",
        "stalled_in_tier",
        "consider_adjunct",
        "load_before_adjunct",
        "consider_regenerative",
        "consider_surgical",
        "escalation_due",
        "review_overdue",
        "review_due",
        "priority",
        "ready_to_progress",
        "hold_stage",
        "bridge_deficit",
        "improved",
        "late_baseline",
        "incidental_mri",
    ]
    for today in (TODAY - timedelta(days=300), TODAY - timedelta(days=30), TODAY, TODAY + timedelta(days=45)):
        expected = rules.evaluate(features, thresholds, today).set_index("episode_id")
        got = caseload.evaluated_episodes(db, admin, today=today).set_index("episode_id").loc[expected.index]
        for column in checked:
            a = pd.to_numeric(expected[column], errors="coerce").astype(float).fillna(-1).to_numpy()
            b = pd.to_numeric(got[column], errors="coerce").astype(float).fillna(-1).to_numpy()
            assert (a == b).all(), f"{column} on {today}: {int((a != b).sum())} episodes differ"
    assert expected["stalled"].any() and expected["review_overdue"].any() and expected["escalation_due"].any()


def test_caseload_filters_sort_count_and_page_in_the_database(demo):
    _, db = demo
    admin = as_user(db, "admin")
    everything = caseload.evaluated_episodes(db, admin, today=TODAY)
    f = CaseloadFilter(
        statuses=("open",), tiers=("conservative",), flags=("stalled",), sort="Last seen", descending=True
    )
    first = caseload.caseload(db, admin, f, limit=5, today=TODAY)
    expected = everything[
        (everything["status"] == "open") & (everything["tier"] == "conservative") & everything["stalled"]
    ]
    assert first.total == len(expected) > 5
    seen = pd.to_datetime(first.rows["Last seen"])
    assert seen.is_monotonic_decreasing
    second = caseload.caseload(db, admin, f, offset=5, limit=5, today=TODAY)
    assert not set(first.rows["episode_id"]) & set(second.rows["episode_id"])
    assert second.total == first.total
    mine = caseload.caseload(db, admin, CaseloadFilter(clinician_id=as_user(db, "amara.okafor").user_id), today=TODAY)
    open_mine = everything[
        (everything["clinician_id"] == mine.rows["episode_id"].pipe(lambda _: as_user(db, "amara.okafor").user_id))
        & (everything["status"] == "open")
    ]
    assert mine.figures["stalled"] == int(open_mine["stalled"].sum())
    assert mine.figures["tier:adjunct"] == int((open_mine["tier"] == "adjunct").sum())
    name = everything.iloc[3]
    text = caseload.caseload(db, admin, CaseloadFilter(statuses=(), text=name["family_name"].upper()), today=TODAY)
    assert name["episode_id"] in set(text.rows["episode_id"])


def test_the_timeline_reads_only_the_columns_a_lane_shows_in_the_caseloads_order(demo):
    _, db = demo
    admin = as_user(db, "admin")
    f = CaseloadFilter()
    where, order = caseload.where(f), caseload.order(f)
    full, total, _ = state_sql.page(db, TODAY, where, order, 40, 10)
    lean, lean_total = state_sql.window(db, TODAY, where, order, 40, 10, caseload.LANE_COLUMNS)
    assert all(list(row) == list(caseload.LANE_COLUMNS) for row in lean) and len(lean) == len(full)
    assert lean_total == total and [r["episode_id"] for r in lean] == list(full["episode_id"])  # same lanes, order
    view = caseload.timeline(db, admin, f, offset=10, today=TODAY)
    assert list(view.lanes["episode_id"]) == list(full["episode_id"])
    first = full.iloc[0]
    assert (
        view.lanes["lane"]
        .iloc[0]
        .endswith(f"{first['given_name']} {first['family_name']} · {first['clinic_id']} #{first['episode_id']}")
    )
    assert view.lanes["lane"].iloc[0].startswith("RED FLAG · ") == bool(first["red_flag"])
    assert view.total == total
    shown = set(view.lanes["episode_id"])
    assert set(view.periods["episode_id"]) == shown and set(view.visits["episode_id"]) <= shown
    starts = view.periods.groupby("episode_id", sort=False)["start"]
    assert all(s.is_monotonic_increasing for _, s in starts)  # each episode's periods in order
    past_the_end, counted = state_sql.window(db, TODAY, where, order, 40, total + 5, caseload.LANE_COLUMNS)
    assert past_the_end == [] and counted == total  # a window past the last lane still says how many match
    with pytest.raises(ValueError, match="not a column"):
        state_sql.window(db, TODAY, where, order, 5, 0, ("episode_id", "1; DROP TABLE episodes"))


def test_the_command_line_checks_and_rebuilds_the_state(demo, engine):
    target, db = demo
    episode_id = int(db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'"))
    with db.transaction() as cur:  # damage the stored state behind the services' back
        cur.execute(
            "UPDATE case_state SET tier = 'regenerative', n_assessments = 99 WHERE episode_id = ?", [episode_id]
        )
        cur.execute("DELETE FROM case_state WHERE episode_id = ?", [episode_id + 1])
    assert state_sql.missing(db) == 1
    location = str(getattr(db, "location", target))
    if engine == "duckdb":
        db.close()  # one process per DuckDB file
    run = lambda *extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "dashboard", "rebuild-state", "--db", location, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    checked = run("--check")
    assert checked.returncode == 1, checked.stderr
    assert f"episode {episode_id}: tier is 'regenerative'" in checked.stdout
    rebuilt = run()
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Case state rebuilt from the records" in rebuilt.stdout
    again = run("--check")
    assert again.returncode == 0 and "agrees with the records" in again.stdout


@pytest.mark.parametrize("today", [TODAY])
def test_a_new_episode_is_not_overdue_on_its_first_day(clinic, today):
    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=today)
    episode_id = records.open_episode(
        clinic, clin, patient_id, episode_values(clin.user_id, opened_on=today), today=today
    )
    row = caseload.case_rules(clinic, clin, episode_id, today=today).result
    assert not row["review_overdue"] and row["priority"] == 5
    later = caseload.case_rules(clinic, clin, episode_id, today=today + timedelta(days=29)).result
    assert later["review_overdue"] and later["priority"] == 1  # 4 weeks without a visit, then overdue
