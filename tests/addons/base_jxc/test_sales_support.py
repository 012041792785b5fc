"""Shared set-up of the sales tests: the trading world with goods in stock, and helpers
that drive the sales services by codes.

* ``PLAIN`` 100 units at 60.00 in ``WH1/STOCK``; ``PLAIN2`` 10 at 150.00 in ``WH1/A-01``;
* ``SER`` units ``SN-1..5`` at 2,000.00 in ``WH1/STOCK`` (``SN-6`` in ``WH2/STOCK``);
* ``BAT`` batches ``B-OLD`` (20, expires in 30 days), ``B-NEW`` (20, in a year) and
  ``B-DEAD`` (5, expired) in ``WH1/STOCK``.

List prices: ``PLAIN`` 100.00, ``PLAIN2`` 250.00, ``SER`` 3,000.00, ``BAT`` 80.00.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from stock_support import D
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.sales import services
from openjxc.addons.base_jxc.sales.models import (
    SalesOrder,
    SalesOrderLine,
    SalesReservation,
)
from openjxc.addons.base_jxc.stock.models import StockBalance
from openjxc.core.errors import ValidationFailed


@dataclass
class SalesWorld:
    """The trading world plus the helpers the sales tests share."""

    world: TradingWorld

    @property
    def env(self) -> Any:
        return self.world.env

    def uow(self) -> Any:
        return self.world.uow()

    def lines(self, *specs: tuple[Any, ...]) -> list[services.SalesLineInput]:
        """``("PLAIN", 5)`` or ``("PLAIN", 5, "90.00")`` or with a tax rate as fourth."""
        out = []
        for spec in specs:
            code, quantity, *rest = spec
            out.append(services.SalesLineInput(
                product_id=self.world.products[code], quantity=D(quantity),
                unit_price=D(rest[0]) if rest and rest[0] is not None else None,
                tax_rate=D(rest[1]) if len(rest) > 1 else None))
        return out

    def order(self, *specs: tuple[Any, ...], customer: str = "C1", warehouse: str = "WH1",
              **kwargs: Any) -> int:
        """A draft order; its id."""
        with self.uow() as session:
            order = services.create_sales_order(
                session, customer_id=self.world.partners[customer],
                warehouse_id=self.world.warehouses[warehouse], lines=self.lines(*specs),
                **kwargs)
            return order.id

    def confirm(self, order_id: int, user_id: int = 1) -> str:
        """Confirm; the state it ends in."""
        with self.uow() as session:
            order, _check = services.confirm_sales_order(session, order_id, user_id=user_id)
            return order.state

    def call(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a service in its own unit of work and return its result."""
        with self.uow() as session:
            return action(session, *args, **kwargs)

    def refused(self, action: Any, *args: Any, **kwargs: Any) -> list[tuple[str, tuple[str, ...]]]:
        """Run a service that must be refused: its errors as (code, field).  The unit of
        work commits after the refusal, so whatever the service left would be kept."""
        with self.uow() as session:
            try:
                action(session, *args, **kwargs)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the service was expected to refuse")

    def line_ids(self, order_id: int) -> list[int]:
        with self.uow() as session:
            return list(session.scalars(select(SalesOrderLine.id)
                                        .where(SalesOrderLine.order_id == order_id)
                                        .order_by(SalesOrderLine.position)))

    def order_row(self, order_id: int) -> SalesOrder:
        with self.uow() as session:
            order = session.get(SalesOrder, order_id)
            assert order is not None
            session.expunge(order)
            return order

    def line_rows(self, order_id: int) -> list[SalesOrderLine]:
        with self.uow() as session:
            rows = list(session.scalars(select(SalesOrderLine)
                                        .where(SalesOrderLine.order_id == order_id)
                                        .order_by(SalesOrderLine.position)))
            session.expunge_all()
            return rows

    def reservations(self, order_id: int) -> list[tuple[str, int, Decimal]]:
        """(location code, batch id, quantity) reserved for the order, sorted."""
        codes = {v: k for k, v in self.world.locations.items()}
        with self.uow() as session:
            rows = session.execute(
                select(SalesReservation.location_id, SalesReservation.batch_id,
                       SalesReservation.quantity)
                .join(SalesOrderLine, SalesOrderLine.id == SalesReservation.order_line_id)
                .where(SalesOrderLine.order_id == order_id)).all()
        return sorted((codes[r.location_id], r.batch_id, r.quantity) for r in rows)

    def reserved(self, location: str, product: str, batch_id: int = 0) -> Decimal:
        with self.uow() as session:
            return session.scalar(select(StockBalance.reserved).where(
                StockBalance.location_id == self.world.locations[location],
                StockBalance.product_id == self.world.products[product],
                StockBalance.batch_id == batch_id)) or Decimal(0)

    def set_credit(self, customer: str, limit: str | None,
                   tolerance: str | None = None) -> None:
        with self.uow() as session:
            partner = session.get(Partner, self.world.partners[customer])
            assert partner is not None
            partner.credit_limit = D(limit) if limit is not None else None
            partner.credit_tolerance = D(tolerance) if tolerance is not None else None


def stock_up(world: TradingWorld) -> None:
    """The goods of the module docstring."""
    today = date.today()
    world.post([
        world.line("PLAIN", 100, "supplier", "WH1/STOCK", unit_cost=D("60")),
        world.line("PLAIN2", 10, "supplier", "WH1/A-01", unit_cost=D("150")),
        world.line("SER", 5, "supplier", "WH1/STOCK", unit_cost=D("2000"),
                   serials=["SN-1..5"]),
        world.line("SER", 1, "supplier", "WH2/STOCK", unit_cost=D("2000"), serials=["SN-6"]),
        world.line("BAT", 20, "supplier", "WH1/STOCK", unit_cost=D("40"), batch_number="B-NEW",
                   expires_on=today + timedelta(days=365)),
        world.line("BAT", 20, "supplier", "WH1/STOCK", unit_cost=D("42"), batch_number="B-OLD",
                   expires_on=today + timedelta(days=30)),
    ])
    world.post(world.line("BAT", 5, "supplier", "WH1/STOCK", unit_cost=D("40"),
                          batch_number="B-DEAD", manufactured_on=today - timedelta(days=400),
                          expires_on=today - timedelta(days=1)), allow_expired=True)


@pytest.fixture
def sales(database_url: str) -> Iterator[SalesWorld]:
    world = build_trading_world(database_url)
    stock_up(world)
    yield SalesWorld(world)
    world.env.database.dispose()


def session_order(session: Session, order_id: int) -> SalesOrder:
    order = session.get(SalesOrder, order_id)
    assert order is not None
    return order


# -- concurrency workers ------------------------------------------------------------------

def race_orders(database_url: str, action: str, order_ids: list[int], barrier: Any,
                results: list[tuple[Any, ...]]) -> None:
    """Wait for the others, then confirm or deliver (everything left on) each order, each
    in its own unit of work retried on transient errors; report ``("ok", id, result)``,
    ``("refused", id, codes)`` or ``("error", id, text)`` to ``results``."""
    from openjxc.core.db import retry_transient
    from openjxc.core.env import Environment

    env = None
    try:
        env = Environment.for_edition("basic", database_url=database_url)
        barrier.wait(timeout=60)
        for order_id in order_ids:
            def once(order_id: int = order_id) -> str:
                assert env is not None
                with env.unit_of_work() as session:
                    if action == "confirm":
                        order, _check = services.confirm_sales_order(session, order_id,
                                                                     user_id=1)
                        return order.state
                    return services.deliver_sales_order(session, order_id).number

            try:
                results.append(("ok", order_id, retry_transient(once, attempts=20)))
            except ValidationFailed as exc:
                results.append(("refused", order_id, ",".join(e.code for e in exc.errors)))
    except Exception as exc:  # reported, never swallowed: the test fails on it
        results.append(("error", -1, f"{type(exc).__name__}: {exc}"))
    finally:
        if env is not None:
            env.database.dispose()
