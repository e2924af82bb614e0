"""Opening a clinic database and the clinic-wide facts every page shows.

Opening checks the file's health first (storage/db.py: the schema version is known, every table reads back);
a damaged file is refused with a message that names the last backup, where to find it and how to restore it.
Each backup made is remembered beside the database (``<file>.last-backup``), since a damaged file cannot be
asked where its backups went."""

from __future__ import annotations

import json
import os
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .. import config
from ..storage import db as storage_db
from ..storage import records as sql
from ..storage.db import Database, DatabaseDamaged, utc_now
from . import case_state
from .demo import build_demo


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    demo: bool
    path: str


def open_clinic(cfg: config.ClinicConfig | None = None, *, today: date | None = None) -> Database:
    """Open (and migrate) the configured database. The demo clinic is generated when absent or empty;
    a real clinic database is created empty. A damaged file is refused (``DatabaseDamaged``) with what
    to do, naming the last backup."""
    cfg = cfg or config.from_environment()
    db = open_database(cfg.db_path)
    if cfg.demo and sql.count_patients(db) == 0 and not db.scalar("SELECT count(*) FROM users"):
        build_demo(db, cases=config.DEMO_CASES, seed=config.DEMO_SEED, today=today)
    case_state.ensure_complete(db)  # a database from before the case state gets it built once
    db.limit_memory(config.SERVER_MEMORY)  # the app server's share of memory for DuckDB's cache of the file
    return db


def open_database(path: str | Path) -> Database:
    """The clinic database at ``path`` (a DuckDB file, or a ``postgresql://`` URL: storage.db.open_database),
    with a damaged file's refusal completed by what to do about it."""
    try:
        return storage_db.open_database(path)
    except DatabaseDamaged as exc:
        if storage_db.is_postgres_url(path):
            raise
        raise DatabaseDamaged(f"{exc}\n{damage_advice(Path(path))}") from exc


def clinic_info(db: Database) -> ClinicInfo:
    demo = (sql.get_setting(db, "is_demo") or "") == "true"
    name = sql.get_setting(db, "clinic_name") or "Hamstring tendinopathy clinic"
    return ClinicInfo(name=name, demo=demo, path=str(db.path))


# -- backups, remembered beside the database -------------------------------------------------------------------


def _record_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".last-backup")


def remember_backup(db_path: Path, backup: Path, sha256: str) -> None:
    """Note the newest backup beside the database (best effort: the backup itself is already safe)."""
    record = _record_file(Path(db_path))
    partial = record.with_name(record.name + ".part")
    with suppress(OSError):
        partial.write_text(
            json.dumps({"path": str(Path(backup).resolve()), "made_at": utc_now().isoformat(), "sha256": sha256})
        )
        os.replace(partial, record)


def last_backup(db_path: Path) -> tuple[Path, datetime | None] | None:
    """The newest backup known for this database: the one remembered beside it, else the newest
    clinic-*.duckdb in the usual folders (beside the database, or data/backups)."""
    db_path = Path(db_path)
    with suppress(OSError, ValueError, KeyError, TypeError):
        noted = json.loads(_record_file(db_path).read_text())
        if Path(noted["path"]).exists():
            return Path(noted["path"]), datetime.fromisoformat(noted["made_at"])
    found: list[Path] = []
    for folder in (db_path.parent / "backups", db_path.parent, config.DATA_DIR / "backups"):
        with suppress(OSError):
            found += [p for p in folder.glob("clinic-*.duckdb") if p.resolve() != db_path.resolve()]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    return newest, None


def damage_advice(db_path: Path) -> str:
    """What to do about a damaged database file: which backup to restore, and how."""
    backup = last_backup(db_path)
    restored = db_path.with_name(db_path.stem + "-restored" + db_path.suffix)
    if backup is None:
        return (
            f"No backup of it was found (none recorded beside it, none in {db_path.parent / 'backups'} or "
            f"{config.DATA_DIR / 'backups'}). Keep the damaged file as it is and find the clinic's latest backup copy."
        )
    path, made = backup
    when = f", made {made:%Y-%m-%d %H:%M} UTC" if made else ""
    return (
        f"The last backup is {path}{when}. Leave the damaged file as it is, restore the backup into a new file "
        f"and serve that: python -m dashboard restore --backup {path} --db {restored}, then "
        f"CLINIC_DB={restored} make run. Anything recorded after the backup was made must be entered again."
    )
