"""The one guarded path to the DuckDB file.

One connection per process (``Database``), a fresh cursor per operation, one write lock so that
writes are serialised inside the process, short explicit transactions, and numbered migrations
recorded in ``schema_version``. DuckDB itself allows a single writing process per file; a second
process gets ``DatabaseInUse`` with a message a person can act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd


class DatabaseInUse(RuntimeError):
    """Another process holds the database file."""


class DatabaseError(RuntimeError):
    """The file is not a usable clinic database."""


def utc_now() -> datetime:
    """Naive UTC timestamp, the form every TIMESTAMP column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def _migration_files() -> list[tuple[int, str, str]]:
    folder = resources.files("dashboard.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


# Committed writes per database file in this process. This process is the file's only writer (DuckDB's
# file lock), so the count tells exactly when anything kept in memory about the file is stale.
_generations: dict[str, int] = {}
_generations_lock = threading.Lock()


class Database:
    """A clinic database file, opened once per process."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._write_lock = threading.RLock()
        self._key = str(self.path.resolve())
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseInUse(
                    f"The clinic database {self.path} is already open in another program "
                    "(probably another copy of the dashboard). Stop that program first, "
                    "or point CLINIC_DB at a different file."
                ) from exc
            raise DatabaseError(f"Cannot open {self.path}: {exc}") from exc
        except duckdb.Error as exc:
            raise DatabaseError(f"{self.path} is not a usable clinic database: {exc}") from exc
        if not read_only:
            self.migrate()

    @property
    def generation(self) -> int:
        """How many writes have been committed to this file by this process."""
        return _generations.get(self._key, 0)

    # -- reading -------------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        with self.cursor() as cur:
            result = cur.execute(sql, list(params))
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def row(self, sql: str, params: list | tuple = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: list | tuple = ()) -> Any:
        with self.cursor() as cur:
            got = cur.execute(sql, list(params)).fetchone()
            return got[0] if got else None

    def frame(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, list(params)).df()

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The only way to write: one lock, one short transaction, all or nothing."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        with self._write_lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN TRANSACTION").fetchall()
                yield cur
                cur.execute("COMMIT")
                with _generations_lock:
                    _generations[self._key] = _generations.get(self._key, 0) + 1
            except BaseException:
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    # -- schema --------------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.cursor() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            ).fetchall()[0][0]
            if not exists:
                return 0
            return cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]

    def migrate(self) -> list[int]:
        """Apply every numbered migration newer than the file's version, each in its own transaction."""
        applied = []
        with self._write_lock:
            with self.cursor() as cur:
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            current = self.schema_version()
            for number, name, sql in _migration_files():
                if number <= current:
                    continue
                with self.transaction() as cur:
                    cur.execute(sql)  # DuckDB runs a whole multi-statement script
                    cur.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                        [number, name, utc_now()],
                    )
                applied.append(number)
        return applied

    def snapshot_to(self, target: Path) -> None:
        """Copy the whole database to ``target`` consistently: writes wait on the lock while the WAL is
        checkpointed into the file and the file is copied; reads go on."""
        import shutil

        with self._write_lock:
            with self.cursor() as cur:
                cur.execute("CHECKPOINT")
            partial = target.with_suffix(target.suffix + ".part")
            shutil.copyfile(self.path, partial)
            partial.replace(target)

    def checkpoint(self) -> None:
        with self._write_lock, self.cursor() as cur:
            cur.execute("CHECKPOINT")

    def close(self) -> None:
        self._conn.close()


def latest_migration() -> int:
    return max(number for number, _, _ in _migration_files())
