"""A world for the depreciation tests (no test is collected from this module).

``build_world(database_url)`` creates a database with base_jxc and depreciation only:
the seeded categories (MACHINERY 120 months, TOOLS 60, VEHICLES 48, ELECTRONICS 36,
BUILDINGS 240; residual 5 %), a serial-tracked product ``MOTOR`` with units ``M-001`` and
``M-002`` in ``WH1/STOCK`` (cost 3,100.00 and 3,300.00) — and it records every event
depreciation publishes in ``world.events``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.models import Location
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.addons.depreciation import events
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.core.events import Event, Subscription
from openjxc.testing.fixtures import create_test_database

D = Decimal
ADDONS = ["base_jxc", "depreciation"]
EVENTS = (events.AssetAcquired, events.AssetCapitalized, events.DepreciationPosted,
          events.AssetDisposed)


@dataclass
class World:
    env: Environment
    ids: dict[str, int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def run(self, action: Any) -> Any:
        """``action(session)`` in its own unit of work; ORM results are detached."""
        with self.uow() as session:
            result = action(session)
            session.flush()
            if hasattr(result, "__table__"):
                session.refresh(result)
                session.expunge(result)
            return result

    def refusal(self, action: Any) -> list[tuple[str, tuple[str, ...]]]:
        """``(code, field)`` of each error of an action that must be refused; the unit of
        work then commits, so whatever the refusal left behind would be kept."""
        with self.uow() as session:
            try:
                with session.begin_nested():
                    action(session)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the action was accepted")

    def asset(self, acquired_on: date, cost: str = "100000", **kw: Any) -> Any:
        kw.setdefault("category_code", "MACHINERY")
        return self.run(lambda s: create_asset(s, AssetInput(
            name=kw.pop("name", "机床"), cost=D(cost), acquired_on=acquired_on, **kw)))

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def build_world(database_url: str) -> World:
    env = Environment.for_addons(ADDONS, database_url=database_url)
    create_test_database(env)
    world = World(env)
    for kind in EVENTS:
        env.events._transaction.setdefault(kind.name, []).append(
            Subscription(kind, lambda e, **_: world.events.append(e)))
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
        world.ids["MOTOR"] = create_product(session, ProductInput(
            code="MOTOR", name="电机 YE3", category_code="DJ", tracking="serial")).id
        world.ids["WH1"] = create_warehouse(session, code="WH1", name="总仓", kind="hq").id
        stock = session.scalar(select(Location.id).where(Location.code == "WH1/STOCK"))
        assert stock is not None
        world.ids["WH1/STOCK"] = stock
        supplier = company_location(session, "supplier").id
        for number, cost in (("M-001", "3100"), ("M-002", "3300")):
            post_moves(session, [MoveLine(product_id=world.ids["MOTOR"], quantity=D(1),
                                          from_location_id=supplier, to_location_id=stock,
                                          unit_cost=D(cost), serials=[number])],
                       move_date=date(2026, 1, 5), origin_type="test.receipt")
    return world
