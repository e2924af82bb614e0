"""Services against a real DuckDB file: what is saved, what is audited, who may do what."""

import json
import threading

import pytest

from dashboard.domain.model import FieldProblems
from dashboard.services import auth, records
from dashboard.services.records import RecordLocked, StaleRecord
from tests.apptest import as_user
from tests.conftest import PATIENT, TODAY, episode_values, full_assessment


def test_patient_saved_exactly_and_audited(clinic):
    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    row = records.patient(clinic, clin, patient_id)
    assert (row["given_name"], row["family_name"], str(row["date_of_birth"])) == ("Zoë", "O'Brien", "1984-03-02")
    entry = clinic.row("SELECT * FROM audit_log WHERE entity = 'patient' AND action = 'create'")
    assert entry["username"] == "ana" and entry["entity_id"] == str(patient_id)
    assert json.loads(entry["after_json"])["family_name"] == "O'Brien"


def test_clinic_id_is_unique(clinic):
    clin = clinic.actors["clinician"]
    records.create_patient(clinic, clin, PATIENT, today=TODAY)
    with pytest.raises(FieldProblems) as refused:
        records.create_patient(clinic, clin, {**PATIENT, "given_name": "Other"}, today=TODAY)
    assert "already has clinic ID P-001" in refused.value.problems["clinic_id"]


def test_search_by_name_or_identifier(demo_db):
    me = as_user(demo_db, "amara.okafor")
    first = demo_db.row("SELECT * FROM patients ORDER BY patient_id LIMIT 1")
    for text in (first["clinic_id"], first["family_name"][:4].lower(), f"{first['given_name']} {first['family_name']}"):
        found = records.find_patients(demo_db, me, text)
        assert first["clinic_id"] in set(found["clinic_id"]), text


def test_second_editor_is_refused_with_who_and_when(clinic):
    clin, admin = clinic.actors["clinician"], clinic.actors["admin"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    version = records.patient(clinic, clin, patient_id)["version"]
    records.update_patient(clinic, admin, patient_id, {**PATIENT, "phone": "+44 1 2345 6789"}, version, today=TODAY)
    with pytest.raises(StaleRecord) as refused:
        records.update_patient(
            clinic, clin, patient_id, {**PATIENT, "email": "other@example.org"}, version, today=TODAY
        )
    assert "changed by boss" in str(refused.value)
    assert records.patient(clinic, clin, patient_id)["phone"] == "+44 1 2345 6789"


def test_two_racing_writers_exactly_one_wins(clinic):
    clin, admin = clinic.actors["clinician"], clinic.actors["admin"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    results, barrier = [], threading.Barrier(2)

    def save(actor, phone):
        barrier.wait()
        try:
            records.update_patient(clinic, actor, patient_id, {**PATIENT, "phone": phone}, 1, today=TODAY)
            results.append("won")
        except StaleRecord as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=save, args=(a, p)) for a, p in ((clin, "+44 111 111"), (admin, "+44 222 222"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1
    assert any("was changed by" in r for r in results)


def test_opening_an_episode_starts_conservative_stage_one(open_case):
    db, clin, _, episode_id = open_case
    ep = records.episode(db, clin, episode_id)
    assert (ep["status"], ep["tier"], ep["stage"]) == ("open", "conservative", 1)
    assert len(records.tier_history(db, clin, episode_id)) == 1


def _discharge(db, clin, episode_id):
    records.close_episode(
        db,
        clin,
        episode_id,
        {"status": "discharged", "closed_on": "2026-11-01", "discharge_outcome": "resolved"},
        1,
        today=TODAY,
    )


def test_patient_can_have_several_episodes_and_discharge(open_case):
    db, clin, patient_id, episode_id = open_case
    _discharge(db, clin, episode_id)
    second = records.open_episode(db, clin, patient_id, episode_values(clin.user_id, side="right"), today=TODAY)
    episodes = records.patient_episodes(db, clin, patient_id)
    assert {e["episode_id"]: e["status"] for e in episodes} == {episode_id: "discharged", second: "open"}
    with pytest.raises(RecordLocked):
        records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)


def test_a_draft_of_a_closed_episode_can_no_longer_be_changed(open_case):
    """Closed while a draft was open on someone's screen: saving it is refused, and nothing of it changes
    (no new answer, no red flag raised on the closed episode)."""
    db, clin, _, episode_id = open_case
    draft = records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
    _discharge(db, clin, episode_id)
    before = records.assessment(db, clin, draft)
    with pytest.raises(RecordLocked, match="closed"):
        records.update_draft(
            db, clin, draft, full_assessment(pain_avg=2, rf_neurological=True, red_flag_action="x"), 1, today=TODAY
        )
    assert records.assessment(db, clin, draft) == before
    assert db.scalar("SELECT count(*) FROM red_flag_alerts WHERE episode_id = ?", [episode_id]) == 0


def test_assessment_saved_with_every_section(open_case):
    db, clin, _, episode_id = open_case
    assessment_id = records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
    saved = records.assessment(db, clin, assessment_id)
    assert saved["visa_h_total"] == 46 and saved["test_modified_bent_knee_left_pain"] == 6
    assert saved["bridge_reps_left"] == 12 and saved["strength_right"] == 240.5
    assert saved["impression"] == "Left proximal hamstring tendinopathy <reactive>"
    assert saved["signed_at"] is None


def test_saving_forgets_the_forms_kept_input_in_the_same_transaction(open_case):
    from dashboard.services import unsaved

    db, clin, _, episode_id = open_case
    record = f"episode:{episode_id}"
    unsaved.keep(db, clin, "assessment", record, {"pain_avg": 5, "plan": "typed before a reload"})
    with pytest.raises(FieldProblems):  # refused: nothing saved, and what was typed is still kept
        records.record_assessment(db, clin, episode_id, {**full_assessment(), "pain_avg": 11}, unsaved_record=record)
    assert unsaved.restore(db, clin, "assessment", record) is not None
    assessment_id = records.record_assessment(db, clin, episode_id, full_assessment(), unsaved_record=record)
    assert unsaved.restore(db, clin, "assessment", record) is None  # saved and forgotten together
    unsaved.keep(db, clin, "assessment", f"draft:{assessment_id}", {"plan": "edited"})
    draft = records.assessment(db, clin, assessment_id)
    changed = {**full_assessment(), "plan": "edited"}
    records.update_draft(db, clin, assessment_id, changed, draft["version"], unsaved_record=f"draft:{assessment_id}")
    assert unsaved.restore(db, clin, "assessment", f"draft:{assessment_id}") is None


def test_next_assessment_starts_from_the_previous_one(open_case):
    db, clin, _, episode_id = open_case
    records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
    defaults = records.assessment_defaults(db, clin, episode_id)
    assert defaults["pain_avg"] == 5 and defaults["bridge_reps_right"] == 28
    assert defaults["test_modified_bent_knee_left"] == "positive"  # findings may carry forward
    # questionnaires and the day's answers are asked afresh: an old VISA-H is never saved as today's
    assert not any(k.startswith("visa_h") for k in defaults) and "pain_exercise" not in defaults
    assert "assessed_on" not in defaults and "impression" not in defaults and defaults["rf_neurological"] is False


def test_signed_assessment_is_read_only_and_amended_by_addendum(open_case):
    db, clin, _, episode_id = open_case
    assessment_id = records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
    records.update_draft(db, clin, assessment_id, full_assessment(pain_avg=4), 1, today=TODAY)
    records.sign_assessment(db, clin, assessment_id)
    with pytest.raises(RecordLocked):
        records.update_draft(db, clin, assessment_id, full_assessment(pain_avg=2), 3, today=TODAY)
    with pytest.raises(RecordLocked):
        records.sign_assessment(db, clin, assessment_id)
    with pytest.raises(FieldProblems):
        records.add_addendum(db, clin, assessment_id, "", "text")
    records.add_addendum(db, clin, assessment_id, "Wrong side recorded", "Tenderness was on the right.")
    saved = records.assessment(db, clin, assessment_id)
    assert saved["pain_avg"] == 4 and saved["signed_by"] == "ana"
    notes = records.addenda(db, clin, episode_id)
    assert list(notes["reason"]) == ["Wrong side recorded"]
    actions = [
        r["action"] for r in db.rows("SELECT action FROM audit_log WHERE entity = 'assessment' ORDER BY audit_id")
    ]
    assert actions == ["create", "update", "sign", "amend"]


def test_unsigned_drafts_listed_for_their_author(open_case):
    db, clin, _, episode_id = open_case
    records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
    assert len(records.my_drafts(db, clin)) == 1
    assert len(records.my_drafts(db, db.actors["admin"])) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda db, who, ep: records.create_patient(db, who, PATIENT, today=TODAY),
        lambda db, who, ep: records.record_assessment(db, who, ep, full_assessment(), today=TODAY),
        lambda db, who, ep: records.record_imaging(
            db, who, ep, {"modality": "mri", "imaged_on": "2026-09-10"}, today=TODAY
        ),
        lambda db, who, ep: records.close_episode(
            db,
            who,
            ep,
            {"status": "discharged", "closed_on": "2026-11-01", "discharge_outcome": "resolved"},
            1,
            today=TODAY,
        ),
        lambda db, who, ep: auth.create_user(db, who, "newbie", "New Bie", "clinician", "long-password-1"),
    ],
    ids=["patient", "assessment", "imaging", "close", "user"],
)
def test_read_only_role_is_refused_by_the_service(open_case, call):
    db, _, _, episode_id = open_case
    before = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(auth.NotAllowed):
        call(db, db.actors["read_only"], episode_id)
    assert db.scalar("SELECT count(*) FROM audit_log") == before


def test_clinician_cannot_manage_users_or_import(clinic):
    from dashboard.services.importer import import_patients_csv

    clin = clinic.actors["clinician"]
    with pytest.raises(auth.NotAllowed):
        auth.create_user(clinic, clin, "x2", "X", "clinician", "long-password-1")
    with pytest.raises(auth.NotAllowed):
        import_patients_csv(clinic, clin, b"patient_id,given_name,family_name,date_of_birth\nA,B,C,1990-01-01\n")


def test_sign_in_delay_and_audit(clinic):
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(clinic, "ana", "wrong")
    assert auth.sign_in(clinic, "ANA", "clinician-pass-1").username == "ana"
    for _ in range(auth.ACCOUNT_FREE + 1):
        with pytest.raises(auth.SignInRefused):
            auth.sign_in(clinic, "ana", "wrong")
    with pytest.raises(auth.SignInRefused, match="Wait"):
        auth.sign_in(clinic, "ana", "clinician-pass-1")  # right password, but delayed (from an unknown browser)
    actions = [r["action"] for r in clinic.rows("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY audit_id")]
    assert actions.count("sign_in") == 1 and actions.count("sign_in_failed") == 7
    assert actions.count("sign_in_delayed") == 1
    stored = clinic.scalar("SELECT password_hash FROM users WHERE username = 'ana'")
    assert stored.startswith("$argon2id$") and "clinician-pass-1" not in stored


def test_eight_threads_save_forty_assessments_each_with_complete_audit_and_state(open_case):
    db, clin, _, episode_id = open_case
    errors = []

    def burst():
        try:
            for _ in range(40):
                records.record_assessment(db, clin, episode_id, full_assessment(), today=TODAY)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = {r["assessment_id"] for r in db.rows("SELECT assessment_id FROM assessments")}
    audited = {
        int(r["entity_id"])
        for r in db.rows("SELECT entity_id FROM audit_log WHERE entity = 'assessment' AND action = 'create'")
    }
    assert len(ids) == 320 and ids == audited
    from dashboard.services import case_state, caseload

    assert caseload.case_rules(db, clin, episode_id, today=TODAY).result["n_assessments"] == 320
    assert case_state.differences(db).empty  # every save's state update saw the saves before it
