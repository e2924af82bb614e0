"""The caseload filters, shared by the caseload and timeline pages (kept in session state, so a filter
set on one page holds on the other)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from ..domain.model import Region, Severity, User, label_of
from ..services import auth
from ..services.caseload import FLAG_LABELS, SORTS, CaseloadFilter

K = "cl_"  # widget keys


def set_flag(flag: str | None, tier: str | None = None) -> None:
    """What a click on a clinic figure does: filter to that flag (or tier), open cases only."""
    st.session_state[K + "flags"] = [flag] if flag else []
    st.session_state[K + "tiers"] = [tier] if tier else []
    st.session_state[K + "statuses"] = ["open"]


def render(me: User, clinicians: list[dict]) -> CaseloadFilter:
    mine_default = auth.can(me, auth.Permission.EDIT) and me.role.value == "clinician"
    st.session_state.setdefault(K + "scope", "My cases" if mine_default else "Whole clinic")
    st.session_state.setdefault(K + "statuses", ["open"])
    c1, c2 = st.columns([2, 3])
    scope = c1.segmented_control("Cases", ["My cases", "Whole clinic"], key=K + "scope")
    text = c2.text_input("Search by name or clinic ID", key=K + "text", placeholder="Name or DEMO-000123")
    with st.expander("Filters and sorting", icon=":material/filter_list:"):
        f1, f2, f3, f4 = st.columns(4)
        flags = f1.multiselect("Flags (all must apply)", list(FLAG_LABELS), format_func=FLAG_LABELS.get, key=K + "flags")
        tiers = f2.multiselect("Tier", ["conservative", "adjunct", "regenerative"], format_func=label_of, key=K + "tiers")
        stages = f3.multiselect("Stage", [1, 2, 3, 4], key=K + "stages")
        statuses = f4.multiselect("Status", ["open", "discharged", "referred_on"], format_func=label_of,
                                  key=K + "statuses")
        f1, f2, f3, f4 = st.columns(4)
        severities = f1.multiselect("Severity", [s.value for s in Severity], format_func=label_of, key=K + "severity")
        regions = f2.multiselect("Region", [r.value for r in Region], format_func=label_of, key=K + "regions")
        names = {c["user_id"]: c["display_name"] for c in clinicians}
        other = f3.selectbox("Clinician (whole clinic)", [None] + list(names), key=K + "clinician",
                             format_func=lambda v: "Any" if v is None else names[v])
        opened = f4.date_input("Opened between", value=(), key=K + "opened", format="YYYY-MM-DD",
                               min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
        f1, f2, _, _ = st.columns(4)
        sort = f1.selectbox("Sort by", list(SORTS), key=K + "sort")
        descending = f2.toggle("Descending", key=K + "desc")
    clinician = me.user_id if scope == "My cases" else other
    opened = tuple(opened) if opened else ()
    return CaseloadFilter(
        clinician_id=clinician, statuses=tuple(statuses), tiers=tuple(tiers), stages=tuple(stages),
        flags=tuple(flags), severities=tuple(severities), regions=tuple(regions),
        opened_from=opened[0] if len(opened) > 0 else None, opened_to=opened[1] if len(opened) > 1 else None,
        text=text or "", sort=sort or "Patient", descending=bool(descending))
