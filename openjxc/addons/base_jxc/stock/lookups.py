"""What posting reads before it writes, in as few statements as a document allows.

One statement reads everything every document needs: its locations (with their
warehouse's negative-stock rule), its products, the end of the last closed stock month and
the primary keys its moves will get (drawn from the sequence on PostgreSQL; on SQLite, whose
writer holds the database lock from ``BEGIN IMMEDIATE`` on, the highest id so far — and
there, under the same lock, the products' valuations and the highest serial and batch ids
too, so posting needs no other read before it writes).  Batches and serial units are read
by a statement of their own when a document has some.

Statements are built once per backend and kept: building one costs more than running it.
Lists travel as one array on PostgreSQL (``= ANY(:ids)``, ``unnest``), so the statement
text — and the plan the server keeps for it — does not change with the number of lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import JSON, ColumnElement, Select, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..catalog.models import Product
from .bulk import pg_array
from .ids import allocate_ids
from .models import (
    Batch,
    Location,
    SerialNumber,
    StockMove,
    StockPeriod,
    StockValuation,
    Warehouse,
    table_of,
)

PRODUCT = table_of(Product)
LOCATION = table_of(Location)
WAREHOUSE = table_of(Warehouse)
PERIOD = table_of(StockPeriod)
BATCH = table_of(Batch)
SERIAL = table_of(SerialNumber)
MOVE = table_of(StockMove)
VALUATION = table_of(StockValuation)


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    kind: str
    warehouse_id: int | None
    allow_negative: bool


class ProductFacts(NamedTuple):
    id: int
    code: str
    tracking: str


def any_of(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` in the list bound as ``name``, the list as one value — ``= ANY(array)``
    on PostgreSQL, ``IN (SELECT value FROM json_each(:json))`` on SQLite — so the statement
    text does not change with the length of the list (an ``IN (?, ?, …)`` would be compiled
    anew by SQLite for every new length: a third of the look-up's time)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    each = func.json_each(bindparam(name, type_=JSON())).table_valued("value")
    return column.in_(select(each.c.value))


def _pairs_in(product: Any, number: Any, dialect: str) -> ColumnElement[bool]:
    """Rows whose product is among ``products`` and number among ``numbers`` (bound by
    :func:`pairs_params`): each combination is looked up in the unique (product, number)
    index — SQLite would read the whole table for a row-value ``IN (VALUES …)`` — and the
    callers keep only the pairs asked for (:func:`_asked`)."""
    return (any_of(product, "products", dialect) & any_of(number, "numbers", dialect))


def pairs_params(_dialect: str, pairs: Sequence[tuple[int, str]]) -> dict[str, Any]:
    return {"products": sorted({p for p, _n in pairs}),
            "numbers": sorted({n for _p, n in pairs})}


def _asked(rows: Any, pairs: set[tuple[int, str]] | Sequence[tuple[int, str]]) -> list[Any]:
    wanted = pairs if isinstance(pairs, set) else set(pairs)
    return [r for r in rows if (r.product_id, r.number) in wanted]


# -- the document ----------------------------------------------------------------------------

@dataclass
class DocumentFacts:
    """What a document's lines refer to, and the keys of its moves."""

    places: dict[int, Place]
    products: dict[int, ProductFacts]
    #: The end of the last closed stock month (None: none closed).
    closed: date | None
    move_ids: list[int]
    #: SQLite only — its writer holds the whole database from ``BEGIN IMMEDIATE`` on, so
    #: what is read here stays true until commit: the products' valuations (quantity,
    #: value, last unit cost; None where a product has none yet) and the highest serial
    #: and batch ids so far.  PostgreSQL locks the valuations with the balances and draws
    #: keys from the sequences.
    valuations: dict[int, tuple[Decimal, Decimal, Decimal] | None] | None = None
    last_ids: dict[str, int] = field(default_factory=dict)
    #: PostgreSQL: the products that have a valuation row (rows are never deleted, so they
    #: can be locked without an upsert; see :class:`.bulk.Lock`).
    valued: set[int] = field(default_factory=set)

    def draw_ids(self, session: Session, table: Table, count: int) -> list[int]:
        """``count`` fresh keys of ``table`` (serials or batches) for this document."""
        last = self.last_ids.get(table.name)
        if last is None:
            return allocate_ids(session, table, count)
        self.last_ids[table.name] = last + count
        return list(range(last + 1, last + count + 1))


@cache
def _document_sql(dialect: str) -> str:
    """Rows tagged ``l`` (a location), ``p`` (a product, with its valuation on SQLite and
    whether it has one on PostgreSQL), ``c`` (the end of the last closed month), ``m``
    (move ids) and, on SQLite, ``s`` and ``b`` (the highest serial and batch ids).  Plain
    SQL on the driver: the statement is the same for every document, and compiling or even
    looking up a SQLAlchemy statement costs more than SQLite takes to run it."""
    if dialect == "postgresql":
        return (
            f"SELECT 'l'::text, l.id::bigint, l.code::text, l.kind::text, l.warehouse_id, "
            f"coalesce(w.allow_negative, false) "
            f"FROM {LOCATION.name} l LEFT JOIN {WAREHOUSE.name} w ON w.id = l.warehouse_id "
            f"WHERE l.id = ANY(%(places)s::integer[]) "
            f"UNION ALL SELECT 'p', p.id, p.code, p.tracking, NULL, v.product_id IS NOT NULL "
            f"FROM {PRODUCT.name} p LEFT JOIN {VALUATION.name} v ON v.product_id = p.id "
            f"WHERE p.id = ANY(%(products)s::integer[]) "
            f"UNION ALL SELECT 'c', NULL, to_char(max(period_end), 'YYYY-MM-DD'), NULL, NULL, NULL "
            f"FROM {PERIOD.name} "
            f"UNION ALL SELECT 'm', nextval(s.seq), NULL, NULL, NULL, NULL "
            f"FROM (SELECT pg_get_serial_sequence('{MOVE.name}', 'id')::regclass AS seq) AS s, "
            f"generate_series(1, %(moves)s)")
    return (
        f"SELECT 'l', l.id, l.code, l.kind, l.warehouse_id, coalesce(w.allow_negative, 0), "
        f"NULL, NULL, NULL "
        f"FROM {LOCATION.name} l LEFT JOIN {WAREHOUSE.name} w ON w.id = l.warehouse_id "
        f"WHERE l.id IN (SELECT value FROM json_each(?1)) "
        f"UNION ALL SELECT 'p', p.id, p.code, p.tracking, v.product_id, NULL, v.quantity, "
        f"v.value, v.last_unit_cost FROM {PRODUCT.name} p "
        f"LEFT JOIN {VALUATION.name} v ON v.product_id = p.id "
        f"WHERE p.id IN (SELECT value FROM json_each(?2)) "
        f"UNION ALL SELECT 'c', NULL, max(period_end), NULL, NULL, NULL, NULL, NULL, NULL "
        f"FROM {PERIOD.name} "
        + "".join(f"UNION ALL SELECT '{tag}', coalesce(max(id), 0), NULL, NULL, NULL, NULL, "
                  f"NULL, NULL, NULL FROM {table.name} "
                  for tag, table in (("m", MOVE), ("s", SERIAL), ("b", BATCH))))


def read_document(session: Session, *, place_ids: set[int], product_ids: set[int],
                  moves: int) -> DocumentFacts:
    """The document's places and products (unknown ids are left out), the closed month,
    and ``moves`` fresh move ids — in one statement (on SQLite with the valuations and the
    highest serial and batch ids: see :class:`DocumentFacts`)."""
    conn = session.connection()
    dialect = conn.dialect.name
    facts = DocumentFacts({}, {}, None, [])
    places, products = facts.places, facts.products
    if dialect == "postgresql":
        rows = conn.exec_driver_sql(_document_sql(dialect), {
            "places": pg_array(list(place_ids)), "products": pg_array(list(product_ids)),
            "moves": moves}).all()
        for tag, key, code, kind, warehouse_id, allow_negative in rows:
            if tag == "m":
                facts.move_ids.append(key)
            elif tag == "l":
                places[key] = Place(key, code, kind, warehouse_id, bool(allow_negative))
            elif tag == "p":
                products[key] = ProductFacts(key, code, kind)
                if allow_negative:
                    facts.valued.add(key)
            elif code is not None:
                facts.closed = date.fromisoformat(code)
        return facts
    valuations: dict[int, tuple[Decimal, Decimal, Decimal] | None] = {}
    facts.valuations = valuations
    rows = conn.exec_driver_sql(_document_sql(dialect), (
        json.dumps(list(place_ids)), json.dumps(list(product_ids)))).all()
    for tag, key, code, kind, warehouse_id, allow_negative, quantity, value, cost in rows:
        if tag == "p":
            products[key] = ProductFacts(key, code, kind)
            valuations[key] = None if warehouse_id is None else (
                _scaled(quantity, _QUANTITY), _scaled(value, _MONEY), _scaled(cost, _COST))
        elif tag == "l":
            places[key] = Place(key, code, kind, warehouse_id, bool(allow_negative))
        elif tag == "c":
            facts.closed = None if code is None else date.fromisoformat(code)
        elif tag == "m":
            facts.move_ids = list(range(key + 1, key + moves + 1))
        else:
            facts.last_ids[SERIAL.name if tag == "s" else BATCH.name] = key
    return facts


def _scaled(value: int, exponent: int) -> Decimal:
    """A scaled integer as SQLite keeps :class:`~openjxc.core.models.ScaledDecimal`."""
    return Decimal(value).scaleb(exponent)


_QUANTITY, _MONEY, _COST = (-VALUATION.c[name].type.scale  # type: ignore[attr-defined]
                             for name in ("quantity", "value", "last_unit_cost"))


def load_places(session: Session, ids: Sequence[int]) -> dict[int, Place]:
    """Locations by id, with their warehouse's negative-stock rule."""
    return read_document(session, place_ids=set(ids), product_ids=set(), moves=0).places


# -- batches and serial units ----------------------------------------------------------------

_BATCH_COLUMNS = (BATCH.c.id, BATCH.c.product_id, BATCH.c.number, BATCH.c.manufactured_on,
                  BATCH.c.expires_on)


@cache
def _batches_by_id(dialect: str) -> Select[Any]:
    return select(*_BATCH_COLUMNS).where(any_of(BATCH.c.id, "ids", dialect))


@cache
def _batches_by_number(dialect: str) -> Select[Any]:
    return select(*_BATCH_COLUMNS).where(_pairs_in(BATCH.c.product_id, BATCH.c.number,
                                                   dialect))


def find_batches(session: Session, *, ids: set[int],
                 numbers: set[tuple[int, str]]) -> list[Any]:
    """Batches by id and by (product, number): rows of id, product_id, number,
    manufactured_on, expires_on."""
    conn = session.connection()
    dialect = conn.dialect.name
    rows: list[Any] = []
    if ids:
        rows.extend(conn.execute(_batches_by_id(dialect), {"ids": list(ids)}))
    if numbers:
        rows.extend(_asked(conn.execute(_batches_by_number(dialect),
                                        pairs_params(dialect, sorted(numbers))), numbers))
    return rows


#: Serial look-ups on SQLite are chunked below its bound-parameter limit (PostgreSQL takes
#: the numbers as one array).
CHUNK = 2000


@cache
def _serials_statement(dialect: str) -> Select[Any]:
    """Units by (product, number), with the code and kind of where they are now."""
    return (select(SERIAL.c.id, SERIAL.c.product_id, SERIAL.c.number, SERIAL.c.location_id,
                   SERIAL.c.unit_cost, LOCATION.c.code, LOCATION.c.kind)
            .select_from(SERIAL.outerjoin(LOCATION, LOCATION.c.id == SERIAL.c.location_id))
            .where(_pairs_in(SERIAL.c.product_id, SERIAL.c.number, dialect)))


def find_serials(session: Session, pairs: set[tuple[int, str]]) -> list[Any]:
    """Serial units by (product, number): rows of id, product_id, number, location_id,
    unit_cost and the code and kind of that location (on SQLite one statement per
    :data:`CHUNK`)."""
    conn = session.connection()
    dialect = conn.dialect.name
    ordered = sorted(pairs)
    rows: list[Any] = []
    chunk = max(len(ordered), 1) if dialect == "postgresql" else CHUNK
    for start in range(0, len(ordered), chunk):
        part = ordered[start:start + chunk]
        rows.extend(_asked(conn.execute(_serials_statement(dialect),
                                        pairs_params(dialect, part)), part))
    return rows
