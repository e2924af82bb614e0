"""The router: sign-in gate, the page list for the user's role, the shared sidebar. Nothing else."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.services import auth, records  # noqa: E402
from dashboard.ui import accounts, labels, links, session  # noqa: E402
from dashboard.ui.favicon import favicon  # noqa: E402

st.set_page_config(page_title="Hamstring clinic", page_icon=favicon(), layout="wide")  # served here, not fetched

session.announce()  # this tab's own save said first ("saved"), before anything is read: reads wait for writes
db = session.database()
info = session.clinic()
user = session.user()
STYLE = Path(__file__).resolve().parent / "ui" / "style.css"

pages: list[st.Page] | dict[str, list[st.Page]]  # a flat list signed out, sections once signed in
if user is None:
    gate = "setup" if auth.needs_first_admin(db) else "sign_in"
    title = "Set up the clinic" if gate == "setup" else "Sign in"
    # Every page of the app, by url path: signed out, each shows the sign-in form, so a bookmarked link
    # (e.g. /case?episode=12) opens that page once the user has signed in.
    form = links.PAGES / f"{gate}.py"
    pages = [st.Page(form, title=title, icon=":material/login:", url_path=gate, default=True)] + [
        st.Page(form, title=title, url_path=name) for name in links.TITLES
    ]
else:
    clinic_pages = [links.page("caseload", default=True)]
    clinic_pages += [links.page(name) for name in ("timeline", "register", "patient", "case")]
    if auth.can(user, auth.Permission.EDIT):
        clinic_pages += [links.page(name) for name in ("assessment", "imaging", "handouts")]
    admin_pages = []
    for name, permission in (
        ("import_patients", auth.Permission.IMPORT),
        ("users", auth.Permission.MANAGE_USERS),
        ("rules_settings", auth.Permission.SETTINGS),
        ("audit", auth.Permission.AUDIT),
        ("data_admin", auth.Permission.BACKUP),
    ):
        if auth.can(user, permission):
            admin_pages.append(links.page(name))
    pages = {"Clinic": clinic_pages, **({"Administration": admin_pages} if admin_pages else {})}

st.html(STYLE)  # visible focus, target sizes, wrapping (style only: takes no space)
with st.sidebar:  # who and where first, Sign out right under it: above the fold on a 768 px high screen
    st.markdown(f"**{labels.md(info.name)}**")  # a demo clinic says so at the top of every page
    if user is not None:
        me = st.container(horizontal=True, vertical_alignment="center", gap="small")
        me.caption(f"Signed in as {labels.md(user.display_name)} ({user.role.value.replace('_', ' ')})")
        if me.button("Sign out", icon=":material/logout:"):
            accounts.sign_out(db)
        drafts = records.my_drafts(db, user)
        if len(drafts):
            with st.expander(f"Your unsigned drafts ({len(drafts)})", icon=":material/draft:"):
                for draft in drafts.head(20).to_dict("records"):
                    if st.button(
                        f"{draft['assessed_on']:%d %b} · {labels.md(labels.patient_name(draft))}",
                        key=f"draft_{draft['assessment_id']}",
                    ):
                        session.choose_episode(int(draft["episode_id"]))
                        st.switch_page("pages/case.py")
        accounts.watch(db)  # back to sign-in once the session ends, even with nobody at the keyboard

if info.demo:
    st.caption("**DEMO clinic:** every person in it is fictional.")
st.navigation(pages, position="hidden" if user is None else "sidebar", expanded=True).run()
