"""Tier history, treatments, prescriptions, suggestions and thresholds, against real DuckDB files."""

from datetime import date

import pytest

from dashboard.domain import safety
from dashboard.domain.model import FieldProblems
from dashboard.services import auth, care, caseload, records
from dashboard.services.records import RecordLocked
from tests.apptest import as_user
from tests.conftest import TODAY


def history(db, episode_id):
    return db.rows(
        "SELECT * FROM tier_changes WHERE episode_id = ? ORDER BY effective_on, tier_change_id", [episode_id]
    )


def test_tier_history_is_append_only_without_gaps_or_overlaps(open_case):
    db, clin, _, episode_id = open_case
    care.change_tier(
        db,
        clin,
        episode_id,
        {"tier": "adjunct", "effective_on": "2026-10-01", "reason": "Stalled: shockwave added"},
        today=TODAY,
    )
    before = history(db, episode_id)
    care.change_tier(
        db,
        clin,
        episode_id,
        {"tier": "conservative", "effective_on": "2026-11-01", "reason": "Flare after shockwave; back to loading only"},
        today=TODAY,
    )
    after = history(db, episode_id)
    assert after[: len(before)] == before  # nothing earlier changed
    periods = records.tier_history(db, clin, episode_id)
    assert list(periods["tier"]) == ["conservative", "adjunct", "conservative"]
    assert list(periods["ended_on"][:-1]) == list(periods["effective_on"][1:])  # contiguous: no gap, no overlap
    assert periods["ended_on"].isna().iloc[-1]
    audited = db.rows("SELECT action FROM audit_log WHERE action = 'change_tier'")
    assert len(audited) == 2


@pytest.mark.parametrize(
    "change,field,message",
    [
        (
            {"tier": "adjunct", "effective_on": "2026-08-15", "reason": "x"},
            "effective_on",
            "history is never rewritten",
        ),
        ({"tier": "conservative", "effective_on": "2026-10-01", "reason": "x"}, "tier", "already in tier"),
        ({"tier": "adjunct", "effective_on": "2026-10-01", "reason": " "}, "reason", "required"),
        ({"tier": "surgery", "effective_on": "2026-10-01", "reason": "x"}, "tier", "must be one of"),
        ({"tier": "adjunct", "effective_on": "2026-12-30", "reason": "x"}, "effective_on", "future"),
    ],
)
def test_invalid_tier_change_is_refused(open_case, change, field, message):
    db, clin, _, episode_id = open_case
    with pytest.raises(FieldProblems) as refused:
        care.change_tier(db, clin, episode_id, change, today=TODAY)
    assert message in refused.value.problems[field]
    assert len(history(db, episode_id)) == 1


def test_stage_changes_track_loading(open_case):
    db, clin, _, episode_id = open_case
    care.change_stage(
        db, clin, episode_id, {"stage": 2, "effective_on": "2026-09-20", "reason": "Settled"}, today=TODAY
    )
    with pytest.raises(FieldProblems):
        care.change_stage(db, clin, episode_id, {"stage": 5, "effective_on": "2026-09-21", "reason": "x"}, today=TODAY)
    assert records.episode(db, clin, episode_id)["stage"] == 2


def test_treatments_follow_the_tier(open_case):
    db, clin, _, episode_id = open_case
    shockwave = {
        "kind": "shockwave",
        "given_on": "2026-10-02",
        "shockwave_type": "radial",
        "impulses": 2500,
        "energy_flux": 0.18,
        "session_number": 1,
        "sessions_planned": 4,
        "screen": {i.code: "no" for i in safety.SHOCKWAVE_ITEMS if not i.computed},  # CLINICAL.md §8
    }
    with pytest.raises(FieldProblems) as refused:
        care.record_treatment(db, clin, episode_id, shockwave, today=TODAY)
    assert "adjunct tier" in refused.value.problems["kind"]
    care.change_tier(
        db, clin, episode_id, {"tier": "adjunct", "effective_on": "2026-10-01", "reason": "Stalled"}, today=TODAY
    )
    care.record_treatment(db, clin, episode_id, shockwave, today=TODAY)
    with pytest.raises(FieldProblems) as refused:
        care.record_treatment(db, clin, episode_id, {**shockwave, "session_number": 5}, today=TODAY)
    assert "cannot exceed" in refused.value.problems["session_number"]
    with pytest.raises(FieldProblems) as refused:
        care.record_treatment(
            db,
            clin,
            episode_id,
            {
                "kind": "injection",
                "given_on": "2026-10-05",
                "injection_type": "prp",
                "side": "left",
                "image_guidance": "ultrasound",
            },
            today=TODAY,
        )
    assert "regenerative tier" in refused.value.problems["kind"]
    saved = care.treatments(db, clin, episode_id)
    assert list(saved["impulses"]) == [2500] and float(saved["energy_flux"].iloc[0]) == 0.18


def test_prescription_defaults_then_saved_then_new_stage_defaults(open_case):
    db, clin, _, episode_id = open_case
    items, is_default = care.prescription(db, clin, episode_id, 1)
    assert is_default and "bridge hold" in items[0]["exercise"].lower() and items[0]["hold_seconds"] == 45
    items[0]["sets"] = 5
    care.save_prescription(db, clin, episode_id, items)
    saved, is_default = care.prescription(db, clin, episode_id, 1)
    assert not is_default and saved[0]["sets"] == 5
    with pytest.raises(FieldProblems) as refused:
        care.save_prescription(db, clin, episode_id, [{"exercise": "Bridge", "sets": 0, "days_per_week": 9}])
    assert {"row 1: sets", "row 1: days_per_week", "row 1: reps"} <= set(refused.value.problems)
    care.change_stage(
        db, clin, episode_id, {"stage": 2, "effective_on": "2026-10-01", "reason": "Settled"}, today=TODAY
    )
    items, is_default = care.prescription(db, clin, episode_id, 2)
    assert is_default and any("curl" in i["exercise"].lower() for i in items)


def test_accepting_an_escalation_moves_the_tier_with_the_reason(demo_db):
    me = as_user(demo_db, "amara.okafor")
    evaluated = caseload.evaluated_episodes(demo_db, me)
    case = evaluated[evaluated["consider_adjunct"]].iloc[0]
    episode_id = int(case["episode_id"])
    verdict = caseload.case_rules(demo_db, me, episode_id)
    assert "consider_adjunct" in [r.rule_id for r in verdict.suggestions]
    with pytest.raises(FieldProblems):
        care.decide(demo_db, me, episode_id, "consider_adjunct", True, "")
    care.decide(demo_db, me, episode_id, "consider_adjunct", True, "Loading alone not enough; shockwave x4")
    assert records.episode(demo_db, me, episode_id)["tier"] == "adjunct"
    tiers = records.tier_history(demo_db, me, episode_id)
    assert "shockwave x4" in tiers["reason"].iloc[-1]
    after = caseload.case_rules(demo_db, me, episode_id)
    assert "consider_adjunct" not in [r.rule_id for r in after.suggestions]


def test_dismissed_suggestion_returns_after_the_next_assessment(demo_db):
    me = as_user(demo_db, "amara.okafor")
    evaluated = caseload.evaluated_episodes(demo_db, me)
    case = evaluated[evaluated["consider_adjunct"]].iloc[0]
    episode_id = int(case["episode_id"])
    care.decide(demo_db, me, episode_id, "consider_adjunct", False, "Patient travelling; revisit next visit")
    assert "consider_adjunct" not in [r.rule_id for r in caseload.case_rules(demo_db, me, episode_id).suggestions]
    previous = records.assessment_defaults(demo_db, me, episode_id)
    values = {k: v for k, v in previous.items() if not k.startswith("_")}
    values.update(
        assessed_on=date.today(),
        pain_avg=5,
        pain_worst=6,
        groc=0,
        visa_h_1=None,
        visa_h_2=None,
        visa_h_3=None,
        visa_h_4=None,
        visa_h_5=None,
        visa_h_6=None,
        visa_h_7=None,
        visa_h_8=None,
    )
    for n in (1, 2, 3):  # a distal case's functional scale is scored afresh at each visit
        if values.get(f"psfs_{n}_activity"):
            values[f"psfs_{n}_score"] = 3
    records.record_assessment(demo_db, me, episode_id, values)
    assert "consider_adjunct" in [r.rule_id for r in caseload.case_rules(demo_db, me, episode_id).suggestions]


def test_threshold_change_by_administrator_changes_flags_and_is_audited(demo_db):
    admin, clin = as_user(demo_db, "admin"), as_user(demo_db, "amara.okafor")
    before = caseload.evaluated_episodes(demo_db, clin)
    with pytest.raises(auth.NotAllowed):
        care.set_threshold(demo_db, clin, "stalled_weeks", 8)
    with pytest.raises(FieldProblems):
        care.set_threshold(demo_db, admin, "stalled_weeks", 500)
    care.set_threshold(demo_db, admin, "stalled_weeks", 8)
    after = caseload.evaluated_episodes(demo_db, clin)
    assert after["stalled"].sum() > before["stalled"].sum()
    entry = demo_db.row("SELECT * FROM audit_log WHERE entity = 'rule_threshold'")
    assert (
        entry["username"] == "admin"
        and '"value": 12.0' in entry["before_json"]
        and '"value": 8.0' in entry["after_json"]
    )


def test_closed_episode_cannot_change_tier(open_case):
    db, clin, _, episode_id = open_case
    records.close_episode(
        db,
        clin,
        episode_id,
        {"status": "discharged", "closed_on": "2026-11-01", "discharge_outcome": "resolved"},
        1,
        today=TODAY,
    )
    with pytest.raises(RecordLocked):
        care.change_tier(
            db, clin, episode_id, {"tier": "adjunct", "effective_on": "2026-11-02", "reason": "x"}, today=TODAY
        )


def test_a_threshold_is_checked_against_the_values_in_force(demo_db):
    boss = as_user(demo_db, "admin")
    care.set_threshold(demo_db, boss, "pain_amber_max", 4)
    with pytest.raises(FieldProblems, match="green limit must be below the amber limit"):
        care.set_threshold(demo_db, boss, "pain_green_max", 4)  # fine against the default 5, not against 4
    assert care.effective_thresholds(demo_db)["pain_green_max"] == 3
    care.set_thresholds(demo_db, boss, {"pain_amber_max": 6, "pain_green_max": 5})  # together they agree
    assert care.effective_thresholds(demo_db)["pain_green_max"] == 5
