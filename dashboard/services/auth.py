"""Accounts, sign-in and what each role may do. Every service checks ``require`` before acting,
whatever page or command called it."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..domain.model import FieldProblems, Role, User
from ..storage import audit
from ..storage import sessions as session_sql
from ..storage import users as user_sql
from ..storage.db import Database, utc_now
from .passwords import hash_password, needs_rehash, verify_password


class Permission(StrEnum):
    VIEW = "view records"
    EDIT = "record and change clinical records"
    ISSUE_HANDOUT = "issue handouts"
    MANAGE_USERS = "manage users"
    IMPORT = "import patients"
    SETTINGS = "change clinic settings and rule thresholds"
    AUDIT = "read the audit trail"
    BACKUP = "back up and restore"
    PATIENT_DATA = "export or anonymise a patient's record"
    REASSIGN_DRAFT = "reassign another clinician's unsigned draft"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READ_ONLY: frozenset({Permission.VIEW}),
    Role.CLINICIAN: frozenset({Permission.VIEW, Permission.EDIT, Permission.ISSUE_HANDOUT}),
    Role.ADMINISTRATOR: frozenset(Permission),
}


class NotAllowed(PermissionError):
    """The signed-in user's role does not allow this."""


def can(actor: User | None, permission: Permission) -> bool:
    return actor is not None and permission in ROLE_PERMISSIONS.get(Role(actor.role), frozenset())


def require(actor: User | None, permission: Permission) -> None:
    """Refuse unless ``actor`` may do this. A user signed in through a session is read again from the
    database first (``User.recheck``): a disabled, demoted or signed-out user is refused or limited at once."""
    if actor is None:
        raise NotAllowed("Please sign in first.")
    if actor.recheck is not None:
        actor = actor.recheck(reading=permission == Permission.VIEW)
    if not can(actor, permission):
        raise NotAllowed(f"Your role ({Role(actor.role).value.replace('_', ' ')}) may not {permission.value}.")


# -- passwords (argon2id; the parameters live in services/passwords.py) -------------------------

MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_USERNAME = 64  # longer input is refused before anything is stored
MAX_EMAIL = 254
# zxcvbn (its own lists of common passwords, words, names and keyboard patterns) scores 0-4; 3 means
# "safely unguessable" against a throttled online attack and a slow offline one.
MIN_STRENGTH = 3
_CONTEXT_WORDS = ["hamstring", "tendinopathy", "clinic", "physio", "physiotherapy", "dashboard", "password"]

_DUMMY_HASH = hash_password("not-a-real-password")


def password_problem(password: str, *, username: str = "", display_name: str = "") -> str | None:
    """Why a new password is refused, or None. Common and trivial passwords, and the username, are refused."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return f"Password must be at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Password must be at most {MAX_PASSWORD} characters."
    name = (username or "").strip().lower()
    if name and name in password.lower():
        return "The password must not contain the username."
    from zxcvbn import zxcvbn

    personal = [w for w in [name, *(display_name or "").lower().split()] if w]
    result = zxcvbn(password[:100], user_inputs=personal + _CONTEXT_WORDS)
    if result["score"] < MIN_STRENGTH:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
        return (
            "This password is too easy to guess"
            + (f" ({hint.rstrip('.')})" if hint else "")
            + (". A few unrelated words make a strong one.")
        )
    return None


# -- sign-in and its throttling -------------------------------------------------------------------
# Failures are counted per typed username (whether or not the account exists, so the answers do not tell
# which names exist) and per address. Past the free attempts each key is delayed, 30 s doubling to 15 min;
# attempts during a delay are refused unchecked and not counted, so an attacker cannot stretch it. A browser
# that has signed in to the account before (its device cookie) is never delayed: an attacker can slow
# guessing but cannot lock a member of staff out. An administrator can lift a delay (Users page).

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # failures older than this (with no delay running) are forgotten
WRONG = "Username or password is not right."
DELAYED = "Too many sign-in attempts. Wait {wait} seconds, then try again."


class SignInRefused(Exception):
    pass


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from: the address and the browser's device cookie (both may be unknown)."""

    address: str | None = None
    device: str | None = None

    @property
    def address_key(self) -> str:
        return "address:" + (self.address or "unknown")[:64]

    @property
    def device_hash(self) -> str | None:
        return hashlib.sha256(self.device.encode("utf-8")).hexdigest() if self.device else None


def _delay_left(cur, key: str, now: datetime) -> int:
    row = session_sql.throttle(cur, key)
    if row is None or row["blocked_until"] is None or row["blocked_until"] <= now:
        return 0
    return int((row["blocked_until"] - now).total_seconds()) + 1


def _count_failure(cur, key: str, free: int, now: datetime) -> datetime | None:
    row = session_sql.throttle(cur, key)
    failures = 1
    if row is not None and now - row["last_failure_at"] < FORGET_AFTER:
        failures = row["failures"] + 1
    blocked = None
    if failures > free:
        blocked = now + min(FIRST_DELAY * (2 ** min(failures - free - 1, 16)), MAX_DELAY)
    session_sql.set_throttle(cur, key, failures, now, blocked)
    return blocked


def _client_delay(cur, client: Client, name_key: str | None, now: datetime) -> int:
    keys = [client.address_key] + ([name_key] if name_key else [])
    return max(_delay_left(cur, key, now) for key in keys)


def sign_in(
    db: Database, username: str, password: str, now: datetime | None = None, *, client: Client | None = None
) -> User:
    """Check a username and password. Failures are counted, may delay further attempts and are audited;
    those writes are committed before the refusal is raised. The refusal never tells whether the name exists."""
    now = now or utc_now()
    client = client or Client()
    typed = (username or "").strip()
    password = password or ""
    refusal = None
    row = None
    with db.transaction() as cur:
        if len(typed) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            _count_failure(cur, client.address_key, ADDRESS_FREE, now)
            audit.append(cur, "(too long)", "sign_in_failed", "user", None, after={"reason": "input too long"})
            refusal = WRONG
        else:
            name_key = "account:" + typed.lower()
            row = user_sql.user_by_name(cur, typed) if typed else None
            device = client.device_hash
            known = bool(row and device and session_sql.device_known(cur, row["user_id"], device))
            wait = 0 if known else _client_delay(cur, client, name_key, now)
            if wait:
                audit.append(cur, typed or "(blank)", "sign_in_delayed", "user", row["user_id"] if row else None)
                refusal = DELAYED.format(wait=wait)
            elif row is None or not row["active"] or not verify_password(password, row["password_hash"]):
                if row is None or not row["active"]:
                    verify_password(password, _DUMMY_HASH)  # the same cost whether or not the name exists
                blocked = [_count_failure(cur, name_key, ACCOUNT_FREE, now)]
                blocked.append(_count_failure(cur, client.address_key, ADDRESS_FREE, now))
                audit.append(
                    cur,
                    typed or "(blank)",
                    "sign_in_failed",
                    "user",
                    row["user_id"] if row else None,
                    after={"reason": "wrong username or password"},
                )
                refusal = WRONG
                ends = [b for b in blocked if b is not None]
                if ends:
                    refusal += " " + DELAYED.format(wait=int((max(ends) - now).total_seconds()))
            else:
                session_sql.clear_throttle(cur, name_key)
                if needs_rehash(row["password_hash"]):  # an older scheme or weaker parameters: upgrade it now
                    user_sql.update_user(cur, row["user_id"], password_hash=hash_password(password))
                    audit.append(cur, row["username"], "rehash_password", "user", row["user_id"])
                if device:
                    session_sql.remember_device(cur, row["user_id"], device, now)
                audit.append(cur, row["username"], "sign_in", "user", row["user_id"], after={"method": "password"})
                row = dict(row)
    if refusal:
        raise SignInRefused(refusal)
    assert row is not None  # every other path sets ``refusal`` above
    return User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))


class UnknownIdentity(SignInRefused):
    """A single sign-on identity that matches no active account of this clinic."""


class LoginAlreadyUsed(SignInRefused):
    """The identity provider's sign-in already opened a session here that has since ended."""


def sso_login_id(identity: dict[str, Any]) -> str:
    """One identity provider sign-in: issuer, subject and the time it was issued."""
    parts = [str(identity.get(k, "")) for k in ("iss", "sub", "iat")]
    return "|".join(parts)[:512]


def sign_in_sso(
    db: Database, identity: dict[str, Any], *, client: Client | None = None, now: datetime | None = None
) -> User:
    """A person the clinic's OpenID Connect provider vouches for: matched to one active account by e-mail.
    Unknown identities are refused and audited. One provider sign-in opens at most one session."""
    now = now or utc_now()
    client = client or Client()
    email = str(identity.get("email") or "").strip()[:MAX_EMAIL]
    login = sso_login_id(identity)
    refusal: SignInRefused | None = None
    with db.transaction() as cur:
        found = user_sql.users_by_email(cur, email) if email and identity.get("email_verified") is not False else []
        if session_sql.sso_login_used(cur, login):
            refusal = LoginAlreadyUsed("Sign in again.")
        elif len(found) != 1 or not found[0]["active"]:
            audit.append(
                cur,
                email or "(no e-mail)",
                "sign_in_failed",
                "user",
                None,
                after={"reason": "unknown identity", "method": "sso", "subject": str(identity.get("sub", ""))[:200]},
            )
            refusal = UnknownIdentity(
                f"The account {email or '(no e-mail given)'} is not a user of this clinic. "
                "An administrator can add your e-mail address to your account on the Users page."
            )
        else:
            row = found[0]
            if client.device_hash:
                session_sql.remember_device(cur, row["user_id"], client.device_hash, now)
            audit.append(cur, row["username"], "sign_in", "user", row["user_id"], after={"method": "sso"})
    if refusal is not None:
        raise refusal
    return User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))


# -- accounts ----------------------------------------------------------------------------------------

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _check_email(email: str | None) -> tuple[str | None, str | None]:
    """(clean e-mail or None, problem or None)."""
    email = (email or "").strip()
    if not email:
        return None, None
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return None, "Give an e-mail address such as name@clinic.example (or leave it blank)."
    return email, None


def _check_new_user(username: str, display_name: str, role: str, password: str) -> dict[str, str]:
    problems = {}
    if not _USERNAME.match(username or ""):
        problems["username"] = "Username: 2 to 32 lower-case letters, digits, dot, dash or underscore."
    if not (display_name or "").strip():
        problems["display_name"] = "Full name is required."
    elif len(display_name.strip()) > 100:
        problems["display_name"] = "Full name: at most 100 characters."
    if role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    problem = password_problem(password, username=username, display_name=display_name)
    if problem:
        problems["password"] = problem
    return problems


def create_user(
    db: Database,
    actor: User | None,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    first_admin: bool = False,
    email: str | None = None,
) -> int:
    """Create an account. ``first_admin`` (the command line, or the setup screen once its one-time code is
    checked) is allowed only while the database has no users at all."""
    username = (username or "").strip().lower()
    problems = _check_new_user(username, display_name, role, password)
    clean_email, email_problem = _check_email(email)
    if email_problem:
        problems["email"] = email_problem
    if problems:
        raise FieldProblems(problems)
    with db.transaction() as cur:
        if first_admin:
            if user_sql.user_count(cur) > 0:
                raise NotAllowed("The clinic already has an administrator; sign in to add users.")
            if role != Role.ADMINISTRATOR:
                raise NotAllowed("The first account must be an administrator.")
            session_sql.delete_setup_codes(cur)
        else:
            require(actor, Permission.MANAGE_USERS)
        if user_sql.user_by_name(cur, username):
            raise FieldProblems({"username": f"The username {username} is taken."})
        if clean_email and user_sql.users_by_email(cur, clean_email):
            raise FieldProblems({"email": f"Another account already has the e-mail address {clean_email}."})
        user_id = user_sql.insert_user(cur, username, display_name.strip(), role, hash_password(password), utc_now())
        if clean_email:
            user_sql.set_email(cur, user_id, clean_email)
        audit.append(
            cur,
            actor.username if actor else username,
            "create",
            "user",
            user_id,
            after={"username": username, "display_name": display_name.strip(), "role": role, "email": clean_email},
        )
    return user_id


def _account(cur, user_id: int) -> dict[str, Any]:
    before = user_sql.user_row(cur, user_id)
    if before is None:
        raise FieldProblems({"user": "No such user."})
    return before


def _keep_administrator_access(cur, actor: User, before: dict[str, Any], role: str, active: bool) -> None:
    """Refuse a change that would leave the clinic without an active administrator, or lock out the actor."""
    removes_admin = (
        before["role"] == Role.ADMINISTRATOR and before["active"] and (role != Role.ADMINISTRATOR or not active)
    )
    if not removes_admin:
        return
    if before["user_id"] == actor.user_id:
        raise NotAllowed("You cannot remove your own administrator access; ask another administrator.")
    if user_sql.active_administrators(cur) <= 1:
        raise NotAllowed("This is the last active administrator: make someone else an administrator first.")


def set_role(db: Database, actor: User, user_id: int, role: str) -> None:
    """Change only the role of an account. Audited with before and after."""
    require(actor, Permission.MANAGE_USERS)
    if role not in {r.value for r in Role}:
        raise FieldProblems({"role": "Choose a role."})
    with db.transaction() as cur:
        before = _account(cur, user_id)
        if before["role"] == role:
            return
        _keep_administrator_access(cur, actor, before, role, before["active"])
        user_sql.update_user(cur, user_id, role=role)
        audit.append(
            cur, actor.username, "change_role", "user", user_id, before={"role": before["role"]}, after={"role": role}
        )


def set_active(db: Database, actor: User, user_id: int, active: bool) -> None:
    """Disable an account (its sessions end at once) or enable it again. Audited with before and after."""
    require(actor, Permission.MANAGE_USERS)
    from . import sessions

    with db.transaction() as cur:
        before = _account(cur, user_id)
        if bool(before["active"]) == bool(active):
            return
        _keep_administrator_access(cur, actor, before, before["role"], bool(active))
        user_sql.update_user(cur, user_id, active=bool(active))
        ended = 0
        if not active:
            ended = sessions.end_all_for_user(cur, user_id, "account_disabled", actor.username, utc_now())
        else:
            session_sql.clear_throttle(cur, "account:" + before["username"].lower())
        audit.append(
            cur,
            actor.username,
            "disable" if not active else "enable",
            "user",
            user_id,
            before={"active": before["active"]},
            after={"active": bool(active), "sessions_ended": ended},
        )


def reset_password(db: Database, actor: User, user_id: int, password: str) -> None:
    """Give an account a new password (its open sessions end; its sign-in delay is lifted). Role and state
    stay as they are. Audited (never the password)."""
    require(actor, Permission.MANAGE_USERS)
    from . import sessions

    with db.transaction() as cur:
        before = _account(cur, user_id)
        problem = password_problem(password, username=before["username"], display_name=before["display_name"])
        if problem:
            raise FieldProblems({"password": problem})
        user_sql.update_user(cur, user_id, password_hash=hash_password(password))
        session_sql.clear_throttle(cur, "account:" + before["username"].lower())
        ended = 0
        if user_id != actor.user_id:
            ended = sessions.end_all_for_user(cur, user_id, "password_reset", actor.username, utc_now())
        audit.append(
            cur,
            actor.username,
            "reset_password",
            "user",
            user_id,
            before={"role": before["role"], "active": before["active"]},
            after={
                "role": before["role"],
                "active": before["active"],
                "password_changed": True,
                "sessions_ended": ended,
            },
        )


def unlock(db: Database, actor: User, user_id: int) -> None:
    """Lift the sign-in delay on an account at once. Audited."""
    require(actor, Permission.MANAGE_USERS)
    with db.transaction() as cur:
        before = _account(cur, user_id)
        key = "account:" + before["username"].lower()
        delay = session_sql.throttle(cur, key)
        session_sql.clear_throttle(cur, key)
        audit.append(
            cur,
            actor.username,
            "unlock",
            "user",
            user_id,
            before={
                "failures": delay["failures"] if delay else 0,
                "delayed_until": delay["blocked_until"] if delay else None,
            },
            after={"failures": 0, "delayed_until": None},
        )


def set_email(db: Database, actor: User, user_id: int, email: str | None) -> None:
    """The e-mail address single sign-on matches this account by (blank: none). Audited."""
    require(actor, Permission.MANAGE_USERS)
    clean, problem = _check_email(email)
    if problem:
        raise FieldProblems({"email": problem})
    with db.transaction() as cur:
        before = _account(cur, user_id)
        if (before["email"] or None) == clean:
            return
        if clean and any(u["user_id"] != user_id for u in user_sql.users_by_email(cur, clean)):
            raise FieldProblems({"email": f"Another account already has the e-mail address {clean}."})
        user_sql.set_email(cur, user_id, clean)
        audit.append(
            cur,
            actor.username,
            "change_email",
            "user",
            user_id,
            before={"email": before["email"]},
            after={"email": clean},
        )


def list_users(db: Database, actor: User) -> list[dict]:
    """Every account with its open sessions and any sign-in delay in force."""
    require(actor, Permission.MANAGE_USERS)
    now = utc_now()
    sessions_open = session_sql.open_session_counts(db)
    delays = session_sql.account_delays(db)
    found = []
    for row in user_sql.list_users(db):
        delayed = delays.get(row["username"].lower())
        row["open_sessions"] = sessions_open.get(row["user_id"], 0)
        row["sign_in_delayed_until"] = delayed if delayed and delayed > now else None
        found.append(row)
    return found


def needs_first_admin(db: Database) -> bool:
    return user_sql.count_users(db) == 0


# -- the first administrator from the network: a one-time setup code ------------------------------------

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from a console and typed


def issue_setup_code(db: Database) -> str | None:
    """On an empty clinic database: a new one-time code (about 60 bits) for the setup screen, replacing any
    earlier one; the server prints it to its console. Only its hash is stored. None once users exist."""
    if not needs_first_admin(db):
        return None
    code = "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    with db.transaction() as cur:
        session_sql.replace_setup_code(cur, _code_hash(code), utc_now())
        audit.append(cur, "system", "issue", "setup_code", None)
    return code


def _code_hash(code: str) -> str:
    clean = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(clean.encode("ascii", "ignore")).hexdigest()


def setup_code_issued(db: Database) -> bool:
    return session_sql.setup_code_hash(db) is not None


def create_first_admin(
    db: Database,
    setup_code: str,
    username: str,
    display_name: str,
    password: str,
    *,
    client: Client | None = None,
    now: datetime | None = None,
) -> int:
    """The setup screen: the first administrator, only with the one-time code printed by the server.
    Wrong codes count against the address like failed sign-ins."""
    now = now or utc_now()
    client = client or Client()
    refusal = None
    with db.transaction() as cur:
        wait = _delay_left(cur, client.address_key, now)
        stored = session_sql.setup_code_hash(cur)
        if wait:
            refusal = DELAYED.format(wait=wait)
        elif stored is None or len(setup_code or "") > 64 or not hmac.compare_digest(stored, _code_hash(setup_code)):
            _count_failure(cur, client.address_key, ADDRESS_FREE, now)
            audit.append(cur, "(setup)", "setup_code_refused", "setup_code", None)
            refusal = (
                "That setup code is not right. Use the code printed in the server's console when it started."
                if stored
                else "No setup code has been issued: start the server with `python -m dashboard serve` and use the "
                "code it prints, or create the first administrator from the command line."
            )
    if refusal:
        raise FieldProblems({"setup_code": refusal})
    return create_user(db, None, username, display_name, Role.ADMINISTRATOR.value, password, first_admin=True)
