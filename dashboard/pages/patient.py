from datetime import date

import streamlit as st

from dashboard.domain.model import DischargeOutcome, age_on, label_of
from dashboard.services import auth, records
from dashboard.ui import forms, labels, session, unsaved_input

db = session.database()
me = session.signed_in_user()
patient_id = session.required_patient("Choose a patient on the Patients page first.")

person = session.existing_patient(lambda: records.patient(db, me, patient_id), patient_id)
st.title(labels.md(labels.patient_name(person)))
session.show_flash()
age = age_on(person["date_of_birth"], date.today())
st.caption(
    f"Clinic ID {labels.md(person['clinic_id'])} · born {person['date_of_birth']:%d %b %Y} (age {age}) · "
    f"{labels.show(person['sex'])} · phone {labels.md(person['phone'])} · email {labels.md(person['email'])}"
)
can_edit = auth.can(me, auth.Permission.EDIT)

st.header("Episodes of care")
episodes = records.patient_episodes(db, me, patient_id)
if not episodes:
    st.info("No episodes of care yet." + (" Open one with Open a new episode below." if can_edit else ""))
for ep in episodes:
    with st.container(border=True):
        col1, col2 = st.columns([3, 1])
        col1.markdown(f"**{labels.episode_title(ep)}**")
        col1.caption(
            f"{label_of(ep['severity'])} · {label_of(ep['onset_type'])} onset {ep['onset_date']:%d %b %Y} · "
            f"tier {label_of(ep['tier'])}, stage {ep['stage']} · clinician {labels.md(ep['clinician_name'])}"
            + (f" · closed {ep['closed_on']:%d %b %Y}: {label_of(ep['discharge_outcome'])}" if ep["closed_on"] else "")
        )
        opened = col2.button(
            "Open case", key=f"open_case_{ep['episode_id']}", icon=":material/monitor_heart:", width="stretch"
        )
        if opened:
            session.choose_episode(ep["episode_id"])
            st.switch_page("pages/case.py")
        if can_edit and ep["status"] == "open":
            scope = f"close_{ep['episode_id']}"
            with st.expander("Discharge or refer on", expanded=bool(session.problems(scope))):
                session.show_summary(scope)
                with st.form(f"{scope}_form"):
                    status = st.radio(
                        "Closing as",
                        ["discharged", "referred_on"],
                        format_func=label_of,
                        key=f"{scope}_status",
                        horizontal=True,
                    )
                    closed_on = st.date_input(
                        "Closing date", value=date.today(), key=f"{scope}_closed_on", format="YYYY-MM-DD"
                    )
                    session.show_problem(scope, "closed_on")
                    outcome = st.selectbox(
                        "Outcome",
                        [o.value for o in DischargeOutcome],
                        format_func=label_of,
                        key=f"{scope}_outcome",
                        index=None,
                        placeholder="Choose...",
                    )
                    session.show_problem(scope, "discharge_outcome")
                    referred_to = st.text_input("Referred to (when referring on)", key=f"{scope}_referred_to")
                    session.show_problem(scope, "referred_to")
                    note = st.text_area("Closing note", key=f"{scope}_note")
                    if st.form_submit_button("Close episode"):
                        ok, _ = session.attempt(
                            scope,
                            records.close_episode,
                            db,
                            me,
                            ep["episode_id"],
                            {
                                "status": status,
                                "closed_on": closed_on,
                                "discharge_outcome": outcome,
                                "referred_to": referred_to,
                                "closing_note": note,
                            },
                            ep["version"],
                        )
                        if ok:
                            forms.forget(scope)
                            session.flash("Episode closed.")
                        st.rerun()

if can_edit:
    EP_BASE, EP_RECORD = f"new_episode_{patient_id}_", f"patient:{patient_id}"  # widget keys, kept input
    EP = unsaved_input.prefix(EP_BASE)
    restored = unsaved_input.restore(db, me, "episode", EP_RECORD, EP)
    with st.expander(
        "Open a new episode", expanded=bool(session.problems("new_episode")) or restored, icon=":material/add_circle:"
    ):
        session.show_summary("new_episode")
        unsaved_input.notice(db, me, "episode", EP_RECORD, EP, EP_BASE)
        values = forms.episode_fields("new_episode", records.clinicians(db, me), me.user_id, key_prefix=EP)
        unsaved_input.keep(db, me, "episode", EP_RECORD, EP)
        if st.button("Open episode", type="primary"):
            ok, episode_id = session.attempt("new_episode", records.open_episode, db, me, patient_id, values)
            if ok:
                unsaved_input.clear(db, me, "episode", EP_RECORD, EP)
                session.choose_episode(episode_id)
                session.flash("Episode opened in the conservative tier, loading stage 1.")
                st.switch_page("pages/case.py")
            st.rerun()

    with st.expander("Edit patient details", expanded=bool(session.problems("edit_patient")), icon=":material/edit:"):
        session.show_summary("edit_patient")
        prefix = f"edit_patient_{patient_id}_"
        # The version this form was opened at: a save is refused if someone saved in between.
        opened_version = st.session_state.setdefault(prefix + "version", person["version"])
        with st.form("edit_patient_form"):
            values = forms.patient_fields("edit_patient", person, key_prefix=prefix)
            if st.form_submit_button("Save details"):
                ok, _ = session.attempt(
                    "edit_patient", records.update_patient, db, me, patient_id, values, opened_version
                )
                if ok:
                    forms.forget(prefix)
                    session.flash("Details saved.")
                else:  # after seeing who changed it, a second save is a deliberate overwrite
                    st.session_state[prefix + "version"] = records.patient(db, me, patient_id)["version"]
                st.rerun()
