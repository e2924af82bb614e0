"""Opening a clinic database and the clinic-wide facts every page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import config
from ..storage import records as sql
from ..storage.db import Database
from .demo import build_demo


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    demo: bool
    path: str


def open_clinic(cfg: config.ClinicConfig | None = None, *, today: date | None = None) -> Database:
    """Open (and migrate) the configured database. The demo clinic is generated when absent or empty;
    a real clinic database is created empty."""
    cfg = cfg or config.from_environment()
    db = Database(cfg.db_path)
    if cfg.demo and sql.count_patients(db) == 0 and not db.scalar("SELECT count(*) FROM users"):
        build_demo(db, cases=config.DEMO_CASES, seed=config.DEMO_SEED, today=today)
    return db


def clinic_info(db: Database) -> ClinicInfo:
    demo = (sql.get_setting(db, "is_demo") or "") == "true"
    name = sql.get_setting(db, "clinic_name") or "Hamstring tendinopathy clinic"
    return ClinicInfo(name=name, demo=demo, path=str(db.path))
