"""The one guarded path to the DuckDB file.

One connection per process (``Database``), a fresh cursor per operation, one write lock so that
writes are serialised inside the process, short explicit transactions, and numbered migrations
recorded in ``schema_version``. DuckDB itself allows a single writing process per file; a second
process gets ``DatabaseInUse`` with a message a person can act on.
"""

from __future__ import annotations

import os
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


class DatabaseDamaged(DatabaseError):
    """The file fails the start-up health check: a table cannot be read, or its schema version is unknown."""


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
        self._gate = _Gate()  # reads share the file; rewrite_file has it alone for the moment it takes
        self._bulk_active = 0  # bulk transactions in progress (see bulk_transaction)
        self._key = str(self.path.resolve())
        existed = self.path.exists()
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
            if existed:
                raise DatabaseDamaged(_damaged(self.path, "it cannot be opened", exc)) from exc
            raise DatabaseError(f"Cannot open {self.path}: {exc}") from exc
        except duckdb.Error as exc:
            if existed:
                raise DatabaseDamaged(_damaged(self.path, "it cannot be opened", exc)) from exc
            raise DatabaseError(f"{self.path} is not a usable clinic database: {exc}") from exc
        try:
            self.check_health()
        except BaseException:
            self._conn.close()
            raise
        if not read_only:
            self.migrate()

    @property
    def generation(self) -> int:
        """How many writes have been committed to this file by this process."""
        return _generations.get(self._key, 0)

    # -- reading -------------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._gate.reading():
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
    def transaction(self, *, records: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """The only way to write: one lock, one short transaction, all or nothing. ``records=False`` is for
        bookkeeping no cached result reads (sign-in sessions, unsaved form input): it leaves the write
        generation as it is, so a session's activity does not throw away every cached page result."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        with self._write_lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN TRANSACTION").fetchall()
                yield cur
                cur.execute("COMMIT")
                if records:
                    with _generations_lock:
                        _generations[self._key] = _generations.get(self._key, 0) + 1
            except BaseException:
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    @contextmanager
    def bulk_transaction(self, *, before_commit=None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A large write (an import) that does not make others wait: its statements run in a transaction of
        their own while other writes go on, and only the COMMIT takes the lock. All or nothing, like
        ``transaction``. ``before_commit(cur)`` runs under the lock just before COMMIT with a cursor that sees
        what others committed meanwhile (to refuse a clash the snapshot could not see); raising there rolls
        everything back. Backups and file rewrites are refused while one runs (they need a checkpoint)."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        with self._write_lock:  # not while a backup or a rewrite holds the lock
            self._bulk_active += 1
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN TRANSACTION").fetchall()
            yield cur
            with self._write_lock:
                if before_commit is not None:
                    now = self._conn.cursor()
                    try:
                        before_commit(now)
                    finally:
                        now.close()
                # The rows are in the file already (DuckDB writes large appends as they are made); the automatic
                # checkpoint a large commit would start holds the lock for longer than the commit. It comes with
                # a later write instead.
                cur.execute("SET checkpoint_threshold = '1TB'")
                try:
                    cur.execute("COMMIT")
                finally:
                    cur.execute("RESET checkpoint_threshold")
                with _generations_lock:
                    _generations[self._key] = _generations.get(self._key, 0) + 1
        except BaseException:
            with suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
            with self._write_lock:
                self._bulk_active -= 1

    def _refuse_while_bulk(self, what: str) -> None:
        if self._bulk_active:
            raise DatabaseError(f"An import is in progress: {what} when it has finished (it takes seconds).")

    # -- health --------------------------------------------------------------------------------
    def check_health(self) -> None:
        """Refuse a damaged file before anyone works on it: the schema version must be one this program
        knows, and every table must read back in full (DuckDB checks each block's checksum as it reads it,
        and a truncated file cannot be read). A new, empty file is healthy."""
        with self.cursor() as cur:
            try:
                tables = [
                    row[0]
                    for row in cur.execute(
                        "SELECT table_name FROM duckdb_tables()"
                        " WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary"
                        " ORDER BY table_name"
                    ).fetchall()
                ]
            except duckdb.Error as exc:
                raise DatabaseDamaged(_damaged(self.path, "its list of tables cannot be read", exc)) from exc
            if not tables:
                return
            if "schema_version" not in tables:
                raise DatabaseDamaged(
                    f"{self.path} is not a clinic database (it holds other tables and no schema version)."
                )
            for table in tables:
                try:  # hashing every row reads every column of every row
                    cur.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{table}" t').fetchall()
                except duckdb.Error as exc:
                    raise DatabaseDamaged(_damaged(self.path, f"the table {table} cannot be read", exc)) from exc
            version = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
        if version > latest_migration():
            raise DatabaseDamaged(
                f"The clinic database {self.path} has schema version {version}, written by a newer version of "
                f"this program (this one knows versions up to {latest_migration()}). Run the newer version, "
                "or restore a backup made by this one."
            )

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
            self._refuse_while_bulk("back up again")
            with self.cursor() as cur:
                cur.execute("CHECKPOINT")
            partial = target.with_suffix(target.suffix + ".part")
            try:
                shutil.copyfile(self.path, partial)
                with open(partial, "rb+") as copied:
                    os.fsync(copied.fileno())  # on the disk before it is called a backup
                partial.replace(target)
            except BaseException:
                partial.unlink(missing_ok=True)  # a failed copy (a full disk) leaves nothing behind
                raise

    def rewrite_file(self) -> None:
        """Write the whole database afresh into a new file and put it in place of this one, so that nothing
        deleted or overwritten survives in the file (DuckDB reuses the space of old data but does not wipe it,
        and keeps fragments of old values in its statistics). Writes wait on the lock and reads wait at the
        gate while the copy is made: a few seconds for a large clinic."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        fresh = self.path.with_name(self.path.name + ".rewrite")
        for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
            leftover.unlink(missing_ok=True)
        with self._write_lock:
            self._refuse_while_bulk("try again")
            self._rewrite(fresh)

    def _rewrite(self, fresh: Path) -> None:
        with self._gate.alone():  # the caller holds the write lock: no write is in progress
            con = self._conn
            name = con.execute("SELECT current_database()").fetchall()[0][0]
            try:
                con.execute("CHECKPOINT")
                con.execute(f"ATTACH '{_quoted(fresh)}' AS clinic_rewrite")
                try:
                    con.execute(f'COPY FROM DATABASE "{name}" TO clinic_rewrite')
                finally:
                    con.execute("DETACH clinic_rewrite")
                with open(fresh, "rb+") as copied:
                    os.fsync(copied.fileno())
            except BaseException:
                fresh.unlink(missing_ok=True)
                raise
            con.close()
            try:
                os.replace(fresh, self.path)
            finally:
                self._conn = duckdb.connect(str(self.path))

    def checkpoint(self) -> None:
        with self._write_lock, self.cursor() as cur:
            cur.execute("CHECKPOINT")

    def close(self) -> None:
        self._conn.close()


class _Gate:
    """Many readers at once, or one caller alone (``Database.rewrite_file``, which swaps the file under the
    connection): it waits for reads in progress and holds new ones back until it is done."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._reading = 0
        self._closed = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._reading += 1
        try:
            yield
        finally:
            with self._cond:
                self._reading -= 1
                self._cond.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._closed = True
            while self._reading:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _damaged(path: Path, what: str, exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"The clinic database {path} is damaged: {what} ({detail}). It was not used, so nothing was changed "
        "in it. Do not delete it."
    )


def latest_migration() -> int:
    return max(number for number, _, _ in _migration_files())
