"""Issue 14, every screen size: at 1440 x 1000 (desktop), 1280 x 800 (laptop) and 1024 x 768 (tablet) a
clinician who signs in sees their most urgent case in the first row of the caseload without scrolling, with
why in words; Sign out is above the fold; and on every page no button, label, figure, link or tab is cut
(ends in "..." or is clipped by its box). The work list opens a case with the keyboard alone (Tab, Enter).
A screenshot of each whole page at each width is saved under test-artifacts/browser/<test name>/."""

import shutil

import pytest
from playwright.sync_api import expect

from dashboard.services import caseload
from dashboard.services.caseload import PRIORITY_WORDS
from dashboard.storage.db import Database
from tests.accessibility import visit
from tests.apptest import as_user
from tests.browser_helpers import ARTIFACTS, RUN_COUNTER, WAIT, needs_browser, settle, sign_in
from tests.conftest import SCREENS

pytestmark = needs_browser

CLINIC_PAGES = ["timeline", "register", "patient", "case", "assessment", "imaging", "handouts"]
ADMIN_PAGES = ["import_patients", "users", "rules_settings", "audit", "data_admin"]
# Text that does not fit its box: Streamlit ends it in "..." (text-overflow) or its box hides the rest.
CUT = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')) {
    if (!el.offsetParent || !(el.innerText || '').trim()) continue;
    const s = getComputedStyle(el);
    const hides = s.textOverflow === 'ellipsis' || s.overflowX === 'hidden';
    if (hides && el.scrollWidth > el.clientWidth + 1) {
      const owner = el.closest('[data-testid]');
      cut.push((owner ? owner.dataset.testid : el.tagName) + ': ' + el.innerText.trim().slice(0, 60));
    }
  }
  return [...new Set(cut)];
}"""
WHOLE_PAGE = (  # the page's height: its scrolling part holds everything below the header
    "() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent']"
    ".map(t => document.querySelector(`[data-testid=${t}]`)).filter(Boolean).map(e => e.scrollHeight))"
)


@pytest.fixture(scope="module")
def amaras_case(demo_template, tmp_path_factory):
    """The first row of Amara Okafor's work list, as the rules order it (her most urgent case):
    (episode, patient, name, why first)."""
    copy = tmp_path_factory.mktemp("urgent") / "clinic.duckdb"
    shutil.copy(demo_template, copy)
    db = Database(copy)
    try:
        me = as_user(db, "amara.okafor")
        top = caseload.caseload(db, me, caseload.CaseloadFilter(clinician_id=me.user_id)).rows.iloc[0]
        patient = db.scalar("SELECT patient_id FROM episodes WHERE episode_id = ?", [int(top["episode_id"])])
        return int(top["episode_id"]), int(patient), top["Patient"], top["Why first"]
    finally:
        db.close()


class Screen:
    """A browser window of one size, its screenshots of whole pages in one folder."""

    def __init__(self, browser, width: int, folder: str):
        self.width, self.height = width, SCREENS[width]
        self.context = browser.new_context(viewport={"width": width, "height": self.height})
        self.context.add_init_script(RUN_COUNTER)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        expect.set_options(timeout=WAIT)
        self.folder = ARTIFACTS / folder
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def above_the_fold(self, locator) -> bool:
        box = locator.bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= self.height

    def check(self, name: str) -> None:
        """Nothing cut on the page as it is; then a screenshot of all of it (the window made as tall as the
        page for the picture, then put back)."""
        settle(self.page)
        cut = self.page.evaluate(CUT)
        assert cut == [], f"{name} at {self.width} px: {cut}"
        self.n += 1
        tall = min(int(self.page.evaluate(WHOLE_PAGE)) + 120, 9000)
        self.page.set_viewport_size({"width": self.width, "height": max(tall, self.height)})
        settle(self.page)
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"))
        self.page.set_viewport_size({"width": self.width, "height": self.height})
        settle(self.page)


@pytest.mark.parametrize("width", list(SCREENS))
def test_most_urgent_case_first_and_nothing_cut_on_any_page(browser, server, amaras_case, width, request):
    episode, patient, name, urgent = amaras_case
    screen = Screen(browser, width, request.node.name)
    page = screen.page
    try:
        sign_in(page, server, "amara.okafor")
        rows = page.locator('[class*="st-key-clrow_"]')
        first = rows.first
        expect(first).to_be_visible()
        assert screen.above_the_fold(first), "the first row of the work list is below the fold"
        expect(first.get_by_role("link", name=name, exact=True)).to_be_visible()  # her most urgent case
        why = [rows.nth(i).locator(".stMarkdownBadge").inner_text() for i in range(3)]
        assert why[0].endswith(urgent), why  # why, in words (the badge's colour and icon only repeat it)
        order = [next(n for n, w in enumerate(PRIORITY_WORDS) if text.endswith(w)) for text in why]
        assert order == sorted(order), why
        assert screen.above_the_fold(page.get_by_role("button", name="Sign out"))
        screen.check("caseload")
        for path in CLINIC_PAGES:
            visit(page, f"{server.url}/{path}?episode={episode}&patient={patient}")
            screen.check(path)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        sign_in(page, server, "admin")
        assert screen.above_the_fold(page.get_by_role("button", name="Sign out"))  # the longest page list
        for path in ADMIN_PAGES:
            visit(page, f"{server.url}/{path}")
            screen.check(path)
    finally:
        screen.context.close()


def test_a_case_opens_from_the_work_list_with_tab_and_enter(page, server, amaras_case):
    episode, _, name, _ = amaras_case
    sign_in(page, server, "amara.okafor")
    page.get_by_role("radio", name="Work list").focus()  # the control just above the list
    page.keyboard.press("Tab")  # the next stop is the first row: its patient's name, a link
    focused = page.evaluate("() => [document.activeElement.tagName, document.activeElement.getAttribute('href')]")
    assert focused == ["A", f"case?episode={episode}"]
    page.shots("first-row-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    settle(page)
    assert f"episode={episode}" in page.url
    page.shots("case-opened-with-enter")
