"""What posting reads before it writes, in as few statements as a document allows.

One statement reads everything every document needs: its locations (with their
warehouse's negative-stock rule), its products, the end of the last closed stock month and
the primary keys its moves will get (drawn from the sequence on PostgreSQL; on SQLite, whose
writer holds the database lock from ``BEGIN IMMEDIATE`` on, the highest id so far).
Batches and serial units are read by a statement of their own when a document has some.

Statements are built once per backend and kept: building one costs more than running it.
Lists travel as one array on PostgreSQL (``= ANY(:ids)``, ``unnest``), so the statement
text — and the plan the server keeps for it — does not change with the number of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..catalog.models import Product
from .models import (
    Batch,
    Location,
    SerialNumber,
    StockMove,
    StockPeriod,
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


@dataclass
class DocumentFacts:
    """What a document's lines refer to, and the keys of its moves."""

    places: dict[int, Place]
    products: dict[int, ProductFacts]
    #: The end of the last closed stock month (None: none closed).
    closed: date | None
    move_ids: list[int]


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

@cache
def _document_statement(dialect: str) -> CompoundSelect[Any]:
    """Rows tagged ``l`` (a location), ``p`` (a product) and ``m`` (move ids); every row
    carries the end of the last closed month."""
    closed = select(func.max(PERIOD.c.period_end)).scalar_subquery().label("closed")
    no_int, no_text = cast(null(), Integer), cast(null(), String)
    places = (select(literal("l").label("tag"), LOCATION.c.id, LOCATION.c.code,
                     LOCATION.c.kind, LOCATION.c.warehouse_id,
                     func.coalesce(WAREHOUSE.c.allow_negative, False).label("allow_negative"),
                     closed)
              .select_from(LOCATION.outerjoin(WAREHOUSE,
                                              WAREHOUSE.c.id == LOCATION.c.warehouse_id))
              .where(any_of(LOCATION.c.id, "places", dialect)))
    products = (select(literal("p"), PRODUCT.c.id, PRODUCT.c.code, PRODUCT.c.tracking, no_int,
                       cast(False, Boolean), closed)
                .where(any_of(PRODUCT.c.id, "products", dialect)))
    if dialect == "postgresql":
        moves = (select(literal("m"), cast(literal_column("nextval(s.seq)"), Integer),
                        no_text, no_text, no_int, cast(False, Boolean), closed)
                 .select_from(text(f"(SELECT pg_get_serial_sequence('{MOVE.name}', 'id')"
                                   f"::regclass AS seq) AS s, generate_series(1, :moves)")
                              .bindparams(bindparam("moves", type_=Integer))))
    else:
        moves = select(literal("m"), func.coalesce(func.max(MOVE.c.id), 0), no_text,
                       no_text, no_int, cast(False, Boolean), closed)
    return union_all(places, products, moves)


def read_document(session: Session, *, place_ids: set[int], product_ids: set[int],
                  moves: int) -> DocumentFacts:
    """The document's places and products (unknown ids are left out), the closed month,
    and ``moves`` fresh move ids — in one statement."""
    conn = session.connection()
    dialect = conn.dialect.name
    facts = DocumentFacts({}, {}, None, [])
    drawn: list[int] = []
    for tag, key, code, kind, warehouse_id, allow_negative, closed in conn.execute(
            _document_statement(dialect),
            {"places": list(place_ids), "products": list(product_ids), "moves": moves}):
        facts.closed = closed
        if tag == "l":
            facts.places[key] = Place(key, code, kind, warehouse_id, bool(allow_negative))
        elif tag == "p":
            facts.products[key] = ProductFacts(key, code, kind)
        else:
            drawn.append(key)
    if dialect == "postgresql":
        facts.move_ids = drawn
    else:
        facts.move_ids = list(range(drawn[0] + 1, drawn[0] + moves + 1))
    return facts


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
