"""The one guarded path to the clinic database: a DuckDB file (the default) or PostgreSQL.

``open_database(target)`` picks the engine: a path opens a DuckDB file (``Database``), a ``postgresql://`` or
``postgres://`` URL a PostgreSQL database (``PostgresDatabase``, the same interface). What differs between the
engines' SQL is in ``dialect.py`` (``db.dialect``).

DuckDB: one connection per process, a fresh cursor per operation, one write lock so that writes are serialised
inside the process, short explicit transactions. DuckDB itself allows a single writing process per file; a
second process gets ``DatabaseInUse`` with a message a person can act on.

PostgreSQL: a small connection pool per process; each write transaction takes one advisory lock
(``WRITE_LOCK``) so that writes are serialised across every app server, as DuckDB's are within its one process.

Both: reads give way to writes within the process (``_WritesFirst``): a read waits for the write transactions
that were waiting for the lock or holding it when it came (at most ``READ_PATIENCE`` seconds in all per page
view) so that a clinician's save is not slowed by the pages other sessions are reading beside it.

Both: numbered migrations recorded in ``schema_version``; every ``transaction(records=True)`` and bulk
transaction bumps the single row of ``write_generation`` (migration 009) with its write, and
``db.generation`` reads it, so a result cached by any server is known stale after a write through any other.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .dialect import DUCKDB, POSTGRESQL, Dialect, pg_placeholders


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


# Seconds a read waits at most for the writes in progress in this process (``_WritesFirst``): a read is never held
# up for longer, even behind a write that waits on another app server's lock or a caller that holds a lock the
# write needs.
READ_PATIENCE = 1.0
# The write generation: one row, bumped in every transaction that writes the record (migration 009).
_BUMP = "UPDATE write_generation SET n = n + 1 WHERE id = 1"
_GENERATION = "SELECT n FROM write_generation WHERE id = 1"


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.strip().lower().startswith(("postgresql://", "postgres://"))


def open_database(target: str | Path, *, read_only: bool = False) -> Database:
    """The clinic database named by ``target``: a ``postgresql://`` (or ``postgres://``) URL opens PostgreSQL,
    anything else is the path of a DuckDB file. Health-checked and migrated, as each class does."""
    if is_postgres_url(target):
        return PostgresDatabase(str(target).strip(), read_only=read_only)
    return Database(target, read_only=read_only)


class Database:
    """A clinic database file, opened once per process (DuckDB). ``PostgresDatabase`` has the same interface."""

    dialect: Dialect = DUCKDB
    engine = "duckdb"
    backup_suffix = ".duckdb"  # what snapshot_to writes

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        self.location = str(self.path)  # what to call it in messages and cache keys
        self._has_generation = False
        self.read_only = read_only
        self._write_lock = threading.RLock()
        self._gate = _Gate()  # reads share the file; rewrite_file has it alone for the moment it takes
        self._writes_first = _WritesFirst(READ_PATIENCE)
        self._bulk_active = 0  # bulk transactions in progress (see bulk_transaction)
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
        self._has_generation = self._table_exists("write_generation")

    def _table_exists(self, table: str) -> bool:
        with self.cursor() as cur:
            return bool(
                cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[
                    0
                ][0]
            )

    @property
    def writes_begun(self) -> int:
        """How many write transactions this process has begun on this database (read without a query: when it
        has not changed, nothing has been written through this process since)."""
        return self._writes_first.issued

    @property
    def generation(self) -> int:
        """How many writes of the record have been committed to this database (by any process): a cheap
        primary-key read of ``write_generation``."""
        if not self._has_generation:
            return 0
        with self.cursor() as cur:
            got = cur.execute(_GENERATION).fetchone()
            return int(got[0]) if got else 0

    # -- reading -------------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._writes_first.give_way()
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
        with self._writes_first.writing(), self._write_lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN TRANSACTION").fetchall()
                yield cur
                if records and self._has_generation:
                    cur.execute(_BUMP)
                cur.execute("COMMIT")
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
                # Bumped just after the commit, still under the lock: in the bulk transaction itself it would
                # clash with the bumps other writes committed while it ran (DuckDB refuses such an update).
                if self._has_generation:
                    bump = self._conn.cursor()
                    try:
                        bump.execute(_BUMP)
                    finally:
                        bump.close()
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
        with self._writes_first.holding(), self._write_lock:
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

        with self._writes_first.holding(), self._write_lock:
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

    def rewrite_file(self, tables: list[str] | None = None) -> None:
        """Write the whole database afresh into a new file and put it in place of this one, so that nothing
        deleted or overwritten survives in the file (DuckDB reuses the space of old data but does not wipe it,
        and keeps fragments of old values in its statistics). Writes wait on the lock and reads wait at the
        gate while the copy is made: a few seconds for a large clinic. (``tables``, the tables that held what must not
        survive, matters on PostgreSQL only: the whole file is rewritten.)"""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        fresh = self.path.with_name(self.path.name + ".rewrite")
        for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
            leftover.unlink(missing_ok=True)
        with self._writes_first.holding(), self._write_lock:
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
                limit = getattr(self, "_memory_limit", None)
                if limit:  # on the new connection itself: a cursor would wait at the gate this holds
                    self._conn.execute(f"SET memory_limit = '{limit}'")

    def limit_memory(self, size: str | None) -> None:
        """Cap the memory DuckDB keeps for this process (e.g. '128MB'); kept across a file rewrite."""
        if not size:
            return
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)? ?[KMG]i?B", size):
            raise DatabaseError(f"Not a memory size: {size!r} (write it as 128MB or 1GB).")
        self._memory_limit = size
        with self.cursor() as cur:
            cur.execute(f"SET memory_limit = '{size}'")

    def analyze(self) -> None:
        """Nothing to do: DuckDB keeps its statistics current as it writes."""

    def checkpoint(self) -> None:
        with self._writes_first.holding(), self._write_lock, self.cursor() as cur:
            cur.execute("CHECKPOINT")

    def close(self) -> None:
        self._conn.close()


class _WritesFirst:
    """Reads give way to writes in this process. Every session's page runs in one Python process, and a write's
    own work (validation, the case state's rules, a statement at a time) competes for the interpreter with every
    page being read beside it; with six clinicians saving at once, the pages of the first to have saved made the
    others' saves wait several times longer behind the write lock (issue #15). So a read waits for the write
    transactions that were already waiting for the lock or holding it when it came, not for any that come after
    it (so a stream of writes cannot hold reads up), and a thread's reads wait ``patience`` seconds at most in
    all (Streamlit runs each page view in a thread of its own: a page view is held up for a second at most, even
    behind a save that waits for a backup or for another app server's lock). A thread's reads inside its own
    transaction, or while it holds the lock for a backup, a file rewrite, a migration or an import's commit
    (``holding``: none of them makes reads wait either), never wait."""

    def __init__(self, patience: float) -> None:
        self.patience = patience
        self._cond = threading.Condition()
        self._issued = 0  # tickets given to write transactions so far, in the order they came
        self._writing: set[int] = set()  # the tickets of those waiting for the lock or holding it
        self._mine = threading.local()  # .depth: this thread's writes and holds in progress; .waited: seconds

    @property
    def issued(self) -> int:
        return self._issued

    @contextmanager
    def holding(self) -> Iterator[None]:
        """This thread holds (or is about to hold) the write lock: its own reads must not wait for the writes
        queued behind it."""
        self._mine.depth = getattr(self._mine, "depth", 0) + 1
        try:
            yield
        finally:
            self._mine.depth -= 1

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            ticket = self._issued
            self._issued += 1
            self._writing.add(ticket)
            self._cond.notify_all()  # (whoever waits for a write to come)
        try:
            with self.holding():
                yield
        finally:
            with self._cond:
                self._writing.discard(ticket)
                self._cond.notify_all()

    def give_way(self) -> None:
        mine: int = getattr(self._mine, "depth", 0)
        waited: float = getattr(self._mine, "waited", 0.0)
        if not self._writing or mine or waited >= self.patience:
            return
        started = time.monotonic()
        with self._cond:
            came = self._issued  # the writes before this read hold the tickets below it
            self._cond.wait_for(lambda: not self._writing or min(self._writing) >= came, timeout=self.patience - waited)
        self._mine.waited = waited + (time.monotonic() - started)


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


# -- PostgreSQL --------------------------------------------------------------------------------------------------

# Advisory lock keys (any two fixed numbers): every write transaction takes WRITE_LOCK, so writes are serialised
# across all app servers as DuckDB serialises them in its one process; migrating takes MIGRATE_LOCK, so two
# servers starting at once apply each migration once.
WRITE_LOCK = 7_201_501
MIGRATE_LOCK = 7_201_502
POOL_MIN, POOL_MAX = 1, 8

_PG_INT = {21: "int16", 23: "int32", 20: "int64"}  # int2, int4, int8 -> numpy; "Int16"... when NULLs
_PG_FLOAT = {700, 701, 1700}  # float4, float8, numeric
_PG_WHEN = {1082, 1114, 1184}  # date, timestamp, timestamptz
_PG_BOOL = 16
_PG_TEXT = {25, 1043, 1042}


class DatabaseUnreachable(DatabaseError):
    """The PostgreSQL server cannot be reached, or refuses this program's connection."""


def _frame(rows: list[tuple], description) -> pd.DataFrame:
    """A result as a pandas frame with the dtypes DuckDB's ``.df()`` gives (nullable integers and booleans when a
    column holds NULL, datetime64[us] dates and timestamps, float64 numbers, str text)."""
    names = [d.name for d in description]
    positions = range(len(names))
    frame = pd.DataFrame.from_records(rows, columns=positions) if rows else pd.DataFrame(columns=positions)
    for i, d in enumerate(description):
        column = frame.iloc[:, i]
        nulls = bool(column.isna().any())
        oid = d.type_code
        if oid in _PG_INT:
            kind = _PG_INT[oid]
            column = column.astype(kind.capitalize() if nulls else kind)
        elif oid in _PG_FLOAT:
            column = column.astype("float64")
        elif oid in _PG_WHEN:
            column = pd.to_datetime(column).astype("datetime64[us]")
        elif oid == _PG_BOOL:
            column = column.astype("boolean" if nulls else "bool")
        elif oid in _PG_TEXT and rows:
            column = column.astype("str")
        frame.isetitem(i, column)
    frame.columns = names
    return frame


def _param(value: Any) -> Any:
    """A parameter as psycopg takes it, as DuckDB's cursor takes it: pandas' NA and NaT as NULL, numpy scalars
    and pandas timestamps as Python values, lists element by element."""
    import numpy as np

    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (list, tuple)):
        return [_param(v) for v in value]
    return value


class PgCursor:
    """A psycopg cursor that behaves as storage code uses a DuckDB cursor: ``?`` placeholders, ``execute``
    returning itself, ``fetchall``/``fetchone`` (a statement without a result gives its row count, as DuckDB's
    INSERT/UPDATE/DELETE do), ``df()``, ``description``, ``executemany``; ``copy`` for the dialect's bulk load."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, conn):
        self.connection = conn
        self._cur = conn.cursor()
        self._counted = False

    @property
    def description(self):
        return self._cur.description

    def execute(self, sql: str, params: list | tuple | None = None) -> PgCursor:
        if params:
            self._cur.execute(pg_placeholders(sql), [_param(p) for p in params])
        else:
            self._cur.execute(sql)
        self._counted = False
        return self

    def executemany(self, sql: str, params_seq) -> PgCursor:
        self._cur.executemany(pg_placeholders(sql), [[_param(p) for p in params] for params in params_seq])
        self._counted = False
        return self

    def fetchall(self) -> list[tuple]:
        if self._cur.description is None:
            if self._counted:
                return []
            self._counted = True
            return [(self._cur.rowcount,)]
        return self._cur.fetchall()

    def fetchone(self) -> tuple | None:
        if self._cur.description is None:
            if self._counted:
                return None
            self._counted = True
            return (self._cur.rowcount,)
        return self._cur.fetchone()

    def df(self) -> pd.DataFrame:
        return _frame(self._cur.fetchall(), self._cur.description)

    def copy(self, sql: str):
        return self._cur.copy(sql)

    def close(self) -> None:
        self._cur.close()


def _configure(conn) -> None:
    """Each pooled connection: numeric read as float (as DuckDB's doubles), UTC, autocommit between transactions."""
    from psycopg.adapt import Loader

    class NumericAsFloat(Loader):
        def load(self, data):
            return float(bytes(data))

    conn.adapters.register_loader("numeric", NumericAsFloat)
    conn.execute("SET TIME ZONE 'UTC'")


def _display(url: str) -> str:
    """The URL without its password (for messages, logs and cache keys)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL is reported when connecting
        return "postgresql://(unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


class PostgresDatabase(Database):
    """A clinic database on a PostgreSQL server (``CLINIC_DB=postgresql://user:pass@host:port/dbname``): the
    interface of ``Database`` over a small connection pool. Several app servers may share it."""

    dialect: Dialect = POSTGRESQL
    engine = "postgresql"
    backup_suffix = ".pgdump"

    def __init__(self, url: str, *, read_only: bool = False, pool_max: int = POOL_MAX):  # noqa: D107
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self.location = _display(url)
        self.path = self.location  # type: ignore[assignment]  # what messages show; not a file
        self.read_only = read_only
        self._has_generation = False
        self._bulk_active = 0
        self._writes_first = _WritesFirst(READ_PATIENCE)
        try:  # one direct attempt first: its error says why (refused, no such database, wrong password)
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise DatabaseUnreachable(
                f"Cannot reach the clinic database {self.location}: {detail}. Check that the PostgreSQL server is "
                "running and accepts connections from this machine, and that the user, password and database "
                "name in CLINIC_DB are right."
            ) from exc
        self._pool = ConnectionPool(
            url,
            min_size=POOL_MIN,
            max_size=pool_max,
            kwargs={"autocommit": True},
            configure=_configure,
            open=False,
            name="clinic",
        )
        self._pool.open(wait=True, timeout=30)
        try:
            self.check_health()
            if not read_only:
                self.migrate()
            self._has_generation = self._table_exists("write_generation")
        except BaseException:
            self._pool.close()
            raise

    def _table_exists(self, table: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_name = ? AND table_schema = current_schema()",
                [table],
            )
        )

    # -- reading -------------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[Any]:
        self._writes_first.give_way()
        with self._pool.connection() as conn:
            cur = PgCursor(conn)
            try:
                yield cur
            finally:
                cur.close()

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, records: bool = True) -> Iterator[Any]:
        """As ``Database.transaction``; the lock is PostgreSQL's advisory ``WRITE_LOCK``, held by this
        transaction until it ends, so writes through every app server are serialised."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        with self._writes_first.writing(), self._pool.connection() as conn, conn.transaction():
            cur = PgCursor(conn)
            try:
                cur.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK]).fetchall()
                yield cur
                if records and self._has_generation:
                    cur.execute(_BUMP)
            finally:
                cur.close()

    @contextmanager
    def bulk_transaction(self, *, before_commit=None) -> Iterator[Any]:
        """As ``Database.bulk_transaction``: the statements run without the lock; ``before_commit(cur)`` runs
        with it held, on another connection (it sees what others committed meanwhile), then the commit."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        with self._pool.connection() as conn, conn.transaction():
            cur = PgCursor(conn)
            try:
                yield cur
                cur.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK]).fetchall()
                if before_commit is not None:  # another connection: it sees what others committed, not this
                    with self._writes_first.holding(), self.cursor() as now:  # (saves wait for this lock)
                        before_commit(now)
                if self._has_generation:
                    cur.execute(_BUMP)
            finally:
                cur.close()

    # -- health --------------------------------------------------------------------------------
    def check_health(self) -> None:
        """The database must be empty or a clinic database whose schema version this program knows. (The
        server checks its own pages; reading every table, as for a DuckDB file, is not needed here.)"""
        tables = {
            r["table_name"]
            for r in self.rows(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        }
        if not tables:
            return
        if "schema_version" not in tables:
            raise DatabaseDamaged(
                f"{self.location} is not a clinic database (it holds other tables and no schema version)."
            )
        version = self.scalar("SELECT coalesce(max(version), 0) FROM schema_version")
        if version > latest_migration():
            raise DatabaseDamaged(
                f"The clinic database {self.location} has schema version {version}, written by a newer version of "
                f"this program (this one knows versions up to {latest_migration()}). Run the newer version."
            )
        for table in ("users", "patients", "episodes", "assessments", "audit_log"):
            if version >= 1 and table not in tables:
                raise DatabaseDamaged(f"The clinic database {self.location} has no table {table}.")

    # -- schema --------------------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self._table_exists("schema_version"):
            return 0
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version"))

    def migrate(self) -> list[int]:
        """Each migration newer than the database's version in its own transaction, holding ``MIGRATE_LOCK``
        (two servers starting at once: the second waits, then finds the migration applied)."""
        applied = []
        with self._pool.connection() as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATE_LOCK])
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            for number, name, sql in _migration_files():
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATE_LOCK])
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                    current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
                    if number <= (current[0] if current else 0):
                        continue
                    conn.execute(self.dialect.migration_sql(sql).encode())  # the whole script, no parameters
                    conn.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                        [number, name, utc_now()],
                    )
                applied.append(number)
        return applied

    def snapshot_to(self, target: Path) -> None:
        """A backup with ``pg_dump`` (custom format, for ``pg_restore``) into ``target``; without pg_dump on
        this machine, ``DatabaseError`` says to back the server up with pg_dump there."""
        import shutil
        import subprocess

        found = shutil.which("pg_dump") or next(
            (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)), None
        )
        if found is None:
            raise DatabaseError(
                f"The clinic database is on a PostgreSQL server ({self.location}) and pg_dump is not installed "
                "here: back it up on the database server with pg_dump (pg_dump --format=custom)."
            )
        partial = target.with_suffix(target.suffix + ".part")
        try:
            done = subprocess.run(
                [found, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={self.url}"],
                capture_output=True,
                text=True,
                timeout=3600,
            )
            if done.returncode != 0:
                detail = (done.stderr.strip().splitlines() or ["pg_dump failed"])[-1]
                raise DatabaseError(f"pg_dump could not back up {self.location}: {detail}")
            with open(partial, "rb+") as copied:
                os.fsync(copied.fileno())
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def rewrite_file(self, tables: list[str] | None = None) -> None:
        """PostgreSQL's counterpart of rewriting the file: ``VACUUM FULL`` of ``tables`` (every table when
        None) writes each afresh, so deleted or overwritten values do not stay in its pages."""
        if self.read_only:
            raise DatabaseError("This database was opened read-only.")
        from .dialect import identifier

        if tables is None:
            tables = [
                r["table_name"]
                for r in self.rows(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ]
        with self._pool.connection() as conn:
            for table in tables:
                conn.execute(f"VACUUM FULL {identifier(table)}".encode())

    def limit_memory(self, size: str | None) -> None:
        """Nothing to do: PostgreSQL's memory is the server's own setting."""

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (an import, the demo clinic): until autovacuum
        gets to it, a table that grew tenfold is planned as the small one it was (at 100,000 episodes a
        timeline's visits were read by a scan of every assessment, 190 ms, rather than by the index, 3 ms)."""
        with self._pool.connection() as conn:
            conn.execute("ANALYZE")

    def checkpoint(self) -> None:
        """Nothing to do: the server checkpoints on its own."""

    def close(self) -> None:
        self._pool.close()
