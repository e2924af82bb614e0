"""The case page through AppTest for a red-flag, a stalled and an improving demo case, and the
journey: open a stalled case, see why, escalate with a reason, record shockwave, see it all."""

from datetime import timedelta

import pandas as pd

from dashboard.domain.model import ALERT_KINDS
from dashboard.services import caseload
from tests.apptest import as_user, button, chart_data, goto, start, texts


def pick(db, column):
    evaluated = caseload.evaluated_episodes(db, as_user(db, "admin"))
    return int(evaluated[evaluated[column] & (evaluated["status"] == "open")].iloc[0]["episode_id"])


def test_red_flag_case_has_a_banner_at_the_top(monkeypatch, demo):
    path, db = demo
    episode_id = pick(db, "red_flag")
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id), "case")
    first_error = at.error[0].value
    kind = db.scalar("SELECT kind FROM red_flag_alerts WHERE episode_id = ? AND status = 'open'", [episode_id])
    assert first_error.startswith("## RED FLAG") and ALERT_KINDS[kind].route in first_error
    if kind != "avulsion":  # only an avulsion routes to a surgical opinion (CLINICAL.md §6)
        assert "consider surgical" not in texts(at).lower()


def test_stalled_case_shows_why_with_source_and_a_suggestion(monkeypatch, demo):
    path, db = demo
    episode_id = pick(db, "consider_adjunct")
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id), "case")
    shown = texts(at)
    assert "Stalled" in shown
    assert "Goom et al., JOSPT 2016" in shown and "heuristic" in shown
    assert "Suggestion: Consider adjunct" in shown
    frames = chart_data(at)
    visa = db.frame(
        "SELECT visa_h_total FROM assessments WHERE episode_id = ? AND visa_h_total IS NOT NULL"
        " ORDER BY assessed_on, assessment_id",
        [episode_id],
    )["visa_h_total"]
    outcome = next(f for f in frames if "outcome" in f.columns)  # the VISA-H panel draws the episode's scores
    assert list(outcome["outcome"]) == [float(v) for v in visa] and len(visa) >= 2
    assert any("reps" in f.columns and len(f) for f in frames)


def test_a_case_opened_today_has_charts_over_its_first_fortnight(monkeypatch, demo):
    path, db = demo
    episode_id = int(db.scalar("SELECT min(episode_id) FROM episodes WHERE opened_on = current_date"))
    at = goto(start(monkeypatch, path, as_user(db, "admin"), episode_id=episode_id), "case")
    assert not at.exception
    opened = db.scalar("SELECT opened_on FROM episodes WHERE episode_id = ?", [episode_id])
    spans = [f for f in chart_data(at) if list(f.columns) == ["date"]]  # the invisible marks that hold the axis
    assert spans and all(
        [d.date() for d in pd.to_datetime(f["date"])] == [opened, opened + timedelta(days=14)] for f in spans
    )


def test_improving_case_shows_meaningful_improvement(monkeypatch, demo):
    path, db = demo
    episode_id = pick(db, "improved")
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id), "case")
    shown = texts(at)
    assert (
        "Meaningful improvement" in shown
        and "RED FLAG" not in shown
        and "Stalled" not in shown.split("Flags:")[1][:200]
    )


def test_escalate_stalled_case_and_record_shockwave(monkeypatch, demo):
    path, db = demo
    episode_id = pick(db, "consider_adjunct")
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id), "case")
    at.text_input(key="decide_consider_adjunct_reason").input("No change after 12 weeks of loading")
    button(at, "Accept: move to adjunct tier").click()
    at.run()
    assert not at.exception
    assert "Decision recorded. Tier changed." in texts(at)
    assert (
        db.scalar(
            "SELECT tier FROM tier_changes WHERE episode_id = ? ORDER BY tier_change_id DESC LIMIT 1", [episode_id]
        )
        == "adjunct"
    )
    at.selectbox(key="treatment_kind").set_value("shockwave")
    at.run()
    for radio in [r for r in at.radio if str(r.key).startswith("treatment_screen_")]:  # the safety screen
        radio.set_value("no")
    button(at, "Record treatment").click()
    at.run()
    assert not at.exception
    row = db.row("SELECT * FROM treatments WHERE episode_id = ?", [episode_id])
    assert (row["kind"], row["impulses"], row["energy_flux"], row["session_number"]) == ("shockwave", 2500, 0.18, 1)
    shown = texts(at)
    assert "Shockwave session recorded" in shown and "No change after 12 weeks of loading" in shown
    tier_periods = [f for f in chart_data(at) if "tier" in f.columns]
    assert tier_periods and list(tier_periods[0]["tier"])[-1] == "adjunct"  # the new period is shaded


def test_change_stage_from_case_page_refuses_without_reason(monkeypatch, demo):
    path, db = demo
    episode_id = pick(db, "stalled")
    at = goto(start(monkeypatch, path, as_user(db, "amara.okafor"), episode_id=episode_id), "case")
    current = db.scalar(
        "SELECT stage FROM stage_changes WHERE episode_id = ? ORDER BY stage_change_id DESC LIMIT 1", [episode_id]
    )
    at.selectbox(key="change_stage_stage").set_value(4 if current != 4 else 3)
    button(at, "Change stage").click()
    at.run()
    assert "Reason is required" in " ".join(e.value for e in at.error)
    at.text_area(key="change_stage_reason").input("Green sessions for three weeks")
    button(at, "Change stage").click()
    at.run()
    assert (
        db.scalar(
            "SELECT reason FROM stage_changes WHERE episode_id = ? ORDER BY stage_change_id DESC LIMIT 1", [episode_id]
        )
        == "Green sessions for three weeks"
    )


def test_admin_threshold_page_changes_flags_and_audits(monkeypatch, demo):
    path, db = demo
    before = caseload.evaluated_episodes(db, as_user(db, "admin"))["stalled"].sum()
    at = goto(start(monkeypatch, path, as_user(db, "admin")), "rules_settings")
    at.number_input(key="threshold_stalled_weeks").set_value(6.0)
    button(at, "Save thresholds").click()
    at.run()
    assert "1 threshold(s) changed" in texts(at)
    after = caseload.evaluated_episodes(db, as_user(db, "admin"))["stalled"].sum()
    assert after > before
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'rule_threshold' AND username = 'admin'") == 1
    at.number_input(key="threshold_stalled_weeks").set_value(500.0)
    button(at, "Save thresholds").click()
    at.run()
    assert "between 4 and 52" in " ".join(e.value for e in at.error)
