"""Every rule of CLINICAL.md §4 at, and either side of, its threshold."""

from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.domain import rules
from dashboard.storage import caseload as caseload_sql
from dashboard.storage import records as sql

TODAY = date(2026, 11, 25)


def features(**over):
    """One open episode, 6 weeks old, conservative, stage 2, nothing flagged."""
    row = {
        "episode_id": 1,
        "status": "open",
        "side": "left",
        "opened_on": TODAY - timedelta(weeks=6),
        "closed_on": None,
        "tier": "conservative",
        "tier_since": TODAY - timedelta(weeks=6),
        "stage": 2,
        "last_assessed_on": TODAY - timedelta(days=7),
        "visa_baseline": 50,
        "visa_latest": 55,
        "pain_baseline": 6,
        "pain_latest": 5,
        "groc_latest": 1,
        "session_pain": 2,
        "next_morning_latest": "settled",
        "bridge_left": 25,
        "bridge_right": 26,
        "red_flag_latest": False,
        "nirschl_latest": 3,
        "good_run_start": TODAY - timedelta(days=10),
        "max_tendons_avulsed": None,
        "max_retraction_cm": None,
        "incidental_mri_age": None,
    }
    row.update(over)
    frame = pd.DataFrame([row])
    for column in ("opened_on", "closed_on", "tier_since", "last_assessed_on", "good_run_start"):
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
        (50, 2, 1, True),  # pain 6 -> 4 (33%), -> 3 (50%), -> 2 (67%)
        (50, 5, 1, False),
        (50, 5, 2, True),
        (50, 5, 3, True),  # GROC +1 / +2 / +3
    ],
)
def test_meaningful_improvement(visa, pain, groc, improved):
    assert bool(judge(visa_latest=visa, pain_latest=pain, groc_latest=groc)["improved"]) is improved


@pytest.mark.parametrize("weeks,stalled", [(11, False), (12, True), (13, True)])
def test_stalled_at_twelve_weeks(weeks, stalled):
    start = TODAY - timedelta(weeks=weeks)
    assert bool(judge(opened_on=start, tier_since=start)["stalled"]) is stalled
    assert not judge(opened_on=start, tier_since=start, visa_latest=70)["stalled"]  # improving cases are not stalled


@pytest.mark.parametrize("weeks_in_tier,adjunct", [(11, False), (12, True)])
def test_consider_adjunct_after_twelve_conservative_weeks(weeks_in_tier, adjunct):
    r = judge(opened_on=TODAY - timedelta(weeks=14), tier_since=TODAY - timedelta(weeks=weeks_in_tier))
    assert bool(r["consider_adjunct"]) is adjunct
    assert not judge(
        opened_on=TODAY - timedelta(weeks=14), tier="adjunct", tier_since=TODAY - timedelta(weeks=weeks_in_tier)
    )["consider_adjunct"]


@pytest.mark.parametrize("weeks,regenerative", [(17, False), (18, True), (19, True)])
def test_consider_regenerative(weeks, regenerative):
    r = judge(opened_on=TODAY - timedelta(weeks=weeks), tier="adjunct", tier_since=TODAY - timedelta(weeks=5))
    assert bool(r["consider_regenerative"]) is regenerative


@pytest.mark.parametrize("weeks,surgical", [(23, False), (24, True)])
def test_consider_surgical_opinion(weeks, surgical):
    r = judge(opened_on=TODAY - timedelta(weeks=weeks), tier="regenerative", tier_since=TODAY - timedelta(weeks=3))
    assert bool(r["consider_surgical"]) is surgical
    assert judge(red_flag_latest=True)["consider_surgical"]  # a red flag at any time


@pytest.mark.parametrize("days,overdue", [(27, False), (28, False), (29, True)])
def test_review_overdue_after_four_weeks(days, overdue):
    assert bool(judge(last_assessed_on=TODAY - timedelta(days=days))["review_overdue"]) is overdue
    assert not judge(status="discharged", closed_on=TODAY, last_assessed_on=TODAY - timedelta(days=90))[
        "review_overdue"
    ]


@pytest.mark.parametrize("age,incidental", [(44, False), (45, False), (46, True)])
def test_possibly_incidental_mri_over_45(age, incidental):
    assert bool(judge(incidental_mri_age=age)["incidental_mri"]) is incidental


@pytest.mark.parametrize(
    "over,flag",
    [
        ({"nirschl_latest": 5}, False),
        ({"nirschl_latest": 6}, True),
        ({"nirschl_latest": 7}, True),
        ({"max_retraction_cm": 2.0}, False),
        ({"max_retraction_cm": 2.1}, True),
        ({"max_tendons_avulsed": 1}, False),
        ({"max_tendons_avulsed": 2}, True),
        ({"red_flag_latest": True}, True),
    ],
)
def test_red_flags(over, flag):
    assert bool(judge(**over)["red_flag"]) is flag


def test_administrator_thresholds_change_the_verdict():
    start = TODAY - timedelta(weeks=10)
    assert not judge(opened_on=start, tier_since=start)["stalled"]
    assert judge({"stalled_weeks": 8}, opened_on=start, tier_since=start)["stalled"]


def test_every_threshold_has_a_source_and_level():
    for spec in rules.THRESHOLDS.values():
        assert spec.source and spec.level in {"primary", "secondary", "extrapolated", "heuristic"}
        assert spec.minimum <= spec.default <= spec.maximum
    for rule in rules.RULES.values():
        assert rule.source and rule.level


def test_red_flag_explanations_agree_with_the_rule_on_the_demo(demo_db):
    evaluated = rules.evaluate(caseload_sql.episode_features(demo_db, pain_amber_max=5), None, date.today())
    for row in evaluated[evaluated["status"] == "open"].to_dict("records"):
        latest = sql.latest_assessment(demo_db, row["episode_id"])
        imaging = sql.imaging_for_episode(demo_db, row["episode_id"]).to_dict("records")
        assert bool(rules.red_flags(latest, imaging)) == bool(row["red_flag"]), row["episode_id"]
    assert evaluated["red_flag"].sum() > 0
