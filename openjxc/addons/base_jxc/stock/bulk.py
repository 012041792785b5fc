"""Set-based writes of the stock engine, spelled for each backend.

Posting writes a document in a fixed number of statements; how they are sent decides the
speed more than anything the engine computes.  A write is described as an operation —
:class:`Insert`, :class:`Update`, :class:`Upsert`, :class:`Lock` — and :func:`run` sends a
list of them:

* on PostgreSQL, as **one** statement: each operation is a data-modifying ``WITH`` part
  whose whole columns travel as arrays (``INSERT … SELECT … FROM unnest(…)``, ``UPDATE …
  FROM unnest(…)``), so a document costs one round trip, and the statement text never
  changes with the number of rows (psycopg prepares it once per connection, the server
  plans it once).  The parts see the same snapshot: an operation must not depend on
  another's effect in the same call (a foreign key to a row inserted by a sibling part is
  fine — it is checked at the end of the statement);
* on SQLite, one after the other: ``executemany`` binds each row to one compiled statement
  (in C); statements that return rows use a multi-row ``VALUES`` list.

Statements go through ``exec_driver_sql`` on the session's connection: the engine's events
see each one (the statement-count tests count them) but no per-row SQLAlchemy parameter
processing happens.  Values are converted here exactly as the column types would convert
them: :class:`~openjxc.core.models.ScaledDecimal` as scaled integers on SQLite, dates and
timestamps through the dialect's own bind processors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import Column, Integer, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from openjxc.core.models import ScaledDecimal

#: Rows per multi-row ``VALUES`` statement on SQLite (its bound-parameter limit is 32,766).
SQLITE_VALUES_ROWS = 2000

_DIALECTS: dict[str, Dialect] = {"postgresql": postgresql.psycopg.dialect(),
                                 "sqlite": sqlite.pysqlite.dialect()}


def connection(session: Session) -> Connection:
    return session.connection()


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


# -- operations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Insert:
    """``INSERT INTO table (columns…, constants…)``: ``rows`` are tuples in ``columns``
    order; ``constants`` hold the values every row shares (the document's date, author…).
    Result: None."""

    table: Table
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    constants: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """``UPDATE table SET columns… WHERE key = … [AND guard = …]``: ``rows`` are
    ``(key, [guard,] *columns)``, each key at most once.  Result: the number of rows
    changed."""

    table: Table
    key: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    guard: str | None = None


@dataclass(frozen=True)
class Upsert:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET assign RETURNING returning``: ``rows``
    in ``columns`` order, sorted by key (rows are locked in that order: no deadlocks); the
    ``zeros`` columns are inserted as 0.  ``returning`` holds integer and decimal columns.
    Result: the returned rows, as Python values (None when ``returning`` is empty)."""

    table: Table
    key: tuple[str, ...]
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    assign: str
    returning: tuple[str, ...]
    zeros: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lock:
    """The rows of ``keys`` (sorted), created with zeros where missing, held until commit.
    Result: their ``columns`` (the key first), as Python values.

    PostgreSQL locks them with an upsert whose update changes nothing (as ``SELECT … FOR
    UPDATE`` would, and creating what is missing in the same statement); SQLite's writer
    holds the whole database from ``BEGIN IMMEDIATE`` on, so there they are read (and the
    missing ones inserted).

    ``existing``: the caller read that every row exists (and rows of the table are never
    deleted): PostgreSQL then takes them with ``SELECT … FOR UPDATE``, which writes
    nothing — the upsert writes a new version of each row, which also makes a later update
    in the same transaction check the row's foreign keys again."""

    table: Table
    columns: tuple[str, ...]
    keys: Sequence[Any]
    existing: bool = False

    def as_upsert(self) -> Upsert:
        key, first = self.columns[0], self.columns[1]
        return Upsert(self.table, (key,), (key,), [(k,) for k in self.keys],
                      assign=f"{first} = {self.table.name}.{first}", returning=self.columns,
                      zeros=self.columns[1:])


Operation = Insert | Update | Upsert | Lock


def run(session: Session, operations: Sequence[Operation]) -> list[Any]:
    """Send ``operations`` (see the module), the result of each in order."""
    conn = connection(session)
    if is_postgresql(conn):
        return _pg_run(conn, [op.as_upsert() if isinstance(op, Lock) and not op.existing
                              else op for op in operations])
    return [_SQLITE[type(op)](conn, op) for op in operations]


# -- converting values for SQLite ------------------------------------------------------------

def _bind_processor(column: Column[Any]) -> Callable[[Any], Any] | None:
    dialect = _DIALECTS["sqlite"]
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@cache
def _sqlite_converter(table: Table, name: str) -> Callable[[Any], Any] | None:
    """How a value of ``table.name`` is bound on SQLite (None: as it is)."""
    column = table.c[name]
    if not isinstance(column.type, ScaledDecimal):
        return _bind_processor(column)
    scale = column.type.scale
    fallback = _bind_processor(column)
    assert fallback is not None

    def scaled(value: Any) -> Any:
        # What ScaledDecimal.process_bind_param stores (quantize half-up, then shift the
        # point), in one exact step: shifting the point never rounds.  Values the engine
        # computed already have the column's places: the integer is then the shifted
        # value itself, and rounding is needed only for the others.
        if type(value) is Decimal:
            shifted = value.scaleb(scale)
            whole = int(shifted)
            return whole if whole == shifted else int(shifted.to_integral_value(ROUND_HALF_UP))
        return fallback(value)  # None, an int, or a float (refused there)

    return scaled


@cache
def _sqlite_reader(table: Table, name: str) -> Callable[[Any], Any] | None:
    """How a value of ``table.name`` read back from SQLite becomes Python (None: as it is)."""
    column = table.c[name]
    if isinstance(column.type, ScaledDecimal):
        exponent = -column.type.scale
        return lambda v: None if v is None else Decimal(v).scaleb(exponent)
    dialect = _DIALECTS["sqlite"]
    return column.type.dialect_impl(dialect).result_processor(dialect, None)


@cache
def _row_function(functions: tuple[Callable[[Any], Any] | None, ...],
                  ) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """``row → tuple(f(value) …)`` for these functions (None: the value as it is), written
    out as one expression: a loop over the columns of every row costs more than the
    conversions themselves."""
    names = {f"f{i}": f for i, f in enumerate(functions) if f is not None}
    items = [f"f{i}(row[{i}])" if f is not None else f"row[{i}]"
             for i, f in enumerate(functions)]
    # The text is ours (positions only); eval is how a function is written out once.
    return eval(f"lambda row: ({', '.join(items)},)", names)


def _sqlite_rows(table: Table, columns: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    functions = tuple(_sqlite_converter(table, n) for n in columns)
    if not any(functions):
        return [tuple(row) for row in rows]
    convert = _row_function(functions)
    return [convert(row) for row in rows]


def _sqlite_read(table: Table, columns: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    functions = tuple(_sqlite_reader(table, n) for n in columns)
    if not any(functions):
        return [tuple(row) for row in rows]
    convert = _row_function(functions)
    return [convert(row) for row in rows]


# -- SQLite: one statement per operation -----------------------------------------------------

def _quote(dialect: str) -> Callable[[str], str]:
    return _DIALECTS[dialect].identifier_preparer.quote


def _names(dialect: str, names: Iterable[str]) -> str:
    return ", ".join(_quote(dialect)(n) for n in names)


def _sqlite_insert(conn: Connection, op: Insert) -> None:
    if not op.rows:
        return
    names = (*op.columns, *op.constants)
    marks = ", ".join("?" for _ in names)
    fixed = _sqlite_rows(op.table, list(op.constants), [list(op.constants.values())])[0]
    conn.exec_driver_sql(
        f"INSERT INTO {op.table.name} ({_names('sqlite', names)}) VALUES ({marks})",
        [row + fixed for row in _sqlite_rows(op.table, op.columns, op.rows)])


def _sqlite_update(conn: Connection, op: Update) -> int:
    if not op.rows:
        return 0
    q = _quote("sqlite")
    sets = ", ".join(f"{q(n)} = ?" for n in op.columns)
    where = f"{q(op.key)} = ?" + ("" if op.guard is None else f" AND {q(op.guard)} = ?")
    names = [op.key, *([] if op.guard is None else [op.guard]), *op.columns]
    # The SET values are bound first, then the WHERE clause's.
    split = len(names) - len(op.columns)
    rows = [row[split:] + row[:split] for row in _sqlite_rows(op.table, names, op.rows)]
    result = conn.exec_driver_sql(f"UPDATE {op.table.name} SET {sets} WHERE {where}", rows)
    return int(result.rowcount)


def _sqlite_upsert(conn: Connection, op: Upsert) -> list[tuple[Any, ...]] | None:
    one = "(" + ", ".join(["?"] * len(op.columns) + ["0"] * len(op.zeros)) + ")"
    conflict = f"ON CONFLICT ({_names('sqlite', op.key)}) DO UPDATE SET {op.assign}"
    into = f"INSERT INTO {op.table.name} ({_names('sqlite', (*op.columns, *op.zeros))})"
    if not op.returning:
        if op.rows:
            conn.exec_driver_sql(f"{into} VALUES {one} {conflict}",
                                 _sqlite_rows(op.table, op.columns, op.rows))
        return None
    tail = f"{conflict} RETURNING {_names('sqlite', op.returning)}"
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(op.rows), SQLITE_VALUES_ROWS):
        chunk = _sqlite_rows(op.table, op.columns, op.rows[start:start + SQLITE_VALUES_ROWS])
        sql = f"{into} VALUES {', '.join([one] * len(chunk))} {tail}"
        flat = tuple(chain.from_iterable(chunk))
        out.extend(_sqlite_read(op.table, op.returning, conn.exec_driver_sql(sql, flat).all()))
    return out


def _sqlite_lock(conn: Connection, op: Lock) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    key = _quote("sqlite")(op.columns[0])
    for start in range(0, len(op.keys), SQLITE_VALUES_ROWS):
        chunk = tuple(op.keys[start:start + SQLITE_VALUES_ROWS])
        sql = (f"SELECT {_names('sqlite', op.columns)} FROM {op.table.name} "
               f"WHERE {key} IN ({', '.join('?' for _ in chunk)})")
        out.extend(_sqlite_read(op.table, op.columns, conn.exec_driver_sql(sql, chunk).all()))
    missing = sorted(set(op.keys).difference(r[0] for r in out))
    if missing:
        zeros = (Decimal(0),) * (len(op.columns) - 1)
        rows = [(k, *zeros) for k in missing]
        _sqlite_insert(conn, Insert(op.table, op.columns, rows))
        out.extend(rows)
    return out


_SQLITE: dict[type, Callable[[Connection, Any], Any]] = {
    Insert: _sqlite_insert, Update: _sqlite_update, Upsert: _sqlite_upsert, Lock: _sqlite_lock}


# -- PostgreSQL: one statement for all of them -----------------------------------------------

@cache
def _pg_type(table: Table, name: str) -> str:
    return str(table.c[name].type.compile(dialect=_DIALECTS["postgresql"]))


def _arrays(tag: str, table: Table, names: Sequence[str]) -> str:
    return ", ".join(f"%({tag}c{i})s::{_pg_type(table, n)}[]" for i, n in enumerate(names))


def _pg_part(tag: str, op: Insert | Update | Upsert | Lock) -> str:
    """The SQL of one operation, its parameters named after ``tag``."""
    q = _quote("postgresql")
    name = op.table.name
    if isinstance(op, Lock):  # of rows known to exist (see Lock)
        key = q(op.columns[0])
        return (f"SELECT {_names('postgresql', op.columns)} FROM {name} "
                f"WHERE {key} = ANY({_arrays(tag, op.table, op.columns[:1])}) "
                f"ORDER BY {key} FOR UPDATE")
    if isinstance(op, Insert):
        fixed = "".join(f", %({tag}k{i})s::{_pg_type(op.table, n)}"
                        for i, n in enumerate(op.constants))
        return (f"INSERT INTO {name} ({_names('postgresql', (*op.columns, *op.constants))}) "
                f"SELECT u.*{fixed} FROM unnest({_arrays(tag, op.table, op.columns)}) AS u")
    if isinstance(op, Update):
        names = [op.key, *([] if op.guard is None else [op.guard]), *op.columns]
        offset = len(names) - len(op.columns)
        sets = ", ".join(f"{q(n)} = u.v{offset + i}" for i, n in enumerate(op.columns))
        where = f"{name}.{q(op.key)} = u.v0"
        if op.guard is not None:
            where += f" AND {name}.{q(op.guard)} = u.v1"
        aliases = ", ".join(f"v{i}" for i in range(len(names)))
        return (f"UPDATE {name} SET {sets} FROM unnest({_arrays(tag, op.table, names)}) "
                f"AS u ({aliases}) WHERE {where} RETURNING 1")
    zeros = "".join(", 0" for _ in op.zeros)
    # ORDER BY: rows are taken (and locked) in key order, so two documents never deadlock.
    return (f"INSERT INTO {name} ({_names('postgresql', (*op.columns, *op.zeros))}) "
            f"SELECT u.*{zeros} FROM unnest({_arrays(tag, op.table, op.columns)}) "
            f"AS u ({_names('postgresql', op.columns)}) "
            f"ORDER BY {_names('postgresql', op.key)} "
            f"ON CONFLICT ({_names('postgresql', op.key)}) DO UPDATE SET {op.assign}"
            + (f" RETURNING {_names('postgresql', op.returning)}" if op.returning else ""))


def _is_integer(table: Table, name: str) -> bool:
    column_type = table.c[name].type
    if isinstance(column_type, ScaledDecimal):
        return False
    assert isinstance(column_type, Integer), f"{table.name}.{name}: integers and decimals only"
    return True


def _shape(op: Insert | Update | Upsert | Lock) -> tuple[Any, ...]:
    """What the SQL of ``op`` depends on (everything but the rows)."""
    if isinstance(op, Lock):
        return (Lock, op.table, op.columns)
    if isinstance(op, Insert):
        return (Insert, op.table, op.columns, tuple(op.constants))
    if isinstance(op, Update):
        return (Update, op.table, op.key, op.columns, op.guard)
    return (Upsert, op.table, op.key, op.columns, op.assign, op.returning, op.zeros)


#: Statement text and result layout by the shape of the operations.
_PG_STATEMENTS: dict[tuple[Any, ...], tuple[str, list[tuple[int, ...]]]] = {}


def _pg_statement(operations: Sequence[Insert | Update | Upsert | Lock]
                  ) -> tuple[str, list[tuple[int, ...]]]:
    """One statement for ``operations``, and where each one's returned columns are in its
    result rows: ``op, <integer slots>, <decimal slots>`` (an update returns its count)."""
    shape = tuple(_shape(op) for op in operations)
    known = _PG_STATEMENTS.get(shape)
    if known is not None:
        return known
    q = _quote("postgresql")
    parts, outputs = [], []
    for n, op in enumerate(operations):
        parts.append(f"o{n} AS ({_pg_part(f'o{n}', op)})")
        if isinstance(op, Update):
            outputs.append((n, [("count(*)", True)]))
        elif isinstance(op, Upsert) and op.returning:
            outputs.append((n, [(q(c), _is_integer(op.table, c)) for c in op.returning]))
        elif isinstance(op, Lock):
            outputs.append((n, [(q(c), _is_integer(op.table, c)) for c in op.columns]))
    ints = max([sum(1 for _c, i in cols if i) for _n, cols in outputs] or [0])
    decimals = max([sum(1 for _c, i in cols if not i) for _n, cols in outputs] or [0])
    selects = []
    slots: list[tuple[int, ...]] = [() for _ in operations]
    for n, cols in outputs:
        int_cols = [c for c, i in cols if i]
        dec_cols = [c for c, i in cols if not i]
        values = ([f"({c})::bigint" for c in int_cols]
                  + ["NULL::bigint"] * (ints - len(int_cols))
                  + [f"({c})::numeric" for c in dec_cols]
                  + ["NULL::numeric"] * (decimals - len(dec_cols)))
        selects.append(f"SELECT {n}, {', '.join(values)} FROM o{n}")
        where, i, d = [], 0, 0
        for _c, is_int in cols:
            if is_int:
                where.append(1 + i)
                i += 1
            else:
                where.append(1 + ints + d)
                d += 1
        slots[n] = tuple(where)
    final = " UNION ALL ".join(selects) if selects else "SELECT NULL WHERE false"
    known = (f"WITH {', '.join(parts)} {final}", slots)
    _PG_STATEMENTS[shape] = known
    return known


def pg_array(values: Sequence[Any]) -> str | list[Any]:
    """``values`` as the text of a PostgreSQL array (``{1,NULL,"a\\"b"}``), for a
    parameter cast to the column's array type: psycopg adapts a list element by element in
    Python (with a pattern search for each to decide on quoting) — ten times the work of
    writing the text at once, and the server parses the same text either way.  Integers,
    decimals, text and dates are written here; a list with anything else is left to the
    driver."""
    parts = []
    for value in values:
        kind = type(value)
        if value is None:
            parts.append("NULL")
        elif kind is int or kind is Decimal:
            parts.append(str(value))
        elif kind is str:
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif kind is date:
            parts.append(value.isoformat())
        else:
            return list(values)
    return "{" + ",".join(parts) + "}"


def _pg_run(conn: Connection, operations: Sequence[Insert | Update | Upsert | Lock]
            ) -> list[Any]:
    sql, slots = _pg_statement(operations)
    params: dict[str, Any] = {}
    for n, op in enumerate(operations):
        if isinstance(op, Lock):
            params[f"o{n}c0"] = pg_array(sorted(op.keys))
            continue
        if isinstance(op, Update):
            width = len(op.columns) + (1 if op.guard is None else 2)
        else:
            width = len(op.columns)
        columns = list(zip(*op.rows, strict=True)) or [()] * width
        params.update({f"o{n}c{i}": pg_array(values) for i, values in enumerate(columns)})
        if isinstance(op, Insert):
            params.update({f"o{n}k{i}": v for i, v in enumerate(op.constants.values())})
    results: list[Any] = [None if isinstance(op, Insert) or (
        isinstance(op, Upsert) and not op.returning) else [] for op in operations]
    for row in conn.exec_driver_sql(sql, params).all():
        n = row[0]
        results[n].append(tuple(row[i] for i in slots[n]))
    for n, op in enumerate(operations):
        if isinstance(op, Update):
            results[n] = int(results[n][0][0]) if results[n] else 0
    return results
