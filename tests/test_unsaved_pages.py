"""Unsaved input of the imaging and new-episode forms survives a new browser session (a reload), and the
address bar names the open case or patient (AppTest, real DuckDB files)."""

from tests.apptest import as_user, button, goto, start, texts
from tests.test_pages import first_open_episode


def test_imaging_report_typed_before_a_reload_comes_back_and_saving_clears_it(monkeypatch, demo):
    path, db = demo
    ep = first_open_episode(db)
    me = as_user(db, "amara.okafor")
    key = f"imaging_{ep['episode_id']}_report_text"
    at = goto(start(monkeypatch, path, me, episode_id=ep["episode_id"]), "imaging")
    assert at.query_params["episode"] == str(ep["episode_id"])  # a reload or a link opens this case
    at.text_area(key=key).input("Thickened proximal tendon, no tear").run()
    kept = db.row("SELECT form, record_key FROM unsaved_input WHERE user_id = ?", [me.user_id])
    assert kept == {"form": "imaging", "record_key": f"episode:{ep['episode_id']}"}

    again = goto(start(monkeypatch, path, me, episode_id=ep["episode_id"]), "imaging")  # a new browser session
    assert again.text_area(key=key).value == "Thickened proximal tendon, no tear"
    assert "Unsaved input restored from" in texts(again)
    other = goto(start(monkeypatch, path, as_user(db, "lukas.brenner"), episode_id=ep["episode_id"]), "imaging")
    assert other.text_area(key=key).value == ""  # per user: a colleague does not see it

    button(again, "Save imaging report").click()
    again.run()
    assert not again.exception
    assert db.scalar("SELECT count(*) FROM unsaved_input") == 0
    assert db.scalar("SELECT count(*) FROM imaging_reports WHERE report_text = 'Thickened proximal tendon, no tear'")


def test_new_episode_typed_before_a_reload_comes_back_on_the_patient_page(monkeypatch, demo):
    path, db = demo
    me = as_user(db, "lukas.brenner")
    at = goto(start(monkeypatch, path, me, patient_id=1), "patient")
    assert at.query_params["patient"] == "1"
    at.text_input(key="new_episode_1_sport").input("Rowing").run()
    again = goto(start(monkeypatch, path, me, patient_id=1), "patient")
    assert again.text_input(key="new_episode_1_sport").value == "Rowing"
    assert "Unsaved input restored from" in texts(again)
    button(again, "Discard unsaved input").click()
    again.run()
    assert db.scalar("SELECT count(*) FROM unsaved_input") == 0
    assert again.text_input(key="new_episode_1_r1_sport").value == ""
