"""Sign-in sessions kept on the server.

On sign-in the server makes a random token; the database keeps only its SHA-256 with the user, when the
session started and was last used, when it ends at the latest, and whether (and why) it was revoked. The
browser gets the token in an HttpOnly, SameSite=Strict cookie that only the web middleware
(``dashboard/web.py``) sets, on the browser's next request to the server: a sign-in happens inside a
running page (over its websocket), so the token waits here, in memory, for that request (``offer``),
keyed by the browser's device cookie. A reload, a new tab or a reconnect finds the user again from the
cookie (``resume``); every rerun checks the session and the account again (``check``).

Idle timeout and absolute lifetime are clinic settings (administrators change them, audited). Every
session start, restore, expiry and revocation is in the audit trail (entity ``session``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from time import monotonic
from typing import Any

from ..domain.model import FieldProblems, Role, User
from ..storage import audit
from ..storage import records as settings_sql
from ..storage import sessions as sql
from ..storage.db import Database, utc_now
from .auth import NotAllowed, Permission, require

COOKIE = "clinic_session"
DEVICE_COOKIE = "clinic_device"
SECURE_PREFIX = "__Host-"  # over HTTPS: Secure, Path=/ and no Domain, so no other site or subdomain can set it

IDLE_DEFAULT_MINUTES = 30
LIFETIME_DEFAULT_HOURS = 12
IDLE_RANGE = (1, 480)  # minutes
LIFETIME_RANGE = (1, 24)  # hours
TOUCH_EVERY = timedelta(seconds=15)  # last-seen is written at most this often per session
STILL_CURRENT = 1.0  # seconds: a session checked this recently, with nothing written since, is not read again

REASONS = {
    "signed_out": "You signed out (in this tab or another one).",
    "idle": "You were signed out after {idle} without activity.",
    "lifetime": "You were signed out: a session lasts at most {lifetime}.",
    "account_disabled": "You were signed out: this account has been disabled.",
    "password_reset": "You were signed out: an administrator reset this account's password.",
    "signed_out_everywhere": "You were signed out by an administrator.",
    "unknown": "Please sign in again.",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionEnded(NotAllowed):
    """The session behind a request has ended (or never existed): the person must sign in again."""

    def __init__(self, reason: str, limits: Limits | None = None):
        self.reason = reason
        limits = limits or Limits(timedelta(minutes=IDLE_DEFAULT_MINUTES), timedelta(hours=LIFETIME_DEFAULT_HOURS))
        minutes, hours = int(limits.idle.total_seconds() // 60), int(limits.lifetime.total_seconds() // 3600)
        text = REASONS.get(reason, REASONS["unknown"]).format(
            idle=f"{minutes} minute{'s' if minutes != 1 else ''}", lifetime=f"{hours} hour{'s' if hours != 1 else ''}"
        )
        super().__init__(text)


# -- settings ---------------------------------------------------------------------------------------


LIMIT_KEYS = ("session_idle_minutes", "session_lifetime_hours")  # the clinic settings: idle, lifetime


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    lifetime: timedelta


def _int_setting(raw: Any, default: int, allowed: tuple[int, int]) -> int:
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return min(max(value, allowed[0]), allowed[1])


def _limits(settings: dict[str, Any]) -> Limits:
    return Limits(
        idle=timedelta(minutes=_int_setting(settings["idle_setting"], IDLE_DEFAULT_MINUTES, IDLE_RANGE)),
        lifetime=timedelta(hours=_int_setting(settings["lifetime_setting"], LIFETIME_DEFAULT_HOURS, LIFETIME_RANGE)),
    )


def limits(db: Database) -> Limits:
    return _limits(sql.limit_settings(db, LIMIT_KEYS))


def set_limits(db: Database, actor: User, idle_minutes: Any, lifetime_hours: Any) -> None:
    """The idle timeout (minutes) and the absolute lifetime (hours) of every session. Audited."""
    require(actor, Permission.SETTINGS)
    problems = {}
    values: dict[str, int] = {}
    for key, value, (low, high), unit in (
        (LIMIT_KEYS[0], idle_minutes, IDLE_RANGE, "minutes"),
        (LIMIT_KEYS[1], lifetime_hours, LIFETIME_RANGE, "hours"),
    ):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number != value or not low <= number <= high:
            problems[key] = f"Give a whole number of {unit} from {low} to {high}."
        else:
            values[key] = number
    if not problems and values[LIMIT_KEYS[0]] > values[LIMIT_KEYS[1]] * 60:
        problems[LIMIT_KEYS[0]] = "The idle timeout cannot be longer than the session lifetime."
    if problems:
        raise FieldProblems(problems)
    with db.transaction() as cur:
        at = utc_now()
        for key, number in values.items():
            before = settings_sql.set_setting(cur, key, str(number), at, actor.username)
            if before != str(number):
                audit.append(
                    cur,
                    actor.username,
                    "update",
                    "clinic_setting",
                    key,
                    before={"value": before},
                    after={"value": number},
                )


# -- sessions ---------------------------------------------------------------------------------------


def _lapsed(row: dict[str, Any], now: datetime, current: Limits) -> str | None:
    """Why this session can no longer be used, or None."""
    if row["revoked_at"] is not None:
        return row["revoked_reason"] or "unknown"
    if not row["active"]:
        return "account_disabled"
    if now >= row["expires_at"] or now >= row["created_at"] + current.lifetime:
        return "lifetime"
    if now - row["last_seen_at"] >= current.idle:
        return "idle"
    return None


def _end(cur, row: dict[str, Any], reason: str, now: datetime, by: str | None = None) -> None:
    """Revoke a session and record why: an expiry (idle, lifetime) or a revocation."""
    sql.drop_pending_of_session(cur, row["session_id"])  # a cookie not yet handed over is never handed over
    if not sql.revoke(cur, row["session_id"], now, reason):
        return
    expired = reason in ("idle", "lifetime")
    after: dict[str, Any] = {"reason": reason, "user": row["username"]}
    if expired:
        after["last_seen_at"] = row["last_seen_at"]
    audit.append(
        cur,
        by or row["username"],
        "session_expire" if expired else "session_revoke",
        "session",
        row["session_id"],
        after=after,
    )


def _user(db: Database, row: dict[str, Any], writes: int | None = None) -> User:
    """The session's user; ``writes``: ``db.writes_begun`` when the session was read (None: not to be shared)."""
    checked = User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))
    return replace(checked, recheck=partial(_recheck, db, row["session_id"], checked, monotonic(), writes))


def _recheck(
    db: Database, session_id: int, checked: User, checked_at: float, writes: int | None, *, reading: bool
) -> User:
    """The account as it is now, for ``auth.require``; raises ``SessionEnded`` when the session is over.

    Only to read, and within the page view that checked the session (under ``STILL_CURRENT`` since, with no
    write begun through this server since: no disabling, demotion or sign-out here), the user as checked,
    without reading again: a page's reads share its one check. Every action that changes anything, any write
    in between, and the next page view read the session again."""
    if reading and writes is not None and db.writes_begun == writes and monotonic() - checked_at < STILL_CURRENT:
        return checked
    fresh = check(db, session_id, touch=False)
    return User(fresh.user_id, fresh.username, fresh.display_name, fresh.role)


def start(
    db: Database,
    user: User,
    *,
    method: str,
    device: str | None = None,
    sso_login: str | None = None,
    now: datetime | None = None,
) -> tuple[int, str]:
    """Open a session for a user who has just proved who they are; returns its id and its token (the
    token goes to the browser's cookie and nowhere else)."""
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    current = limits(db)
    device_hash = token_hash(device) if device else None
    with db.transaction(records=False) as cur:
        _sweep(cur, now, current)
        session_id = sql.insert_session(
            cur, token_hash(token), user.user_id, method, device_hash, sso_login, now, now + current.lifetime
        )
        if device_hash:
            sql.remember_device(cur, user.user_id, device_hash, now)
        audit.append(
            cur,
            user.username,
            "session_start",
            "session",
            session_id,
            after={"method": method, "expires_at": now + current.lifetime},
        )
    return session_id, token


def check(db: Database, session_id: int, *, touch: bool = True, now: datetime | None = None) -> User:
    """The user of a running session, read again from the database (role, state). Ends the session (and
    raises ``SessionEnded``) if it has been revoked, idled out or outlived its lifetime."""
    now = now or utc_now()
    writes = db.writes_begun  # counted before the read: a write begun after it is a reason to read again
    row, settings = sql.session_with_limits(db, session_id, LIMIT_KEYS)
    current = _limits(settings)
    if row is None:
        raise SessionEnded("unknown", current)
    reason = _lapsed(row, now, current)
    if reason:
        if row["revoked_at"] is None:
            with db.transaction(records=False) as cur:
                _end(cur, row, reason, now)
        raise SessionEnded(reason, current)
    if touch and now - row["last_seen_at"] >= TOUCH_EVERY:
        with db.transaction(records=False) as cur:
            sql.touch(cur, session_id, now)
        writes += 1  # (this check's own)
    return _user(db, row, writes)


def resume(db: Database, token: str, *, now: datetime | None = None) -> tuple[int, User]:
    """Find the user again from a browser's session cookie (a reload, a new tab, a reconnect). Audited."""
    now = now or utc_now()
    current = limits(db)
    row = sql.session_by_token(db, token_hash(token)) if token else None
    if row is None:
        raise SessionEnded("unknown", current)
    reason = _lapsed(row, now, current)
    with db.transaction(records=False) as cur:
        if reason:
            _end(cur, row, reason, now)
        else:
            sql.touch(cur, row["session_id"], now)
            audit.append(cur, row["username"], "session_restore", "session", row["session_id"])
    if reason:
        raise SessionEnded(reason, current)
    return row["session_id"], _user(db, row)


def end(db: Database, session_id: int, reason: str = "signed_out", *, now: datetime | None = None) -> None:
    """Sign out: the session ends at once, in every tab that shares it."""
    now = now or utc_now()
    row = sql.session_by_id(db, session_id)
    if row is None:
        return
    with db.transaction(records=False) as cur:
        _end(cur, row, reason, now)


def end_all_for_user(cur, user_id: int, reason: str, by: str, now: datetime) -> int:
    """Inside the caller's transaction: revoke every open session of an account (disabled, password reset)."""
    ended = 0
    for session_id in sql.open_sessions_of(cur, user_id):
        row = sql.session_by_id(cur, session_id)
        if row is not None:
            _end(cur, row, reason, now, by=by)
            ended += 1
    return ended


def _sweep(cur, now: datetime, current: Limits) -> int:
    lapsed = sql.lapsed_sessions(cur, now - current.idle, now)
    for row in lapsed:
        reason = "lifetime" if now >= row["expires_at"] else "idle"
        if sql.revoke(cur, row["session_id"], now, reason):
            audit.append(
                cur,
                row["username"],
                "session_expire",
                "session",
                row["session_id"],
                after={"reason": reason, "user": row["username"], "last_seen_at": row["last_seen_at"]},
            )
    return len(lapsed)


def sweep(db: Database, *, now: datetime | None = None) -> int:
    """Record the end of every session whose idle time or lifetime ran out unseen (audited as expiries)."""
    now = now or utc_now()
    with db.transaction(records=False) as cur:
        return _sweep(cur, now, limits(db))


def administrator_token(db: Database, token: str | None, *, now: datetime | None = None) -> bool:
    """True when ``token`` is a live session of an active administrator (read only: no touch, no audit)."""
    if not token:
        return False
    row = sql.session_by_token(db, token_hash(token))
    return row is not None and _lapsed(row, now or utc_now(), limits(db)) is None and row["role"] == Role.ADMINISTRATOR


# -- tokens waiting for the browser's next request ----------------------------------------------------
# Kept in the database (any app server may receive that request), sealed with a key only the browser's device
# cookie gives: the database holds the device cookie's hash and the token XOR a key stream made from the cookie.


@dataclass(frozen=True)
class Pending:
    token: str
    session_id: int
    until: datetime


def _stream(device: str, length: int) -> bytes:
    return hashlib.shake_256(b"clinic pending session cookie\x00" + device.encode()).digest(length)


def _seal(device: str, token: str) -> str:
    data = token.encode()
    return bytes(a ^ b for a, b in zip(data, _stream(device, len(data)), strict=True)).hex()


def _unseal(device: str, sealed: str) -> str | None:
    try:
        data = bytes.fromhex(sealed)
        return bytes(a ^ b for a, b in zip(data, _stream(device, len(data)), strict=True)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def offer(db: Database, device: str | None, token: str, session_id: int, until: datetime) -> None:
    """Keep a new session's token for the browser holding the device cookie ``device``; the middleware
    sets it as that browser's session cookie on its next request (a reload, a new tab, a reconnect)."""
    if not device:
        return
    with db.transaction(records=False) as cur:
        sql.put_pending(cur, token_hash(device), session_id, _seal(device, token), until)


def pending_for(db: Database, device: str | None) -> Pending | None:
    if not device:
        return None
    row = sql.pending(db, token_hash(device))
    if row is None:
        return None
    token = _unseal(device, row["token_sealed"])
    if token is None or row["until"] <= utc_now():
        withdraw(db, device)
        return None
    return Pending(token, int(row["session_id"]), row["until"])


def delivered(db: Database, device: str | None, token: str | None) -> None:
    """The browser has presented the token: it holds the cookie, nothing waits any more."""
    if not device or not token:
        return
    found = pending_for(db, device)
    if found is not None and secrets.compare_digest(found.token, token):
        withdraw(db, device)


def withdraw(db: Database, device: str | None) -> None:
    if device:
        with db.transaction(records=False) as cur:
            sql.drop_pending(cur, token_hash(device))
