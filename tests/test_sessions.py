"""Sessions, accounts, sign-in throttling, the setup code, single sign-on matching, unsaved input and the web
middleware (issue 11), through the services on real DuckDB files."""

import hashlib
from datetime import date, timedelta

import pytest

from dashboard.domain.model import SYSTEM_USER, FieldProblems, Role
from dashboard.services import auth, records, sessions, unsaved
from dashboard.storage.db import utc_now
from tests.conftest import TODAY, full_assessment


def audit_actions(db, entity=None) -> list[str]:
    sql = "SELECT action FROM audit_log" + (" WHERE entity = ?" if entity else "") + " ORDER BY audit_id"
    return [r["action"] for r in db.rows(sql, [entity] if entity else [])]


def signed_in(db, user):
    """A user as the app holds them after sign-in: bound to a server-side session."""
    session_id, token = sessions.start(db, user, method="password")
    return session_id, token, sessions.check(db, session_id)


# -- server-side sessions ----------------------------------------------------------------------------------------


def test_only_the_tokens_hash_is_stored_and_a_cookie_restores_the_session(clinic):
    clin = clinic.actors["clinician"]
    session_id, token, _ = signed_in(clinic, clin)
    assert len(token) >= 40
    row = clinic.row("SELECT * FROM sessions WHERE session_id = ?", [session_id])
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(clinic.rows("SELECT * FROM sessions")) and "ana" not in token
    assert row["expires_at"] - row["created_at"] == timedelta(hours=12)
    again, user = sessions.resume(clinic, token)  # a reload: the cookie finds the session again
    assert again == session_id and user.username == "ana" and user.role == Role.CLINICIAN
    with pytest.raises(sessions.SessionEnded):
        sessions.resume(clinic, "not-a-token")
    assert audit_actions(clinic, "session") == ["session_start", "session_restore"]


def test_idle_timeout_and_lifetime_end_sessions_and_are_audited(clinic):
    clin = clinic.actors["clinician"]
    now = utc_now()
    idle_id, _ = sessions.start(clinic, clin, method="password", now=now)
    sessions.check(clinic, idle_id, now=now + timedelta(minutes=29))  # activity keeps it alive
    with pytest.raises(sessions.SessionEnded, match="after 30 minutes without activity"):
        sessions.check(clinic, idle_id, now=now + timedelta(minutes=29 + 31))
    long_id, _ = sessions.start(clinic, clin, method="password", now=now)
    for minutes in range(20, 12 * 60, 20):  # busy all day
        sessions.check(clinic, long_id, now=now + timedelta(minutes=minutes))
    with pytest.raises(sessions.SessionEnded, match="at most 12 hours"):
        sessions.check(clinic, long_id, now=now + timedelta(hours=12, minutes=1))
    reasons = [r["revoked_reason"] for r in clinic.rows("SELECT revoked_reason FROM sessions ORDER BY session_id")]
    assert reasons == ["idle", "lifetime"]
    assert audit_actions(clinic, "session").count("session_expire") == 2


def test_session_limits_are_an_administrator_setting(clinic):
    admin, clin = clinic.actors["admin"], clinic.actors["clinician"]
    with pytest.raises(auth.NotAllowed):
        sessions.set_limits(clinic, clin, 5, 8)
    with pytest.raises(FieldProblems) as refused:
        sessions.set_limits(clinic, admin, 600, 8)
    assert "session_idle_minutes" in refused.value.problems
    sessions.set_limits(clinic, admin, 10, 8)
    assert sessions.limits(clinic) == sessions.Limits(timedelta(minutes=10), timedelta(hours=8))
    now = utc_now()
    session_id, _ = sessions.start(clinic, clin, method="password", now=now)
    with pytest.raises(sessions.SessionEnded, match="10 minutes"):
        sessions.check(clinic, session_id, now=now + timedelta(minutes=11))
    assert audit_actions(clinic, "clinic_setting") == ["update", "update"]


def test_sign_out_ends_the_session_for_every_tab_sharing_it(clinic):
    clin = clinic.actors["clinician"]
    session_id, token, _ = signed_in(clinic, clin)
    other_tab, _ = sessions.resume(clinic, token)
    sessions.end(clinic, session_id)
    with pytest.raises(sessions.SessionEnded, match="You signed out"):
        sessions.check(clinic, other_tab)
    with pytest.raises(sessions.SessionEnded):
        sessions.resume(clinic, token)
    assert "session_revoke" in audit_actions(clinic, "session")


# -- accounts checked on every request --------------------------------------------------------------------------


def test_session_opened_before_its_account_was_disabled_is_refused_at_its_next_write(open_case):
    db, clin, _, episode_id = open_case
    admin = db.actors["admin"]
    session_id, _, me = signed_in(db, clin)  # the clinician's open tab holds this user
    records.record_assessment(db, me, episode_id, full_assessment(), today=TODAY)
    auth.set_active(db, admin, clin.user_id, False)
    with pytest.raises(auth.NotAllowed, match="disabled"):
        records.record_assessment(db, me, episode_id, full_assessment(), today=TODAY)
    with pytest.raises(sessions.SessionEnded):
        sessions.check(db, session_id)
    assert db.scalar("SELECT count(*) FROM assessments WHERE episode_id = ?", [episode_id]) == 1
    assert db.scalar("SELECT revoked_reason FROM sessions WHERE session_id = ?", [session_id]) == "account_disabled"


def test_a_page_views_reads_share_its_session_check_and_every_change_reads_it_again(open_case, monkeypatch):
    db, clin, _, episode_id = open_case
    admin = db.actors["admin"]
    monkeypatch.setattr(sessions, "STILL_CURRENT", 60.0)  # (however slow the machine)
    session_id, _, me = signed_in(db, clin)  # the router's check at the start of a page view
    read = sessions.sql.session_with_limits
    reads: list[int] = []
    monkeypatch.setattr(sessions.sql, "session_with_limits", lambda *a: reads.append(a[1]) or read(*a))
    for _ in range(3):  # the page's reads: the check just made stands
        records.clinicians(db, me)
    assert reads == []
    records.record_assessment(db, me, episode_id, full_assessment(), today=TODAY)  # a change: read again
    assert reads == [session_id]
    records.clinicians(db, me)  # and a read after a write through this server: read again
    assert reads == [session_id, session_id]
    monkeypatch.setattr(sessions, "STILL_CURRENT", 0.0)  # a later page view holding the same user reads again
    _, _, me = signed_in(db, clin)
    before = len(reads)
    records.clinicians(db, me)
    assert len(reads) == before + 1
    monkeypatch.setattr(sessions, "STILL_CURRENT", 60.0)
    _, _, me = signed_in(db, clin)
    auth.set_active(db, admin, clin.user_id, False)  # disabled through this server: refused at once
    with pytest.raises(auth.NotAllowed, match="disabled"):
        records.clinicians(db, me)


def test_session_opened_before_its_account_was_made_read_only_is_refused_at_its_next_write(open_case):
    db, clin, _, episode_id = open_case
    _, _, me = signed_in(db, clin)
    auth.set_role(db, db.actors["admin"], clin.user_id, Role.READ_ONLY.value)
    with pytest.raises(auth.NotAllowed, match="read only"):
        records.record_assessment(db, me, episode_id, full_assessment(), today=TODAY)
    assert records.episode(db, me, episode_id)["episode_id"] == episode_id  # still may view
    assert db.scalar("SELECT count(*) FROM assessments") == 0


# -- sign-in that resists abuse ---------------------------------------------------------------------------------


def test_hundred_failures_do_not_stop_the_right_password_once_the_delay_has_passed(clinic):
    now = utc_now()
    attacker = auth.Client(address="203.0.113.9", device="attackers-browser")
    for i in range(100):
        with pytest.raises(auth.SignInRefused):
            auth.sign_in(clinic, "ana", f"guess-{i}", now=now + timedelta(seconds=i), client=attacker)
    delayed = clinic.scalar("SELECT max(blocked_until) FROM sign_in_throttle")
    assert delayed is not None and delayed - now <= auth.MAX_DELAY + timedelta(minutes=2)
    # during the delay even the right password is refused from an unknown browser...
    with pytest.raises(auth.SignInRefused, match="Wait"):
        auth.sign_in(clinic, "ana", "clinician-pass-1", now=now + timedelta(seconds=101), client=attacker)
    # ...and after it, the right password works, from the same address
    later = delayed + timedelta(seconds=1)
    assert auth.sign_in(clinic, "ana", "clinician-pass-1", now=later, client=attacker).username == "ana"
    # attempts during a delay are not counted: the attacker could not stretch it
    assert clinic.scalar("SELECT failures FROM sign_in_throttle WHERE throttle_key = 'address:203.0.113.9'") < 20


def test_a_known_browser_is_never_delayed_and_an_administrator_can_lift_a_delay(clinic):
    now = utc_now()
    desk = auth.Client(address="10.0.0.5", device="ana-desk-browser")
    auth.sign_in(clinic, "ana", "clinician-pass-1", now=now, client=desk)  # this browser is now known for ana
    stranger = auth.Client(address="10.0.0.5", device="somewhere-else")
    new_laptop = auth.Client(address="10.0.0.6", device="new-laptop")

    def attack(start):
        for i in range(12):
            with pytest.raises(auth.SignInRefused):
                auth.sign_in(clinic, "ana", "wrong-password", now=start + timedelta(seconds=i), client=stranger)

    attack(now)
    with pytest.raises(auth.SignInRefused, match="Wait"):
        auth.sign_in(clinic, "ana", "clinician-pass-1", now=now + timedelta(seconds=13), client=new_laptop)
    assert auth.sign_in(clinic, "ana", "clinician-pass-1", now=now + timedelta(seconds=14), client=desk)
    attack(now + timedelta(seconds=20))
    listed = {u["username"]: u for u in auth.list_users(clinic, clinic.actors["admin"])}
    assert listed["ana"]["sign_in_delayed_until"] is not None
    auth.unlock(clinic, clinic.actors["admin"], clinic.actors["clinician"].user_id)
    assert auth.sign_in(clinic, "ana", "clinician-pass-1", now=now + timedelta(seconds=40), client=new_laptop)
    assert "unlock" in audit_actions(clinic, "user")


def test_the_refusal_is_the_same_for_known_and_unknown_usernames(clinic):
    now = utc_now()
    answers = {}
    for name in ("ana", "nobody-here"):
        client = auth.Client(address=f"192.0.2.{len(name)}")
        texts = []
        for i in range(auth.ACCOUNT_FREE + 2):
            with pytest.raises(auth.SignInRefused) as refused:
                auth.sign_in(clinic, name, "wrong-password", now=now + timedelta(seconds=i), client=client)
            texts.append(str(refused.value))
        answers[name] = texts
    assert answers["ana"] == answers["nobody-here"]
    assert "Wait" in answers["ana"][-1] and "ana" not in " ".join(answers["ana"])


def test_overlong_input_is_refused_before_anything_is_stored(clinic):
    before = clinic.scalar("SELECT sum(length(coalesce(after_json, '')) + length(username)) FROM audit_log")
    with pytest.raises(auth.SignInRefused, match="not right"):
        auth.sign_in(clinic, "x" * 5_000_000, "whatever")
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(clinic, "ana", "y" * 100_000)
    after = clinic.scalar("SELECT sum(length(coalesce(after_json, '')) + length(username)) FROM audit_log")
    assert after - before < 200
    assert clinic.scalar("SELECT max(length(throttle_key)) FROM sign_in_throttle") <= 80


@pytest.mark.parametrize(
    "password, why",
    [
        ("aaaaaaaaaa", "too easy to guess"),
        ("1234567890", "too easy to guess"),
        ("Password123!", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("newclerk2026", "must not contain the username"),
        ("short", "at least 10"),
    ],
)
def test_password_policy_refuses_common_and_trivial_passwords_and_the_username(clinic, password, why):
    with pytest.raises(FieldProblems, match=why):
        auth.create_user(clinic, clinic.actors["admin"], "newclerk", "New Clerk", "read_only", password)
    with pytest.raises(FieldProblems, match=why.split()[0]):
        auth.reset_password(
            clinic, clinic.actors["admin"], clinic.actors["read_only"].user_id, password.replace("newclerk", "reader")
        )


# -- the Users page's services ----------------------------------------------------------------------------------


def test_password_reset_changes_only_the_password_and_is_audited_with_before_and_after(clinic):
    admin, reader = clinic.actors["admin"], clinic.actors["read_only"]
    _, token, _ = signed_in(clinic, reader)
    auth.reset_password(clinic, admin, reader.user_id, "front-desk-lantern-42")
    row = clinic.row("SELECT role, active FROM users WHERE user_id = ?", [reader.user_id])
    assert row == {"role": "read_only", "active": True}
    assert auth.sign_in(clinic, "reader", "front-desk-lantern-42").role == Role.READ_ONLY
    with pytest.raises(sessions.SessionEnded, match="reset"):
        sessions.resume(clinic, token)  # their open sessions ended with the old password
    entry = clinic.row("SELECT before_json, after_json FROM audit_log WHERE action = 'reset_password'")
    assert '"role": "read_only"' in entry["before_json"] and '"role": "read_only"' in entry["after_json"]
    assert "lantern" not in entry["after_json"]


def test_role_and_state_changes_are_separate_and_keep_an_active_administrator(clinic):
    admin, clin = clinic.actors["admin"], clinic.actors["clinician"]
    with pytest.raises(auth.NotAllowed, match="your own"):
        auth.set_role(clinic, admin, admin.user_id, Role.CLINICIAN.value)
    with pytest.raises(auth.NotAllowed, match="your own"):
        auth.set_active(clinic, admin, admin.user_id, False)
    with pytest.raises(auth.NotAllowed, match="last active administrator"):
        auth.set_active(clinic, SYSTEM_USER, admin.user_id, False)
    auth.set_role(clinic, admin, clin.user_id, Role.ADMINISTRATOR.value)
    auth.set_role(clinic, admin, clin.user_id, Role.ADMINISTRATOR.value)  # no change: nothing recorded
    assert clinic.row("SELECT role, active FROM users WHERE user_id = ?", [clin.user_id]) == {
        "role": "administrator",
        "active": True,
    }
    auth.set_active(clinic, SYSTEM_USER, admin.user_id, False)  # another administrator remains now
    entries = clinic.rows(
        "SELECT action, before_json, after_json FROM audit_log WHERE action IN ('change_role', 'disable')"
    )
    assert [e["action"] for e in entries] == ["change_role", "disable"]
    assert (
        entries[0]["before_json"] == '{"role": "clinician"}' and entries[0]["after_json"] == '{"role": "administrator"}'
    )


# -- safe first run -----------------------------------------------------------------------------------------------


def test_first_administrator_from_the_network_needs_the_console_setup_code(tmp_path):
    from dashboard.storage.db import Database

    db = Database(tmp_path / "fresh.duckdb")
    with pytest.raises(FieldProblems, match="No setup code"):
        auth.create_first_admin(db, "", "chief", "Chief Admin", "plinth-lantern-okapi")
    code = auth.issue_setup_code(db)
    assert code and db.scalar("SELECT code_hash FROM setup_codes") != code
    with pytest.raises(FieldProblems, match="not right"):
        auth.create_first_admin(db, "ABCD-EFGH-JKLM", "chief", "Chief Admin", "plinth-lantern-okapi")
    newer = auth.issue_setup_code(db)  # a restart prints a new code; the old one no longer works
    with pytest.raises(FieldProblems, match="not right"):
        auth.create_first_admin(db, code, "chief", "Chief Admin", "plinth-lantern-okapi")
    auth.create_first_admin(db, newer, "chief", "Chief Admin", "plinth-lantern-okapi")
    assert auth.issue_setup_code(db) is None  # never again once the clinic has an account
    with pytest.raises(FieldProblems):
        auth.create_first_admin(db, newer, "second", "Second Admin", "plinth-lantern-okapi")
    assert db.scalar("SELECT count(*) FROM users") == 1
    db.close()


# -- single sign-on -----------------------------------------------------------------------------------------------


def test_single_sign_on_matches_by_email_and_refuses_unknown_identities(clinic):
    admin, clin = clinic.actors["admin"], clinic.actors["clinician"]
    auth.set_email(clinic, admin, clin.user_id, "Ana.Physio@Clinic.example")
    with pytest.raises(FieldProblems, match="Another account"):
        auth.set_email(clinic, admin, admin.user_id, "ana.physio@clinic.example")
    identity = {"iss": "http://localhost:9400", "sub": "ana", "iat": 1790000000, "email": "ana.physio@clinic.example"}
    assert auth.sign_in_sso(clinic, identity).username == "ana"
    sessions.start(clinic, clin, method="sso", sso_login=auth.sso_login_id(identity))
    with pytest.raises(auth.LoginAlreadyUsed):  # after that session ends, the same provider sign-in opens no other
        auth.sign_in_sso(clinic, identity)
    with pytest.raises(auth.UnknownIdentity, match="not a user of this clinic"):
        auth.sign_in_sso(clinic, {**identity, "iat": 1790000100, "email": "someone@elsewhere.example"})
    auth.set_active(clinic, admin, clin.user_id, False)
    with pytest.raises(auth.UnknownIdentity):
        auth.sign_in_sso(clinic, {**identity, "iat": 1790000200})
    failed = clinic.rows("SELECT username, after_json FROM audit_log WHERE action = 'sign_in_failed'")
    assert [f["username"] for f in failed] == ["someone@elsewhere.example", "ana.physio@clinic.example"]
    assert all("unknown identity" in f["after_json"] for f in failed)


# -- unsaved input --------------------------------------------------------------------------------------------------


def test_unsaved_input_is_kept_per_user_and_record_with_its_types(clinic):
    clin, admin = clinic.actors["clinician"], clinic.actors["admin"]
    values = {
        "pain_avg": 7,
        "strength_left": 180.5,
        "assessed_on": date(2026, 9, 1),
        "aggravating": ["sitting"],
        "plan": "Isometrics",
        "morning_stiffness": None,
        "previous_injury": True,
    }
    assert unsaved.keep(clinic, clin, "assessment", "episode:3", values)
    assert unsaved.restore(clinic, admin, "assessment", "episode:3") is None  # another user's
    assert unsaved.restore(clinic, clin, "assessment", "episode:4") is None  # another record
    kept = unsaved.restore(clinic, clin, "assessment", "episode:3")
    assert kept is not None and kept.values == values
    assert type(kept.values["strength_left"]) is float and type(kept.values["assessed_on"]) is date
    with pytest.raises(auth.NotAllowed):
        unsaved.keep(clinic, clinic.actors["read_only"], "assessment", "episode:3", values)
    generation = clinic.generation
    unsaved.keep(clinic, clin, "assessment", "episode:3", {**values, "pain_avg": 8})
    assert clinic.generation == generation  # typing does not throw away the cached page results
    unsaved.discard(clinic, clin, "assessment", "episode:3")
    assert unsaved.restore(clinic, clin, "assessment", "episode:3") is None


# -- the middleware ---------------------------------------------------------------------------------------------------


def _middleware_client(db):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from dashboard.web import ClinicMiddleware

    async def ok(request):
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/", ok), Route("/_stcore/metrics", ok), Route("/auth/logout", ok)],
        middleware=[Middleware(ClinicMiddleware, db=db)],
    )
    return TestClient(app, base_url="http://127.0.0.1")


def test_middleware_sets_cookies_forbids_framing_and_guards_metrics(clinic):
    client = _middleware_client(clinic)
    first = client.get("/")
    assert first.headers["x-frame-options"] == "DENY"
    assert first.headers["content-security-policy"] == "frame-ancestors 'none'"
    device_header = first.headers["set-cookie"]
    assert "clinic_device=" in device_header and "HttpOnly" in device_header and "SameSite=Strict" in device_header
    device = client.cookies["clinic_device"]

    assert client.get("/_stcore/metrics").status_code == 404  # signed out: not there at all
    reader = clinic.actors["read_only"]
    session_id, token = sessions.start(clinic, reader, method="password", device=device)
    sessions.offer(clinic, device, token, session_id, utc_now() + timedelta(hours=1))
    stored = clinic.row("SELECT device_hash, token_sealed FROM pending_session_cookies")
    assert stored is not None and token not in stored["token_sealed"] and device not in stored["device_hash"]
    handed = client.get("/")  # the browser's next request receives its session cookie
    assert f"clinic_session={token}" in handed.headers["set-cookie"] and "HttpOnly" in handed.headers["set-cookie"]
    assert client.cookies["clinic_session"] == token
    assert "set-cookie" not in client.get("/").headers  # delivered once
    assert client.get("/_stcore/metrics").status_code == 404  # a read-only user's session: still not there

    admin_id, admin_token = sessions.start(clinic, clinic.actors["admin"], method="password")
    client.cookies.set("clinic_session", admin_token)
    assert client.get("/_stcore/metrics").status_code == 200
    sessions.end(clinic, admin_id)
    assert client.get("/_stcore/metrics").status_code == 404

    gone = client.get("/auth/logout")  # sign-out's navigation deletes the cookie
    assert "clinic_session=;" in gone.headers["set-cookie"] and "Max-Age=0" in gone.headers["set-cookie"]


def test_a_sign_in_on_one_server_is_handed_over_by_another(clinic, engine):
    """Two app servers on one PostgreSQL: the browser's next request may reach the other one."""
    from dashboard.storage.db import open_database

    if engine == "duckdb":
        pytest.skip("PostgreSQL only: a DuckDB file has one server")
    other = open_database(clinic.location)
    try:
        client = _middleware_client(other)
        device = (client.get("/"), client.cookies["clinic_device"])[1]
        session_id, token = sessions.start(clinic, clinic.actors["clinician"], method="password", device=device)
        sessions.offer(clinic, device, token, session_id, utc_now() + timedelta(hours=1))  # signed in on server 1
        handed = client.get("/")  # the next request reaches server 2
        assert f"clinic_session={token}" in handed.headers["set-cookie"]
        assert "set-cookie" not in client.get("/").headers  # the browser presents it: nothing waits any more
        assert clinic.scalar("SELECT count(*) FROM pending_session_cookies") == 0
    finally:
        other.close()


def test_middleware_marks_cookies_secure_over_https(clinic):
    from starlette.testclient import TestClient

    client = _middleware_client(clinic)
    secure = TestClient(client.app, base_url="https://clinic.example")
    header = secure.get("/").headers["set-cookie"]
    assert header.startswith("__Host-clinic_device=") and "Secure" in header and "Path=/" in header
