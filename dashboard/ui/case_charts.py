"""The case page's outcome charts (cached per write), with a one-sentence description and the numbers as a
table for people who cannot see the charts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from .. import charts
from ..domain.model import User, label_of, pathway_of
from ..services import care
from ..services.caseload import CaseRules
from ..services.cases import CaseView
from ..storage.db import Database
from . import chart_cache, tables


def _sessions(db: Database, me: User, episode_id: int) -> pd.DataFrame:
    given = care.treatments(db, me, episode_id)
    if given.empty:
        return pd.DataFrame({"given_on": [], "what": []})
    what = given["kind"].map(label_of)
    injection = given["kind"] == "injection"
    what = what.where(~injection, "Injection: " + given["injection_type"].fillna("").map(label_of))
    return pd.DataFrame({"given_on": given["given_on"], "what": what})


def render(db: Database, me: User, episode_id: int, view: CaseView, verdict: CaseRules) -> None:
    ep = view.episode
    if view.assessments.empty:
        return
    pathway = pathway_of(ep).value
    sessions = _sessions(db, me, episode_id)
    end = ep["closed_on"] or date.today()
    thresholds = verdict.thresholds
    short = charts.is_short(ep["opened_on"], end)
    data = charts.episode_data(
        view.assessments,
        view.tiers,
        view.stages,
        list(view.imaging["imaged_on"]),
        side=ep["side"],
        opened_on=ep["opened_on"],
        end=end,
        thresholds=thresholds,
        pathway=pathway,
        sessions=sessions,
    )
    panels = chart_cache.with_data(
        "episode",
        (pathway, short, tuple(sorted(thresholds.items()))),
        data,
        lambda: list(charts.episode_charts(pathway, short=short, thresholds=thresholds)),
    )
    st.caption(charts.describe_episode(view.assessments, pathway, sessions))
    for row in (panels[:2], panels[2:]):
        for column, panel in zip(st.columns(2), row, strict=False):
            title = panel.get("title") if isinstance(panel, dict) else None
            name = title.get("text") if isinstance(title, dict) else title
            column.vega_lite_chart(
                panel,
                width="stretch",
                height=charts.PANEL_HEIGHT + 90,
                alt=f"Chart: {name or 'outcome'} over the episode. Its numbers are in the table below the charts.",
            )
    st.caption(
        "Shading: tier periods (green conservative, amber adjunct, red regenerative); grey band at the top: "
        "loading stage periods (darker is later), dashed lines at each change. Purple lines: imaging. Green "
        "dotted lines with a triangle: treatment sessions. Blue band: from the baseline to a meaningful gain."
    )
    with st.expander("The charts' numbers as a table"):
        shown = view.assessments.sort_values("assessed_on")[
            [
                "assessed_on",
                "visa_h_total",
                "phat_total",
                "pain_avg",
                "pain_worst",
                "pain_exercise",
                "bridge_reps_left",
                "bridge_reps_right",
            ]
        ].rename(
            columns={
                "assessed_on": "Date",
                "visa_h_total": "VISA-H",
                "phat_total": "PHAT",
                "pain_avg": "Average pain",
                "pain_worst": "Worst pain",
                "pain_exercise": "Pain with exercises",
                "bridge_reps_left": "Bridge left",
                "bridge_reps_right": "Bridge right",
            }
        )
        tables.show(shown.dropna(axis=1, how="all"))
