"""Administrator: the clinic's details (printed on handouts) and the thresholds of the clinical rules
(CLINICAL.md §4). Every change is audited."""

import streamlit as st

from dashboard.domain import rules
from dashboard.services import admin, auth, care
from dashboard.ui import labels, session, user_admin

db = session.database()
me = session.signed_in_user()
st.title("Settings")
session.show_flash()
session.require_permission(me, auth.Permission.SETTINGS, "Only an administrator can change rule thresholds.")

st.header("Clinic details (printed on handouts)")
details = admin.clinic_details(db, me)
session.show_summary("clinic")
with st.form("clinic_form"):
    values = {}
    for key, label in admin.CLINIC_DETAILS.items():
        values[key] = st.text_input(label, value=details[key], key=f"clinic_{key}")
        session.show_problem("clinic", key)
    if st.form_submit_button("Save clinic details"):
        ok, _ = session.attempt("clinic", admin.set_clinic_details, db, me, values)
        if ok:
            session.flash("Clinic details saved.")
        st.rerun()

user_admin.session_settings(db, me)

st.header("Rule thresholds")
st.write(
    "Each rule's number, with its source and evidence level. Heuristic values have no published "
    "number behind them. A change applies to every case at once and is recorded in the audit trail."
)
current = care.effective_thresholds(db)
session.show_summary("thresholds")
with st.form("thresholds_form"):
    new = {}
    for key, spec in rules.THRESHOLDS.items():
        c1, c2 = st.columns([2, 3])
        step = 0.5 if spec.maximum <= 10 and spec.unit in ("cm",) else 1.0
        new[key] = c1.number_input(
            f"{spec.label} ({spec.unit})", value=float(current[key]), step=step, key=f"threshold_{key}"
        )
        session.show_problem("thresholds", key)
        c2.caption(
            f"Default {spec.default:g} · allowed {spec.minimum:g}-{spec.maximum:g} · {labels.source(spec.source)}"
            f" · **{spec.level}**"
        )
    saved = st.form_submit_button("Save thresholds", type="primary")
if saved:
    changed = {k: v for k, v in new.items() if v != current[k]}
    ok, count = session.attempt("thresholds", care.set_thresholds, db, me, changed)  # all of them, or none
    if ok and count:
        session.flash(f"{count} threshold(s) changed.")
    st.rerun()
