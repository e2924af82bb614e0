"""Every validated field refuses bad input with a message on that field, and the service then saves nothing."""

import pytest

from dashboard.domain import validation
from dashboard.domain.model import FieldProblems
from dashboard.services import records
from tests.conftest import (
    PATIENT,
    TODAY,
    distal_assessment,
    episode_values,
    full_assessment,
    post_operative_assessment,
)

EPISODE = {
    "onset_date": validation.parse_date("2026-08-01"),
    "opened_on": validation.parse_date("2026-09-01"),
    "side": "left",
    "region": "proximal",
    "post_operative": False,
}


def test_a_full_assessment_is_valid():
    check = validation.check_assessment(full_assessment(), episode=EPISODE, today=TODAY)
    assert check.problems == {}
    assert check.clean["visa_h_total"] == 5 * 6 + 4 + 12
    assert check.clean["aggravating"] == "sitting,running"


ASSESSMENT_CASES = [
    ("assessed_on", {"assessed_on": None}, "required"),
    ("assessed_on", {"assessed_on": "2026-07-01"}, "before the episode's onset"),
    ("assessed_on", {"assessed_on": "2026-12-01"}, "future"),
    ("assessed_on", {"assessed_on": "2026-02-30"}, "real date"),
    ("pain_avg", {"pain_avg": None}, "required"),
    ("pain_avg", {"pain_avg": 11}, "between 0 and 10"),
    ("pain_avg", {"pain_avg": -1}, "between 0 and 10"),
    ("pain_avg", {"pain_avg": 4.5}, "whole number"),
    ("pain_worst", {"pain_worst": 12}, "between 0 and 10"),
    ("pain_worst", {"pain_avg": 6, "pain_worst": 3}, "cannot be lower than average"),
    ("pain_task", {"pain_task": 14}, "between 0 and 10"),
    ("pain_task_name", {"pain_task_name": ""}, "Name the task"),
    ("sitting_minutes", {"sitting_minutes": -5}, "between 0 and 720"),
    ("next_morning", {"next_morning": "maybe"}, "must be one of"),
    ("aggravating", {"aggravating": ["sitting", "knitting"]}, "Unknown aggravating activity"),
    ("nirschl_phase", {"nirschl_phase": 8}, "between 1 and 7"),
    ("visa_h_1", {"visa_h_1": 11}, "between 0 and 10"),
    ("visa_h_7", {"visa_h_7": 5}, "one of 0, 4, 7, 10"),
    ("visa_h_8", {"visa_h_8": 31}, "between 0 and 30"),
    ("visa_h_3", {"visa_h_3": None}, "all 8 items"),
    ("visa_h_total", {"visa_h_total": 99}, "does not equal the sum"),
    ("phat_total", {"phat_total": 60}, "avulsion"),
    ("groc", {"groc": 4}, "between -3 and 3"),
    ("palpation_left", {"palpation_left": "severe"}, "must be one of"),
    ("test_bent_knee_left", {"test_bent_knee_left": "unsure"}, "must be one of"),
    ("test_puranen_orava_left_pain", {"test_puranen_orava_left_pain": None}, "record the pain"),
    ("test_bent_knee_left_pain", {"test_bent_knee_left_pain": 3}, "only for a positive"),
    ("pain_exercise", {"pain_exercise": 11}, "between 0 and 10"),
    ("psfs_1_score", {"psfs_1_score": 5}, "not recorded on the proximal"),
    ("distal_palpation", {"distal_palpation": "mild"}, "not recorded on the proximal"),
    ("bridge_reps_left", {"bridge_reps_left": 200}, "between 0 and 150"),
    ("bridge_pain_right", {"bridge_pain_right": 11}, "between 0 and 10"),
    ("strength_unit", {"strength_unit": ""}, "unit"),
    ("strength_left", {"strength_left": "strong"}, "must be a number"),
    ("strength_range", {"strength_range": "long"}, "must be one of"),
    ("red_flag_action", {"rf_neurological": True, "red_flag_action": ""}, "red flag is recorded"),
    ("red_flag_action", {"nirschl_phase": 6, "red_flag_action": ""}, "nirschl phase 6-7 is the rest or night pain"),
    ("impression", {"impression": "x" * 4001}, "too long"),
    ("next_review_on", {"next_review_on": "2026-08-15"}, "before the assessment date"),
]


@pytest.mark.parametrize(
    "field,change,message", ASSESSMENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ASSESSMENT_CASES)]
)
def test_assessment_field_is_refused_with_a_message(field, change, message):
    check = validation.check_assessment(full_assessment(**change), episode=EPISODE, today=TODAY)
    assert field in check.problems, check.problems
    assert message.lower() in check.problems[field].lower()


def test_phat_is_accepted_for_post_operative_cases():
    check = validation.check_assessment(
        post_operative_assessment(), episode={**EPISODE, "post_operative": True}, today=TODAY
    )
    assert check.problems == {}
    refused = validation.check_assessment(
        post_operative_assessment(postop_phase="", visa_h_1=5), episode={**EPISODE, "post_operative": True}, today=TODAY
    )
    assert "required" in refused.problems["postop_phase"] and "surgeon's protocol" in refused.problems["visa_h_1"]


def test_distal_case_never_takes_visa_h_sitting_or_sit_bone_findings():
    distal = {**EPISODE, "region": "distal_medial"}
    assert validation.check_assessment(distal_assessment(), episode=distal, today=TODAY).problems == {}
    for name, value in (
        ("visa_h_1", 5),
        ("sitting_minutes", 20),
        ("palpation_left", "marked"),
        ("test_modified_bent_knee_left", "positive"),
    ):
        check = validation.check_assessment(distal_assessment(**{name: value}), episode=distal, today=TODAY)
        assert "proximal tendinopathy" in check.problems[name], name
    check = validation.check_assessment(distal_assessment(psfs_3_activity="Cycling"), episode=distal, today=TODAY)
    assert "Score activity 3" in check.problems["psfs_3_score"]


def test_every_open_red_flag_needs_an_answer_and_is_never_cleared_by_omission():
    open_alerts = [{"alert_id": 7, "kind": "neurological"}, {"alert_id": 9, "kind": "medical"}]
    check = validation.check_assessment(
        full_assessment(alert_answers={7: "still_present"}), episode=EPISODE, today=TODAY, open_alerts=open_alerts
    )
    assert set(check.problems) == {"alert_9"} and "still present" in check.problems["alert_9"]
    check = validation.check_assessment(
        full_assessment(alert_answers={7: "still_present", "9": "not_present"}),
        episode=EPISODE,
        today=TODAY,
        open_alerts=open_alerts,
    )
    assert check.problems == {} and check.clean["alert_answers"] == {7: "still_present", 9: "not_present"}


@pytest.mark.parametrize("phase,flag", [(5, False), (6, True), (7, True)])
def test_nirschl_six_and_seven_are_the_rest_or_night_pain_red_flag(phase, flag):
    check = validation.check_assessment(
        full_assessment(nirschl_phase=phase, red_flag_action="Referred to GP today"), episode=EPISODE, today=TODAY
    )
    assert check.problems == {} and bool(check.clean["rf_rest_night_pain"]) is flag


@pytest.mark.parametrize("field,change,message", ASSESSMENT_CASES[:12], ids=[c[0] for c in ASSESSMENT_CASES[:12]])
def test_invalid_assessment_saves_nothing(open_case, field, change, message):
    db, clin, _, episode_id = open_case
    before = (db.scalar("SELECT count(*) FROM assessments"), db.scalar("SELECT count(*) FROM audit_log"))
    with pytest.raises(FieldProblems) as refused:
        records.record_assessment(db, clin, episode_id, full_assessment(**change), today=TODAY)
    assert field in refused.value.problems
    assert (db.scalar("SELECT count(*) FROM assessments"), db.scalar("SELECT count(*) FROM audit_log")) == before


PATIENT_CASES = [
    ("clinic_id", {"clinic_id": ""}, "required"),
    ("clinic_id", {"clinic_id": "has space"}, "letters, digits"),
    ("given_name", {"given_name": "  "}, "required"),
    ("family_name", {"family_name": "x" * 101}, "too long"),
    ("family_name", {"family_name": "Line\nbreak"}, "cannot be stored"),
    ("date_of_birth", {"date_of_birth": None}, "required"),
    ("date_of_birth", {"date_of_birth": "2030-01-01"}, "future"),
    ("date_of_birth", {"date_of_birth": "1880-01-01"}, "over 120"),
    ("date_of_birth", {"date_of_birth": "03/02/1984"}, "YYYY-MM-DD"),
    ("sex", {"sex": "unknown-value"}, "must be one of"),
    ("phone", {"phone": "call me"}, "Phone may contain"),
    ("email", {"email": "not-an-email"}, "does not look like"),
]


@pytest.mark.parametrize(
    "field,change,message", PATIENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PATIENT_CASES)]
)
def test_patient_field_is_refused_and_nothing_saved(clinic, field, change, message):
    clin = clinic.actors["clinician"]
    with pytest.raises(FieldProblems) as refused:
        records.create_patient(clinic, clin, {**PATIENT, **change}, today=TODAY)
    assert message.lower() in refused.value.problems[field].lower()
    assert clinic.scalar("SELECT count(*) FROM patients") == 0


EPISODE_CASES = [
    ("side", {"side": "middle"}, "must be one of"),
    ("region", {"region": None}, "required"),
    ("onset_type", {"onset_type": "slow"}, "must be one of"),
    ("onset_date", {"onset_date": "1970-01-01"}, "before the date of birth"),
    ("onset_date", {"onset_date": "2027-01-01"}, "future"),
    ("severity", {"severity": "awful"}, "must be one of"),
    ("clinician_id", {"clinician_id": None}, "required"),
    ("opened_on", {"opened_on": "2026-07-01"}, "before the onset date"),
]


@pytest.mark.parametrize(
    "field,change,message", EPISODE_CASES, ids=[c[0] + str(i) for i, c in enumerate(EPISODE_CASES)]
)
def test_episode_field_is_refused_and_nothing_saved(clinic, field, change, message):
    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    with pytest.raises(FieldProblems) as refused:
        records.open_episode(clinic, clin, patient_id, {**episode_values(clin.user_id), **change}, today=TODAY)
    assert message.lower() in refused.value.problems[field].lower()
    assert clinic.scalar("SELECT count(*) FROM episodes") == 0
    assert clinic.scalar("SELECT count(*) FROM tier_changes") == 0


def test_read_only_user_cannot_be_assigned_a_case(clinic):
    clin = clinic.actors["clinician"]
    patient_id = records.create_patient(clinic, clin, PATIENT, today=TODAY)
    with pytest.raises(FieldProblems) as refused:
        records.open_episode(clinic, clin, patient_id, episode_values(clinic.actors["read_only"].user_id), today=TODAY)
    assert "active clinician" in refused.value.problems["clinician_id"]


IMAGING_CASES = [
    ("modality", {"modality": "pet"}, "must be one of"),
    ("imaged_on", {"imaged_on": "2027-01-01"}, "future"),
    ("mri_type", {"modality": "ultrasound", "mri_type": 2}, "MRI only"),
    ("mri_type", {"mri_type": 5}, "one of"),
    ("thickness_mm", {"thickness_mm": 80}, "between 0 and 50"),
    ("retraction_cm", {"retraction_cm": -1}, "between 0 and 30"),
    ("tendons_avulsed", {"tendons_avulsed": 2, "avulsion": False}, "Tick avulsion"),
]


@pytest.mark.parametrize(
    "field,change,message", IMAGING_CASES, ids=[c[0] + str(i) for i, c in enumerate(IMAGING_CASES)]
)
def test_imaging_field_is_refused_and_nothing_saved(open_case, field, change, message):
    db, clin, _, episode_id = open_case
    good = {
        "modality": "mri",
        "imaged_on": "2026-09-10",
        "mri_type": 1,
        "thickening": True,
        "thickness_mm": 8.5,
        "report_text": "Thickened origin.",
    }
    with pytest.raises(FieldProblems) as refused:
        records.record_imaging(db, clin, episode_id, {**good, **change}, today=TODAY)
    assert message.lower() in refused.value.problems[field].lower()
    assert db.scalar("SELECT count(*) FROM imaging_reports") == 0
    records.record_imaging(db, clin, episode_id, good, today=TODAY)
    assert db.scalar("SELECT count(*) FROM imaging_reports") == 1


CLOSING_CASES = [
    ("status", {"status": "paused"}, "must be one of"),
    ("closed_on", {"closed_on": "2026-08-20"}, "before the date the episode was opened"),
    ("closed_on", {"closed_on": "2026-09-05"}, "before the last assessment"),
    ("discharge_outcome", {"discharge_outcome": None}, "required"),
    ("referred_to", {"status": "referred_on", "referred_to": ""}, "who the patient is referred"),
]


@pytest.mark.parametrize(
    "field,change,message", CLOSING_CASES, ids=[c[0] + str(i) for i, c in enumerate(CLOSING_CASES)]
)
def test_closing_field_is_refused(open_case, field, change, message):
    db, clin, _, episode_id = open_case
    records.record_assessment(db, clin, episode_id, full_assessment(assessed_on="2026-09-10"), today=TODAY)
    good = {"status": "discharged", "closed_on": "2026-11-01", "discharge_outcome": "resolved"}
    with pytest.raises(FieldProblems) as refused:
        records.close_episode(db, clin, episode_id, {**good, **change}, 1, today=TODAY)
    assert message.lower() in refused.value.problems[field].lower()
    assert db.scalar("SELECT status FROM episodes WHERE episode_id = ?", [episode_id]) == "open"
