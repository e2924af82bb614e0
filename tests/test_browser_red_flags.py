"""Issue 10's journey in a real browser, as a new user would take it: a neurological red flag recorded at a
visit is routed to GP / spinal review on the case and tops the caseload; a later routine visit must answer
for it and does not clear it; resolving it as referred takes it off the caseload. Screenshots of every step
are saved under test-artifacts/browser/<test name>/ (at 1440 px, and the case and caseload at 1280 and 1024)."""

import re

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser_helpers import PASSWORD, after, click_first_row, needs_browser, open_case_from_search, pick, settle

pytestmark = needs_browser

ROUTE = "GP or spinal / neurology review"
FLAG = "Neurological signs: pins and needles, weakness, foot drop"


@pytest.fixture(scope="module")
def quiet_case(demo_template):
    """A proximal open case of Amara Okafor's with no red flag: (clinic id, patient name)."""
    with duckdb.connect(str(demo_template), read_only=True) as con:
        row = con.execute(
            "SELECT p.clinic_id, p.given_name || ' ' || p.family_name"
            " FROM patients p JOIN episodes e USING (patient_id)"
            " JOIN users u ON u.user_id = e.clinician_id"
            " WHERE u.username = 'amara.okafor' AND e.status = 'open' AND e.region = 'proximal'"
            "   AND NOT e.post_operative"
            "   AND (SELECT count(*) FROM episodes x WHERE x.patient_id = p.patient_id) = 1"
            "   AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id)"
            "   AND EXISTS (SELECT 1 FROM assessments a WHERE a.episode_id = e.episode_id)"
            " ORDER BY p.clinic_id LIMIT 1"
        ).fetchone()
    return row[0], row[1]


def record_assessment(page):
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    settle(page)


def go_to_caseload(page):
    page.get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)


def first_row_opens(page) -> str:
    """Open the caseload's first row (as a clinician would click it) and say whose case opened."""
    click_first_row(page)
    expect(page.get_by_text("Weeks in episode")).to_be_visible()
    settle(page)
    return page.locator("h1").first.inner_text()


def red_flags(page) -> int:
    """The caseload's red flag figure (her other cases may have red flags of their own)."""
    label = page.get_by_role("button", name="Red flags").inner_text()
    return int(label.split()[-1].replace(",", ""))


def why_first(page) -> list[tuple[str, str]]:
    """(patient, why first) for each row of the caseload's work list, top first."""
    rows = page.locator('[class*="st-key-clrow_"]')
    return [
        (rows.nth(i).get_by_role("link").get_attribute("href"), rows.nth(i).locator(".stMarkdownBadge").inner_text())
        for i in range(rows.count())
    ]


def test_neurological_red_flag_is_routed_stays_through_a_routine_visit_and_leaves_once_resolved(
    page, server, quiet_case
):
    clinic_id, name = quiet_case
    page.goto(server.url)
    page.get_by_label("Username").fill("amara.okafor")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)
    before = red_flags(page)
    open_case_from_search(page, clinic_id)
    banners = page.locator('[data-testid="stAlertContentError"]').filter(has_text="RED FLAG:")
    expect(banners).to_have_count(0)
    case_link = "case?episode=" + re.search(r"episode=(\d+)", page.url).group(1)  # as the work list links to it

    # 1. the visit that finds nerve signs
    record_assessment(page)
    after(page, lambda: page.get_by_text(FLAG, exact=True).click())
    expect(page.get_by_text(f"Red flag: {ROUTE}")).to_be_visible()
    action = page.get_by_role("textbox", name="Action taken on red flags")
    action.fill("Pins and needles down the leg; GP letter for spinal review sent today")
    after(page, lambda: action.press("Control+Enter"))
    page.shots("1-neurological-red-flag-ticked", focus=action)
    page.get_by_role("button", name="Save assessment").click()
    banner = page.locator('[data-testid="stAlertContentError"]').first
    expect(banner).to_contain_text("RED FLAG: Neurological signs")
    expect(banner).to_contain_text(ROUTE)
    page.shots("2-case-shows-the-red-flag-and-its-route")

    # 2. the caseload puts it first (with any other open red flag, the longest-standing first), with the route
    go_to_caseload(page)
    expect(page.get_by_role("button", name=f"Red flags {before + 1}")).to_be_visible()
    page.shots("3-caseload-red-flag-first")
    top = why_first(page)[: before + 1]  # the red flags, each saying so in words
    assert case_link in [c for c, _ in top] and all(w.endswith("Red flag") for _, w in top), top
    if before == 0:
        assert first_row_opens(page).strip() == name
    else:
        page.locator(f'[class*="st-key-clrow_"] a[href="{case_link}"]').click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        settle(page)
    expect(page.locator('[data-testid="stAlertContentError"]').first).to_contain_text(ROUTE)

    # 3. a later routine visit: refused until it answers for the open flag, which stays open
    record_assessment(page)  # the case opened from the caseload's first row
    expect(page.get_by_role("heading", name="Open red flags on this case")).to_be_visible()
    page.get_by_role("button", name="Save assessment").click()
    question = page.get_by_text("say whether it is still present").first
    expect(question).to_be_visible()
    page.shots("4-routine-visit-must-answer-for-the-open-flag", focus=page.get_by_text("How is it today?").first)
    after(page, lambda: page.get_by_text("Still present", exact=True).click())
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    banner = page.locator('[data-testid="stAlertContentError"]').first
    expect(banner).to_contain_text(ROUTE)
    expect(banner).to_contain_text("Still present")
    page.shots("5-still-raised-after-the-routine-visit")

    # 4. resolve it as referred
    page.get_by_text("Resolve this red flag (record what was done)").click()  # opens in the browser: no rerun
    after(page, lambda: page.get_by_text("Referred", exact=True).click())
    referred_to = page.get_by_label("Referred to")
    referred_to.fill("Dr Mensah, spinal clinic")
    after(page, lambda: referred_to.press("Tab"))
    pick(page.locator('[data-testid="stSelectbox"]').filter(has_text="Urgency"), "Within days")
    page.shots("6-resolving-as-referred")
    page.get_by_role("button", name="Resolve red flag").click()
    expect(page.get_by_text("Red flag resolved")).to_be_visible()
    settle(page)
    expect(banners).to_have_count(0)
    page.shots("7-resolved-banner-gone")

    # 5. gone from the top of the caseload; the resolution is kept on the case
    go_to_caseload(page)
    expect(page.get_by_role("button", name=f"Red flags {before}")).to_be_visible()
    page.shots("8-caseload-after-resolving")
    assert all(not w.endswith("Red flag") for c, w in why_first(page) if c == case_link)
    if before == 0:
        first_row_opens(page)  # whoever is first now has no red flag
        expect(page.locator('[data-testid="stAlertContentError"]').filter(has_text="RED FLAG:")).to_have_count(0)
    for width in (1280, 1024):
        go_to_caseload(page)
        page.set_viewport_size({"width": width, "height": 900})
        settle(page)
        page.shots(f"9-caseload-at-{width}")
