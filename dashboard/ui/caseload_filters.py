"""The caseload filters, shared by the caseload and timeline pages (kept in session state, so a filter
set on one page holds on the other)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ..domain.model import Region, Severity, User, label_of
from ..services import auth
from ..services.caseload import FLAG_LABELS, SORTS, CaseloadFilter

K = "cl_"  # widget keys
KEEP = "keep_cl_"  # Streamlit forgets a widget's value on a page that does not draw it; these copies do not

FIELDS = (
    "scope",
    "text",
    "flags",
    "tiers",
    "stages",
    "statuses",
    "severity",
    "regions",
    "clinician",
    "opened",
    "sort",
    "desc",
)


def _restore(defaults: dict) -> None:
    """Put the kept values back into the widgets' keys before they are drawn (on every run, every page)."""
    for name in FIELDS:
        st.session_state[K + name] = st.session_state.get(KEEP + name, defaults.get(name))


def _keep() -> None:
    for name in FIELDS:
        st.session_state[KEEP + name] = st.session_state.get(K + name)


def set_flag(flag: str | None, tier: str | None = None) -> None:
    """What a click on a clinic figure does: filter to that flag (or tier), open cases only."""
    st.session_state[K + "flags"] = [flag] if flag else []
    st.session_state[K + "tiers"] = [tier] if tier else []
    st.session_state[K + "statuses"] = ["open"]
    _keep()


def render(me: User, clinicians: list[dict]) -> CaseloadFilter:
    mine_default = auth.can(me, auth.Permission.EDIT) and me.role.value == "clinician"
    _restore(
        {
            "scope": "My cases" if mine_default else "Whole clinic",
            "statuses": ["open"],
            "flags": [],
            "tiers": [],
            "stages": [],
            "severity": [],
            "regions": [],
            "text": "",
            "opened": (),
            "sort": "Priority",
            "desc": False,
        }
    )
    c1, c2 = st.columns([2, 3])
    scope = c1.segmented_control("Cases", ["My cases", "Whole clinic"], key=K + "scope", on_change=_keep)
    text = c2.text_input(
        "Search by name or clinic ID", key=K + "text", placeholder="Name or clinic ID", on_change=_keep
    )
    with st.expander("Filters and sorting", icon=":material/filter_list:"):
        f1, f2, f3, f4 = st.columns(4)
        flags = f1.multiselect(
            "Flags (all must apply)",
            list(FLAG_LABELS),
            format_func=FLAG_LABELS.__getitem__,
            key=K + "flags",
            on_change=_keep,
        )
        tiers = f2.multiselect(
            "Tier", ["conservative", "adjunct", "regenerative"], format_func=label_of, key=K + "tiers", on_change=_keep
        )
        stages = f3.multiselect("Stage", [1, 2, 3, 4], key=K + "stages", on_change=_keep)
        statuses = f4.multiselect(
            "Status", ["open", "discharged", "referred_on"], format_func=label_of, key=K + "statuses", on_change=_keep
        )
        f1, f2, f3, f4 = st.columns(4)
        severities = f1.multiselect(
            "Severity", [s.value for s in Severity], format_func=label_of, key=K + "severity", on_change=_keep
        )
        regions = f2.multiselect(
            "Region", [r.value for r in Region], format_func=label_of, key=K + "regions", on_change=_keep
        )
        names = {c["user_id"]: c["display_name"] for c in clinicians}
        other = f3.selectbox(
            "Clinician (whole clinic)",
            [None] + list(names),
            key=K + "clinician",
            format_func=lambda v: "Any" if v is None else names[v],
            on_change=_keep,
        )
        opened_input = f4.date_input(
            "Opened between",
            key=K + "opened",
            format="YYYY-MM-DD",
            min_value=date(2000, 1, 1),
            max_value=date(2100, 1, 1),
            on_change=_keep,
        )
        f1, f2, _, _ = st.columns(4)
        sort = f1.selectbox("Sort by", list(SORTS), key=K + "sort", on_change=_keep)
        descending = f2.toggle("Descending", key=K + "desc", on_change=_keep)
    clinician = me.user_id if scope == "My cases" else other
    # a range widget (its session-state value is a tuple), so it gives a tuple of 0 to 2 dates
    opened: tuple[date, ...] = tuple(opened_input) if isinstance(opened_input, tuple) else ()
    return CaseloadFilter(
        clinician_id=clinician,
        statuses=tuple(statuses),
        tiers=tuple(tiers),
        stages=tuple(stages),
        flags=tuple(flags),
        severities=tuple(severities),
        regions=tuple(regions),
        opened_from=opened[0] if len(opened) > 0 else None,
        opened_to=opened[1] if len(opened) > 1 else None,
        text=text or "",
        sort=sort or "Priority",
        descending=bool(descending),
    )
