"""SQL for user accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .db import Database


def insert_user(cur, username: str, display_name: str, role: str, password_hash: str, at: datetime) -> int:
    return cur.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)"
        " RETURNING user_id",
        [username, display_name, role, password_hash, at],
    ).fetchone()[0]


def user_by_name(cur_or_db, username: str) -> dict[str, Any] | None:
    sql = "SELECT * FROM users WHERE lower(username) = lower(?)"
    if isinstance(cur_or_db, Database):
        return cur_or_db.row(sql, [username])
    result = cur_or_db.execute(sql, [username])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def update_user(
    cur, user_id: int, *, role: str | None = None, active: bool | None = None, password_hash: str | None = None
) -> None:
    """Change what is given; what is None stays as it is."""
    cur.execute(
        "UPDATE users SET role = coalesce(?, role), active = coalesce(?, active),"
        " password_hash = coalesce(?, password_hash), version = version + 1 WHERE user_id = ?",
        [role, active, password_hash, user_id],
    )


def list_users(db: Database) -> list[dict[str, Any]]:
    return db.rows(
        "SELECT user_id, username, display_name, role, active, email, created_at FROM users ORDER BY username"
    )


def set_email(cur, user_id: int, email: str | None) -> None:
    cur.execute("UPDATE users SET email = ?, version = version + 1 WHERE user_id = ?", [email, user_id])


def users_by_email(cur, email: str) -> list[dict[str, Any]]:
    """Accounts with this e-mail address (compared without case)."""
    result = cur.execute("SELECT * FROM users WHERE lower(email) = lower(?) ORDER BY user_id", [email])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def active_administrators(cur) -> int:
    return cur.execute("SELECT count(*) FROM users WHERE active AND role = 'administrator'").fetchone()[0]


def clinicians(db: Database) -> list[dict[str, Any]]:
    """Users who can be assigned a case."""
    return db.rows(
        "SELECT user_id, username, display_name FROM users"
        " WHERE active AND role IN ('clinician', 'administrator') ORDER BY display_name"
    )


def count_users(db: Database) -> int:
    return db.scalar("SELECT count(*) FROM users")


def user_row(cur, user_id: int) -> dict[str, Any] | None:
    result = cur.execute("SELECT * FROM users WHERE user_id = ?", [user_id])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def user_count(cur) -> int:
    return cur.execute("SELECT count(*) FROM users").fetchone()[0]
