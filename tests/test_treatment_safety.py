"""The treatment safety screen (CLINICAL.md §8) against real DuckDB files: contraindications block the
save unless overridden with a reason (audited), computed items from the record, injection details."""

import json
from datetime import date, timedelta

import pytest

from dashboard.domain import safety
from dashboard.domain.model import FieldProblems
from dashboard.services import care, records
from tests.apptest import as_user, button, goto, start, texts
from tests.apptest import shown as as_read  # user text and messages are escaped for markdown
from tests.conftest import PATIENT, TODAY, episode_values


def answers(kind, injection_type=None, *applying):
    """Every asked item of the screen answered: no, except ``applying`` (yes)."""
    return {i.code: i.code in applying for i in safety.items_for(kind, injection_type) if not i.computed}


def shockwave(given_on, *applying, **over):
    values = {
        "kind": "shockwave",
        "given_on": given_on,
        "shockwave_type": "radial",
        "impulses": 2500,
        "energy_flux": 0.18,
        "session_number": 1,
        "sessions_planned": 4,
        "screen": answers("shockwave", None, *applying),
    }
    values.update(over)
    return values


def injection(given_on, injection_type="corticosteroid", *applying, **over):
    values = {
        "kind": "injection",
        "given_on": given_on,
        "injection_type": injection_type,
        "side": "left",
        "image_guidance": "ultrasound",
        "agent": "Triamcinolone acetonide",
        "dose": "40 mg in 1 ml",
        "given_by": "Dr Sam Patel (sports physician)",
        "screen": answers("injection", injection_type, *applying),
    }
    values.update(over)
    return values


def to_tier(db, clin, episode_id, tier, effective_on, today=TODAY):
    care.change_tier(
        db, clin, episode_id, {"tier": tier, "effective_on": effective_on, "reason": "Stalled"}, today=today
    )


def refused(db, clin, episode_id, values):
    with pytest.raises(FieldProblems) as caught:
        care.record_treatment(db, clin, episode_id, values, today=TODAY)
    return caught.value.problems


def case_for(clinic, date_of_birth="1984-03-02", **episode):
    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(
        clinic, clin, {**PATIENT, "clinic_id": f"P-{date_of_birth}", "date_of_birth": date_of_birth}, today=TODAY
    )
    episode_id = records.open_episode(clinic, clin, patient_id, episode_values(clin.user_id, **episode), today=TODAY)
    return clin, episode_id


# -- the screen as the service applies it --------------------------------------------------------------


def test_applying_item_is_refused_without_override_and_saved_with_one_audited(open_case):
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "adjunct", "2026-10-01")
    problems = refused(db, clin, episode_id, shockwave("2026-10-02", "pregnancy"))
    assert (
        "Pregnant, or may be pregnant" in problems["override_reason"]
        and "Do not go ahead" in problems["override_reason"]
    )
    assert db.scalar("SELECT count(*) FROM treatments") == 0
    reason = "Pregnancy test negative today; patient informed, consultant agreed"
    treatment_id = care.record_treatment(
        db, clin, episode_id, shockwave("2026-10-02", "pregnancy", override_reason=reason), today=TODAY
    )
    row = db.row("SELECT * FROM treatments WHERE treatment_id = ?", [treatment_id])
    assert row["override_reason"] == reason
    screen = json.loads(row["screen_json"])
    assert screen["answers"]["pregnancy"] is True and screen["answers"]["bleeding"] is False
    assert set(screen["computed"]) == {"under_18", "recent_corticosteroid"}
    assert screen["answers"]["under_18"] is False and screen["answers"]["recent_corticosteroid"] is False
    after = json.loads(
        db.scalar("SELECT after_json FROM audit_log WHERE entity = 'treatment' AND entity_id = ?", [str(treatment_id)])
    )
    assert after["override_reason"] == reason and after["screen"]["answers"]["pregnancy"] is True


def test_nothing_applying_saves_without_override_and_drops_a_stray_reason(open_case):
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "adjunct", "2026-10-01")
    # computed items are decided by the record: a "yes" sent for one is ignored
    values = shockwave("2026-10-02", override_reason="just in case")
    values["screen"]["under_18"] = True
    treatment_id = care.record_treatment(db, clin, episode_id, values, today=TODAY)
    row = db.row("SELECT override_reason, screen_json FROM treatments WHERE treatment_id = ?", [treatment_id])
    assert row["override_reason"] is None and json.loads(row["screen_json"])["answers"]["under_18"] is False


def test_every_asked_item_must_be_answered_yes_or_no(open_case):
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "adjunct", "2026-10-01")
    partial = shockwave("2026-10-02")
    del partial["screen"]["pregnancy"]
    partial["screen"]["bleeding"] = None
    partial["screen"]["implant_near_field"] = "maybe"
    problems = refused(db, clin, episode_id, partial)
    assert problems["screen_pregnancy"] == "Answer yes or no: Pregnant, or may be pregnant."
    assert "screen_bleeding" in problems and "screen_implant_near_field" in problems
    assert not any(name in problems for name in ("screen_under_18", "screen_recent_corticosteroid"))  # computed
    assert set(refused(db, clin, episode_id, shockwave("2026-10-02", screen={}))) >= {
        f"screen_{i.code}" for i in safety.SHOCKWAVE_ITEMS if not i.computed
    }
    # kinds without a screen need none
    care.record_treatment(db, clin, episode_id, {"kind": "dry_needling", "given_on": "2026-10-02"}, today=TODAY)
    assert db.scalar("SELECT screen_json FROM treatments WHERE kind = 'dry_needling'") is None


@pytest.mark.parametrize("given_on,applies", [("2026-10-14", True), ("2026-10-15", False)])
def test_shockwave_under_18_counts_the_birthday_exactly(clinic, given_on, applies):
    clin, episode_id = case_for(clinic, date_of_birth="2008-10-15")  # 18 on 2026-10-15
    to_tier(clinic, clin, episode_id, "adjunct", "2026-10-01")
    if applies:
        problems = refused(clinic, clin, episode_id, shockwave(given_on))
        assert "Under 18 on the treatment date" in problems["override_reason"]
    else:
        care.record_treatment(clinic, clin, episode_id, shockwave(given_on), today=TODAY)
        assert clinic.scalar("SELECT count(*) FROM treatments WHERE episode_id = ?", [episode_id]) == 1


def test_age_is_whole_years_with_the_birthday_counted_exactly():
    assert safety.age_on(date(2008, 10, 15), date(2026, 10, 14)) == 17
    assert safety.age_on(date(2008, 10, 15), date(2026, 10, 15)) == 18
    assert safety.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert safety.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize("days,applies", [(41, True), (42, True), (43, False)])
def test_corticosteroid_within_6_weeks_before_shockwave(open_case, days, applies):
    """6 weeks = 42 days; the boundary day counts as inside (a screen errs on the side of asking)."""
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "regenerative", "2026-09-02")
    steroid_on = date(2026, 9, 5)
    care.record_treatment(db, clin, episode_id, injection(steroid_on), today=TODAY)
    session = shockwave(steroid_on + timedelta(days=days))
    if applies:
        problems = refused(db, clin, episode_id, session)
        assert "Corticosteroid injection at the site in the last 6 weeks" in problems["override_reason"]
    else:
        care.record_treatment(db, clin, episode_id, session, today=TODAY)
        assert db.scalar("SELECT count(*) FROM treatments WHERE kind = 'shockwave'") == 1
    decided = safety.computed_answers(
        "shockwave",
        None,
        date_of_birth=date(1984, 3, 2),
        given_on=steroid_on + timedelta(days=days),
        previous_treatments=[{"kind": "injection", "injection_type": "corticosteroid", "given_on": steroid_on}],
    )
    assert decided["recent_corticosteroid"].applies is applies
    assert (f"{days} days before" in decided["recent_corticosteroid"].why) is applies


def test_corticosteroid_repeat_within_3_months_and_fourth_in_12_months(clinic):
    clin, episode_id = case_for(clinic, onset_date="2025-08-01", opened_on="2025-10-01")
    to_tier(clinic, clin, episode_id, "regenerative", "2025-10-02")
    for given_on in ("2025-10-10", "2026-01-15"):  # more than 3 months apart
        care.record_treatment(clinic, clin, episode_id, injection(given_on), today=TODAY)
    problems = refused(clinic, clin, episode_id, injection("2026-03-01"))
    assert "Corticosteroid injection at the site in the last 3 months" in problems["override_reason"]
    assert "More than 3" not in problems["override_reason"]
    care.record_treatment(clinic, clin, episode_id, injection("2026-04-20"), today=TODAY)
    # the 4th in 12 months (2025-10-10 is still inside on 2026-10-10, the boundary day counting)
    problems = refused(clinic, clin, episode_id, injection("2026-10-10"))
    assert "More than 3 corticosteroid injections in 12 months" in problems["override_reason"]
    assert "last 3 months" not in problems["override_reason"]
    # a day later the first has left the 12 months: allowed without override
    care.record_treatment(clinic, clin, episode_id, injection("2026-10-11"), today=TODAY)
    # the other side of a bilateral case is another site for the 3-month rule
    decided = safety.computed_answers(
        "injection",
        "corticosteroid",
        date_of_birth=None,
        given_on=date(2026, 5, 1),
        previous_treatments=[
            {"kind": "injection", "injection_type": "corticosteroid", "given_on": date(2026, 4, 20), "side": "left"}
        ],
        side="right",
    )
    assert decided["corticosteroid_within_3_months"].applies is False


def test_injection_needs_agent_dose_guidance_and_who_gave_it(open_case):
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "regenerative", "2026-10-01")
    problems = refused(
        db, clin, episode_id, injection("2026-10-05", "prp", agent=" ", dose=None, image_guidance=None, given_by="")
    )
    assert problems["agent"] == "Agent injected is required."
    assert problems["dose"] == "Dose is required."
    assert problems["image_guidance"] == "Guidance used is required."
    assert problems["given_by"] == "Given by (the person who injected) is required."
    assert (
        "must be one of: ultrasound, landmark, none"
        in refused(db, clin, episode_id, injection("2026-10-05", "prp", image_guidance="fluoroscopy"))["image_guidance"]
    )
    assert (
        "cannot be before the date given"
        in refused(db, clin, episode_id, injection("2026-10-05", "prp", review_on="2026-10-04"))["review_on"]
    )
    assert db.scalar("SELECT count(*) FROM treatments") == 0


def test_injection_review_defaults_to_14_days_and_landmark_guidance_is_kept(open_case):
    db, clin, _, episode_id = open_case
    to_tier(db, clin, episode_id, "regenerative", "2026-10-01")
    first = care.record_treatment(
        db, clin, episode_id, injection("2026-10-05", "prolotherapy", image_guidance="landmark"), today=TODAY
    )
    second = care.record_treatment(
        db, clin, episode_id, injection("2026-10-06", "prp", review_on="2026-12-01", side="right"), today=TODAY
    )
    rows = {r["treatment_id"]: r for r in db.rows("SELECT * FROM treatments")}
    assert rows[first]["review_on"] == date(2026, 10, 19) and rows[first]["image_guidance"] == "landmark"
    assert rows[second]["review_on"] == date(2026, 12, 1)
    assert (rows[first]["agent"], rows[first]["dose"], rows[first]["given_by"]) == (
        "Triamcinolone acetonide",
        "40 mg in 1 ml",
        "Dr Sam Patel (sports physician)",
    )
    saved = care.treatments(db, clin, episode_id)
    assert {"agent", "dose", "given_by", "review_on", "screen_json", "override_reason"} <= set(saved.columns)


def test_screen_items_and_constants_carry_source_and_level():
    assert [i.code for i in safety.items_for("injection", "prolotherapy")] == [
        "infection",
        "bleeding",
        "agent_allergy",
        "malignancy",
    ]
    assert safety.items_for("dry_needling") == () and not safety.has_screen("soft_tissue")
    for kind, injection_type in (("shockwave", None), *(("injection", t) for t in safety.INJECTION_TYPES)):
        items = safety.items_for(kind, injection_type)
        assert len({i.code for i in items}) == len(items)
        assert all("CLINICAL.md §8" in i.source and i.level == "secondary" for i in items)
    for constant in safety.CONSTANTS:
        assert constant.source and constant.level in {"primary", "secondary", "extrapolated", "heuristic"}
    assert safety.INJECTION_REVIEW_DAYS.level == safety.PRP_NO_NSAID_DAYS_BEFORE.level == "heuristic"
    assert safety.STEROID_BEFORE_SHOCKWAVE.value == 42 and safety.STEROID_MAX_PER_YEAR.value == 3
    assert safety.override_needed(
        "injection", "prp", {"low_platelets": "yes"}, date_of_birth=None, given_on=TODAY, previous_treatments=[]
    )
    assert not safety.override_needed(
        "injection", "prp", {"low_platelets": "no"}, date_of_birth=None, given_on=TODAY, previous_treatments=[]
    )


def test_a_file_from_before_005_is_upgraded_and_old_treatments_stay(tmp_path, monkeypatch):
    from dashboard.storage import db as dbmod

    every = dbmod._migration_files()
    before = [m for m in every if m[0] < 5]
    monkeypatch.setattr(dbmod, "_migration_files", lambda: before)
    old = dbmod.Database(tmp_path / "old.duckdb")
    with old.transaction() as cur:
        cur.execute(
            "INSERT INTO treatments (episode_id, kind, given_on, clinician_id, injection_type, side, image_guidance,"
            " created_at, created_by) VALUES (1, 'injection', DATE '2025-01-02', 1, 'prp', 'left', 'ultrasound',"
            " now()::TIMESTAMP, 'x')"
        )
    old.close()
    monkeypatch.setattr(dbmod, "_migration_files", lambda: every)
    upgraded = dbmod.Database(tmp_path / "old.duckdb")
    row = upgraded.row("SELECT * FROM treatments")
    assert row["image_guidance"] == "ultrasound" and row["injection_type"] == "prp"
    assert all(row[c] is None for c in ("agent", "dose", "given_by", "review_on", "screen_json", "override_reason"))
    assert upgraded.scalar("SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'treatments_episode_idx'") == 1
    upgraded.close()


# -- the case page form ----------------------------------------------------------------------------------


def adult_conservative_case(db) -> int:
    """An open demo case in the conservative tier, of a patient well over 18 (the rules are not involved)."""
    return int(
        db.scalar(
            "SELECT e.episode_id FROM episodes e JOIN patients p USING (patient_id)"
            " WHERE e.status = 'open' AND p.date_of_birth <= current_date - INTERVAL '19 years'"
            " AND (SELECT tier FROM tier_changes t WHERE t.episode_id = e.episode_id"
            "      ORDER BY effective_on DESC, tier_change_id DESC LIMIT 1) = 'conservative'"
            " ORDER BY e.episode_id LIMIT 1"
        )
    )


def test_case_page_form_asks_the_screen_and_needs_an_override(monkeypatch, demo):
    path, db = demo
    episode_id = adult_conservative_case(db)
    clin = as_user(db, "amara.okafor")
    to_tier(db, clin, episode_id, "adjunct", date.today().isoformat(), today=date.today())
    at = goto(start(monkeypatch, path, clin, episode_id=episode_id), "case")
    at.selectbox(key="treatment_kind").set_value("shockwave")
    at.run()
    radios = [r for r in at.radio if str(r.key).startswith("treatment_screen_shockwave")]
    assert len(radios) == 5 and all(r.value is None for r in radios)  # nothing assumed
    shown = texts(at)
    assert "Under 18 on the treatment date" in shown and "from the record" in shown
    button(at, "Record treatment").click()
    at.run()
    assert not at.exception
    assert "Answer yes or no: Pregnant, or may be pregnant." in as_read(" ".join(e.value for e in at.error))
    for radio in radios:
        at.radio(key=radio.key).set_value("yes" if radio.key.endswith("_bleeding") else "no")
    button(at, "Record treatment").click()
    at.run()
    assert "Takes an anticoagulant, or has a bleeding disorder" in as_read(" ".join(e.value for e in at.error))
    assert db.scalar("SELECT count(*) FROM treatments WHERE episode_id = ?", [episode_id]) == 0
    at.text_area(key="treatment_override_reason").input("INR in range today; consultant agreed")
    button(at, "Record treatment").click()
    at.run()
    assert not at.exception
    row = db.row("SELECT override_reason, screen_json FROM treatments WHERE episode_id = ?", [episode_id])
    assert row["override_reason"] == "INR in range today; consultant agreed"
    assert json.loads(row["screen_json"])["answers"]["bleeding"] is True
    assert "Shockwave session recorded" in texts(at)
    assert all(r.value is None for r in at.radio if str(r.key).startswith("treatment_screen_"))  # not carried over


def test_case_page_injection_fields_and_prp_note(monkeypatch, demo):
    path, db = demo
    episode_id = adult_conservative_case(db)
    clin = as_user(db, "amara.okafor")
    to_tier(db, clin, episode_id, "regenerative", date.today().isoformat(), today=date.today())
    at = goto(start(monkeypatch, path, clin, episode_id=episode_id), "case")
    at.selectbox(key="treatment_kind").set_value("injection")
    at.run()
    at.selectbox(key="treatment_injection").set_value("prp")
    at.run()
    shown = texts(at)
    assert "judge the response at 6-12 weeks" in shown and "No NSAIDs from 7 days before to 14 days after" in shown
    assert at.radio(key="treatment_guidance").value is None
    assert at.date_input(key=f"treatment_review_{date.today().isoformat()}").value == date.today() + timedelta(14)
    button(at, "Record treatment").click()
    at.run()
    errors = as_read(" ".join(e.value for e in at.error))
    assert "Agent injected is required" in errors and "Given by" in errors and "Guidance used is required" in errors
