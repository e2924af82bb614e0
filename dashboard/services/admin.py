"""Administrator operations: backup and restore, a patient's whole record for an access request, and
anonymisation of a discharged patient on request. All audited."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..domain.model import FieldProblems, User
from ..storage import audit, patient_data
from ..storage import handouts as handout_sql
from ..storage import records as sql
from ..storage.db import Database, DatabaseError, utc_now
from .auth import Permission, require
from .records import NotFound, RecordLocked


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(db: Database, actor: User, out_dir: Path) -> Path:
    """A consistent copy of the database in ``out_dir`` with a .sha256 beside it."""
    require(actor, Permission.BACKUP)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"clinic-{utc_now():%Y%m%d-%H%M%S-%f}.duckdb"
    with db.transaction() as cur:  # recorded first, so the backup contains its own audit row
        audit.append(cur, actor.username, "backup", "database", None, after={"file": str(target)})
    db.snapshot_to(target)
    (target.parent / (target.name + ".sha256")).write_text(f"{_sha256(target)}  {target.name}\n")
    return target


def restore(backup_file: Path, target: Path, actor: User) -> Path:
    """Restore a backup into a new database file (never over the one in use): check its checksum, copy
    it, open it (which upgrades an older schema) and record the restore in the restored file."""
    require(actor, Permission.BACKUP)
    backup_file, target = Path(backup_file), Path(target)
    if not backup_file.exists():
        raise FieldProblems({"backup": f"No backup file {backup_file}."})
    if target.exists():
        raise FieldProblems({"target": f"{target} already exists: restore into a new file."})
    checksum = backup_file.parent / (backup_file.name + ".sha256")
    if checksum.exists() and checksum.read_text().split()[0] != _sha256(backup_file):
        raise FieldProblems({"backup": "The backup file does not match its checksum: it is damaged."})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(backup_file.read_bytes())
    try:
        restored = Database(target)
    except DatabaseError as exc:
        target.unlink(missing_ok=True)
        raise FieldProblems({"backup": f"{backup_file} is not a clinic database backup."}) from exc
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
    """Remove what identifies a patient whose episodes are all closed; delete their archived handouts."""
    require(actor, Permission.PATIENT_DATA)
    if not (reason or "").strip():
        raise FieldProblems({"reason": "Record the request (who asked and when)."})
    with db.transaction() as cur:
        person = sql.patient_row(cur, patient_id)
        if person is None:
            raise NotFound("No such patient.")
        if person["anonymised_at"] is not None:
            raise RecordLocked("This patient is already anonymised.")
        if sql.open_episode_count(cur, patient_id):
            raise RecordLocked("Only a discharged patient can be anonymised: close every open episode first.")
        paths = handout_sql.archive_paths_for_patient(cur, patient_id)
        counts = patient_data.anonymise(cur, patient_id, utc_now())
        counts["audit rows redacted"] = patient_data.redact_audit(cur, patient_id)
        counts["handout files deleted"] = len(paths)
        audit.append(
            cur, actor.username, "anonymise", "patient", patient_id, after={"reason": reason.strip(), **counts}
        )
    for path in paths:
        Path(path).unlink(missing_ok=True)
    return counts


def audit_trail(db: Database, actor: User, **filters) -> pd.DataFrame:
    require(actor, Permission.AUDIT)
    return audit.search(db, **filters)


def audit_choices(db: Database, actor: User) -> dict[str, list[str]]:
    require(actor, Permission.AUDIT)
    return {c: audit.distinct_values(db, c) for c in ("username", "entity", "action")}


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
    return frame.to_csv(index=False).encode("utf-8-sig")


CLINIC_DETAILS = {
    "clinic_name": "Clinic name",
    "clinic_phone": "Clinic phone",
    "clinic_url": "Web address for the handout QR code",
}


def clinic_details(db: Database, actor: User) -> dict[str, str]:
    require(actor, Permission.VIEW)
    stored = sql.settings(db)
    return {key: stored.get(key, "") for key in CLINIC_DETAILS}


def set_clinic_details(db: Database, actor: User, values: dict[str, str]) -> None:
    """The clinic's name, phone and web address as printed on handouts. Audited."""
    require(actor, Permission.SETTINGS)
    from ..domain.validation import Checker

    check = Checker(values)
    check.text("clinic_name", "Clinic name", required=True, max_len=80)
    phone = check.text("clinic_phone", "Clinic phone", max_len=24)
    if phone and not all(ch.isdigit() or ch in " +()-./" for ch in phone):
        check.problem("clinic_phone", "Phone may contain digits, spaces, + ( ) - . / only.")
    url = check.text("clinic_url", "Web address", max_len=200)
    if url and not url.startswith("https://"):
        check.problem("clinic_url", "The web address must start with https://")
    if check.problems:
        raise FieldProblems(check.problems)
    with db.transaction() as cur:
        at = utc_now()
        for key in CLINIC_DETAILS:
            before = sql.set_setting(cur, key, check.clean.get(key) or "", at, actor.username)
            if (before or "") != (check.clean.get(key) or ""):
                audit.append(
                    cur,
                    actor.username,
                    "update",
                    "clinic_setting",
                    key,
                    before={"value": before},
                    after={"value": check.clean.get(key)},
                )
