"""Several app servers on one PostgreSQL database: two real ``python -m dashboard serve`` processes and eight
writer processes (four configured like each server: the same CLINIC_DB, the same services) record assessments
at once. Every acknowledged write is there exactly once with one audit entry, both servers keep answering, and
what is written through one is seen through the other on its next request (nothing in one process is needed).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from dashboard.services import case_state, caseload, memo, sessions
from dashboard.storage.db import open_database
from tests.apptest import as_user
from tests.serverproc import ROOT, Server

WRITERS, EACH = 8, 15

WRITER = """
import json, sys
from datetime import date
from dashboard.domain.model import Role, User
from dashboard.services import records
from dashboard.storage.db import open_database
db = open_database(sys.argv[1])
row = db.row("SELECT user_id, username, display_name FROM users WHERE username = 'amara.okafor'")
me = User(row["user_id"], row["username"], row["display_name"], Role.CLINICIAN)
episode_id = int(sys.argv[2])
for n in range(int(sys.argv[3])):
    values = {"assessed_on": date.today(), "pain_avg": n % 10, "pain_worst": 10}
    print(json.dumps(records.record_assessment(db, me, episode_id, values)), flush=True)  # acknowledged
db.close()
"""


@pytest.fixture
def shared(pg_server, pg_demo_template, tmp_path):
    name = pg_server.create(template=pg_demo_template)
    yield pg_server.url(name)
    pg_server.drop(name)


def _status(url: str, cookie: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_two_servers_and_eight_writers_on_one_postgresql(shared, tmp_path):
    servers = [Server(shared, log_dir=tmp_path) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready(timeout=120)
        db = open_database(shared)
        episodes = [
            r["episode_id"]
            for r in db.rows(
                "SELECT e.episode_id FROM episodes e WHERE e.status = 'open' AND e.region = 'proximal'"
                " AND NOT e.post_operative AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r"
                "  WHERE r.episode_id = e.episode_id AND r.status = 'open') ORDER BY e.episode_id LIMIT ?",
                [WRITERS],
            )
        ]
        assert len(episodes) == WRITERS
        before = db.scalar("SELECT count(*) FROM assessments")
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, shared, str(episode_id), str(EACH)],
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "CLINIC_DB": shared, "PATH": "/usr/bin:/bin"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for episode_id in episodes
        ]
        answered = 0
        while any(w.poll() is None for w in writers):  # both servers answer while the writers write
            assert all(_status(s.url + "/_stcore/health") == 200 for s in servers)
            assert all(_status(s.url + "/") == 200 for s in servers)  # the sign-in page's shell
            answered += 1
        acknowledged = []
        for w in writers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
            acknowledged += [json.loads(line) for line in out.splitlines()]
        assert answered > 0
        assert len(acknowledged) == WRITERS * EACH == len(set(acknowledged))
        assert db.scalar("SELECT count(*) FROM assessments") == before + len(acknowledged)
        found = db.rows(
            "SELECT assessment_id, count(*) AS n FROM assessments WHERE "
            + db.dialect.member("assessment_id")
            + " GROUP BY assessment_id",
            [acknowledged],
        )
        assert {r["assessment_id"]: r["n"] for r in found} == {a: 1 for a in acknowledged}
        audited = db.rows(
            "SELECT entity_id, count(*) AS n FROM audit_log WHERE entity = 'assessment' AND action = 'create' AND "
            + db.dialect.member("entity_id")
            + " GROUP BY entity_id",
            [[str(a) for a in acknowledged]],
        )
        assert {r["entity_id"]: r["n"] for r in audited} == {str(a): 1 for a in acknowledged}
        # every episode's case state saw every save before it, whichever process made it
        assert case_state.differences(db).empty
        shown = caseload.case_rules(db, as_user(db, "admin"), episodes[0]).result
        assert shown["n_assessments"] == db.scalar(
            "SELECT count(*) FROM assessments WHERE episode_id = ?", [episodes[0]]
        )

        # A write through one server's database is read by the other on its next request: an administrator's
        # session (made here, as a sign-in on the first server would) opens /_stcore/metrics on both; ended, on
        # neither. The servers hold nothing of it in memory.
        session_id, token = sessions.start(db, as_user(db, "admin"), method="password")
        cookie = f"{sessions.COOKIE}={token}"
        assert [_status(s.url + "/_stcore/metrics", cookie) for s in servers] == [200, 200]
        sessions.end(db, session_id)
        assert [_status(s.url + "/_stcore/metrics", cookie) for s in servers] == [404, 404]
        db.close()
    finally:
        for server in servers:
            server.stop()


def test_a_write_through_one_server_empties_the_other_servers_cache(shared):
    """services/memo.py keys results on the database's write generation, which lives in the database."""
    one, other = open_database(shared), open_database(shared)
    try:
        computed = []

        def count():
            computed.append(1)
            return one.scalar("SELECT count(*) FROM clinic_settings")

        first = memo.memoised(one, "settings", None, count)
        assert memo.memoised(one, "settings", None, count) == first and len(computed) == 1  # cached
        with other.transaction() as cur:  # the other server writes
            cur.execute("INSERT INTO clinic_settings VALUES ('scale_out', 'yes', now(), 'test')")
        assert one.generation == other.generation
        assert memo.memoised(one, "settings", None, count) == first + 1 and len(computed) == 2
    finally:
        one.close()
        other.close()


def test_a_browser_on_two_servers_sees_each_write_on_the_other(shared, page, tmp_path):
    """One clinician, one browser, two app servers behind no proxy at all: signed in on the first, the second
    knows the session (the cookie is the browser's, the session the database's); a red flag recorded through
    the second is on the first server's case page and caseload at their next run."""
    from playwright.sync_api import expect

    from dashboard.domain.model import ALERT_KINDS
    from tests.browser_helpers import after, choose, open_page, settle, sign_in

    first, second = servers = [Server(shared, log_dir=tmp_path) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready(timeout=120)
        db = open_database(shared)
        me = as_user(db, "amara.okafor")
        case = db.row(
            "SELECT e.episode_id, p.given_name, p.family_name FROM episodes e JOIN patients p USING (patient_id)"
            " WHERE e.status = 'open' AND e.clinician_id = ? AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r"
            "  WHERE r.episode_id = e.episode_id AND r.status = 'open') ORDER BY e.episode_id LIMIT 1",
            [me.user_id],
        )
        assert case is not None
        name = f"{case['given_name']} {case['family_name']}"

        sign_in(page, first, "amara.okafor")  # on the first server
        page.shots("signed-in-on-the-first-server")
        open_page(page, f"{second.url}/case?episode={case['episode_id']}")  # the second: no sign-in asked
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        banner = re.compile(r"RED FLAG: ")  # the banner's words (other text says "red flag" in lower case)
        expect(page.get_by_text(banner)).to_have_count(0)
        page.get_by_text("Record a red flag now").click()
        choose(page, "Red flag", ALERT_KINDS["fracture"].label)
        page.get_by_label("What was found").fill("Bony tenderness at the ischium after a fall")
        after(page, lambda: page.get_by_role("button", name="Record red flag").click())
        expect(page.get_by_text("Red flag recorded on the case")).to_be_visible()
        page.shots("red-flag-recorded-through-the-second-server")

        open_page(page, f"{first.url}/case?episode={case['episode_id']}")  # back on the first server
        expect(page.get_by_text(banner).first).to_be_visible()
        open_page(page, first.url)  # the caseload: the case is flagged there too
        search = page.get_by_label("Search by name or clinic ID")
        after(page, lambda: (search.fill(case["family_name"]), search.press("Enter")))
        settle(page)
        row = page.locator('[class*="st-key-clrow_"]').filter(has_text=case["given_name"]).first
        expect(row).to_contain_text("RED FLAG")
        page.shots("flagged-on-the-first-servers-caseload")
        assert (
            db.scalar(
                "SELECT count(*) FROM red_flag_alerts WHERE episode_id = ? AND status = 'open'", [case["episode_id"]]
            )
            == 1
        )
        db.close()
    finally:
        for server in servers:
            server.stop()
