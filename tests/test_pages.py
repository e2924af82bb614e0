"""Every page through a real Streamlit run (AppTest) against a real DuckDB file."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.services import auth
from dashboard.storage.db import Database
from tests.apptest import as_user, button, goto, signed_in, start, texts

CLINIC_PAGES = ["caseload", "timeline", "register", "patient", "case", "assessment", "imaging", "handouts"]
ADMIN_PAGES = ["import_patients", "users", "rules_settings", "audit", "data_admin"]
PAGES = Path(__file__).resolve().parent.parent / "dashboard" / "pages"


def first_open_episode(db):
    return db.row(
        "SELECT e.episode_id, e.patient_id, p.given_name, p.family_name FROM episodes e"
        " JOIN patients p USING (patient_id) WHERE e.status = 'open' AND e.post_operative = FALSE"
        " AND e.region = 'proximal'"
        " AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id AND r.status = 'open')"
        " ORDER BY e.episode_id LIMIT 1"
    )


def test_signed_out_visitor_sees_only_sign_in_and_no_patient_data(monkeypatch, demo):
    path, db = demo
    at = start(monkeypatch, path)
    assert [t.value for t in at.title] == ["Sign in"]
    shown = texts(at)
    some = db.row("SELECT given_name, family_name, clinic_id FROM patients LIMIT 1")
    assert some["clinic_id"] not in shown and some["family_name"] not in shown
    for page in CLINIC_PAGES + ADMIN_PAGES:  # the router does not even register them
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")


@pytest.mark.parametrize("page", CLINIC_PAGES + ADMIN_PAGES)
def test_page_file_run_directly_without_sign_in_shows_nothing(monkeypatch, demo, page):
    path, db = demo
    ep = first_open_episode(db)
    monkeypatch.setenv("CLINIC_DB", str(path))
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)
    at.session_state["patient_id"] = ep["patient_id"]
    at.session_state["episode_id"] = ep["episode_id"]
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "Please sign in" in shown
    assert ep["family_name"] not in shown and "DEMO-" not in shown


@pytest.mark.parametrize(
    "page", ["assessment", "imaging", "handouts", "import_patients", "users", "rules_settings", "audit", "data_admin"]
)
def test_page_file_run_directly_by_read_only_user_is_refused(monkeypatch, demo, page):
    path, db = demo
    ep = first_open_episode(db)
    monkeypatch.setenv("CLINIC_DB", str(path))
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)
    for key, value in signed_in(path, as_user(db, "reception")).items():
        at.session_state[key] = value
    at.session_state["episode_id"] = ep["episode_id"]
    at.run()
    assert not at.exception
    assert "may not" in texts(at) or "Only an administrator" in texts(at)
    assert not at.number_input and not at.file_uploader and not at.form_submit_button


def test_demo_sign_in_page_shows_demo_credentials_and_signs_in(monkeypatch, demo):
    path, _ = demo
    at = start(monkeypatch, path)
    assert "demo-clinic-2026" in texts(at) and "DEMO" in texts(at)
    at.text_input[0].input("amara.okafor")
    at.text_input[1].input("wrong password")
    button(at, "Sign in").click()
    at.run()
    assert "not right" in texts(at)
    at.text_input[1].input("demo-clinic-2026")
    button(at, "Sign in").click()
    at.run()
    at.run()
    assert at.session_state["user"].username == "amara.okafor"
    goto(at, "caseload")  # now registered for this user (the browser test checks the landing page)
    assert "Caseload" in [t.value for t in at.title]


def test_real_clinic_shows_no_demo_credentials(monkeypatch, clinic):
    at = start(monkeypatch, clinic.path)
    assert "demo-clinic-2026" not in texts(at) and "DEMO" not in texts(at)


def test_empty_clinic_starts_with_first_administrator_setup(monkeypatch, tmp_path):
    fresh = Database(tmp_path / "fresh.duckdb")
    code = auth.issue_setup_code(fresh)  # what `serve` prints to its console
    fresh.close()
    at = start(monkeypatch, tmp_path / "fresh.duckdb")
    assert [t.value for t in at.title] == ["Set up the clinic"]

    def fill(setup_code, password, phone="0113 496 0000"):
        at.text_input(key="setup_clinic_name").input("Northside Physio")
        at.text_input(key="setup_clinic_phone").input(phone)
        at.text_area(key="setup_clinic_address").input("1 Mill Lane\nLeeds")
        at.text_input(key="setup_code").input(setup_code)
        at.text_input(key="setup_username").input("chief")
        at.text_input(key="setup_name").input("Chief Admin")
        at.text_input(key="setup_password").input(password)
        at.text_input(key="setup_again").input(password)
        button(at, "Set up the clinic").click()
        at.run()

    fill(code, "plinth-lantern-okapi", phone="call us!")  # the clinic's details are checked before anything else
    assert "Phone may contain digits" in texts(at) and "user" not in at.session_state
    probe = Database(tmp_path / "fresh.duckdb")
    assert probe.scalar("SELECT count(*) FROM users") == 0  # nothing half set up
    probe.close()
    fill("AAAA-BBBB-CCCC", "plinth-lantern-okapi")  # without the console's code nobody becomes administrator
    assert "setup code is not right" in texts(at)
    fill(code, "short")
    assert "at least 10 characters" in texts(at)
    fill(code, "chiefchief123")
    assert "must not contain the username" in texts(at)
    fill(code.lower(), "plinth-lantern-okapi")
    at.run()
    assert at.session_state["user"].username == "chief"
    db = Database(tmp_path / "fresh.duckdb")
    assert db.scalar("SELECT role FROM users WHERE username = 'chief'") == "administrator"
    assert db.scalar("SELECT count(*) FROM patients") == 0  # a real clinic starts empty
    assert db.scalar("SELECT count(*) FROM setup_codes") == 0  # the code worked once
    settings = {r["setting_key"]: r["setting_value"] for r in db.rows("SELECT * FROM clinic_settings")}
    assert settings["clinic_name"] == "Northside Physio" and settings["clinic_phone"] == "0113 496 0000"
    assert settings["clinic_address"] == "1 Mill Lane\nLeeds"
    db.close()
    shown = texts(goto(at, "caseload"))  # the empty caseload says what to do next
    assert "The clinic is set up" in shown and "No patients yet" in shown and "Add a patient" in shown


@pytest.mark.parametrize("username", ["admin", "amara.okafor", "reception"])
def test_every_page_runs_for_every_role(monkeypatch, demo, username):
    path, db = demo
    ep = first_open_episode(db)
    at = start(monkeypatch, path, as_user(db, username), patient_id=ep["patient_id"], episode_id=ep["episode_id"])
    for page in ["caseload", "timeline", "register", "patient", "case"]:
        goto(at, page)
        assert at.title, page
    if username != "reception":
        for page in ["assessment", "imaging", "handouts"]:
            goto(at, page)
    if username == "admin":
        for page in ADMIN_PAGES:
            goto(at, page)


def test_read_only_user_cannot_reach_admin_or_editing_pages(monkeypatch, demo):
    path, db = demo
    at = start(monkeypatch, path, as_user(db, "reception"))
    for page in ["import_patients", "users", "assessment", "imaging"]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")


def test_find_patient_and_open_case(monkeypatch, demo):
    path, db = demo
    ep = first_open_episode(db)
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor")), "register")
    at.text_input(key="register_query").input(ep["family_name"])
    at.run()
    assert ep["family_name"] in texts(at)
    at.session_state["patient_id"] = ep["patient_id"]
    goto(at, "patient")
    assert f"{ep['given_name']} {ep['family_name']}" in [t.value for t in at.title]
    button(at, "Open case").click()
    at.run()
    assert "Assessments" in [t.label for t in at.tabs]


def test_assessment_form_end_to_end(monkeypatch, demo):
    path, db = demo
    ep = first_open_episode(db)
    episode_id = ep["episode_id"]
    before = db.scalar("SELECT count(*) FROM assessments WHERE episode_id = ?", [episode_id])
    at = start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id)
    goto(at, "assessment")
    p = f"assess_{episode_id}_"
    previous = db.row("SELECT * FROM assessments WHERE episode_id = ? ORDER BY assessed_on DESC LIMIT 1", [episode_id])
    assert at.number_input(key=p + "bridge_reps_left").value == previous["bridge_reps_left"]  # carried forward
    assert "Findings start from the assessment of" in texts(at)
    # an invalid value is refused beside its field and kept on screen; nothing is saved
    at.number_input(key=p + "pain_avg").set_value(15)
    at.checkbox(key=p + "rf_neurological").check()
    button(at, "Save assessment").click()
    at.run()
    errors = [e.value for e in at.error]
    assert any("Average pain (last week) must be between 0 and 10" in e for e in errors)
    assert any("record what you did" in e for e in errors)
    assert at.number_input(key=p + "pain_avg").value == 15
    assert db.scalar("SELECT count(*) FROM assessments WHERE episode_id = ?", [episode_id]) == before
    # fixed: saved, and shown on the case page
    at.number_input(key=p + "pain_avg").set_value(3)
    at.number_input(key=p + "pain_worst").set_value(5)
    at.text_area(key=p + "red_flag_action").input("Referred to spinal clinic <urgent> & GP informed")
    for i, score in enumerate([7, 7, 8, 8, 6, 6, 7, 20], start=1):
        at.number_input(key=p + f"visa_h_{i}").set_value(score)
    side = db.scalar("SELECT side FROM episodes WHERE episode_id = ?", [episode_id])
    affected, other = ("right", "left") if side == "right" else ("left", "right")
    at.number_input(key=p + f"bridge_reps_{affected}").set_value(18)
    at.number_input(key=p + f"bridge_reps_{other}").set_value(30)
    at.run()
    assert "69 / 100" in texts(at) and "60%" in texts(at)  # live total and LSI
    button(at, "Save assessment").click()
    at.run()
    assert not at.exception
    saved = db.row("SELECT * FROM assessments WHERE episode_id = ? ORDER BY assessment_id DESC LIMIT 1", [episode_id])
    assert db.scalar("SELECT count(*) FROM assessments WHERE episode_id = ?", [episode_id]) == before + 1
    assert (saved["pain_avg"], saved["visa_h_total"], saved["rf_neurological"]) == (3, 69, True)
    assert saved["red_flag_action"] == "Referred to spinal clinic <urgent> & GP informed"
    shown = texts(at)
    assert "saved as a draft" in shown and "RED FLAG" in shown
    assert "Referred to spinal clinic" in shown
    # the neurological red flag is now an alert on the episode, routed to GP / spinal review
    alert = db.row("SELECT * FROM red_flag_alerts WHERE episode_id = ? AND status = 'open'", [episode_id])
    assert alert["kind"] == "neurological" and alert["source_id"] == saved["assessment_id"]
    assert at.error[0].value.startswith("## RED FLAG") and "GP or spinal / neurology review" in at.error[0].value


def test_new_patient_form_refuses_then_creates(monkeypatch, demo):
    path, db = demo
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor")), "register")
    at.text_input(key="new_patient_clinic_id").input("DEMO-000001")  # taken
    at.text_input(key="new_patient_given_name").input("Siân")
    at.text_input(key="new_patient_family_name").input("")
    button(at, "Create patient").click()
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert (
        "already has clinic ID" in errors
        and "Family name is required" in errors
        and "Date of birth is required" in errors
    )
    assert at.text_input(key="new_patient_given_name").value == "Siân"
    at.text_input(key="new_patient_clinic_id").input("NEW-1")
    at.text_input(key="new_patient_family_name").input("Ó Súilleabháin")
    import datetime

    at.date_input(key="new_patient_date_of_birth").set_value(datetime.date(1990, 5, 17))
    button(at, "Create patient").click()
    at.run()
    assert not at.exception
    assert db.scalar("SELECT family_name FROM patients WHERE clinic_id = 'NEW-1'") == "Ó Súilleabháin"
    assert "Siân Ó Súilleabháin" in [t.value for t in at.title]


def test_open_episode_from_patient_page(monkeypatch, demo):
    path, db = demo
    me = as_user(db, "lukas.brenner")
    at = start(monkeypatch, path, me, patient_id=1)
    goto(at, "patient")
    button(at, "Open episode").click()
    at.run()
    assert "Onset date is required" in " ".join(e.value for e in at.error)
    import datetime

    at.date_input(key="new_episode_1_onset_date").set_value(datetime.date.today() - datetime.timedelta(days=30))
    for field, value in (("side", "left"), ("region", "proximal"), ("onset_type", "gradual"), ("severity", "mild")):
        at.radio(key=f"new_episode_1_{field}").set_value(value)  # nothing is chosen for the clinician
    button(at, "Open episode").click()
    at.run()
    assert not at.exception
    newest = db.row("SELECT * FROM episodes ORDER BY episode_id DESC LIMIT 1")
    assert newest["patient_id"] == 1 and newest["clinician_id"] == me.user_id and newest["status"] == "open"


def test_sign_and_amend_on_case_page(monkeypatch, demo):
    path, db = demo
    row = db.row(
        "SELECT assessment_id, episode_id FROM assessments WHERE signed_at IS NULL AND created_by = 'amara.okafor'"
        " ORDER BY assessed_on DESC LIMIT 1"
    )
    at = start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=row["episode_id"])
    goto(at, "case")
    button(at, "Sign assessment").click()
    at.run()
    assert (
        db.scalar("SELECT signed_by FROM assessments WHERE assessment_id = ?", [row["assessment_id"]]) == "amara.okafor"
    )
    assert "Sign assessment" not in [b.label for b in at.button]
    at.text_input(key=f"addendum_{row['assessment_id']}_reason").input("Typo")
    at.text_area(key=f"addendum_{row['assessment_id']}_body").input("Pain was 4, not 5.")
    button(at, "Add addendum").click()
    at.run()
    assert "Pain was 4, not 5" in texts(at)


def test_import_page_refuses_bad_file_then_imports(monkeypatch, demo):
    path, db = demo
    at = start(monkeypatch, path, as_user(db, "admin"))
    goto(at, "import_patients")
    bad = b"patient_id,given_name,family_name,date_of_birth\nQ-1,,Nobody,1990-01-01\n"
    at.file_uploader(key="import_file").upload("bad.csv", bad, "text/csv")
    at.run()
    button(at, "Import").click()
    at.run()
    assert "row 2" in texts(at) and "Given name is required" in texts(at)
    assert db.scalar("SELECT count(*) FROM patients WHERE clinic_id = 'Q-1'") == 0
    good = "patient_id,given_name,family_name,date_of_birth\nQ-1,Ξένια,D'Arcy,1990-01-01\n".encode()
    at.file_uploader(key="import_file").upload("good.csv", good, "text/csv")
    at.run()
    button(at, "Import").click()
    at.run()
    assert "Imported 1 patients" in texts(at)
    assert db.scalar("SELECT given_name FROM patients WHERE clinic_id = 'Q-1'") == "Ξένια"


def test_imaging_form_saves_to_episode(monkeypatch, demo):
    path, db = demo
    ep = first_open_episode(db)
    at = start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=ep["episode_id"])
    goto(at, "imaging")
    p = f"imaging_{ep['episode_id']}_"
    at.selectbox(key=p + "modality").set_value("ultrasound")
    at.selectbox(key=p + "mri_type").set_value(3)
    button(at, "Save imaging report").click()
    at.run()
    assert "MRI only" in " ".join(e.value for e in at.error)
    at.selectbox(key=p + "modality").set_value("mri")
    at.checkbox(key=p + "partial_tear").check()
    at.text_area(key=p + "report_text").input("Partial tear of the conjoint tendon.")
    button(at, "Save imaging report").click()
    at.run()
    assert (
        db.scalar("SELECT count(*) FROM imaging_reports WHERE episode_id = ? AND mri_type = 3", [ep["episode_id"]]) == 1
    )


def test_edit_an_unsigned_draft_and_a_racing_edit_is_refused(monkeypatch, demo):
    path, db = demo
    from dashboard.services import records

    me = as_user(db, "amara.okafor")
    ep = first_open_episode(db)
    assessment_id = records.record_assessment(
        db,
        me,
        ep["episode_id"],
        {"assessed_on": datetime_today(), "pain_avg": 4, "pain_worst": 6, "plan": "First plan"},
    )
    at = start(monkeypatch, path, me, episode_id=ep["episode_id"], edit_assessment=assessment_id)
    goto(at, "assessment")
    p = f"assess_{ep['episode_id']}_draft{assessment_id}_"
    assert "Edit draft assessment" in [t.value for t in at.title]
    assert at.text_area(key=p + "plan").value == "First plan" and at.number_input(key=p + "pain_avg").value == 4
    # the same draft is saved meanwhile from another window (only its author may edit it)
    records.update_draft(
        db,
        me,
        assessment_id,
        {"assessed_on": datetime_today(), "pain_avg": 5, "pain_worst": 6, "plan": "Other window's plan"},
        1,
    )
    at.text_area(key=p + "plan").input("My better plan")
    button(at, "Save draft changes").click()
    at.run()
    assert "changed by amara.okafor" in texts(at)
    assert at.text_area(key=p + "plan").value == "My better plan"  # the input is kept
    assert db.scalar("SELECT plan FROM assessments WHERE assessment_id = ?", [assessment_id]) == "Other window's plan"
    button(at, "Save draft changes").click()  # saving again, knowingly
    at.run()
    assert db.scalar("SELECT plan FROM assessments WHERE assessment_id = ?", [assessment_id]) == "My better plan"


def datetime_today():
    import datetime

    return datetime.date.today()
