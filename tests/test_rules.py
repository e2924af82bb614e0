"""Every rule of CLINICAL.md §4 at, and either side of, its threshold."""

from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.domain import rules
from dashboard.services import caseload
from tests.conftest import PATIENT, episode_values

TODAY = date(2026, 11, 25)


def features(**over):
    """One open proximal episode, 6 weeks old, conservative, stage 2, nothing flagged."""
    row = {
        "episode_id": 1,
        "status": "open",
        "side": "left",
        "region": "proximal",
        "post_operative": False,
        "opened_on": TODAY - timedelta(weeks=6),
        "closed_on": None,
        "tier": "conservative",
        "tier_since": TODAY - timedelta(weeks=6),
        "stage": 2,
        "stage_since": TODAY - timedelta(weeks=4),
        "max_stage": 2,
        "last_assessed_on": TODAY - timedelta(days=7),
        "next_review_on": TODAY + timedelta(days=7),
        "outcome_baseline": 50,
        "outcome_baseline_on": TODAY - timedelta(weeks=6),
        "outcome_latest": 55,
        "outcome_tier_start": 50,
        "pain_baseline": 6,
        "pain_latest": 5,
        "pain_tier_start": 6,
        "groc_latest": 1,
        "session_pain": 2,
        "next_morning_latest": "settled",
        "bridge_left": 25,
        "bridge_right": 26,
        "nirschl_latest": 3,
        "good_run_start": TODAY - timedelta(days=10),
        "open_alerts": 0,
        "open_alert_kinds": None,
        "stage_gate_waived": False,
        "incidental_mri_age": None,
    }
    row.update(over)
    frame = pd.DataFrame([row])
    for column in (
        "opened_on",
        "closed_on",
        "tier_since",
        "stage_since",
        "last_assessed_on",
        "good_run_start",
        "next_review_on",
        "outcome_baseline_on",
    ):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def judge(thresholds=None, **over):
    return rules.evaluate(features(**over), thresholds, TODAY).iloc[0]


def test_quiet_case_has_no_flags():
    r = judge()
    assert not any(
        bool(r[c])
        for c in (
            "red_flag",
            "stalled",
            "escalation_due",
            "review_overdue",
            "bridge_deficit",
            "improved",
            "ready_to_progress",
            "hold_stage",
            "incidental_mri",
        )
    )


@pytest.mark.parametrize(
    "pain,light", [(0, "green"), (3, "green"), (4, "amber"), (5, "amber"), (6, "red"), (10, "red")]
)
def test_session_pain_traffic_light(pain, light):
    assert judge(session_pain=pain)["pain_light"] == light
    assert rules.pain_light(pain) == light


def test_next_morning_not_settled_holds_the_stage():
    assert judge(next_morning_latest="not_settled")["hold_stage"]
    assert not judge(next_morning_latest="settled")["hold_stage"]


@pytest.mark.parametrize("days,ready", [(13, False), (14, True), (21, True)])
def test_ready_to_progress_after_two_good_weeks(days, ready):
    last = TODAY - timedelta(days=1)
    r = judge(last_assessed_on=last, good_run_start=last - timedelta(days=days))
    assert bool(r["ready_to_progress"]) is ready


def test_not_ready_at_stage_four_or_with_no_good_run():
    last = TODAY - timedelta(days=1)
    assert not judge(stage=4, last_assessed_on=last, good_run_start=last - timedelta(days=30))["ready_to_progress"]
    assert not judge(good_run_start=None)["ready_to_progress"]


@pytest.mark.parametrize(
    "left,right,deficit", [(19, 20, True), (20, 20, False), (21, 20, False), (26, 29, False), (26, 30, True)]
)  # 26/29 = 89.7% -> 89.7 < 90
def test_bridge_deficit_at_twenty_reps_and_ninety_percent(left, right, deficit):
    expected = left < 20 or right < 20 or round(100 * left / right, 1) < 90
    assert bool(judge(bridge_left=left, bridge_right=right)["bridge_deficit"]) is expected


@pytest.mark.parametrize("lsi_right,deficit", [(27, False), (28, True)])
def test_bridge_lsi_edge(lsi_right, deficit):
    # left affected: 25/27 = 92.6% fine; 25/28 = 89.3% deficit
    assert bool(judge(bridge_left=25, bridge_right=lsi_right)["bridge_deficit"]) is deficit


def test_bilateral_lsi_compares_weaker_with_stronger():
    assert rules.bridge_lsi("bilateral", 30, 20) == 66.7
    assert rules.bridge_lsi("right", 30, 20) == 66.7
    assert rules.bridge_lsi("left", 30, 20) == 150.0
    assert rules.bridge_lsi("left", 10, 0) is None and rules.bridge_lsi("left", None, 10) is None


@pytest.mark.parametrize(
    "visa,pain,groc,improved",
    [
        (62, 5, 1, False),
        (63, 5, 1, True),
        (64, 5, 1, True),  # VISA-H +12 / +13 / +14 from 50
        (50, 4, 1, False),
        (50, 3, 1, True),
        (50, 2, 1, True),  # pain 6 -> 4 (33%), -> 3 (50%, 3 points), -> 2 (67%)
        (50, 5, 1, False),
        (50, 5, 2, True),
        (50, 5, 3, True),  # GROC +1 / +2 / +3 at the latest visit
    ],
)
def test_meaningful_improvement(visa, pain, groc, improved):
    assert bool(judge(outcome_latest=visa, pain_latest=pain, groc_latest=groc)["improved"]) is improved


@pytest.mark.parametrize(
    "baseline,latest,improved",
    [(2, 1, False), (3, 1, True), (4, 2, True), (4, 3, False), (10, 5, True), (10, 6, False)],
)  # >= 50% and >= 2 points (Farrar 2001): 2 -> 1 is 50% but 1 point, not meaningful
def test_pain_change_needs_half_and_two_points(baseline, latest, improved):
    r = judge(pain_baseline=baseline, pain_latest=latest, outcome_latest=50)
    assert bool(r["improved"]) is improved


def test_improvement_uses_the_latest_visit_only():
    # a GROC of +2 at an earlier visit no longer counts: only the latest visit's (here not recorded)
    assert not judge(groc_latest=None, outcome_latest=50)["improved"]
    # no outcome score at the latest visit: no outcome-based improvement, whatever came before
    assert not judge(outcome_latest=None, groc_latest=None)["improved"]


@pytest.mark.parametrize("days_after,late", [(27, False), (28, False), (29, True)])
def test_late_baseline_after_four_weeks(days_after, late):
    opened = TODAY - timedelta(weeks=10)
    r = judge(opened_on=opened, tier_since=opened, outcome_baseline_on=opened + timedelta(days=days_after))
    assert bool(r["late_baseline"]) is late


@pytest.mark.parametrize("weeks,stalled", [(11, False), (12, True), (13, True)])
def test_stalled_at_twelve_weeks(weeks, stalled):
    start = TODAY - timedelta(weeks=weeks)
    assert bool(judge(opened_on=start, tier_since=start)["stalled"]) is stalled
    assert not judge(opened_on=start, tier_since=start, outcome_latest=70)["stalled"]  # improving: not stalled


@pytest.mark.parametrize("weeks_in_tier,stalled", [(11, False), (12, True)])
def test_stalled_within_the_tier_after_early_improvement(weeks_in_tier, stalled):
    # improved early (VISA-H 40 -> 60 over the episode) then no further change since the tier began
    r = judge(
        opened_on=TODAY - timedelta(weeks=30),
        tier="adjunct",
        tier_since=TODAY - timedelta(weeks=weeks_in_tier),
        outcome_baseline=40,
        outcome_tier_start=60,
        outcome_latest=62,
        pain_baseline=6,
        pain_tier_start=3,
        pain_latest=3,
    )
    assert r["improved"] and bool(r["stalled"]) is stalled


@pytest.mark.parametrize("weeks_in_tier,adjunct", [(11, False), (12, True)])
def test_consider_adjunct_after_twelve_conservative_weeks(weeks_in_tier, adjunct):
    r = judge(opened_on=TODAY - timedelta(weeks=14), tier_since=TODAY - timedelta(weeks=weeks_in_tier))
    assert bool(r["consider_adjunct"]) is adjunct
    assert not judge(
        opened_on=TODAY - timedelta(weeks=14), tier="adjunct", tier_since=TODAY - timedelta(weeks=weeks_in_tier)
    )["consider_adjunct"]


@pytest.mark.parametrize("max_stage,waived,adjunct", [(1, False, False), (1, True, True), (2, False, True)])
def test_adjunct_needs_loading_stage_two_or_a_recorded_reason(max_stage, waived, adjunct):
    start = TODAY - timedelta(weeks=13)
    r = judge(opened_on=start, tier_since=start, stage=max_stage, max_stage=max_stage, stage_gate_waived=waived)
    assert bool(r["consider_adjunct"]) is adjunct
    assert bool(r["load_before_adjunct"]) is (not adjunct)


@pytest.mark.parametrize(
    "episode_weeks,tier_weeks,regenerative", [(17, 6, False), (18, 5, False), (18, 6, True), (19, 7, True)]
)
def test_consider_regenerative_after_six_adjunct_weeks(episode_weeks, tier_weeks, regenerative):
    r = judge(
        opened_on=TODAY - timedelta(weeks=episode_weeks),
        tier="adjunct",
        tier_since=TODAY - timedelta(weeks=tier_weeks),
    )
    assert bool(r["consider_regenerative"]) is regenerative
    assert not r["consider_adjunct"]  # never both prompts at once


def test_never_both_escalation_prompts_and_none_from_conservative_to_regenerative():
    r = judge(opened_on=TODAY - timedelta(weeks=30), tier_since=TODAY - timedelta(weeks=30))
    assert r["consider_adjunct"] and not r["consider_regenerative"]


@pytest.mark.parametrize("weeks,surgical", [(23, False), (24, True)])
def test_consider_surgical_opinion(weeks, surgical):
    r = judge(opened_on=TODAY - timedelta(weeks=weeks), tier="regenerative", tier_since=TODAY - timedelta(weeks=3))
    assert bool(r["consider_surgical"]) is surgical
    assert judge(open_alerts=1, open_alert_kinds="avulsion")["consider_surgical"]  # an avulsion flag at any time
    assert not judge(open_alerts=1, open_alert_kinds="neurological")["consider_surgical"]  # not every red flag


def test_post_operative_case_never_gets_an_escalation_prompt():
    long_ago = TODAY - timedelta(weeks=40)
    for tier in ("conservative", "adjunct"):
        r = judge(post_operative=True, opened_on=long_ago, tier=tier, tier_since=long_ago, open_alert_kinds="avulsion")
        assert r["stalled"]
        assert not any(r[k] for k in ("consider_adjunct", "load_before_adjunct", "consider_regenerative"))
        assert not r["consider_surgical"] and not r["escalation_due"] and not r["ready_to_progress"]


@pytest.mark.parametrize("days_past,overdue", [(6, False), (7, False), (8, True)])
def test_review_overdue_a_week_after_the_planned_date(days_past, overdue):
    r = judge(next_review_on=TODAY - timedelta(days=days_past), last_assessed_on=TODAY - timedelta(days=60))
    assert bool(r["review_overdue"]) is overdue


@pytest.mark.parametrize("days,overdue", [(27, False), (28, False), (29, True)])
def test_review_overdue_with_none_planned_after_four_weeks(days, overdue):
    assert bool(judge(next_review_on=None, last_assessed_on=TODAY - timedelta(days=days))["review_overdue"]) is overdue
    assert not judge(status="discharged", closed_on=TODAY, last_assessed_on=TODAY - timedelta(days=90))[
        "review_overdue"
    ]


@pytest.mark.parametrize("days_open,overdue", [(0, False), (28, False), (29, True)])
def test_new_episode_is_not_overdue_on_the_day_it_opens(days_open, overdue):
    opened = TODAY - timedelta(days=days_open)
    r = judge(opened_on=opened, tier_since=opened, last_assessed_on=None, next_review_on=None)
    assert bool(r["review_overdue"]) is overdue


@pytest.mark.parametrize("run_days,ready", [(13, False), (14, True)])
def test_ready_to_progress_counts_only_this_stages_sessions(run_days, ready):
    last = TODAY - timedelta(days=1)
    r = judge(last_assessed_on=last, good_run_start=last - timedelta(days=run_days))
    assert bool(r["ready_to_progress"]) is ready
    assert not judge(last_assessed_on=last, good_run_start=None)["ready_to_progress"]  # no good session in stage
    assert not judge(open_alerts=1, good_run_start=last - timedelta(days=30))["ready_to_progress"]  # red flag open


@pytest.mark.parametrize("age,incidental", [(44, False), (45, False), (46, True)])
def test_possibly_incidental_mri_over_45(age, incidental):
    assert bool(judge(incidental_mri_age=age)["incidental_mri"]) is incidental


def test_red_flag_is_an_open_alert_not_a_latest_visit():
    assert judge(open_alerts=1, open_alert_kinds="neurological")["red_flag"]
    assert not judge(open_alerts=0, nirschl_latest=7)["red_flag"]  # Nirschl raises an alert at the visit
    assert not judge(open_alerts=1, status="discharged", closed_on=TODAY)["red_flag"]


def test_administrator_thresholds_change_the_verdict():
    start = TODAY - timedelta(weeks=10)
    assert not judge(opened_on=start, tier_since=start)["stalled"]
    assert judge({"stalled_weeks": 8}, opened_on=start, tier_since=start)["stalled"]


def test_every_threshold_has_a_source_and_level_and_statements_show_values_in_force():
    for spec in rules.THRESHOLDS.values():
        assert spec.source and spec.level in {"primary", "secondary", "extrapolated", "heuristic"}
        assert spec.minimum <= spec.default <= spec.maximum
    for rule in rules.RULES.values():
        assert rule.source and rule.level and "{" not in rule.text()
    assert "0-4 green" in rules.RULES["pain_light"].text({"pain_green_max": 4})
    assert "16 weeks" in rules.RULES["stalled"].text({"stalled_weeks": 16})


@pytest.mark.parametrize(
    "key,value,refused",
    [
        ("pain_green_max", 4, False),
        ("pain_green_max", 5, True),  # equal to amber max
        ("pain_green_max", 6, True),
        ("pain_amber_max", 4, False),
        ("pain_amber_max", 3, True),
        ("adjunct_weeks", 17, False),
        ("adjunct_weeks", 18, True),  # not before regenerative
        ("surgical_weeks", 19, False),
        ("surgical_weeks", 18, True),
    ],
)
def test_inconsistent_thresholds_are_refused(key, value, refused):
    problem = rules.check_threshold_value(key, value)
    assert (problem is not None) is refused, problem


def test_exact_age_counts_the_birthday():
    from dashboard.domain.model import age_on

    born = date(1980, 11, 26)
    assert age_on(born, date(2025, 11, 25)) == 44 and age_on(born, date(2025, 11, 26)) == 45
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17 and age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_incidental_mri_age_is_exact_in_sql(clinic):
    from dashboard.services import records

    admin = clinic.actors["admin"]
    patient = records.create_patient(clinic, admin, {**PATIENT, "date_of_birth": "1980-11-26"})
    episode = records.open_episode(clinic, admin, patient, episode_values(clinic.actors["clinician"].user_id))
    records.record_imaging(
        clinic, admin, episode, {"modality": "mri", "imaged_on": "2026-11-25", "mri_type": 3}, today=TODAY
    )
    row = caseload.case_rules(clinic, admin, episode, today=TODAY).result  # from the case state
    assert row["incidental_mri_age"] == 45  # 46 years counted by calendar year, 45 by the birthday


def test_research_definition_three_of_four_on_the_affected_side():
    visit = {
        "test_arabesque_left": "positive",
        "test_bridge_left": "positive",
        "test_modified_bent_knee_left": "negative",
        "sitting_minutes": 29,
        "test_arabesque_right": "positive",
    }
    assert rules.research_definition(visit, "left") == (3, 4)
    assert rules.research_definition({**visit, "sitting_minutes": 30}, "left") == (2, 4)
    assert rules.research_definition(visit, "right") == (2, 2)  # only what the right side recorded


def test_priority_puts_what_needs_doing_first():
    last_month = TODAY - timedelta(days=40)
    assert judge(open_alerts=1, open_alert_kinds="neurological")["priority"] == 0
    assert judge(next_review_on=TODAY - timedelta(days=8))["priority"] == 1  # overdue
    due = judge(next_review_on=TODAY)
    assert due["review_due"] and not due["review_overdue"] and due["priority"] == 2
    assert (
        judge(opened_on=last_month - timedelta(weeks=12), tier_since=TODAY - timedelta(weeks=2), max_stage=1)[
            "priority"
        ]
        == 3
    )  # stalled
    assert judge()["priority"] == 5
