"""Browser journeys for sessions and accounts (issue 11), against the real server (tests/browser_helpers.py):
a reload keeps the session, the case and the typed input; signing out in one tab signs out the other; the
cookie is HttpOnly and SameSite and holds no username; an administrator's password reset changes nothing
else; an idle session signs itself out; single sign-on against a local mock OpenID Connect provider."""

import secrets
import shutil
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser_helpers import RUN_COUNTER, WAIT, after, choose, needs_browser, settle, sign_in
from tests.serverproc import Server, free_port

pytestmark = needs_browser


@pytest.fixture(scope="module")
def picks(demo_template):
    """Clinic IDs and episode ids of patients with one open proximal, non-operated episode and no open red
    flag (read from the template, since the server holds the live file)."""
    import duckdb

    with duckdb.connect(str(demo_template), read_only=True) as con:
        return con.execute(
            "SELECT p.clinic_id, e.episode_id FROM patients p JOIN episodes e USING (patient_id)"
            " WHERE e.status = 'open' AND e.region = 'proximal' AND NOT e.post_operative"
            "  AND (SELECT count(*) FROM episodes x WHERE x.patient_id = p.patient_id) = 1"
            "  AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id AND r.status = 'open')"
            " ORDER BY p.clinic_id LIMIT 3"
        ).fetchall()


def cookies_of(page) -> dict:
    return {c["name"]: c for c in page.context.cookies()}


def test_reload_keeps_session_case_and_typed_input_and_sign_out_ends_every_tab(page, server, picks):
    sign_in(page, server, "amara.okafor")
    page.goto(f"{server.url}/case?episode={picks[0][1]}")  # a link to a case, as a colleague would send it
    expect(page.get_by_text("Weeks in episode")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    settle(page)
    assert f"episode={picks[0][1]}" in page.url
    pain = page.get_by_label("Average pain, last week (0-10)")
    pain.fill("7")
    after(page, lambda: pain.press("Tab"))
    plan = page.get_by_role("textbox", name="Plan", exact=True)
    plan.fill("Isometrics twice daily; review sitting tolerance")
    after(page, lambda: plan.press("Tab"))
    page.shots("typed-before-reload", focus=pain)

    address = page.url
    page.reload()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()
    settle(page)
    assert page.url == address  # the same case
    expect(page.get_by_text("Unsaved input restored from")).to_be_visible()
    expect(page.get_by_label("Average pain, last week (0-10)")).to_have_value("7")
    expect(page.get_by_role("textbox", name="Plan", exact=True)).to_have_value(
        "Isometrics twice daily; review sitting tolerance"
    )
    page.shots("restored-after-reload")

    cookie = cookies_of(page)["clinic_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "amara" not in cookie["value"].lower() and len(cookie["value"]) >= 40
    assert cookie["value"] not in page.url
    assert page.evaluate("document.cookie").find("clinic_session") == -1  # not readable by scripts

    other = page.context.new_page()  # a second tab: signed in from the cookie, straight to the case
    other.goto(f"{server.url}/case?episode={picks[0][1]}")
    expect(other.get_by_text("Weeks in episode")).to_be_visible()
    settle(other)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    assert "clinic_session" not in cookies_of(page)
    page.shots("signed-out")

    # the other tab's next action: its run is quick (the sign-in form), so the test waits for what it shows
    other.get_by_role("link", name="Caseload").click()
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(other)
    expect(other.get_by_text("You signed out")).to_be_visible()
    assert other.get_by_text("Weeks in episode").count() == 0

    # signing in again brings the typed input back once more; discarding it clears it for good
    sign_in(page, server, "amara.okafor")
    page.goto(address)
    expect(page.get_by_text("Unsaved input restored from")).to_be_visible()
    settle(page)
    page.shots("restored-after-signing-in-again")
    after(page, lambda: page.get_by_role("button", name="Discard unsaved input").click())
    page.shots("discarded")
    expect(page.get_by_text("Unsaved input discarded")).to_be_visible()
    expect(page.get_by_role("textbox", name="Plan", exact=True)).to_have_value("")


def test_administrator_resets_read_only_users_password_role_and_state_unchanged(page, server):
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    settle(page)
    choose(page, "User", "Robin Reception (reception)")
    settle(page)
    expect(page.get_by_text("Now: Read only, account active")).to_be_visible()
    page.shots("read-only-user-chosen")
    box = page.get_by_label("New password (role and state stay as they are)")
    box.fill("front-desk-lantern-42")
    after(page, lambda: box.press("Enter"))
    after(page, lambda: page.get_by_role("button", name="Reset password").click())
    expect(page.get_by_text("Password of Robin Reception reset")).to_be_visible()
    expect(page.get_by_text("Now: Read only, account active")).to_be_visible()
    page.shots("password-reset")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("reception")
    page.get_by_role("textbox", name="Password").fill("front-desk-lantern-42")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    for hidden in ("Users", "Assessment", "Settings"):  # still read-only: not promoted
        expect(nav.get_by_text(hidden, exact=True)).to_have_count(0)


def test_idle_session_signs_itself_out(page, server):
    """Last in this module: it shortens the server's idle timeout to one minute."""
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Sign-in sessions")).to_be_visible()
    settle(page)
    idle = page.get_by_label("Sign out after this many minutes without activity")
    idle.fill("1")
    after(page, lambda: page.get_by_role("button", name="Save session settings").click())
    expect(page.get_by_text("Session settings saved.")).to_be_visible()
    page.shots("idle-timeout-one-minute")
    # nobody touches the keyboard: the page goes back to sign-in by itself once the minute is over
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=150_000)
    expect(page.get_by_text("You were signed out after 1 minute without activity.")).to_be_visible()
    assert page.get_by_role("link", name="Settings").count() == 0
    page.shots("signed-out-when-idle")


# -- single sign-on against a local mock OpenID Connect provider ---------------------------------------------


@pytest.fixture(scope="module")
def sso(demo_template, tmp_path_factory):
    """A local mock OIDC provider, and the real server configured for it, with one clinician's e-mail set."""
    import oidc_provider_mock

    from dashboard.domain.model import SYSTEM_USER
    from dashboard.services import auth
    from dashboard.storage.db import Database

    folder = tmp_path_factory.mktemp("sso")
    path = folder / "clinic.duckdb"
    shutil.copy(demo_template, path)
    db = Database(path)
    amara = db.scalar("SELECT user_id FROM users WHERE username = 'amara.okafor'")
    auth.set_email(db, SYSTEM_USER, amara, "amara.okafor@clinic.example")
    db.close()
    with oidc_provider_mock.run_server_in_thread() as provider:
        issuer = f"http://localhost:{provider.server_port}"
        port = free_port()
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "clinic-dashboard"\n'
            f'client_secret = "{secrets.token_hex(16)}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        running = Server(path, port=port, extra_args=("--secrets", str(secrets_file))).wait_ready()
        running.issuer = issuer
        yield running
        running.stop()


def _identity(issuer: str, sub: str, email: str) -> None:
    import httpx

    answer = httpx.put(f"{issuer}/users/{quote(sub)}", json={"email": email, "name": sub.title()})
    assert answer.status_code == 204


def _sign_in_with_provider(browser, sso, sub):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(RUN_COUNTER)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(sso.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_placeholder("sub").fill(sub)  # the mock provider's own sign-in form
    page.get_by_role("button", name="Authorize").click()
    return context, page


def test_single_sign_on_with_a_local_mock_provider(browser, sso):
    _identity(sso.issuer, "amara", "amara.okafor@clinic.example")
    _identity(sso.issuer, "stranger", "someone@elsewhere.example")

    context, page = _sign_in_with_provider(browser, sso, "amara")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Signed in as Amara Okafor")).to_be_visible()
    page.reload()  # the clinic's own session cookie keeps them signed in
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    context.close()

    context, page = _sign_in_with_provider(browser, sso, "stranger")
    expect(page.get_by_text("someone@elsewhere.example is not a user of this clinic")).to_be_visible()
    settle(page)
    assert page.get_by_role("heading", name="Caseload").count() == 0
    context.close()
