"""What a person has typed into a form and not saved yet, kept on the server per user, form and record, so
that a reload, a dropped connection or a laptop waking from sleep loses nothing. Saving or discarding the
form clears it. Values keep their type (dates, numbers, lists) through JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..domain.model import User
from ..storage import sessions as sql
from ..storage.db import Database, utc_now
from .auth import Permission, require

FORMS = ("assessment", "imaging", "episode")
MAX_BYTES = 200_000  # a form's worth of typing; anything larger is not kept


@dataclass(frozen=True)
class Unsaved:
    values: dict[str, Any]
    saved_at: datetime  # UTC


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode(values: dict[str, Any]) -> str:
    return json.dumps({k: _encode(v) for k, v in sorted(values.items())}, ensure_ascii=False, sort_keys=True)


def _check(form: str, record_key: str) -> None:
    if form not in FORMS or not record_key or len(record_key) > 64:
        raise ValueError(f"unknown form or record: {form} {record_key}")


def keep(db: Database, actor: User, form: str, record_key: str, values: dict[str, Any]) -> bool:
    """Store the form's current input (replacing what was kept before). False if it was too large to keep."""
    require(actor, Permission.EDIT)
    _check(form, record_key)
    text = encode(values)
    if len(text.encode("utf-8")) > MAX_BYTES:
        return False
    with db.transaction(records=False) as cur:
        sql.keep_unsaved(cur, actor.user_id, form, record_key, text, utc_now())
    return True


def restore(db: Database, actor: User, form: str, record_key: str) -> Unsaved | None:
    require(actor, Permission.EDIT)
    _check(form, record_key)
    row = sql.unsaved(db, actor.user_id, form, record_key)
    if row is None:
        return None
    try:
        values = {k: _decode(v) for k, v in json.loads(row["values_json"]).items()}
    except (ValueError, TypeError):
        return None
    return Unsaved(values, row["saved_at"])


def discard(db: Database, actor: User, form: str, record_key: str) -> None:
    """Forget the kept input: the form was saved, or the person threw their changes away."""
    require(actor, Permission.VIEW)
    _check(form, record_key)
    with db.transaction(records=False) as cur:
        sql.drop_unsaved(cur, actor.user_id, form, record_key)


def discard_in(cur: Any, actor: User, form: str, record_key: str) -> None:
    """Forget the kept input inside the transaction that saves the form: saved and forgotten together, or
    neither (and one write, not two, where several clinicians save at once)."""
    _check(form, record_key)
    sql.drop_unsaved(cur, actor.user_id, form, record_key)
