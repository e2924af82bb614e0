"""Patient and user text is shown as written, never run as markup (issue 12, item 1). Patients, a user and the
clinic itself are given hostile names and notes (a markdown image of another host, a fake red-flag banner in
colour directives, a spreadsheet formula, HTML with a script, LaTeX, emoji and icon shortcodes, links and bare
addresses); an administrator then visits every page in a real browser. On every page: no image or link from
that text, no coloured span holding it, no LaTeX, no dialog, and no request to any host but the server."""

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from dashboard.services import admin, alerts, care, records
from dashboard.storage.db import Database
from tests.apptest import as_user
from tests.browser_helpers import after, click_first_row, needs_browser, open_list, settle, sign_in
from tests.conftest import TODAY, episode_values, full_assessment
from tests.serverproc import Server

pytestmark = needs_browser

HOST = "198.51.100.7"  # TEST-NET-2: never a real server
IMAGE = f"![x](http://{HOST}/x.png)"
BANNER = ":red-background[RED FLAG: refer on]"
FORMULA = f'=HYPERLINK("http://{HOST}/h")'
HTML = "<img src=x onerror=alert(1)>"
LATEX = "$\\LaTeX$"
SHORTCODES = f":smile: :material/warning: [site](http://{HOST}/l) www.example.com a@{HOST}"
EVERYTHING = " ".join((IMAGE, BANNER, FORMULA, HTML, LATEX, SHORTCODES))
PATIENT_A = {"given_name": IMAGE, "family_name": BANNER}
PATIENT_B = {"given_name": FORMULA, "family_name": f"{HTML} {LATEX}"}
ADMIN_NAME = f"**Dr** {SHORTCODES}"[:100]
CLINIC_NAME = f"**Big** :blue[clinic] {LATEX} [x](http://{HOST})"

# What the page must not have made of that text (run in the page after each step). The app's own markup is
# allowed (a bold patient name in a header); markup made from inside the text is not.
MARKERS = [HOST, "refer on", "onerror", "LaTeX", "HYPERLINK", "smile", "Big"]
INSPECT = """
(markers) => {
  const found = [];
  const here = location.origin;
  const foreign = (u) => !!u && /^[a-z][a-z0-9+.-]*:/i.test(u) && !u.startsWith(here)
                         && !u.startsWith('data:') && !u.startsWith('blob:');
  for (const img of document.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    if (foreign(src) || src === 'x') found.push('image ' + src);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    if (foreign(href) || (!href.startsWith('#') && markers.some((m) => href.includes(m)))) found.push('link ' + href);
  }
  if (document.querySelector('.katex, math')) found.push('LaTeX rendered');
  const holds = (el) => markers.some((m) => (el.textContent || '').includes(m));
  for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"] *')) {
    const styled = /color|background/.test(el.getAttribute('style') || '')
      || [...el.classList].some((c) => /colou?red|badge|highlight/i.test(c));
    if (styled && holds(el)) found.push('coloured ' + el.outerHTML.slice(0, 100));
    const made = ['Dr', 'Big', 'x', 'site'].includes(el.textContent.trim());
    if (['STRONG', 'EM', 'DEL', 'CODE'].includes(el.tagName) && made) found.push('markup ' + el.outerHTML);
  }
  for (const el of document.querySelectorAll('[data-testid="stIconMaterial"], [data-testid="stIconEmoji"]')) {
    const box = el.closest('[data-testid="stMarkdownContainer"]');
    if (box && holds(box)) found.push('icon or emoji from text: ' + el.textContent);
  }
  return found;
}
"""


def shown_text(page) -> str:
    """The page's visible text as a person reads it (word joiners are invisible)."""
    return page.evaluate("() => document.body.innerText").replace("\u2060", "")


@pytest.fixture(scope="module")
def hostile(demo_template, tmp_path_factory):
    """The demo clinic with hostile text everywhere a person can type it, served on a free local port."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "clinic.duckdb"
    shutil.copy(demo_template, path)
    db = Database(path)
    with db.transaction() as cur:  # the administrator's own name, as someone might type it on the Users page
        cur.execute("UPDATE users SET display_name = ? WHERE username = 'admin'", [ADMIN_NAME])
    boss = as_user(db, "admin")
    admin.set_clinic_details(db, boss, {"clinic_name": CLINIC_NAME, "clinic_phone": "01632 960000"})
    ids = {}
    for key, names in (("a", PATIENT_A), ("b", PATIENT_B)):
        patient_id = records.create_patient(
            db,
            boss,
            {"clinic_id": f"HOST-{key}", **names, "date_of_birth": "1980-02-03", "email": f"{key}@example.org"},
            today=TODAY,
        )
        episode_id = records.open_episode(
            db,
            boss,
            patient_id,
            episode_values(boss.user_id, sport=IMAGE, referral_source=BANNER),
            today=TODAY,
        )
        signed = records.record_assessment(
            db,
            boss,
            episode_id,
            full_assessment(pain_task_name=LATEX, impression=EVERYTHING, plan=EVERYTHING, strength_unit=":N:"),
            today=TODAY,
        )
        records.sign_assessment(db, boss, signed)
        records.add_addendum(db, boss, signed, EVERYTHING, EVERYTHING)
        records.record_assessment(  # a draft: the sidebar lists it with the patient's name
            db, boss, episode_id, full_assessment(assessed_on="2026-09-15", impression=EVERYTHING), today=TODAY
        )
        alerts.raise_alert(
            db, boss, episode_id, {"kind": "neurological", "detail": EVERYTHING, "raised_on": "2026-09-16"}, today=TODAY
        )
        care.change_tier(
            db, boss, episode_id, {"tier": "adjunct", "effective_on": "2026-10-01", "reason": EVERYTHING}, today=TODAY
        )
        records.record_imaging(
            db, boss, episode_id, {"modality": "mri", "imaged_on": "2026-09-20", "report_text": EVERYTHING}, today=TODAY
        )
        ids[key] = (patient_id, episode_id)
    db.close()
    server = Server(path, extra_env={"CLINIC_REPORTS_DIR": str(folder / "reports")}).wait_ready()
    server.ids = ids
    yield server
    server.stop()


class Watch:
    """Every request the page makes, every dialog it opens."""

    def __init__(self, page, server) -> None:
        self.origin = urlsplit(server.url).netloc
        self.elsewhere: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self.request)
        page.on("dialog", self.dialog)

    def dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.origin:
            self.elsewhere.append(request.url)


def check(page, watch, where: str) -> None:
    settle(page)
    page.shots(where)
    found = page.evaluate(INSPECT, MARKERS)
    assert found == [], f"{where}: {found}"
    assert watch.elsewhere == [], f"{where}: requests to other hosts {watch.elsewhere}"
    assert watch.dialogs == [], f"{where}: dialogs {watch.dialogs}"


def go(page, link: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    settle(page)


def test_hostile_names_and_notes_are_shown_as_written_on_every_page(page, hostile):
    watch = Watch(page, hostile)
    sign_in(page, hostile, "admin")
    check(page, watch, "caseload")
    assert CLINIC_NAME in shown_text(page)  # the sidebar's clinic name, literally
    assert ADMIN_NAME in shown_text(page)
    page.get_by_text("Your unsigned drafts").click()  # opens in the browser: no rerun
    expect(page.locator('[data-testid="stSidebar"] button').filter(has_text="RED FLAG").first).to_be_visible()
    check(page, watch, "sidebar-drafts")
    assert f"{IMAGE} {BANNER}" in shown_text(page)

    go(page, "Timeline", "Timeline")
    check(page, watch, "timeline")
    open_list(page, "Or open a case from the list")
    check(page, watch, "timeline-open-list")
    page.keyboard.press("Escape")

    for key, names in (("b", PATIENT_B), ("a", PATIENT_A)):
        go(page, "Patients", "Patients")
        box = page.get_by_label("Search by name or clinic ID")
        box.fill(f"HOST-{key}")
        after(page, lambda box=box: box.press("Enter"))
        check(page, watch, f"patients-{key}")
        click_first_row(page)
        expect(page.get_by_role("heading", name="Episodes of care")).to_be_visible()
        check(page, watch, f"patient-{key}")
        title = f"{names['given_name']} {names['family_name']}"
        assert title in shown_text(page)
        page.get_by_role("button", name="Open case").first.click()
        expect(page.get_by_text("Weeks in episode")).to_be_visible()
        check(page, watch, f"case-{key}")
        text = shown_text(page)
        assert title in text and EVERYTHING in text  # the title, the red flag's detail, the addendum: as typed
        for tab in ("Treatment path", "Exercise prescription", "Imaging"):
            page.get_by_role("tab", name=tab).click()
            check(page, watch, f"case-{key}-{tab}")
        page.get_by_role("tab", name="Imaging").click()
        page.locator('[data-testid="stExpander"] summary').last.click()
        check(page, watch, f"case-{key}-imaging-report")

    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    check(page, watch, "assessment")
    assert f"{IMAGE} {BANNER}" in shown_text(page)
    go(page, "Imaging report", "Imaging report")
    check(page, watch, "imaging")
    go(page, "Handouts", "Handouts")
    check(page, watch, "handouts")
    box = page.get_by_label("Find a patient")
    box.fill("HOST")
    after(page, lambda: box.press("Enter"))
    open_list(page, "Patient")
    check(page, watch, "handouts-patient-list")
    page.keyboard.press("Escape")

    for link, heading in (
        ("Import patients", "Import patients"),
        ("Users", "Users"),
        ("Settings", "Settings"),
        ("Audit trail", "Audit trail"),
        ("Data and backups", "Data and backups"),
    ):
        go(page, link, heading)
        check(page, watch, link.lower().replace(" ", "-"))
    page.get_by_role("tab", name="A patient's data").click()
    box = page.get_by_label("Find the patient")
    box.fill("HOST")
    after(page, lambda: box.press("Enter"))
    open_list(page, "Patient")
    check(page, watch, "data-patient-list")
