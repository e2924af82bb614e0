"""Six clinicians pressing "Save assessment" at the same moment on the real server (issue #15), each in a
session of its own spoken to through Streamlit's session protocol (tests/session_protocol.py): every one is
told it saved, every save is in the record once with its audit entry and its case state, on both engines."""

import asyncio
from datetime import date

from dashboard.storage.db import open_database
from tests.browser_helpers import PASSWORD
from tests.serverproc import Server
from tests.session_protocol import SAVERS, assessment_fields, six_saves

# The router's toast (its full stop escaped as Markdown), not the case page's "... saved as a draft" under it
CONFIRMED = rb"Assessment of \d\d \w{3} \d{4} saved\\\."


def _six_open_cases(target) -> list[int]:
    """Open proximal, non-operated cases with a previous visit and no open red flag (the form asks nothing
    more of them than ``assessment_fields``)."""
    db = open_database(target)
    try:
        return [
            int(r["episode_id"])
            for r in db.rows(
                "SELECT e.episode_id FROM episodes e WHERE e.status = 'open' AND e.region = 'proximal'"
                " AND NOT e.post_operative"
                " AND EXISTS (SELECT 1 FROM assessments a WHERE a.episode_id = e.episode_id)"
                " AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id"
                "  AND r.status = 'open')"
                " ORDER BY e.episode_id LIMIT 6"
            )
        ]
    finally:
        db.close()


def test_six_sessions_saving_at_once_are_each_confirmed_and_all_land(db_target, tmp_path):
    import re

    episodes = _six_open_cases(db_target)
    assert len(episodes) == 6
    note = "six at once"
    fields = {label: choices[0] for _, label, choices in assessment_fields(note, complete=True)}
    server = Server(db_target, log_dir=tmp_path, extra_env={"CLINIC_REPORTS_DIR": str(tmp_path / "reports")})
    try:
        server.wait_ready()
        confirmed, finished = asyncio.run(
            six_saves(server.url, list(zip(SAVERS, episodes, strict=True)), PASSWORD, fields, re.compile(CONFIRMED))
        )
    finally:
        server.stop()
    assert len(confirmed) == 6 and all(0 < c <= f for c, f in zip(confirmed, finished, strict=True))
    db = open_database(db_target)
    try:
        saved = db.rows(
            "SELECT a.assessment_id, a.episode_id, a.created_by, a.plan, a.assessed_on FROM assessments a"
            " WHERE a.plan LIKE ? ORDER BY a.episode_id",
            [f"%({note})"],
        )
        assert [(r["episode_id"], r["created_by"]) for r in saved] == sorted(zip(episodes, SAVERS, strict=True)), (
            "each save is in the record once, by the clinician who pressed Save"
        )
        assert all(r["assessed_on"] == date.today() for r in saved)
        ids = [str(r["assessment_id"]) for r in saved]  # the audit names its entity as text
        audited = db.rows(
            "SELECT entity_id, username FROM audit_log WHERE action = 'create' AND entity = 'assessment'"
            f" AND entity_id IN ({', '.join('?' for _ in ids)}) ORDER BY entity_id",
            ids,
        )
        assert sorted((r["entity_id"], r["username"]) for r in audited) == sorted(
            (str(r["assessment_id"]), r["created_by"]) for r in saved
        ), "each save has its audit entry, in the name of who saved it"
        state = db.rows(
            "SELECT episode_id, last_assessed_on FROM case_state"
            f" WHERE episode_id IN ({', '.join('?' for _ in episodes)})",
            episodes,
        )
        assert {r["episode_id"]: r["last_assessed_on"] for r in state} == dict.fromkeys(episodes, date.today())
    finally:
        db.close()
