"""Accounts, sign-in and what each role may do. Every service checks ``require`` before acting,
whatever page or command called it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from ..domain.model import FieldProblems, Role, User
from ..storage import audit
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
    if actor is None:
        raise NotAllowed("Please sign in first.")
    if not can(actor, permission):
        raise NotAllowed(f"Your role ({Role(actor.role).value.replace('_', ' ')}) may not {permission.value}.")


# -- passwords (argon2id; the parameters live in services/passwords.py) -------------------------

MIN_PASSWORD = 10


_DUMMY_HASH = hash_password("not-a-real-password")

# Lock-out: after FREE_ATTEMPTS failures the account locks, for a period that doubles with each
# further failure (30 s, 1 min, 2 min ... up to 15 min).
FREE_ATTEMPTS = 3
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)


class SignInRefused(Exception):
    pass


def sign_in(db: Database, username: str, password: str, now: datetime | None = None) -> User:
    """Check the password. A failure is counted, may lock the account, and is audited: those writes are
    committed before the refusal is raised."""
    now = now or utc_now()
    username = (username or "").strip()
    refusal = None
    with db.transaction() as cur:
        row = user_sql.user_by_name(cur, username)
        if row is None or not row["active"]:
            verify_password(password or "", _DUMMY_HASH)  # same cost whether or not the name exists
            audit.append(
                cur, username or "(blank)", "sign_in_failed", "user", None, after={"reason": "unknown or inactive"}
            )
            refusal = "Username or password is not right."
        elif row["locked_until"] is not None and row["locked_until"] > now:
            wait = int((row["locked_until"] - now).total_seconds()) + 1
            audit.append(cur, row["username"], "sign_in_failed", "user", row["user_id"], after={"reason": "locked"})
            refusal = f"Too many failed attempts. Try again in {wait} seconds."
        elif not verify_password(password or "", row["password_hash"]):
            failures = row["failed_attempts"] + 1
            locked = None
            if failures >= FREE_ATTEMPTS:
                locked = now + min(FIRST_LOCK * (2 ** (failures - FREE_ATTEMPTS)), MAX_LOCK)
            user_sql.record_failure(cur, row["user_id"], locked)
            audit.append(
                cur, row["username"], "sign_in_failed", "user", row["user_id"], after={"failed_attempts": failures}
            )
            refusal = "Username or password is not right."
            if locked:
                refusal += f" After {failures} failed attempts the account is locked until {locked:%H:%M:%S} UTC."
        else:
            user_sql.record_success(cur, row["user_id"])
            if needs_rehash(row["password_hash"]):  # an older scheme or weaker parameters: upgrade it now
                user_sql.update_user(cur, row["user_id"], password_hash=hash_password(password))
                audit.append(cur, row["username"], "rehash_password", "user", row["user_id"])
            audit.append(cur, row["username"], "sign_in", "user", row["user_id"])
    if refusal:
        raise SignInRefused(refusal)
    assert row is not None  # an unknown user always sets ``refusal`` above
    return User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))


def sign_out(db: Database, actor: User) -> None:
    with db.transaction() as cur:
        audit.append(cur, actor.username, "sign_out", "user", actor.user_id)


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


def _check_new_user(username: str, display_name: str, role: str, password: str) -> dict[str, str]:
    problems = {}
    if not _USERNAME.match(username or ""):
        problems["username"] = "Username: 2 to 32 lower-case letters, digits, dot, dash or underscore."
    if not (display_name or "").strip():
        problems["display_name"] = "Full name is required."
    if role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    if len(password or "") < MIN_PASSWORD:
        problems["password"] = f"Password must be at least {MIN_PASSWORD} characters."
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
) -> int:
    """Create an account. ``first_admin`` is allowed only while the database has no users at all."""
    username = (username or "").strip().lower()
    problems = _check_new_user(username, display_name, role, password)
    if problems:
        raise FieldProblems(problems)
    with db.transaction() as cur:
        if first_admin:
            if user_sql.user_count(cur) > 0:
                raise NotAllowed("The clinic already has an administrator; sign in to add users.")
            if role != Role.ADMINISTRATOR:
                raise NotAllowed("The first account must be an administrator.")
        else:
            require(actor, Permission.MANAGE_USERS)
        if user_sql.user_by_name(cur, username):
            raise FieldProblems({"username": f"The username {username} is taken."})
        user_id = user_sql.insert_user(cur, username, display_name.strip(), role, hash_password(password), utc_now())
        audit.append(
            cur,
            actor.username if actor else username,
            "create",
            "user",
            user_id,
            after={"username": username, "display_name": display_name.strip(), "role": role},
        )
    return user_id


def change_user(
    db: Database,
    actor: User,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> None:
    require(actor, Permission.MANAGE_USERS)
    if password is not None and len(password) < MIN_PASSWORD:
        raise FieldProblems({"password": f"Password must be at least {MIN_PASSWORD} characters."})
    if role is not None and role not in {r.value for r in Role}:
        raise FieldProblems({"role": "Choose a role."})
    with db.transaction() as cur:
        before = user_sql.user_row(cur, user_id)
        if before is None:
            raise FieldProblems({"user": "No such user."})
        if user_id == actor.user_id and (active is False or (role and role != Role.ADMINISTRATOR)):
            raise NotAllowed("You cannot remove your own administrator access.")
        user_sql.update_user(
            cur, user_id, role=role, active=active, password_hash=hash_password(password) if password else None
        )
        if active:
            user_sql.record_success(cur, user_id)  # re-enabling also unlocks
        audit.append(
            cur,
            actor.username,
            "update",
            "user",
            user_id,
            before={"role": before["role"], "active": before["active"]},
            after={
                "role": role or before["role"],
                "active": before["active"] if active is None else active,
                "password_changed": bool(password),
            },
        )


def list_users(db: Database, actor: User) -> list[dict]:
    require(actor, Permission.MANAGE_USERS)
    return user_sql.list_users(db)


def needs_first_admin(db: Database) -> bool:
    return user_sql.count_users(db) == 0
