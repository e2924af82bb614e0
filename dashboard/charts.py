"""Chart building: pure functions, frames in, Altair charts out. No Streamlit, no database."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from .domain import rules

TIER_COLOURS = {"conservative": "#cfe8d5", "adjunct": "#fde2b8", "regenerative": "#f6c6c6"}
STAGE_COLOURS = ["#eeeeee", "#d4d4d4", "#b8b8b8", "#9c9c9c"]
PANEL_HEIGHT = 190


def _periods(history: pd.DataFrame, value: str, end: date) -> pd.DataFrame:
    frame = history[[value, "effective_on", "ended_on"]].copy()
    frame["start"] = pd.to_datetime(frame["effective_on"])
    frame["end"] = pd.to_datetime(frame["ended_on"]).fillna(pd.Timestamp(end))
    frame = frame[frame["end"] >= frame["start"]].copy()
    # a period that starts on its last day (e.g. a tier changed today) is drawn one day wide, not zero
    frame["end"] = frame["end"].where(frame["end"] > frame["start"], frame["start"] + pd.Timedelta(days=1))
    return frame


DATE_AXIS = alt.Axis(  # months with their year, one tick per month at most (never the same month twice)
    format="%b %Y", labelOverlap=True, title=None, tickCount={"interval": "month", "step": 1}
)


EPISODE_DATA = (  # the case page's named datasets: rows only; the specs depend on the pathway and thresholds
    "episode_span",
    "episode_tiers",
    "episode_stages",
    "episode_sessions",
    "episode_imaging",
    "episode_outcome",
    "episode_band",
    "episode_pain",
    "episode_reps",
    "episode_lsi",
)
PAIN_MEASURES = {"pain_avg": "Average", "pain_worst": "Worst", "pain_task": "Task", "pain_exercise": "Exercises"}


def _outcome(pathway: str, thresholds: dict[str, float]) -> tuple[str, float, float | None]:
    """The pathway's outcome measure: its name, its top and its meaningful change (None: no band)."""
    if pathway == "distal":
        return "Functional scale (0-10)", 10.0, thresholds["psfs_mcid"]
    if pathway == "post_operative":
        return "PHAT (0-100)", 100.0, None
    return "VISA-H (0-100)", 100.0, thresholds["visa_h_mcid"]


MIN_SPAN = pd.Timedelta(days=14)  # a case's charts show at least its first fortnight (a new case: not one day)


def is_short(opened_on: date, end: date) -> bool:
    """An episode under 75 days old has days, not months, on its charts' time axis."""
    return pd.Timestamp(end) - pd.Timestamp(opened_on) < pd.Timedelta(days=75)


def episode_data(
    assessments: pd.DataFrame,
    tiers: pd.DataFrame,
    stages: pd.DataFrame,
    imaging_dates: list,
    *,
    side: str,
    opened_on: date,
    end: date,
    thresholds: dict[str, float] | None = None,
    pathway: str = "proximal",
    sessions: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The rows the case page's charts draw, by dataset name (``EPISODE_DATA``)."""
    t = {**rules.default_thresholds(), **(thresholds or {})}
    a = assessments.copy()
    a["date"] = pd.to_datetime(a["assessed_on"])
    a = a.sort_values("date")
    if pathway == "distal":
        a["outcome"] = a[[f"psfs_{n}_score" for n in (1, 2, 3)]].apply(pd.to_numeric, errors="coerce").mean(axis=1)
    else:
        a["outcome"] = pd.to_numeric(
            a["phat_total" if pathway == "post_operative" else "visa_h_total"], errors="coerce"
        )
    outcome = a.dropna(subset=["outcome"])[["date", "outcome"]]
    _, top, mcid = _outcome(pathway, t)
    band = pd.DataFrame(
        {"y": pd.Series(dtype="float64"), "y2": pd.Series(dtype="float64"), "label": pd.Series(dtype="str")}
    )
    if mcid is not None and not outcome.empty:
        baseline = float(outcome["outcome"].iloc[0])
        band = pd.DataFrame(
            {
                "y": [baseline],
                "y2": [min(top, baseline + mcid)],
                "label": [f"baseline {baseline:.3g}; +{mcid:g} is a meaningful change"],
            }
        )
    pain = a.melt(id_vars=["date"], value_vars=list(PAIN_MEASURES), var_name="measure", value_name="score")
    pain = pain.dropna(subset=["score"]).assign(measure=lambda f: f["measure"].map(PAIN_MEASURES))
    reps = a.melt(
        id_vars=["date"], value_vars=["bridge_reps_left", "bridge_reps_right"], var_name="side", value_name="reps"
    ).dropna(subset=["reps"])
    reps["side"] = reps["side"].map({"bridge_reps_left": "Left", "bridge_reps_right": "Right"})
    a["lsi"] = rules.lsi_values([side] * len(a), a["bridge_reps_left"], a["bridge_reps_right"])
    stage_periods = _periods(stages, "stage", end)
    given = sessions if sessions is not None else pd.DataFrame({"given_on": [], "what": []})
    return {
        # the time axis: the episode so far, and at least its first fortnight (a case opened today would have an
        # axis one day wide, its few marks at the edge and the same date written under every tick)
        "episode_span": pd.DataFrame(
            {"date": [pd.Timestamp(opened_on), max(pd.Timestamp(end), pd.Timestamp(opened_on) + MIN_SPAN)]}
        ),
        "episode_tiers": _periods(tiers, "tier", end)[["tier", "start", "end"]],
        "episode_stages": stage_periods[["stage", "start", "end"]].assign(
            stage=lambda f: f["stage"].astype("int64"), label="Stage " + stage_periods["stage"].astype(str)
        ),
        "episode_sessions": pd.DataFrame(
            {"given_on": pd.to_datetime(given["given_on"]), "what": given["what"].astype(str)}
        ),
        "episode_imaging": pd.DataFrame({"imaged_on": pd.to_datetime(pd.Series(imaging_dates, dtype=object))}).assign(
            what="Imaging"
        ),
        "episode_outcome": outcome.astype({"outcome": "float64"}),
        "episode_band": band,
        "episode_pain": pain.astype({"score": "float64"}),
        "episode_reps": reps.astype({"reps": "float64"}),
        "episode_lsi": a.dropna(subset=["lsi"])[["date", "lsi"]].astype({"lsi": "float64"}),
    }


def _backdrop(x: alt.X, xd: alt.X, show_labels: bool) -> list[alt.Chart]:
    """Tier periods shaded, stage periods as a grey band at the top with dashed rules at each change, imaging dates
    as purple rules, treatment sessions (shockwave, injections ...) as green rules with a triangle at the top; an
    invisible mark at the episode's first and last day (at least its first fortnight, ``MIN_SPAN``) holds the time
    axis to the episode."""
    named = alt.NamedData
    stages = alt.Chart(named("episode_stages"))
    sessions = alt.Chart(named("episode_sessions"))
    return [
        alt.Chart(named("episode_span")).mark_point(opacity=0).encode(x=xd),
        alt.Chart(named("episode_tiers"))
        .mark_rect(opacity=0.4)
        .encode(
            x=x,
            x2="end:T",
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(domain=list(TIER_COLOURS), range=list(TIER_COLOURS.values())),
                legend=alt.Legend() if show_labels else None,
            ),
            tooltip=[
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("start:T", title="From"),
                alt.Tooltip("end:T", title="Until"),
            ],
        ),
        stages.mark_rect(opacity=0.85).encode(
            x=x,
            x2="end:T",
            y=alt.value(0),
            y2=alt.value(14),
            color=alt.Color("stage:O", scale=alt.Scale(domain=[1, 2, 3, 4], range=STAGE_COLOURS), legend=None),
            tooltip=[
                alt.Tooltip("label:N", title="Loading"),
                alt.Tooltip("start:T", title="From"),
                alt.Tooltip("end:T", title="Until"),
            ],
        ),
        stages.mark_rule(strokeDash=[4, 3], color="#555").encode(
            x=alt.X("start:T"), tooltip=[alt.Tooltip("label:N", title="Loading"), alt.Tooltip("start:T", title="From")]
        ),
        stages.mark_text(align="left", dx=3, dy=0, baseline="middle", fontSize=9, color="#111").encode(
            x="start:T", y=alt.value(7), text="label:N"
        ),
        sessions.mark_rule(color="#1b7837", strokeWidth=1.5, strokeDash=[2, 2]).encode(
            x="given_on:T", tooltip=[alt.Tooltip("what:N", title="Treatment"), alt.Tooltip("given_on:T")]
        ),
        sessions.mark_point(shape="triangle-down", filled=True, size=60, color="#1b7837").encode(
            x="given_on:T", y=alt.value(20), tooltip=[alt.Tooltip("what:N", title="Treatment")]
        ),
        alt.Chart(named("episode_imaging"))
        .mark_rule(color="#7b3fa0", strokeWidth=2)
        .encode(x="imaged_on:T", tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("imaged_on:T", title="Date")]),
    ]


def episode_charts(pathway: str, *, short: bool, thresholds: dict[str, float] | None = None) -> list[alt.LayerChart]:
    """The pathway's outcome (VISA-H; functional scale for distal cases; PHAT after surgery), pain, bridge
    reps and LSI over the episode (four panels sharing one time axis), with tier periods shaded behind each.
    Drawn from the named datasets of ``episode_data``: the specs depend only on the pathway, the thresholds and
    whether the episode is short (``is_short``), so they are built once and each case's rows travel as Arrow."""
    t = {**rules.default_thresholds(), **(thresholds or {})}
    axis = alt.Axis(format="%-d %b %Y", labelOverlap=True, title=None, tickCount=3) if short else DATE_AXIS
    x = alt.X("start:T", title=None, scale=alt.Scale(nice=False), axis=axis)
    xd = alt.X("date:T", title=None, scale=alt.Scale(nice=False), axis=axis)
    named = alt.NamedData

    def panel(data_layers, title, first=False):
        return (
            alt.layer(*_backdrop(x, xd, first), *data_layers)
            .properties(title=title, height=PANEL_HEIGHT)
            .resolve_scale(color="independent")
            .configure_legend(orient="bottom", columns=2, labelLimit=0)  # two columns: fits half of 1024 px
            # marks are hidden from screen readers (a layer with no rows yet would be an unnamed graphic): the
            # chart's text alternative, its one-sentence description and the table of its numbers say it all
            .configure_mark(aria=False)
        )

    name, top, mcid = _outcome(pathway, t)
    outcome_layers = []
    if mcid is not None:
        band = alt.Chart(named("episode_band"))
        outcome_layers = [
            band.mark_rect(color="#9ecae1", opacity=0.35).encode(
                y=alt.Y("y:Q", scale=alt.Scale(domain=[0, top])), y2="y2:Q", tooltip=alt.Tooltip("label:N", title="")
            ),
            band.mark_rule(color="#3182bd", strokeDash=[6, 3]).encode(y="y:Q"),
        ]
    outcome_layers.append(
        alt.Chart(named("episode_outcome"))
        .mark_line(point=True, color="#08519c")
        .encode(
            x=xd,
            y=alt.Y("outcome:Q", title=name, scale=alt.Scale(domain=[0, top])),
            tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("outcome:Q", title=name, format=".3g")],
        )
    )

    measures = list(PAIN_MEASURES.values())
    pain_layers = [
        alt.Chart(named("episode_pain"))
        .mark_line(point=True)
        .encode(
            x=xd,
            y=alt.Y("score:Q", title="Pain (0-10)", scale=alt.Scale(domain=[0, 10])),
            strokeDash=alt.StrokeDash(
                "measure:N", scale=alt.Scale(domain=measures, range=[[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]), legend=None
            ),
            shape=alt.Shape(
                "measure:N", scale=alt.Scale(domain=measures, range=["circle", "square", "triangle-up", "diamond"])
            ),
            color=alt.Color(
                "measure:N",
                title="Pain",
                scale=alt.Scale(domain=measures, range=["#d94801", "#7f2704", "#f16913", "#2171b5"]),
            ),
            tooltip=[alt.Tooltip("date:T", title="Date"), "measure:N", "score:Q"],
        )
    ]

    def cut(value: float, label: str, deficit: str) -> list[alt.Chart]:
        line = alt.Chart(pd.DataFrame({"y": [value], "label": [label]}))
        return [
            line.mark_rule(color="#cb181d", strokeDash=[6, 3]).encode(
                y="y:Q", tooltip=alt.Tooltip("label:N", title="")
            ),
            line.mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#a50f15").encode(
                y="y:Q", x=alt.value(0), text=alt.value(deficit)
            ),
        ]

    reps_cut, lsi_cut = t["bridge_min_reps"], t["bridge_min_lsi"]
    bridge_layers = [
        *cut(reps_cut, f"{reps_cut:g} reps", f"deficit below {reps_cut:g} reps"),
        alt.Chart(named("episode_reps"))
        .mark_line(point=True)
        .encode(
            x=xd,
            y=alt.Y("reps:Q", title="Bridge reps"),
            color=alt.Color(
                "side:N", title="Bridge", scale=alt.Scale(domain=["Left", "Right"], range=["#31a354", "#756bb1"])
            ),
            tooltip=[alt.Tooltip("date:T", title="Date"), "side:N", "reps:Q"],
        ),
    ]
    lsi_layers = [
        *cut(lsi_cut, f"LSI {lsi_cut:g}%", f"deficit below {lsi_cut:g}%"),
        alt.Chart(named("episode_lsi"))
        .mark_line(point=True, color="#54278f")
        .encode(
            x=xd,
            y=alt.Y("lsi:Q", title="Bridge LSI (%)", scale=alt.Scale(domain=alt.DomainUnionWith(unionWith=[0, 120]))),
            tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("lsi:Q", title="LSI %")],
        ),
    ]
    return [
        panel(outcome_layers, f"{name.split(' (')[0]} (higher is better)", first=True),
        panel(pain_layers, "Pain (lower is better)"),
        panel(bridge_layers, "Single-leg bridge reps per side"),
        panel(lsi_layers, "Bridge limb symmetry index"),
    ]


TIMELINE_DATA = ("timeline_lanes", "timeline_periods", "timeline_visits")  # the timeline's named datasets


def timeline_data(lanes: pd.DataFrame, periods: pd.DataFrame, visits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows the timeline draws, by dataset name: lanes (in their order), tier periods (in each episode's
    order, as ``storage.caseload.lane_history`` gives them), assessments."""
    periods = periods[["episode_id", "tier", "start", "finish"]]
    # an episode's current period that began today (a new case, a tier changed today) is drawn through today:
    # a bar from a day to the same day has no width, and its lane would look empty
    current = ~periods["episode_id"].duplicated(keep="last")
    start, finish = pd.to_datetime(periods["start"]), pd.to_datetime(periods["finish"])
    through_today = (current & (finish <= start)).to_numpy()
    if through_today.any():
        periods = periods.assign(finish=finish.where(~through_today, start + pd.Timedelta(days=1)))
    return {
        "timeline_lanes": lanes[["episode_id", "lane"]].assign(rank=range(len(lanes))),
        "timeline_periods": periods,
        "timeline_visits": visits[["episode_id", "assessed_on"]],
    }


def timeline_chart(lane_count: int, today: date) -> alt.LayerChart:
    """Swim lanes: one lane per episode split into tier periods, assessment marks, a today line, drawn from the
    named datasets of ``timeline_data`` (so the spec depends only on the number of lanes and the date, and is
    built once; the rows travel as Arrow). Clicking a lane selects its episode (selection name: 'lane'). Lane
    labels travel once per lane and are joined to the periods and visits in the browser (a lookup)."""
    names = alt.LookupData(alt.NamedData(TIMELINE_DATA[0]), "episode_id", ["lane", "rank"])
    pick = alt.selection_point(name="lane", fields=["episode_id"], on="click")
    y = alt.Y(
        "lane:N",
        sort=alt.EncodingSortField(field="rank", op="min", order="ascending"),
        title=None,
        axis=alt.Axis(labelLimit=260, labelOverlap=False),
    )
    bars = (
        alt.Chart(alt.NamedData(TIMELINE_DATA[1]))
        .transform_lookup(lookup="episode_id", from_=names)
        .mark_bar(height={"band": 0.7})
        .encode(
            x=alt.X("start:T", title=None, axis=DATE_AXIS),
            x2="finish:T",
            y=y,
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(domain=list(TIER_COLOURS), range=["#74c476", "#fd8d3c", "#de2d26"]),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=[
                alt.Tooltip("lane:N", title="Episode"),
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("start:T", title="From"),
                alt.Tooltip("finish:T", title="Until"),
            ],
        )
        .add_params(pick)
    )
    marks = (
        alt.Chart(alt.NamedData(TIMELINE_DATA[2]))
        .transform_lookup(lookup="episode_id", from_=names)
        .mark_tick(color="#252525", thickness=1.5, size=10)
        .encode(x="assessed_on:T", y=y, tooltip=[alt.Tooltip("assessed_on:T", title="Assessment")])
    )
    now = (
        alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]}))
        .mark_rule(color="#08519c", strokeWidth=2)
        .encode(x="today:T")
    )
    return alt.LayerChart(layer=[bars, marks, now]).properties(height=max(120, 22 * lane_count))


def per_week_chart(per_week: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(per_week)
        .mark_area()
        .encode(
            x=alt.X("week:T", title=None),
            y=alt.Y("episodes:Q", title="Open episodes", stack=True),
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(domain=list(TIER_COLOURS), range=["#74c476", "#fd8d3c", "#de2d26"]),
            ),
            tooltip=["week:T", "tier:N", "episodes:Q"],
        )
        .properties(height=240)
    )


def tier_weeks_chart(tier_weeks: pd.DataFrame) -> alt.LayerChart:
    base = alt.Chart(tier_weeks).encode(y=alt.Y("tier:N", title=None, sort=list(TIER_COLOURS)))
    return alt.LayerChart(
        layer=[
            base.mark_rule(strokeWidth=2, color="#636363").encode(
                x=alt.X("q1_weeks:Q", title="Weeks in tier"), x2="q3_weeks:Q"
            ),
            base.mark_point(filled=True, size=120, color="#08519c").encode(
                x="median_weeks:Q", tooltip=["tier:N", "periods:Q", alt.Tooltip("median_weeks:Q", format=".1f")]
            ),
        ]
    ).properties(height=150)


def discharge_chart(discharge: pd.DataFrame) -> alt.LayerChart:
    """Median weeks to discharge (with quartiles) next to the expected recovery by severity (CLINICAL.md §1)."""
    d = discharge.copy()
    d["expected_high"] = d["expected_high"].fillna(d["expected_low"] * 1.5)
    base = alt.Chart(d).encode(y=alt.Y("severity:N", title=None, sort=["mild", "moderate", "chronic"]))
    return alt.LayerChart(
        layer=[
            base.mark_bar(color="#c6dbef", height={"band": 0.6}).encode(
                x=alt.X("expected_low:Q", title="Weeks from opening to discharge"),
                x2="expected_high:Q",
                tooltip=[
                    alt.Tooltip("expected_low:Q", title="Expected from (weeks)"),
                    alt.Tooltip("expected_high:Q", title="to"),
                ],
            ),
            base.mark_rule(strokeWidth=2, color="#636363").encode(x="q1_weeks:Q", x2="q3_weeks:Q"),
            base.mark_point(filled=True, size=120, color="#a63603").encode(
                x="median_weeks:Q", tooltip=["severity:N", "discharged:Q", alt.Tooltip("median_weeks:Q", format=".1f")]
            ),
        ]
    ).properties(height=150)


def describe_episode(assessments: pd.DataFrame, pathway: str, sessions: pd.DataFrame | None = None) -> str:
    """One sentence saying what the case's charts show, for people who cannot see them (screen readers)."""
    a = assessments.sort_values("assessed_on")
    if a.empty:
        return "No assessments yet, so the charts are empty."
    outcome = {"distal": "functional scale", "post_operative": "PHAT"}.get(pathway, "VISA-H")
    column = {"post_operative": "phat_total"}.get(pathway, "visa_h_total")
    first, last = a.iloc[0], a.iloc[-1]
    if len(a) == 1:  # one visit: its values, not a change
        parts = [f"1 assessment, on {first['assessed_on']:%-d %b %Y}"]
        if pathway != "distal" and pd.notna(first.get(column)):
            parts.append(f"{outcome} {first[column]:g}")
        if pd.notna(first.get("pain_avg")):
            parts.append(f"average pain {first['pain_avg']:g} out of 10")
    else:
        parts = [f"{len(a)} assessments from {first['assessed_on']:%-d %b %Y} to {last['assessed_on']:%-d %b %Y}"]
        if pathway != "distal" and pd.notna(first.get(column)) and pd.notna(last.get(column)):
            parts.append(f"{outcome} {first[column]:g} then {last[column]:g}")
        if pd.notna(first.get("pain_avg")) and pd.notna(last.get("pain_avg")):
            parts.append(f"average pain {first['pain_avg']:g} then {last['pain_avg']:g} out of 10")
    if sessions is not None and len(sessions):
        parts.append(f"{len(sessions)} treatment session(s) marked")
    return "; ".join(parts) + "."
