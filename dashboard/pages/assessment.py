"""Record an assessment for the open episode (CLINICAL.md §2, §6, §7). Starts from the previous visit's
values where they may carry forward; the sections follow the episode's pathway."""

from datetime import date, timedelta

import streamlit as st

from dashboard.domain.model import PATHWAY_WORDS, RED_FLAGS, Pathway, pathway_of
from dashboard.services import alerts, auth, care, records
from dashboard.ui import assessment_form, labels, session, unsaved_input

db = session.database()
me = session.signed_in_user()
session.require_permission(me, auth.Permission.EDIT, "Your role may not record assessments.")
episode_id = session.required_episode("Open a case first (Patients → patient → Open case), then record its assessment.")
SCOPE = "assessment"
CHECKBOXES = {"previous_injury", "low_back_pain", "postop_brace", *(flag.code for flag in RED_FLAGS)}
# Editing an unsigned draft (from the case page, or ?draft= in the address bar after a reload), or a new one.
draft = None
if not st.session_state.get("edit_assessment") and (st.query_params.get("draft") or "").isdigit():
    st.session_state["edit_assessment"] = int(st.query_params["draft"])
if st.session_state.get("edit_assessment"):
    try:
        draft = records.assessment(db, me, int(st.session_state["edit_assessment"]))
    except records.NotFound:
        draft = None
    if draft is None or draft["episode_id"] != episode_id or draft["signed_at"] is not None:
        st.session_state.pop("edit_assessment")
        draft = None
if draft:
    st.query_params["draft"] = str(draft["assessment_id"])
else:
    st.query_params.pop("draft", None)
RECORD = f"draft:{draft['assessment_id']}" if draft else f"episode:{episode_id}"  # whose unsaved input this is
BASE = f"assess_{episode_id}_" + (f"draft{draft['assessment_id']}_" if draft else "")
P = unsaved_input.prefix(BASE)  # this form's widget keys


def save(values: dict) -> None:
    """Save the form's values; when saved, leave for the case page (its confirmation first under the name)."""
    if values.get("morning_stiffness") is not None:
        values["morning_stiffness"] = values["morning_stiffness"] == "yes"
    if draft:
        ok, _ = session.attempt(
            SCOPE,
            records.update_draft,
            db,
            me,
            draft["assessment_id"],
            values,
            st.session_state[P + "version"],
            unsaved_record=RECORD,
        )
        if not ok:  # after reading who changed it, saving again is a deliberate overwrite
            st.session_state[P + "version"] = records.assessment(db, me, draft["assessment_id"])["version"]
    else:
        ok, _ = session.attempt(SCOPE, records.record_assessment, db, me, episode_id, values, unsaved_record=RECORD)
    if ok:
        unsaved_input.forget(P)  # (the service forgot the kept input in the transaction that saved it)
        st.session_state.pop("edit_assessment", None)
        session.flash(
            f"Assessment of {values['assessed_on']:%d %b %Y} saved as a draft; sign it on the case page.",
            announce=f"Assessment of {values['assessed_on']:%d %b %Y} saved.",
        )
        st.switch_page("pages/case.py")


# Save pressed: saved before anything else is read or the form drawn again (its values are those of the form drawn
# last run; the service reads the episode and its open red flags itself, inside the save), so the confirmation
# comes as soon as the record is written; refused, the form is drawn with each problem marked.
SAVE = P + "save"
entered = assessment_form.values_in_state(P) if st.session_state.get(SAVE) else None
if entered is not None:
    save(entered)

ep = session.existing_episode(lambda: records.episode(db, me, episode_id), episode_id)
if ep["status"] != "open":
    session.show_summary(SCOPE)  # a save refused just now says why here, not on the next form opened
    st.warning("This episode is closed; assessments can only be added to an open episode.")
    st.stop()

open_alerts = [
    a
    for a in alerts.open_alerts(db, me, episode_id)
    if not (draft and a["source"] == "assessment" and a["source_id"] == draft["assessment_id"])
]
if not st.session_state.get(P + "ready"):
    if draft:
        defaults = {k: v for k, v in draft.items() if k in records.EDITABLE_FIELDS}
        defaults.update({f"alert_{k}": v for k, v in alerts.answers_for(db, me, draft["assessment_id"]).items()})
    else:
        defaults = records.assessment_defaults(db, me, episode_id)
    for name, value in defaults.items():
        if name == "aggravating":
            value = [a for a in (value or "").split(",") if a]
        elif name == "morning_stiffness":
            value = None if value is None else ("yes" if value else "no")
        elif name in ("strength_left", "strength_right") and value is not None:
            value = float(value)
        elif name in CHECKBOXES:
            value = bool(value)
        st.session_state[P + name] = value
    if not draft:
        st.session_state[P + "assessed_on"] = date.today()
        st.session_state[P + "next_review_on"] = date.today() + timedelta(days=14)
        st.session_state[P + "clinician_id"] = me.user_id
    st.session_state[P + "version"] = draft["version"] if draft else None
    st.session_state[P + "carried_from"] = defaults.get("_carried_from")
    st.session_state[P + "ready"] = True
unsaved_input.restore(db, me, "assessment", RECORD, P)  # what was typed before a reload, over the defaults


thresholds = care.effective_thresholds(db)
pathway = pathway_of(ep)
st.title("Edit draft assessment" if draft else "Assessment")
st.markdown(
    f"**{labels.md(ep['given_name'])} {labels.md(ep['family_name'])}** ({labels.md(ep['clinic_id'])}) · "
    f"{labels.episode_title(ep)} · {PATHWAY_WORDS[pathway]} pathway"
)
carried = st.session_state.get(P + "carried_from")
if carried:
    st.info(
        f"Findings start from the assessment of {carried:%d %b %Y}: change what differs today. Date, "
        "questionnaires, pain during the exercises, red flags, global rating and notes start blank.",
        icon=":material/history:",
    )
session.show_summary(SCOPE)
unsaved_input.notice(db, me, "assessment", RECORD, P, BASE)
form = assessment_form.Form(P, SCOPE)
assessment_form.visit(form, records.clinicians(db, me))
assessment_form.open_red_flags(form, open_alerts)
assessment_form.subjective(form, pathway, thresholds)
assessment_form.outcomes(form, pathway)
if pathway == Pathway.POST_OPERATIVE:
    assessment_form.post_operative(form)
assessment_form.objective(form, pathway, ep["side"], thresholds)
assessment_form.new_red_flags(form)
assessment_form.impression(form)
assessment_form.remember(form)
unsaved_input.keep(db, me, "assessment", RECORD, P)

pending = session.problems(SCOPE)
if pending:  # said again beside the button, where the clinician is looking
    st.error(
        f"Nothing was saved: {len(pending)} field(s) to fix, marked in red above: " + "; ".join(pending.values()),
        icon=":material/block:",
    )
pressed = st.button(
    "Save draft changes" if draft else "Save assessment", type="primary", icon=":material/save:", key=SAVE
)
if pressed and entered is None:  # a session that has not drawn this form yet (e.g. a browser reconnected to a new one)
    save(form.values)
    st.rerun()
