"""Where the two database engines differ, and nowhere else: DuckDB (one file, the embedded default) and
PostgreSQL (``CLINIC_DB=postgresql://...``, several app servers on one database).

One small class per engine (as Django's ``backends/*/operations.py``), chosen when the database is opened
and reached as ``db.dialect`` (a ``Database``) or ``dialect_of(cur)`` (a transaction's cursor). Storage
code writes its SQL once, with ``?`` placeholders on both engines (the PostgreSQL cursor turns them into
psycopg's ``%s`` and doubles any literal ``%`` outside string literals), and asks the dialect only for the
fragments below. Every fragment takes SQL expressions (column names, or ``?`` for a parameter: each
expression given appears exactly once in the result, in the order given, so parameters stay in order) and
returns SQL text. Values are never formatted in.

Fragments (text in, SQL text out)
    ``member(expr)``                 ``expr`` is one of a list given as ONE parameter (a Python list):
                                     DuckDB ``expr IN (SELECT unnest(?))``, PostgreSQL ``expr = ANY(?)``
    ``quantile(expr, q)``            continuous quantile, an aggregate (``q`` a literal such as ``0.5``):
                                     ``quantile_cont(expr, q)`` / ``percentile_cont(q) WITHIN GROUP (ORDER BY expr)``
    ``arg_max(value, order, where)`` the value at the row with the largest ``order`` (rows where either is NULL
    ``arg_min(value, order, where)`` are ignored, as DuckDB does); ``where`` is the aggregate's FILTER condition
                                     (PostgreSQL has no arg_max: ``(array_agg(value ORDER BY order DESC)
                                     FILTER (WHERE ...))[1]``). Never add FILTER after it yourself.
    ``week_start(expr)``             Monday of the week of a date or timestamp, as a DATE
    ``weeks(start, end)``            a FROM item ``(...)`` with one DATE column ``week``: the Monday of
                                     ``start``'s week, then every 7 days up to ``end`` (inclusive); alias it
    ``days_between(start, end)``     whole days from ``start`` to ``end`` (dates or timestamps), an integer
    ``try_int(expr)``                ``expr`` (text) as a BIGINT, NULL when it is not a whole number
    ``upsert(table, columns, key)``  ``INSERT ... VALUES (?, ...) ON CONFLICT (key) DO UPDATE SET`` the rest
                                     (the same on both engines; here so that nobody writes it twice)
    ``count_by_window``              True: a window of rows and its total in one pass (``count(*) OVER ()``,
                                     DuckDB); False: the total as its own count (PostgreSQL, whose window count
                                     sorts every matching row in full where ``LIMIT`` alone keeps the top few)

Same on both engines, so no fragment: ``nextval('seq')``, ``count(*) FILTER (WHERE ...)``, ``ILIKE``,
``strpos(text, part) > 0`` (not DuckDB's ``contains``), ``CAST(x AS VARCHAR)``, ``INTERVAL '1 day'`` (quoted),
``CAST(extract(year FROM d) AS INTEGER)`` (not ``year(d)``), ``bool_or``, window functions, ``RETURNING``,
``unnest(?)`` of a list parameter in a select list, ``GROUP BY`` with the columns named (not ``GROUP BY ALL``).

Operations (a cursor of a transaction in, done)
    ``bulk_load(cur, table, frame)``  insert every row of a pandas frame, columns matched by name; the table's
                                      other columns take their defaults. DuckDB ``INSERT INTO t BY NAME SELECT *
                                      FROM frame``; PostgreSQL ``COPY t (columns) FROM STDIN``
    ``next_ids(cur, seq, count)``     ``count`` fresh values of a sequence
    ``advance_sequence(cur, seq, count)`` move a sequence on by ``count`` (past ids given explicitly)
    ``lock_episodes(cur, ids)``      hold the episodes' rows to the end of the transaction (PostgreSQL
                                      ``SELECT ... FOR UPDATE``; DuckDB has one writer and needs nothing)
    ``text_columns(cur, table)``, ``required_columns(cur, table)``, ``key_columns(cur, table)``: the catalogue
    ``migration_sql(sql)``            a numbered migration as this engine runs it: DuckDB as written;
                                      PostgreSQL with the tokens of ``PG_DDL`` replaced (outside comments and
                                      string literals), and a line ``-- postgresql: <statement>`` run (DuckDB
                                      keeps it a comment: e.g. a partial index). Migrations are written in
                                      DuckDB's SQL, kept to what both engines accept apart from those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _size(text: str) -> str:
    """A memory size as DuckDB prints it ('128.0 MiB'), checked, to be set again."""
    if not re.fullmatch(r"[0-9.]+ ?[KMGT]?i?B", str(text)):
        raise ValueError(f"not a memory size: {text!r}")
    return str(text)


def identifier(name: str) -> str:
    """``name`` if it is a plain lower-case SQL identifier (from code, never from a user); else ValueError."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


class Dialect:
    """What both engines share; the subclasses hold what differs."""

    name = "standard"
    count_by_window = True

    def member(self, expr: str) -> str:
        raise NotImplementedError

    def quantile(self, expr: str, q: float | str) -> str:
        raise NotImplementedError

    def arg_max(self, value: str, order: str, where: str | None = None) -> str:
        raise NotImplementedError

    def arg_min(self, value: str, order: str, where: str | None = None) -> str:
        raise NotImplementedError

    def week_start(self, expr: str) -> str:
        return f"CAST(date_trunc('week', CAST({expr} AS TIMESTAMP)) AS DATE)"

    def weeks(self, start: str, end: str) -> str:
        raise NotImplementedError

    def days_between(self, start: str, end: str) -> str:
        raise NotImplementedError

    def try_int(self, expr: str) -> str:
        raise NotImplementedError

    def upsert(self, table: str, columns: tuple[str, ...] | list[str], key: tuple[str, ...] | list[str]) -> str:
        names = [identifier(c) for c in columns]
        keys = [identifier(k) for k in key]
        rest = [c for c in names if c not in keys]
        action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in rest) if rest else "DO NOTHING"
        return (
            f"INSERT INTO {identifier(table)} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            f" ON CONFLICT ({', '.join(keys)}) {action}"
        )

    # -- operations --------------------------------------------------------------------------------
    def bulk_load(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def next_ids(self, cur: Any, sequence: str, count: int) -> list[int]:
        raise NotImplementedError

    def advance_sequence(self, cur: Any, sequence: str, count: int) -> None:
        raise NotImplementedError

    def text_columns(self, cur: Any, table: str) -> list[str]:
        raise NotImplementedError

    def required_columns(self, cur: Any, table: str) -> set[str]:
        raise NotImplementedError

    def key_columns(self, cur: Any, table: str) -> list[str]:
        raise NotImplementedError

    def migration_sql(self, sql: str) -> str:
        return sql

    @contextmanager
    def roomy(self, cur: Any) -> Iterator[None]:
        """Room for one large piece of work (every episode's case state): DuckDB lifts the app server's memory
        limit for its length; PostgreSQL's memory is the server's own business."""
        yield

    def lock_episodes(self, cur: Any, episode_ids: list[int]) -> None:
        """Hold these episodes' rows until the transaction ends (two writers of one episode go one after the
        other, the second reading what the first committed). DuckDB: nothing to do, one process writes the
        file and its writes are serialised (storage/db.py)."""


class DuckDBDialect(Dialect):
    name = "duckdb"

    @contextmanager
    def roomy(self, cur: Any) -> Iterator[None]:
        (limit,) = cur.execute("SELECT current_setting('memory_limit')").fetchone()
        cur.execute("SET memory_limit = '4GB'")
        try:
            yield
        finally:
            cur.execute(f"SET memory_limit = '{_size(limit)}'")

    def member(self, expr: str) -> str:
        return f"{expr} IN (SELECT unnest(?))"  # a semi-join: as fast for ten ids as for a hundred thousand

    def quantile(self, expr: str, q: float | str) -> str:
        return f"quantile_cont({expr}, {q})"

    def arg_max(self, value: str, order: str, where: str | None = None) -> str:
        return f"arg_max({value}, {order})" + (f" FILTER (WHERE {where})" if where else "")

    def arg_min(self, value: str, order: str, where: str | None = None) -> str:
        return f"arg_min({value}, {order})" + (f" FILTER (WHERE {where})" if where else "")

    def weeks(self, start: str, end: str) -> str:
        return (
            f"(SELECT CAST(w AS DATE) AS week FROM range(date_trunc('week', CAST({start} AS TIMESTAMP)),"
            f" CAST({end} AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 7 DAY) r(w))"
        )

    def days_between(self, start: str, end: str) -> str:
        return f"date_diff('day', CAST({start} AS DATE), CAST({end} AS DATE))"

    def try_int(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS BIGINT)"

    def bulk_load(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        name = f"bulk_{identifier(table)}"
        cur.register(name, frame)
        try:
            cur.execute(f"INSERT INTO {identifier(table)} BY NAME SELECT * FROM {name}").fetchall()
        finally:
            cur.unregister(name)

    def next_ids(self, cur: Any, sequence: str, count: int) -> list[int]:
        rows = cur.execute(f"SELECT nextval('{identifier(sequence)}') FROM range(?)", [count]).fetchall()
        return sorted(r[0] for r in rows)

    def advance_sequence(self, cur: Any, sequence: str, count: int) -> None:
        cur.execute(f"SELECT max(nextval('{identifier(sequence)}')) FROM range(?)", [count]).fetchall()

    def text_columns(self, cur: Any, table: str) -> list[str]:
        rows = cur.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'"
            " AND data_type = 'VARCHAR' ORDER BY column_index",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def required_columns(self, cur: Any, table: str) -> set[str]:
        rows = cur.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND NOT is_nullable", [table]
        ).fetchall()
        return {r[0] for r in rows}

    def key_columns(self, cur: Any, table: str) -> list[str]:
        rows = cur.execute(
            "SELECT unnest(constraint_column_names) FROM duckdb_constraints()"
            " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [table],
        ).fetchall()
        return [r[0] for r in rows]


# DuckDB-only DDL tokens in the numbered migrations and what PostgreSQL calls them. Only these are changed
# (as whole words, outside comments and string literals); anything else must already suit both engines.
PG_DDL = {
    "DOUBLE": "DOUBLE PRECISION",
    "BLOB": "BYTEA",
    "JSON": "JSONB",
    "HUGEINT": "NUMERIC(38)",
    "UBIGINT": "NUMERIC(20)",
}
_PG_DDL_WORDS = re.compile(r"\b(" + "|".join(PG_DDL) + r")\b(?!\s+PRECISION)")
_PG_ONLY = re.compile(r"^-- postgresql: ", re.M)  # a migration's line for PostgreSQL only
# comments, string literals and quoted identifiers: left as they are
_LITERALS = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.S)


def _outside_literals(sql: str, change) -> str:
    out, last = [], 0
    for m in _LITERALS.finditer(sql):
        out.append(change(sql[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(change(sql[last:]))
    return "".join(out)


def pg_placeholders(sql: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%`` outside string literals, comments and quoted identifiers (inside
    a literal only ``%`` is doubled: psycopg reads the whole text for placeholders)."""
    out, last = [], 0
    for m in _LITERALS.finditer(sql):
        out.append(sql[last : m.start()].replace("%", "%%").replace("?", "%s"))
        out.append(m.group(0).replace("%", "%%"))
        last = m.end()
    out.append(sql[last:].replace("%", "%%").replace("?", "%s"))
    return "".join(out)


def _python(value: Any) -> Any:
    """A frame's cell as psycopg takes it (NaN, NaT and NA as NULL; numpy scalars as Python values)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _as(kind):
    def cast(value: Any) -> Any:
        value = _python(value)
        return None if value is None else kind(value)

    return cast


def _as_date(value: Any) -> Any:
    value = _python(value)
    return value.date() if isinstance(value, datetime) else value


_PG_CASTS = {
    "smallint": _as(int),
    "integer": _as(int),
    "bigint": _as(int),
    "boolean": _as(bool),
    "double precision": _as(float),
    "date": _as_date,
}


class PostgresDialect(Dialect):
    name = "postgresql"
    count_by_window = False

    def member(self, expr: str) -> str:
        return f"{expr} = ANY(?)"

    def quantile(self, expr: str, q: float | str) -> str:
        return f"percentile_cont({q}) WITHIN GROUP (ORDER BY {expr})"

    def _arg(self, value: str, order: str, where: str | None, direction: str) -> str:
        condition = f"({value}) IS NOT NULL AND ({order}) IS NOT NULL" + (f" AND ({where})" if where else "")
        return f"(array_agg({value} ORDER BY {order} {direction}) FILTER (WHERE {condition}))[1]"

    def arg_max(self, value: str, order: str, where: str | None = None) -> str:
        return self._arg(value, order, where, "DESC")

    def arg_min(self, value: str, order: str, where: str | None = None) -> str:
        return self._arg(value, order, where, "ASC")

    def weeks(self, start: str, end: str) -> str:
        return (
            f"(SELECT CAST(w AS DATE) AS week FROM generate_series(date_trunc('week', CAST({start} AS TIMESTAMP)),"
            f" CAST({end} AS TIMESTAMP), INTERVAL '7 days') AS r(w))"
        )

    def days_between(self, start: str, end: str) -> str:
        return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"

    def try_int(self, expr: str) -> str:
        return f"CASE WHEN ({expr}) ~ '^-?[0-9]{{1,18}}$' THEN CAST({expr} AS BIGINT) END"

    def bulk_load(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        columns = [identifier(str(c)) for c in frame.columns]
        types = dict(
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = ? AND table_schema = current_schema()",
                [table],
            ).fetchall()
        )
        # as DuckDB's INSERT would cast them: 35.0 into a SMALLINT is 35, a timestamp into a DATE its day
        convert = [_PG_CASTS.get(types.get(c, ""), _python) for c in columns]
        values = frame.astype(object)
        with cur.copy(f"COPY {identifier(table)} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values.itertuples(index=False, name=None):
                copy.write_row([f(v) for f, v in zip(convert, row, strict=True)])

    def next_ids(self, cur: Any, sequence: str, count: int) -> list[int]:
        rows = cur.execute(f"SELECT nextval('{identifier(sequence)}') FROM generate_series(1, ?)", [count]).fetchall()
        return sorted(r[0] for r in rows)

    def advance_sequence(self, cur: Any, sequence: str, count: int) -> None:
        if count > 0:
            seq = identifier(sequence)
            cur.execute(f"SELECT setval('{seq}', nextval('{seq}') + ? - 1)", [count]).fetchall()

    def text_columns(self, cur: Any, table: str) -> list[str]:
        rows = cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " AND table_schema = current_schema() AND data_type IN ('character varying', 'text')"
            " ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def required_columns(self, cur: Any, table: str) -> set[str]:
        rows = cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " AND table_schema = current_schema() AND is_nullable = 'NO'",
            [table],
        ).fetchall()
        return {r[0] for r in rows}

    def key_columns(self, cur: Any, table: str) -> list[str]:
        rows = cur.execute(
            "SELECT k.column_name FROM information_schema.table_constraints c"
            " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
            "  AND k.table_schema = c.table_schema AND k.table_name = c.table_name"
            " WHERE c.table_name = ? AND c.table_schema = current_schema() AND c.constraint_type = 'PRIMARY KEY'"
            " ORDER BY k.ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def lock_episodes(self, cur: Any, episode_ids: list[int]) -> None:
        cur.execute(
            "SELECT episode_id FROM episodes WHERE episode_id = ANY(?) ORDER BY episode_id FOR UPDATE",
            [list(episode_ids)],
        ).fetchall()

    def migration_sql(self, sql: str) -> str:
        sql = _PG_ONLY.sub("", sql)  # "-- postgresql: CREATE INDEX ..." -> "CREATE INDEX ..."
        return _outside_literals(sql, lambda part: _PG_DDL_WORDS.sub(lambda m: PG_DDL[m.group(1)], part))


DUCKDB = DuckDBDialect()
POSTGRESQL = PostgresDialect()


def dialect_of(cur: Any) -> Dialect:
    """The dialect of a transaction's cursor (a PostgreSQL cursor says so; anything else is DuckDB's)."""
    return getattr(cur, "dialect", DUCKDB)
