"""SQL for sign-in sessions, known devices, sign-in throttling, the one-time setup code and unsaved form input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .db import Database

_SESSION_USER = "SELECT s.*, u.username, u.display_name, u.role, u.active FROM sessions s JOIN users u USING (user_id)"


def _one(cur_or_db, sql: str, params: list) -> dict[str, Any] | None:
    if isinstance(cur_or_db, Database):
        return cur_or_db.row(sql, params)
    result = cur_or_db.execute(sql, params)
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


# -- sessions --------------------------------------------------------------------------------------


def insert_session(
    cur,
    token_hash: str,
    user_id: int,
    method: str,
    device_hash: str | None,
    sso_login: str | None,
    at: datetime,
    expires_at: datetime,
) -> int:
    return cur.execute(
        "INSERT INTO sessions (token_hash, user_id, method, device_hash, sso_login, created_at, last_seen_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING session_id",
        [token_hash, user_id, method, device_hash, sso_login, at, at, expires_at],
    ).fetchone()[0]


def session_by_token(cur_or_db, token_hash: str) -> dict[str, Any] | None:
    """The session (with its account's name, role and state) whose token has this hash."""
    return _one(cur_or_db, _SESSION_USER + " WHERE s.token_hash = ?", [token_hash])


def session_by_id(cur_or_db, session_id: int) -> dict[str, Any] | None:
    return _one(cur_or_db, _SESSION_USER + " WHERE s.session_id = ?", [session_id])


# Two clinic settings (their keys are parameters, named by the service) as the columns ``idle_setting`` and
# ``lifetime_setting``: read with the session in one query (every service call checks its session).
_LIMITS = (
    "(SELECT setting_value FROM clinic_settings WHERE setting_key = ?) AS idle_setting,"
    " (SELECT setting_value FROM clinic_settings WHERE setting_key = ?) AS lifetime_setting"
)


def limit_settings(db: Database, keys: tuple[str, str]) -> dict[str, Any]:
    """The raw values of the settings ``keys`` (idle, lifetime) as ``idle_setting``, ``lifetime_setting``."""
    return db.row("SELECT " + _LIMITS, list(keys)) or {"idle_setting": None, "lifetime_setting": None}


def session_with_limits(
    db: Database, session_id: int, keys: tuple[str, str]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the session with its account, or None; the raw values of the settings ``keys``), in one query."""
    row = db.row(
        "SELECT l.*, s.* FROM (SELECT " + _LIMITS + ") l"
        " LEFT JOIN (" + _SESSION_USER + " WHERE s.session_id = ?) s ON true",
        [*keys, session_id],
    )
    assert row is not None  # the settings row always comes back
    limits = {"idle_setting": row.pop("idle_setting"), "lifetime_setting": row.pop("lifetime_setting")}
    return (row if row.get("session_id") is not None else None), limits


def touch(cur, session_id: int, at: datetime) -> None:
    cur.execute("UPDATE sessions SET last_seen_at = ? WHERE session_id = ? AND revoked_at IS NULL", [at, session_id])


def revoke(cur, session_id: int, at: datetime, reason: str) -> bool:
    """End one session; False when it had already ended."""
    found = cur.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE session_id = ? AND revoked_at IS NULL"
        " RETURNING session_id",
        [at, reason, session_id],
    ).fetchall()
    return bool(found)


def open_sessions_of(cur, user_id: int) -> list[int]:
    return [
        r[0]
        for r in cur.execute(
            "SELECT session_id FROM sessions WHERE user_id = ? AND revoked_at IS NULL ORDER BY session_id", [user_id]
        ).fetchall()
    ]


def lapsed_sessions(cur, idle_before: datetime, now: datetime) -> list[dict[str, Any]]:
    """Sessions not yet ended whose idle time or lifetime has run out."""
    result = cur.execute(
        "SELECT s.session_id, s.user_id, s.last_seen_at, s.expires_at, u.username FROM sessions s"
        " JOIN users u USING (user_id)"
        " WHERE s.revoked_at IS NULL AND (s.last_seen_at < ? OR s.expires_at <= ?) ORDER BY s.session_id",
        [idle_before, now],
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def sso_login_used(cur, sso_login: str) -> bool:
    return bool(cur.execute("SELECT count(*) FROM sessions WHERE sso_login = ?", [sso_login]).fetchone()[0])


def open_session_counts(db: Database) -> dict[int, int]:
    rows = db.rows("SELECT user_id, count(*) AS n FROM sessions WHERE revoked_at IS NULL GROUP BY user_id")
    return {r["user_id"]: r["n"] for r in rows}


# -- known devices ---------------------------------------------------------------------------------


def device_known(cur, user_id: int, device_hash: str) -> bool:
    return bool(
        cur.execute(
            "SELECT count(*) FROM known_devices WHERE user_id = ? AND device_hash = ?", [user_id, device_hash]
        ).fetchone()[0]
    )


def remember_device(cur, user_id: int, device_hash: str, at: datetime) -> None:
    if device_known(cur, user_id, device_hash):
        cur.execute(
            "UPDATE known_devices SET last_seen_at = ? WHERE user_id = ? AND device_hash = ?",
            [at, user_id, device_hash],
        )
    else:
        cur.execute(
            "INSERT INTO known_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [user_id, device_hash, at, at],
        )


# -- sign-in throttling ----------------------------------------------------------------------------


def throttle(cur, key: str) -> dict[str, Any] | None:
    return _one(cur, "SELECT * FROM sign_in_throttle WHERE throttle_key = ?", [key])


def set_throttle(cur, key: str, failures: int, at: datetime, blocked_until: datetime | None) -> None:
    if throttle(cur, key) is None:
        cur.execute(
            "INSERT INTO sign_in_throttle (throttle_key, failures, last_failure_at, blocked_until) VALUES (?, ?, ?, ?)",
            [key, failures, at, blocked_until],
        )
    else:
        cur.execute(
            "UPDATE sign_in_throttle SET failures = ?, last_failure_at = ?, blocked_until = ? WHERE throttle_key = ?",
            [failures, at, blocked_until, key],
        )


def clear_throttle(cur, key: str) -> None:
    cur.execute("DELETE FROM sign_in_throttle WHERE throttle_key = ?", [key])


def account_delays(db: Database) -> dict[str, datetime]:
    """Each typed username with a sign-in delay: when the delay ends."""
    rows = db.rows(
        "SELECT throttle_key, blocked_until FROM sign_in_throttle"
        " WHERE throttle_key LIKE 'account:%' AND blocked_until IS NOT NULL"
    )
    return {r["throttle_key"].removeprefix("account:"): r["blocked_until"] for r in rows}


# -- the one-time setup code -----------------------------------------------------------------------


def replace_setup_code(cur, code_hash: str, at: datetime) -> None:
    cur.execute("DELETE FROM setup_codes")
    cur.execute("INSERT INTO setup_codes (code_hash, issued_at) VALUES (?, ?)", [code_hash, at])


def setup_code_hash(cur_or_db) -> str | None:
    row = _one(cur_or_db, "SELECT code_hash FROM setup_codes ORDER BY issued_at DESC LIMIT 1", [])
    return row["code_hash"] if row else None


def delete_setup_codes(cur) -> None:
    cur.execute("DELETE FROM setup_codes")


# -- unsaved form input ----------------------------------------------------------------------------


def unsaved(db: Database, user_id: int, form: str, record_key: str) -> dict[str, Any] | None:
    return db.row(
        "SELECT values_json, saved_at FROM unsaved_input WHERE user_id = ? AND form = ? AND record_key = ?",
        [user_id, form, record_key],
    )


def keep_unsaved(cur, user_id: int, form: str, record_key: str, values_json: str, at: datetime) -> None:
    found = cur.execute(
        "UPDATE unsaved_input SET values_json = ?, saved_at = ? WHERE user_id = ? AND form = ? AND record_key = ?"
        " RETURNING user_id",
        [values_json, at, user_id, form, record_key],
    ).fetchall()
    if not found:
        cur.execute(
            "INSERT INTO unsaved_input (user_id, form, record_key, values_json, saved_at) VALUES (?, ?, ?, ?, ?)",
            [user_id, form, record_key, values_json, at],
        )


def drop_unsaved(cur, user_id: int, form: str, record_key: str) -> None:
    cur.execute(
        "DELETE FROM unsaved_input WHERE user_id = ? AND form = ? AND record_key = ?", [user_id, form, record_key]
    )


# -- session cookies waiting for the browser's next request ------------------------------------------------


def put_pending(cur, device_hash: str, session_id: int, token_sealed: str, until: datetime) -> None:
    cur.execute("DELETE FROM pending_session_cookies WHERE device_hash = ?", [device_hash])
    cur.execute(
        "INSERT INTO pending_session_cookies (device_hash, session_id, token_sealed, until) VALUES (?, ?, ?, ?)",
        [device_hash, session_id, token_sealed, until],
    )


def pending(db: Database, device_hash: str) -> dict[str, Any] | None:
    return db.row(
        "SELECT session_id, token_sealed, until FROM pending_session_cookies WHERE device_hash = ?", [device_hash]
    )


def drop_pending(cur, device_hash: str) -> None:
    cur.execute("DELETE FROM pending_session_cookies WHERE device_hash = ?", [device_hash])


def drop_pending_of_session(cur, session_id: int) -> None:
    cur.execute("DELETE FROM pending_session_cookies WHERE session_id = ?", [session_id])
