"""The caseload and timeline: filters, figures, windows, export, and one set of figures everywhere."""

import io

import pandas as pd
import pytest

from dashboard.services import caseload, cases
from dashboard.services.caseload import CaseloadFilter
from tests.apptest import as_user, button, chart_data, goto, start, texts


def test_my_stalled_cases_are_mine_and_stalled(demo):
    _, db = demo
    me = as_user(db, "amara.okafor")
    result = caseload.caseload(db, me, CaseloadFilter(clinician_id=me.user_id, flags=("stalled",)))
    assert result.total > 0
    assert set(result.rows["Clinician"]) == {"Amara Okafor"}
    assert all("Stalled" in flags for flags in result.rows["Flags"])
    everyone = caseload.caseload(db, me, CaseloadFilter(clinician_id=None, flags=("stalled",)))
    assert everyone.total > result.total
    assert everyone.figures["stalled"] == everyone.total  # the figure is the list it opens


@pytest.mark.parametrize(
    "f,check",
    [
        (CaseloadFilter(tiers=("adjunct",)), lambda r: set(r["Tier"]) == {"Adjunct"}),
        (CaseloadFilter(stages=(1,)), lambda r: set(r["Stage"]) == {1}),
        (CaseloadFilter(severities=("chronic",)), lambda r: len(r) > 0),
        (CaseloadFilter(regions=("proximal",)), lambda r: set(r["Region"]) == {"Proximal"}),
        (CaseloadFilter(statuses=("discharged",)), lambda r: set(r["Status"]) == {"Discharged"}),
        (CaseloadFilter(flags=("red_flag",)), lambda r: all(x.startswith("RED FLAG: ") for x in r["Flags"])),
        (
            CaseloadFilter(text="demo-00001", statuses=()),  # the first patients seen: their episodes may be closed
            lambda r: all(x.startswith("DEMO-00001") for x in r["Clinic ID"]),
        ),
    ],
)
def test_each_filter(demo, f, check):
    _, db = demo
    result = caseload.caseload(db, as_user(db, "admin"), f)
    assert result.total > 0 and check(result.rows)


def test_sorting_and_window_cap(demo, monkeypatch):
    _, db = demo
    me = as_user(db, "admin")
    monkeypatch.setattr(caseload, "MAX_ROWS", 10)
    result = caseload.caseload(db, me, CaseloadFilter(statuses=(), sort="Last seen", descending=True))
    assert len(result.rows) == 10 and result.total == 150
    seen = list(result.rows["Last seen"])
    assert seen == sorted(seen, reverse=True)
    second = caseload.caseload(db, me, CaseloadFilter(statuses=(), sort="Last seen", descending=True), offset=10)
    assert not set(second.rows["episode_id"]) & set(result.rows["episode_id"])


def test_export_is_the_whole_filtered_list_and_is_audited(demo):
    _, db = demo
    me = as_user(db, "amara.okafor")
    f = CaseloadFilter(clinician_id=None, flags=("review_overdue",))
    data = caseload.export_csv(db, me, f)
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(frame) == caseload.caseload(db, me, f).total
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'export' AND username = 'amara.okafor'") == 1


def test_a_threshold_change_is_in_the_next_read(demo):
    _, db = demo
    from dashboard.services import care

    admin = as_user(db, "admin")
    open_only = CaseloadFilter(flags=("stalled",))
    before = caseload.caseload(db, admin, open_only).total
    care.set_threshold(db, admin, "stalled_weeks", 4)  # stalls sooner: more stalled cases at once
    after = caseload.caseload(db, admin, open_only).total
    assert after > before
    care.set_threshold(db, admin, "stalled_weeks", 12)
    assert caseload.caseload(db, admin, open_only).total <= before


def test_same_figures_on_caseload_timeline_and_case_page(demo):
    _, db = demo
    me = as_user(db, "amara.okafor")
    f = CaseloadFilter(clinician_id=me.user_id, flags=("stalled",))
    row = caseload.caseload(db, me, f).rows.iloc[0]
    episode_id = int(row["episode_id"])
    view = cases.case_view(db, me, episode_id)
    verdict = caseload.case_rules(db, me, episode_id)
    assert row["Weeks in tier"] == view.weeks_in_tier
    assert row["Outcome"] == round(verdict.result["outcome_latest"], 1)
    assert row["Outcome change"] == round(verdict.result["outcome_change"], 1)
    assert verdict.result["stalled"]
    tl = caseload.timeline(db, me, f)
    assert episode_id in set(tl.lanes["episode_id"]) and tl.total == caseload.caseload(db, me, f).total
    periods = tl.periods[tl.periods["episode_id"] == episode_id]
    assert list(periods["tier"]) == list(view.tiers["tier"])


def test_service_views_are_aggregates(demo):
    _, db = demo
    views = caseload.service_views(db, as_user(db, "admin"))
    assert set(views["discharge"]["severity"]) == {"mild", "moderate", "chronic"}
    assert views["per_week"]["episodes"].sum() > 0
    assert set(views["tier_weeks"]["tier"]) >= {"conservative"}


def test_caseload_page_figure_click_filters_and_row_opens_case(monkeypatch, demo):
    path, db = demo
    at = start(monkeypatch, path, as_user(db, "amara.okafor"))
    assert "Caseload" in [t.value for t in at.title]
    button(at, next(b.label for b in at.button if b.label.startswith("Stalled"))).click()
    at.run()
    assert at.multiselect(key="cl_flags").value == ["stalled"]
    shown = [link.value for link in at.page_link]  # one link (the patient's name) per row of the work list
    flags = [m.value for m in at.markdown if "-badge[" in m.value]  # why first, then every flag, per row
    assert len(shown) > 0 and len(flags) == len(shown) and all("Stalled" in x for x in flags)
    # the same filter holds on the timeline
    goto(at, "timeline")
    assert at.multiselect(key="cl_flags").value == ["stalled"]
    frames = chart_data(at)
    lanes = [f for f in frames if "lane" in f.columns]
    periods = [f for f in frames if "tier" in f.columns and "start" in f.columns]
    assert lanes and len(lanes[0]) == len(shown)
    assert periods and set(periods[0]["episode_id"]) == set(lanes[0]["episode_id"])
    at.segmented_control(key="tl_view").set_value("Service views")
    at.run()
    assert not at.exception and "Time to discharge by severity" in texts(at)


def test_read_only_user_sees_whole_clinic_caseload(monkeypatch, demo):
    path, db = demo
    at = start(monkeypatch, path, as_user(db, "reception"))
    assert at.segmented_control(key="cl_scope").value == "Whole clinic"
    assert len(at.page_link) > 0


def test_work_list_puts_the_most_urgent_first_in_words_and_the_table_has_every_column(monkeypatch, demo):
    path, db = demo
    me = as_user(db, "amara.okafor")
    result = caseload.caseload(db, me, CaseloadFilter(clinician_id=me.user_id))
    assert list(result.rows["Why first"])[0] == "Red flag"
    order = [caseload.PRIORITY_WORDS.index(w) for w in result.rows["Why first"]]
    assert order == sorted(order)  # red flag, overdue, due, stalled, escalation due, then the rest
    at = start(monkeypatch, path, me)
    first = result.rows.iloc[0]
    assert at.page_link[0].value.replace("\\", "") == first["Patient"]
    assert at.page_link[0].proto.query_string == f"episode={int(first['episode_id'])}"
    assert "Red flag" in texts(at)  # the badge: words, not colour alone
    assert not at.dataframe  # the table is one choice away
    at.segmented_control(key="cl_view").set_value("Table (every column)")
    at.run()
    table = at.dataframe[0].value
    assert list(table["Patient"])[: len(result.rows)] == list(result.rows["Patient"])
    assert {"Why first", "Flags", "Clinician", "Next review"} <= set(table.columns)


def test_a_case_opened_today_has_a_bar_on_the_timeline(clinic):
    from dashboard import charts
    from dashboard.services import records
    from tests.conftest import PATIENT, TODAY, episode_values

    db, clin = clinic, clinic.actors["clinician"]
    patient_id = records.create_patient(db, clin, PATIENT, today=TODAY)
    opened = episode_values(clin.user_id, opened_on=TODAY.isoformat())
    episode_id = records.open_episode(db, clin, patient_id, opened, today=TODAY)  # its first period: today only
    view = caseload.timeline(db, clin, CaseloadFilter(), today=TODAY)
    [period] = view.periods[view.periods["episode_id"] == episode_id].to_dict("records")
    assert pd.Timestamp(period["start"]) == pd.Timestamp(period["finish"]) == pd.Timestamp(TODAY)
    drawn = charts.timeline_data(view.lanes, view.periods, view.visits)["timeline_periods"]
    [bar] = drawn[drawn["episode_id"] == episode_id].to_dict("records")
    assert pd.Timestamp(bar["start"]) == pd.Timestamp(TODAY)
    assert pd.Timestamp(bar["finish"]) == pd.Timestamp(TODAY) + pd.Timedelta(days=1)  # drawn through today
    earlier = pd.DataFrame(  # a tier that ran a day before the current one began keeps its own length
        {
            "episode_id": [1, 1],
            "tier": ["conservative", "adjunct"],
            "start": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "finish": pd.to_datetime(["2026-02-01", "2026-03-01"]),
        }
    )
    kept = charts.timeline_data(view.lanes, earlier, view.visits)["timeline_periods"]
    assert list(kept["finish"]) == list(earlier["finish"])
