"""A small stock world for the stock engine's tests: products, two warehouses, helpers.

``build_world(database_url)`` creates a basic database with

* products ``PLAIN`` (no tracking), ``PLAIN2``, ``SER`` and ``SER2`` (serial), ``BAT`` (batch);
* warehouse ``WH1`` (negative stock forbidden, bins ``A-01`` and ``A-02``) and ``WH2``
  (negative stock allowed);
* the company-wide supplier, customer, adjustment and loss locations.

Locations are named by code (``WH1/STOCK``, ``WH1/A-01``, ``WH2/STOCK``) or by kind for the
company ones (``supplier``, ``customer``, ``adjustment``, ``loss``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.models import (
    Batch,
    SerialNumber,
    StockBalance,
    StockMove,
    StockMoveSerial,
    StockSnapshot,
    StockValuation,
)
from openjxc.addons.base_jxc.stock.posting import MoveLine, PostingResult, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database

PRODUCTS = {"PLAIN": "none", "PLAIN2": "none", "SER": "serial", "SER2": "serial",
            "BAT": "batch"}
COMPANY = ("supplier", "customer", "adjustment", "loss")


def D(value: object) -> Decimal:
    return Decimal(str(value))


@dataclass
class StockWorld:
    """An environment with the products and locations above, and posting helpers."""

    env: Environment
    products: dict[str, int] = field(default_factory=dict)
    warehouses: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def line(self, product: str, quantity: object, source: str, target: str,
             **kwargs: Any) -> MoveLine:
        """A move line by codes: ``world.line("PLAIN", 5, "supplier", "WH1/STOCK")``."""
        return MoveLine(product_id=self.products[product], quantity=D(quantity),
                        from_location_id=self.locations[source],
                        to_location_id=self.locations[target], **kwargs)

    def post(self, lines: Sequence[MoveLine] | MoveLine, **kwargs: Any) -> PostingResult:
        """Post one document in its own unit of work."""
        if isinstance(lines, MoveLine):
            lines = [lines]
        with self.uow() as session:
            return post_moves(session, lines, **kwargs)

    def refused(self, lines: Sequence[MoveLine] | MoveLine, **kwargs: Any) -> list[str]:
        """Post a document that must be refused; the codes of its errors.

        The refusal is caught inside the unit of work, which then commits: whatever the
        engine left behind would be kept, so the caller can check that nothing changed.
        """
        if isinstance(lines, MoveLine):
            lines = [lines]
        with self.uow() as session:
            try:
                post_moves(session, lines, **kwargs)
            except ValidationFailed as exc:
                return [e.code for e in exc.errors]
        raise AssertionError("the posting was accepted")

    def errors(self, lines: Sequence[MoveLine] | MoveLine,
               **kwargs: Any) -> list[tuple[str, tuple[str, ...]]]:
        if isinstance(lines, MoveLine):
            lines = [lines]
        with self.uow() as session:
            try:
                post_moves(session, lines, **kwargs)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the posting was accepted")

    # -- reading ---------------------------------------------------------------------

    def balance(self, location: str, product: str, batch_id: int = 0) -> Decimal:
        with self.uow(readonly=True) as session:
            return session.scalar(select(StockBalance.quantity).where(
                StockBalance.location_id == self.locations[location],
                StockBalance.product_id == self.products[product],
                StockBalance.batch_id == batch_id)) or Decimal(0)

    def valuation(self, product: str) -> tuple[Decimal, Decimal]:
        """(quantity, value) of the product's moving average."""
        with self.uow(readonly=True) as session:
            row = session.execute(select(StockValuation.quantity, StockValuation.value)
                                  .where(StockValuation.product_id == self.products[product])
                                  ).first()
            return (row.quantity, row.value) if row else (Decimal(0), Decimal(0))

    def serial_location(self, product: str, number: str) -> int | None:
        with self.uow(readonly=True) as session:
            return session.scalar(select(SerialNumber.location_id).where(
                SerialNumber.product_id == self.products[product],
                SerialNumber.number == number))

    def batch_id(self, product: str, number: str) -> int:
        with self.uow(readonly=True) as session:
            found = session.scalar(select(Batch.id).where(
                Batch.product_id == self.products[product], Batch.number == number))
            assert found is not None
            return found

    def moves(self, product: str) -> list[StockMove]:
        with self.uow(readonly=True) as session:
            return list(session.scalars(select(StockMove).where(
                StockMove.product_id == self.products[product]).order_by(StockMove.id)))

    def counts(self) -> dict[str, object]:
        """Row counts and balance/valuation contents: equal before and after a refusal."""
        with self.uow(readonly=True) as session:
            out: dict[str, object] = {}
            for name, model in (("moves", StockMove), ("move_serials", StockMoveSerial),
                                ("serials", SerialNumber), ("batches", Batch),
                                ("snapshots", StockSnapshot)):
                out[name] = session.scalar(select(func.count()).select_from(model))
            out["balances"] = sorted(tuple(r) for r in session.execute(select(
                StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id,
                StockBalance.quantity, StockBalance.reserved)))
            out["valuations"] = sorted(tuple(r) for r in session.execute(select(
                StockValuation.product_id, StockValuation.quantity, StockValuation.value,
                StockValuation.last_unit_cost)))
            out["serial_places"] = sorted(tuple(r) for r in session.execute(select(
                SerialNumber.id, SerialNumber.location_id)))
            return out


def build_world(database_url: str, *, create: bool = True) -> StockWorld:
    """The world on ``database_url`` (created there unless ``create`` is false)."""
    env = Environment.for_edition("basic", database_url=database_url)
    if create:
        create_test_database(env)
    world = StockWorld(env)
    with env.unit_of_work() as session:
        if create:
            create_category(session, code="DJ", name="电机")
            for code, tracking in PRODUCTS.items():
                create_product(session, ProductInput(code=code, name=f"产品 {code}",
                                                     category_code="DJ", tracking=tracking))
            create_warehouse(session, code="WH1", name="总仓", bins=["A-01", "A-02"])
            create_warehouse(session, code="WH2", name="门店", kind="store",
                             allow_negative=True)
        _load_names(session, world)
    return world


def _load_names(session: Session, world: StockWorld) -> None:
    from openjxc.addons.base_jxc.catalog.models import Product
    from openjxc.addons.base_jxc.stock.models import Location, Warehouse

    world.products = dict(session.execute(select(Product.code, Product.id)
                                          .where(Product.code.in_(PRODUCTS))).all())
    world.warehouses = dict(session.execute(select(Warehouse.code, Warehouse.id)).all())
    for code, location_id in session.execute(select(Location.code, Location.id)):
        world.locations[code] = location_id
    for kind in COMPANY:
        world.locations[kind] = company_location(session, kind).id
    for code, warehouse_id in world.warehouses.items():
        assert warehouse_location(session, warehouse_id, "internal").code == f"{code}/STOCK"


class StatementCounter:
    """Counts the statements an engine sends (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                context: Any, executemany: bool) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            return
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.statements)


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# -- concurrency workers (module level, so that spawned processes can import them) --------

def deliver_many(database_url: str, seed: int, attempts: int, barrier: Any,
                 results: Any) -> None:
    """Post ``attempts`` deliveries of 1–3 ``PLAIN`` from ``WH1/STOCK``, each in its own unit
    of work retried on serialization failures; report ``("ok", qty)`` / ``("refused", code)``
    / ``("error", text)`` per attempt to ``results`` (a queue or a list)."""
    import random

    from openjxc.core.db import retry_transient

    put = results.append if isinstance(results, list) else results.put
    rng = random.Random(seed)
    world: StockWorld | None = None
    try:
        world = build_world(database_url, create=False)
        barrier.wait(timeout=60)
        for _ in range(attempts):
            quantity = rng.randint(1, 3)
            line = world.line("PLAIN", quantity, "WH1/STOCK", "customer")

            def once(line: MoveLine = line) -> None:
                assert world is not None
                world.post(line, origin_type="test.race")

            try:
                retry_transient(once, attempts=20)
                put(("ok", quantity))
            except ValidationFailed as exc:
                put(("refused", ",".join(e.code for e in exc.errors)))
    except Exception as exc:  # reported, never swallowed: the test fails on it
        put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        put(("done", seed))
        if world is not None:
            world.env.database.dispose()


def deliver_serial(database_url: str, numbers: list[str], barrier: Any, results: Any) -> None:
    """For each unit: check it is in ``WH1/STOCK``, wait for the other buyer, deliver it."""
    put = results.append if isinstance(results, list) else results.put
    world: StockWorld | None = None
    try:
        world = build_world(database_url, create=False)
        for number in numbers:
            seen = world.serial_location("SER", number) == world.locations["WH1/STOCK"]
            barrier.wait(timeout=60)
            try:
                world.post(world.line("SER", 1, "WH1/STOCK", "customer", serials=[number]))
                put(("ok", number, seen))
            except ValidationFailed as exc:
                put(("refused", ",".join(e.code for e in exc.errors), seen, number))
            barrier.wait(timeout=60)  # both done before the next unit is looked at
    except Exception as exc:
        put(("error", f"{type(exc).__name__}: {exc}", False))
    finally:
        if world is not None:
            world.env.database.dispose()
