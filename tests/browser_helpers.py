"""What every browser journey shares: Playwright drives Debian's Chromium (/usr/bin/chromium; never a
downloaded browser) against the real server (python -m dashboard serve) on a free local port with a
temporary database; tests wait for the app's settled state, never on sleeps. The fixtures (``server``,
``browser``, ``page``) are in tests/conftest.py; each step's screenshot is saved under
test-artifacts/browser/<test name>/."""

import os
import shutil

import pytest

from tests.serverproc import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PASSWORD = "demo-clinic-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    HAVE_PLAYWRIGHT = True
except ImportError:  # pragma: no cover
    HAVE_PLAYWRIGHT = False

needs_browser = [
    pytest.mark.skipif(not HAVE_PLAYWRIGHT, reason="playwright is not installed (make test installs it)"),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="Chromium is not installed (Debian package 'chromium'; .ci/run installs it)",
    ),
]


# Counts the script runs the page has seen finish (stApp's data-test-script-state going back to
# "notRunning"), so a test can wait for the run its own action started rather than for a fixed time.
RUN_COUNTER = """
(() => {
  window.__stRuns = 0;
  let last = null;
  const seen = (state) => {
    if (state === 'notRunning' && last !== 'notRunning') window.__stRuns += 1;
    last = state;
  };
  // Each change of the attribute is a record with its old value: a run that starts and ends between two
  // callbacks still counts (each record's new value is the next record's old value, the last one's is current).
  new MutationObserver((records) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const changes = records.filter((r) => r.type === 'attributes' && r.target === app);
    const now = app ? app.getAttribute('data-test-script-state') : null;
    changes.forEach((r, i) => seen(i + 1 < changes.length ? changes[i + 1].oldValue : now));
    if (!changes.length) seen(now);
  }).observe(document, {
    subtree: true, childList: true, attributes: true, attributeOldValue: true,
    attributeFilter: ['data-test-script-state'],
  });
})();
"""

SETTLED = (
    "(() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
    " return !!a && a.getAttribute('data-test-script-state') === 'notRunning'"
    " && !document.querySelector('[data-stale=\"true\"]')"
    " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-testid=\"stSkeleton\"]'); })()"  # element code still loading
)
WAIT = 60_000  # generous: the tests must pass while another process keeps both cores busy
SEEN = 20_000  # an action's run not counted by then was too quick to be seen (see ``after``)


class Shots:
    def __init__(self, page, test_name):
        self.page, self.n = page, 0
        self.folder = ARTIFACTS / test_name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str, focus=None):
        self.n += 1
        settle(self.page)
        if focus is not None:
            focus.scroll_into_view_if_needed()
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{step}.png"), full_page=True)


def settle(page):
    """Wait until Streamlit has finished running the script and nothing on the page is stale."""
    page.wait_for_function(SETTLED, timeout=WAIT)


def after(page, action):
    """Do ``action`` (which starts a rerun: a click, or leaving a changed field) and wait until that run
    has finished and the page has settled."""
    before = page.evaluate("window.__stRuns")
    action()
    try:
        page.wait_for_function(f"window.__stRuns > {before} && {SETTLED}", timeout=SEEN)
    except PlaywrightTimeout:
        # A run so quick that the page never drew its "running" state (the browser batches the two updates)
        # is not counted; after SEEN, a page that has settled is all there is to wait for.
        settle(page)


def sign_in(page, server, username):
    page.goto(server.url)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)


ROWS = '[class*="st-key-clrow_"], [class*="st-key-ptrow_"]'  # the caseload's and the patients' work lists


def click_first_row(page):
    """Open the first row of a work list (the caseload or the patients' search): its name is a link."""
    page.locator(ROWS).first.get_by_role("link").first.click()


def open_page(page, url):
    """Go to ``url`` and wait for the app's first run there to finish."""
    page.goto(url)
    page.wait_for_function(f"window.__stRuns > 0 && {SETTLED}", timeout=WAIT)


def open_box(box):
    """Open a selectbox's list by clicking the box itself (on a narrow screen its label may take two lines). It
    is scrolled into view first: a list opened while the page still scrolls closes again."""
    box.scroll_into_view_if_needed()
    box.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    box.get_by_role("combobox").click()


def show_list(box, shown):
    """Open the selectbox ``box`` until ``shown`` (one of its options) is visible. A list that closes again before
    it shows (a run that ends just then redraws the box, a chart above it moves it as the page settles) is opened
    again, as a person would click it again; a list that opened late is not clicked shut."""
    page = box.page
    for _ in range(4):
        settle(page)
        if not shown.is_visible():
            open_box(box)
        try:
            shown.wait_for(state="visible", timeout=SEEN // 2)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the list of {box} never showed {shown}")


def selectbox(page, label):
    """The selectbox labelled ``label``."""
    return page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text(label, exact=True))


def open_list(page, label):
    """Open the list of the selectbox labelled ``label`` (its options are drawn only while it is open)."""
    show_list(selectbox(page, label), page.get_by_role("option").first)


def pick(box, option):
    """Choose ``option`` in the selectbox ``box`` and wait for the run that starts."""
    target = box.page.get_by_role("option", name=option, exact=True)
    show_list(box, target)
    after(box.page, target.click)


def choose(page, label, option):
    """Choose ``option`` in the selectbox labelled ``label``."""
    pick(selectbox(page, label), option)


def open_case_from_search(page, text):
    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    box = page.get_by_label("Search by name or clinic ID")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_text("1 patient(s)")).to_be_visible()
    click_first_row(page)
    expect(page.get_by_role("heading", name="Episodes of care")).to_be_visible()
    page.get_by_role("button", name="Open case").first.click()
    expect(page.get_by_text("Weeks in episode")).to_be_visible()
    settle(page)
