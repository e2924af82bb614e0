"""End-to-end journeys in a real browser (see tests/browser_helpers.py): sign in, find a patient, record an
assessment, escalate, print a handout, filter the caseload, read-only limits, the keyboard alone, and the
router gate on a fresh server."""

import shutil
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_helpers import (
    PASSWORD,
    RUN_COUNTER,
    WAIT,
    after,
    click_first_row,
    needs_browser,
    open_case_from_search,
    pick,
    settle,
    sign_in,
)
from tests.serverproc import Server

pytestmark = needs_browser


@pytest.fixture(scope="module")
def picks(demo_template):
    """Clinic IDs of patients with one open conservative episode each (read from the template, since the
    server holds the live file)."""
    import duckdb

    with duckdb.connect(str(demo_template), read_only=True) as con:
        rows = con.execute(
            "SELECT p.clinic_id FROM patients p JOIN episodes e USING (patient_id)"
            " WHERE e.status = 'open' AND (SELECT t.tier FROM tier_changes t WHERE t.episode_id = e.episode_id"
            "  ORDER BY t.effective_on DESC LIMIT 1) = 'conservative'"
            "  AND (SELECT count(*) FROM episodes x WHERE x.patient_id = p.patient_id) = 1"
            " ORDER BY p.clinic_id LIMIT 3"
        ).fetchall()
    return [r[0] for r in rows]


def test_sign_in_find_patient_and_record_assessment(page, server, picks):
    page.goto(server.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.shots("sign-in-page")
    page.get_by_label("Username").fill("amara.okafor")
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Username or password is not right.")).to_be_visible()
    page.shots("wrong-password-refused")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)
    page.shots("caseload-after-sign-in")

    open_case_from_search(page, picks[0])
    page.shots("case-page")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    settle(page)
    page.shots("assessment-form-carried-forward")
    pain = page.get_by_label("Average pain, last week (0-10)")
    pain.fill("15")
    after(page, lambda: pain.press("Tab"))
    page.get_by_role("button", name="Save assessment").click()
    beside_field = page.get_by_text("Average pain (last week) must be between 0 and 10 (got 15).", exact=True)
    expect(beside_field).to_be_visible()
    expect(page.get_by_text("Nothing was saved: 1 field(s) to fix")).to_be_visible()
    page.shots("invalid-value-refused-beside-the-field", focus=pain)
    page.shots("invalid-value-refused-beside-save", focus=page.get_by_role("button", name="Save assessment"))
    pain.fill("3")
    # each change re-runs the page; type into the next field once that run has finished
    after(page, lambda: pain.press("Tab"))
    worst = page.get_by_label("Worst pain, last week (0-10)")
    worst.fill("5")
    after(page, lambda: worst.press("Tab"))
    plan = page.get_by_role("textbox", name="Plan", exact=True)
    plan.fill("Progress isometrics; review in two weeks")
    after(page, lambda: plan.press("Tab"))  # the plan reaches the server before Save is pressed
    page.get_by_role("button", name="Save assessment").click()
    # said at once by the router (a toast for ten seconds), then in its place under the patient's name
    expect(page.get_by_test_id("stToast")).to_contain_text("saved.", timeout=WAIT)
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    settle(page)
    page.shots("assessment-saved-on-case-page")
    expect(page.get_by_text("draft").first).to_be_visible()


def test_escalate_tier_see_charts_and_print_handout(page, server, picks):
    sign_in(page, server, "amara.okafor")
    open_case_from_search(page, picks[1])
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    page.shots("case-with-charts")
    page.get_by_role("tab", name="Treatment path").click()
    tier = page.locator('[data-testid="stSelectbox"]').filter(has_text="New tier")
    pick(tier, "Adjunct")
    planned = page.locator('[data-testid="stSelectbox"]').filter(has_text="Planned treatment")
    pick(planned, "Shockwave")
    reason = page.get_by_label("Reason", exact=True).first
    reason.fill("No change after twelve weeks of loading; adding shockwave")
    after(page, lambda: reason.press("Control+Enter"))
    page.get_by_role("button", name="Change tier").click()
    expect(page.get_by_text("Tier changed to Adjunct.")).to_be_visible()
    settle(page)
    page.shots("tier-escalated")
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("Adjunct")

    page.get_by_role("button", name="Print handout").click()
    expect(page.get_by_role("heading", name="Handouts")).to_be_visible()
    settle(page)
    page.shots("handout-preview")
    page.get_by_role("button", name="Issue handout").click()
    expect(page.get_by_text("Issued and recorded")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    page.shots("handout-issued")
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert "Your hamstring plan" in text and "Shockwave: a hand-held device" in text
    assert "How much pain is OK" in text


def test_filter_caseload_to_stalled_and_open_one_then_sign_out(page, server):
    sign_in(page, server, "amara.okafor")
    after(page, lambda: page.get_by_role("button", name="Stalled").click())  # the run the click starts
    expect(page.get_by_text("episode(s) match")).to_be_visible()
    page.shots("caseload-stalled")
    click_first_row(page)
    expect(page.get_by_text("Weeks in episode")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Stalled", exact=False).first).to_be_visible()
    page.shots("stalled-case-opened")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.shots("signed-out")
    page.goto(server.url + "/case")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.locator('[data-testid="stMetricValue"]').count() == 0


def test_read_only_user_cannot_reach_administrator_pages(page, server):
    sign_in(page, server, "reception")
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav).to_contain_text("Caseload")
    for hidden in ("Users", "Audit trail", "Import patients", "Data and backups", "Assessment", "Handouts"):
        expect(nav.get_by_text(hidden, exact=True)).to_have_count(0)
    page.shots("read-only-navigation")
    page.goto(server.url + "/users")  # typed in the address bar: still signed in (the session cookie)
    settle(page)
    page.shots("read-only-users-url")
    expect(page.get_by_role("heading", name="Users")).to_have_count(0)
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()


def focused_label(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return (e && (e.getAttribute('aria-label') ||"
        " e.innerText || '')).trim(); }"
    )


def tab_to(page, label, limit=400):
    """Press Tab until the element named ``label`` has the focus (a button's name follows its icon)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_label(page).splitlines()[-1:] == [label]:
            return
    raise AssertionError(f"{label!r} was not reached with the Tab key; last focus {focused_label(page)!r}")


def type_a_new_value(page):
    """Replace the focused 0-10 field's value with a different one (so leaving it re-runs the page)."""
    current = page.evaluate("() => document.activeElement.value")
    page.keyboard.press("Control+A")
    page.keyboard.type(str((int(current or 0) + 1) % 11))


def test_assessment_form_with_the_keyboard_alone(page, server, picks):
    sign_in(page, server, "amara.okafor")
    open_case_from_search(page, picks[2])
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    settle(page)
    page.locator("body").focus()
    tab_to(page, "Average pain, last week (0-10)")
    type_a_new_value(page)
    after(page, lambda: tab_to(page, "Worst pain, last week (0-10)"))
    type_a_new_value(page)
    after(page, lambda: tab_to(page, "1. Sitting tolerance (0-10)"))
    for n in range(2, 9):  # the VISA-H items follow one another in their own order
        page.keyboard.press("Tab")
        assert focused_label(page).startswith(f"{n}. "), (
            f"after item {n - 1} the Tab key went to {focused_label(page)!r}"
        )
    tab_to(page, "Save assessment")
    page.shots("save-reached-by-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    page.shots("saved-by-keyboard")


def test_first_request_for_a_page_goes_through_the_router(browser, demo_template, tmp_path):
    """A server that has not yet run the router for anyone: the very first request, for /case, must
    still meet the sign-in gate (Streamlit's legacy pages-folder mode would run pages/case.py alone)."""
    path = tmp_path / "clinic.duckdb"
    shutil.copy(demo_template, path)
    fresh = Server(path).wait_ready()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RUN_COUNTER)
        first = context.new_page()
        first.goto(fresh.url + "/case?episode=1")
        expect(first.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
        settle(first)
        assert first.get_by_text("Weeks in episode").count() == 0
        assert first.locator('[data-testid="stMetricValue"]').count() == 0
        context.close()
    finally:
        fresh.stop()
