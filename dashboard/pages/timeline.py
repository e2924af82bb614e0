"""Episodes over calendar time, one lane each, split into tier periods; and the service views."""

from datetime import date

import streamlit as st

from dashboard import charts
from dashboard.domain.model import expected_recovery_summary, label_of
from dashboard.services import caseload, records
from dashboard.ui import caseload_filters, chart_cache, session, tables

db = session.database()
me = session.signed_in_user()
st.title("Timeline")
f = caseload_filters.render(me, records.clinicians(db, me))
shown = st.segmented_control(
    "View", ["Episodes", "Service views"], default="Episodes", key="tl_view", label_visibility="collapsed"
)

if shown != "Service views":  # only the chosen view is computed and drawn
    if st.session_state.get("tl_signature") != repr(f):
        st.session_state["tl_signature"], st.session_state["tl_offset"] = repr(f), 0
    view = caseload.timeline(db, me, f, offset=st.session_state["tl_offset"])
    if view.total == 0:
        st.info(
            "No episodes match these filters. Choose Whole clinic, clear the search, or change Filters and sorting."
            " A new clinic has none until a patient's first episode of care is opened."
        )
    else:
        offset = st.session_state["tl_offset"]
        note = f"{view.total:,} episode(s) match; lanes {offset + 1:,}-{offset + len(view.lanes):,} shown"
        if view.total > caseload.MAX_LANES:
            note += f" ({caseload.MAX_LANES} at a time, to keep the chart readable and fast)"
        st.caption(note + ". Bars: tier periods. Ticks: assessments. Blue line: today. Click a lane to open the case.")
        [spec] = chart_cache.with_data(
            "timeline",
            (len(view.lanes), date.today()),
            charts.timeline_data(view.lanes, view.periods, view.visits),
            lambda: [charts.timeline_chart(len(view.lanes), date.today())],
        )
        event = st.vega_lite_chart(
            spec,
            width="stretch",
            on_select="rerun",
            key="timeline_chart",
            alt="Timeline: one lane per episode, tier periods and assessments. The list below opens each case.",
        )
        chosen = (event.selection.get("lane") or []) if event else []
        if chosen:
            session.choose_episode(int(chosen[0]["episode_id"]))
            st.switch_page("pages/case.py")
        names = dict(zip(view.lanes["episode_id"], view.lanes["lane"], strict=True))
        c1, c2, c3 = st.columns([3, 1, 1])
        target = c1.selectbox(
            "Or open a case from the list",
            list(names),
            format_func=names.__getitem__,
            index=None,
            key="tl_open",
            placeholder="Choose an episode",
        )
        if target is not None:
            session.choose_episode(int(target))
            st.switch_page("pages/case.py")
        if offset > 0 and c2.button("Previous lanes"):
            st.session_state["tl_offset"] = max(0, offset - caseload.MAX_LANES)
            st.rerun()
        if offset + len(view.lanes) < view.total and c3.button("Next lanes"):
            st.session_state["tl_offset"] = offset + caseload.MAX_LANES
            st.rerun()

else:
    views = caseload.service_views(db, me)
    st.caption("Whole clinic, all episodes (the filters above apply to the Episodes tab).")
    st.markdown("**Open episodes per tier, by week** (last two years)")
    per_week, tier_weeks, discharge = chart_cache.specs(
        "service",
        date.today(),
        [views["per_week"], views["tier_weeks"], views["discharge"]],
        lambda: [
            charts.per_week_chart(views["per_week"]),
            charts.tier_weeks_chart(views["tier_weeks"]),
            charts.discharge_chart(views["discharge"]),
        ],
    )
    st.vega_lite_chart(per_week, width="stretch", alt="Chart: open episodes per tier, week by week")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Weeks spent in each tier** (median, with quartiles)")
        st.vega_lite_chart(tier_weeks, width="stretch", alt="Chart: weeks spent in each tier")
    with c2:
        st.markdown("**Time to discharge by severity** (median and quartiles; shaded: expected recovery)")
        st.vega_lite_chart(discharge, width="stretch", alt="Chart: time to discharge by severity (table below)")
        st.caption(
            f"Expected recovery with good management: {expected_recovery_summary()} (clinical reference §1; secondary)."
        )
    discharged = views["discharge"].round({"median_weeks": 1, "q1_weeks": 1, "q3_weeks": 1})
    tables.show(
        discharged.assign(severity=discharged["severity"].map(label_of)),
        names={
            "severity": "Severity",
            "discharged": "Discharged",
            "median_weeks": "Median weeks",
            "q1_weeks": "A quarter within (weeks)",
            "q3_weeks": "Three quarters within (weeks)",
            "expected_low": "Expected from (weeks)",
            "expected_high": "Expected to (weeks)",
        },
        alt="Time to discharge by severity: the chart's numbers",
    )
