"""Where things are. Read from the environment once; no Streamlit here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
REPORTS_DIR = Path(os.environ.get("CLINIC_REPORTS_DIR", ROOT / "reports"))
DEMO_DB = DATA_DIR / "demo.duckdb"
DEMO_CASES = 150
DEMO_SEED = 1
# How much memory DuckDB may keep for the app server (its cache of the file and each query's work): the server
# stays small whatever the clinic's size; rebuilding every case state lifts it while it runs.
SERVER_MEMORY = os.environ.get("CLINIC_DUCKDB_MEMORY", "128MB")


@dataclass(frozen=True)
class ClinicConfig:
    db_path: Path | str  # a DuckDB file, or a postgresql:// URL (a string)
    demo: bool  # True when no real database is configured


def database_target(configured: str | Path) -> Path | str:
    """A ``postgresql://`` or ``postgres://`` URL as it is; anything else as the absolute path of a DuckDB file."""
    text = str(configured).strip()
    if text.lower().startswith(("postgresql://", "postgres://")):
        return text
    return Path(text).expanduser().resolve()


def from_environment() -> ClinicConfig:
    """``CLINIC_DB`` names a real clinic database (a DuckDB file, or PostgreSQL by URL); without it the app
    serves the demo clinic."""
    configured = os.environ.get("CLINIC_DB", "").strip()
    if configured:
        return ClinicConfig(database_target(configured), demo=False)
    return ClinicConfig(DEMO_DB, demo=True)
