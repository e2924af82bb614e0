"""Administrator operations: backup and restore, a patient's whole record for an access request, and
anonymisation of a discharged patient on request. All audited."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import shutil
import zipfile
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..domain.model import FieldProblems, NotDone, User, label_of
from ..storage import audit, patient_data
from ..storage import case_state as state_sql
from ..storage import handouts as handout_sql
from ..storage import records as sql
from ..storage import users as user_sql
from ..storage.db import Database, DatabaseError, utc_now
from . import audit_words, case_state
from .auth import Permission, can, require
from .clinic import remember_backup
from .exports import csv_bytes
from .records import NotFound, RecordLocked


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(db: Database, actor: User, out_dir: Path) -> Path:
    """A consistent copy of the database in ``out_dir`` with a .sha256 beside it, audited once it is made.
    A failure (a full disk, a folder that cannot be written) leaves nothing behind, is audited as a failed
    attempt, and raises ``NotDone`` saying so."""
    require(actor, Permission.BACKUP)
    out_dir = Path(out_dir)
    target = out_dir / f"clinic-{utc_now():%Y%m%d-%H%M%S-%f}{db.backup_suffix}"
    checksum = target.parent / (target.name + ".sha256")
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{out_dir} is a file, not a folder")
        out_dir.mkdir(parents=True, exist_ok=True)
        db.snapshot_to(target)  # removes its own partial copy if it fails
        digest = _sha256(target)
        partial = checksum.with_name(checksum.name + ".part")
        try:
            partial.write_text(f"{digest}  {target.name}\n")
            partial.replace(checksum)
        finally:
            partial.unlink(missing_ok=True)
    except (OSError, DatabaseError) as exc:  # a full disk, a folder that cannot be written, an import running
        for leftover in (target, checksum):
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc)
        # the attempt is recorded if the database can still be written
        with suppress(Exception), db.transaction() as cur:
            audit.append(
                cur,
                actor.username,
                "backup_failed",
                "database",
                None,
                after={"folder": str(out_dir), "error": reason},
            )
        raise NotDone(
            f"The backup was not made: {reason} ({out_dir}). Nothing was left in that folder; the clinic database "
            "is unchanged and still in use. Free some space or choose another folder, then back up again."
        ) from exc
    with db.transaction() as cur:
        audit.append(cur, actor.username, "backup", "database", None, after={"file": str(target), "sha256": digest})
    if db.engine == "duckdb":  # noted beside the file; PostgreSQL has no file to note it beside
        remember_backup(db.path, target, digest)
    return target


def restore(backup_file: Path, target: Path, actor: User) -> Path:
    """Restore a backup into a new database file (never over the one in use): check its checksum, copy
    it, open it (which upgrades an older schema) and record the restore in the restored file."""
    require(actor, Permission.BACKUP)
    backup_file, target = Path(backup_file), Path(target)
    if not backup_file.exists():
        raise FieldProblems({"backup": f"No backup file {backup_file}."})
    if backup_file.suffix == ".pgdump":
        raise FieldProblems(
            {
                "backup": f"{backup_file} is a PostgreSQL backup (pg_dump): restore it into a new, empty PostgreSQL "
                f"database with pg_restore --no-owner --dbname=postgresql://USER@HOST/NEWDB {backup_file}, then "
                "point CLINIC_DB at that database."
            }
        )
    if target.exists():
        raise FieldProblems({"target": f"{target} already exists: restore into a new file."})
    checksum = backup_file.parent / (backup_file.name + ".sha256")
    if checksum.exists() and checksum.read_text().split()[0] != _sha256(backup_file):
        raise FieldProblems({"backup": "The backup file does not match its checksum: it is damaged."})
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup_file, partial)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise NotDone(
            f"Nothing was restored: {exc.strerror or exc} while copying into {target.parent}. "
            "The backup and the clinic database are unchanged."
        ) from exc
    try:
        restored = Database(target)
    except DatabaseError as exc:
        target.unlink(missing_ok=True)
        raise FieldProblems({"backup": f"{backup_file} is not a usable clinic database backup: {exc}"}) from exc
    case_state.ensure_complete(restored)  # a backup from before the case state
    with restored.transaction() as cur:
        audit.append(cur, actor.username, "restore", "database", None, after={"from": str(backup_file)})
    restored.close()
    return target


def _jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return value


def export_patient(db: Database, actor: User, patient_id: int) -> bytes:
    """A ZIP with the patient's whole record (record.json) and every handout issued to them."""
    require(actor, Permission.PATIENT_DATA)
    record = patient_data.patient_record(db, patient_id)
    if not record["patient"]:
        raise NotFound("No such patient.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        clean = {k: [{c: _jsonable(v) for c, v in row.items()} for row in rows] for k, rows in record.items()}
        archive.writestr("record.json", json.dumps(clean, ensure_ascii=False, indent=2))
        for handout in record["handouts_issued"]:
            path = Path(handout["archive_path"])
            if path.exists():
                archive.write(path, f"handouts/{path.name}")
    with db.transaction() as cur:
        audit.append(
            cur,
            actor.username,
            "export",
            "patient",
            patient_id,
            after={"tables": {k: len(v) for k, v in record.items()}},
        )
    return buffer.getvalue()


def anonymise_patient(db: Database, actor: User, patient_id: int, reason: str) -> dict[str, int]:
    """Remove what identifies a patient whose episodes are all closed: the patient row, every narrative text
    of their records, their identifiers wherever else they were written (other text of their records, every
    audit value, the request itself); delete their archived handouts; then rewrite the database file so no
    old copy survives in its free space. The clinical record stays, without the person."""
    require(actor, Permission.PATIENT_DATA)
    if not (reason or "").strip():
        raise FieldProblems({"reason": "Record the request (who asked and when)."})
    with db.transaction() as cur:
        person = sql.patient_row(cur, patient_id)
        if person is None:
            raise NotFound("No such patient.")
        if person["anonymised_at"] is not None:
            finishing = True  # done before; only the file's rewrite may be left to do (see below)
        elif sql.open_episode_count(cur, patient_id):
            raise RecordLocked("Only a discharged patient can be anonymised: close every open episode first.")
        else:
            finishing = False
        paths = handout_sql.archive_paths_for_patient(cur, patient_id)
        if finishing:
            counts = {"handout files deleted": len(paths)}
            audit.append(cur, actor.username, "anonymise_file", "patient", patient_id, after={"file": "rewritten"})
        else:
            counts = {f"{t} rows": n for t, n in patient_data.anonymise(cur, patient_id, utc_now()).items()}
            counts["audit rows redacted"] = patient_data.redact_audit(cur, patient_id, person)
            counts["handout files deleted"] = len(paths)
            request = patient_data.redact_text(reason.strip(), patient_data.identifiers(person))
            audit.append(cur, actor.username, "anonymise", "patient", patient_id, after={"reason": request, **counts})
            case_state.refresh(cur, state_sql.episodes_of_patient(cur, patient_id))  # the birth date changed
    for path in paths:
        Path(path).unlink(missing_ok=True)
    try:
        db.rewrite_file(tables=[*patient_data.PATIENT_ROWS, "audit_log"])
    except Exception as exc:
        raise NotDone(
            f"The patient is anonymised in the record and the audit trail, and their handout files are deleted; "
            f"but the database file could not be rewritten ({exc}), so old copies of their details may remain "
            "in its free space. Free some disk space, then anonymise the patient again: for a patient already "
            "anonymised that only rewrites the file."
        ) from exc
    return counts


# The stored values of each entry, after the words (the export keeps them; the page shows the words).
AUDIT_STORED = {
    "audit_id": "Entry",
    "username": "Username",
    "action": "Action (stored)",
    "entity": "Record (stored)",
    "entity_id": "Record number",
    "before_json": "Before (stored)",
    "after_json": "After (stored)",
}


def audit_trail(db: Database, actor: User, **filters) -> pd.DataFrame:
    """The entries matching the filters, newest first, in words (When, Who, What, Patient, Details; the patient's
    name only for a user allowed to see patients), then their stored values (AUDIT_STORED)."""
    require(actor, Permission.AUDIT)
    found = audit.search(db, **filters)
    names = {row["username"]: row["display_name"] for row in user_sql.list_users(db)}
    words = audit_words.in_words(found, show_patients=can(actor, Permission.VIEW), names=names)
    return pd.concat([words, found[list(AUDIT_STORED)].rename(columns=AUDIT_STORED)], axis=1)


def audit_choices(db: Database, actor: User) -> dict[str, dict[str, str]]:
    """What the audit trail can be filtered by, each value with its words: users (username -> name), records
    and actions."""
    require(actor, Permission.AUDIT)
    names = {row["username"]: row["display_name"] for row in user_sql.list_users(db)}
    people = audit.distinct_values(db, "username")
    return {
        "username": {u: names.get(u) or audit_words.NOT_PEOPLE.get(u, u) for u in people},
        "entity": {e: audit_words.entity_words(e) for e in audit.distinct_values(db, "entity")},
        "action": {a: label_of(a) for a in audit.distinct_values(db, "action")},
    }


def export_audit(db: Database, actor: User, **filters) -> bytes:
    frame = audit_trail(db, actor, limit=1_000_000, **filters)
    with db.transaction() as cur:
        audit.append(
            cur,
            actor.username,
            "export",
            "audit_log",
            None,
            after={"rows": len(frame), "filters": {k: str(v) for k, v in filters.items()}},
        )
    return csv_bytes(frame)


CLINIC_DETAILS = {
    "clinic_name": "Clinic name",
    "clinic_phone": "Clinic phone",
    "clinic_address": "Clinic address",
    "clinic_url": "Web address for the handout QR code",
}


def clinic_details(db: Database, actor: User) -> dict[str, str]:
    require(actor, Permission.VIEW)
    stored = sql.settings(db)
    return {key: stored.get(key, "") for key in CLINIC_DETAILS}


def check_clinic_details(values: dict[str, str]) -> dict[str, str]:
    """The clinic's details as they would be saved, or FieldProblems (the setup screen checks them before it
    creates the first administrator, so nothing is half set up)."""
    from ..domain.validation import Checker

    check = Checker(values)
    check.text("clinic_name", "Clinic name", required=True, max_len=80)
    phone = check.text("clinic_phone", "Clinic phone", max_len=24)
    if phone and not all(ch.isdigit() or ch in " +()-./" for ch in phone):
        check.problem("clinic_phone", "Phone may contain digits, spaces, + ( ) - . / only.")
    check.text("clinic_address", "Clinic address", max_len=300, multiline=True)
    url = check.text("clinic_url", "Web address", max_len=200)
    if url and not url.startswith("https://"):
        check.problem("clinic_url", "The web address must start with https://")
    if check.problems:
        raise FieldProblems(check.problems)
    return check.clean


def set_clinic_details(db: Database, actor: User, values: dict[str, str]) -> None:
    """The clinic's name, phone and web address as printed on handouts. Audited."""
    require(actor, Permission.SETTINGS)
    clean = check_clinic_details(values)
    with db.transaction() as cur:
        at = utc_now()
        for key in [k for k in CLINIC_DETAILS if k in values]:  # only what was given changes
            before = sql.set_setting(cur, key, clean.get(key) or "", at, actor.username)
            if (before or "") != (clean.get(key) or ""):
                audit.append(
                    cur,
                    actor.username,
                    "update",
                    "clinic_setting",
                    key,
                    before={"value": before},
                    after={"value": clean.get(key)},
                )
