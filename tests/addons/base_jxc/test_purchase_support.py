"""Shared set-up of the purchase tests: the trading world and short ways to order, approve
and receive through the services (as users 1, 2, 3 …).

The world is built once per backend and test session and copied for each test (a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL, made ahead in the background):
migrating a fresh database costs seconds, a copy a fraction of one."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stock_support import build_world
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.purchase import services
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder, PurchaseOrderLine
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import PG_ADMIN_URL, create_pg_database, drop_pg_database, pg_url

T = TypeVar("T")
BUYER, MANAGER, DIRECTOR, CLERK = 1, 2, 3, 4


def D(value: object) -> Decimal:
    return Decimal(str(value))


class _Copies:
    """Copies of a freshly built trading world.  On PostgreSQL the next copy is made in the
    background while a test runs, and used ones are dropped in the background too (both
    take seconds on a busy server)."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.directory = directory
        if backend == "sqlite":
            self.template = f"sqlite:///{directory / f'purchase_{uuid.uuid4().hex[:8]}.sqlite'}"
        else:
            self.template = pg_url(create_pg_database())
        build_trading_world(self.template).env.database.dispose()
        self.creating = ThreadPoolExecutor(max_workers=1)
        self.dropping = ThreadPoolExecutor(max_workers=1)
        self.drops: list[Future[None]] = []
        self.next: Future[str] | None = None
        if backend != "sqlite":
            self.next = self.creating.submit(self._create)

    def _create(self) -> str:
        name = f"openjxc_t_{uuid.uuid4().hex[:12]}"
        template = str(make_url(self.template).database)
        admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
        return name

    def take(self, tmp_path: Path) -> str:
        """The URL of a new copy."""
        if self.next is None:
            target = tmp_path / f"purchase_{uuid.uuid4().hex[:8]}.sqlite"
            shutil.copyfile(str(make_url(self.template).database), target)
            return f"sqlite:///{target}"
        name = self.next.result()
        self.next = self.creating.submit(self._create)
        return pg_url(name)

    def give_back(self, url: str) -> None:
        if self.backend != "sqlite":
            self.drops.append(self.dropping.submit(drop_pg_database,
                                                   str(make_url(url).database)))

    def close(self) -> None:
        if self.next is not None:
            self.give_back(pg_url(self.next.result()))
            self.give_back(self.template)
        self.creating.shutdown(wait=True)
        self.dropping.shutdown(wait=True)
        for dropped in self.drops:
            dropped.result()


#: backend → its copies; shared by every module that imports the fixtures below.
_COPIES: dict[str, _Copies] = {}


@pytest.fixture(scope="session")
def purchase_templates() -> Iterator[dict[str, _Copies]]:
    yield _COPIES
    while _COPIES:
        _COPIES.popitem()[1].close()


@pytest.fixture
def world(backend: str, purchase_templates: dict[str, _Copies],
          tmp_path: Path) -> Iterator[TradingWorld]:
    if backend not in purchase_templates:
        purchase_templates[backend] = _Copies(backend, tmp_path.parent)
    copies = purchase_templates[backend]
    url = copies.take(tmp_path)
    stock = build_world(url, create=False)
    world = TradingWorld(stock.env, products=stock.products, warehouses=stock.warehouses,
                         locations=stock.locations)
    with world.uow(readonly=True) as session:
        world.partners = dict(session.execute(select(Partner.code, Partner.id)).all())
    yield world
    world.env.database.dispose()
    copies.give_back(url)


def run(world: TradingWorld, action: Callable[[Session], T]) -> T:
    """``action(session)`` in its own unit of work, committed."""
    with world.uow() as session:
        return action(session)


def refused(world: TradingWorld, action: Callable[[Session], Any],
            ) -> list[tuple[str, tuple[str, ...]]]:
    """The ``(code, field)`` of each error of an action that must be refused; the unit of
    work then commits whatever was left behind, so callers can check that nothing changed."""
    with world.uow() as session:
        try:
            with session.begin_nested():
                action(session)
        except ValidationFailed as exc:
            return [(e.code, e.field) for e in exc.errors]
    raise AssertionError("the action was accepted")


def codes(errors: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    return [code for code, _field in errors]


def line(world: TradingWorld, product: str, quantity: object, price: object | None = None,
         **kwargs: Any) -> services.PurchaseLineInput:
    return services.PurchaseLineInput(product_id=world.products[product], quantity=D(quantity),
                                      unit_price=None if price is None else D(price), **kwargs)


def create_order(world: TradingWorld, *lines: services.PurchaseLineInput,
                 supplier: str = "S1", warehouse: str = "WH1", **kwargs: Any) -> int:
    def create(session: Session) -> int:
        order = services.create_purchase_order(
            session, supplier_id=world.partners[supplier],
            warehouse_id=world.warehouses[warehouse], lines=list(lines), user_id=BUYER,
            **kwargs)
        return order.id

    return run(world, create)


def approve(world: TradingWorld, order_id: int, *users: int) -> None:
    for user in users or (MANAGER,):
        def once(session: Session, user: int = user) -> None:
            services.approve_purchase_order(session, order_id, user_id=user)

        run(world, once)


def capture_events(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Any]:
    """The events ``module`` publishes from now on (they are still published)."""
    published: list[Any] = []
    real = module.publish

    def publish(session: Session, event: Any) -> None:
        published.append(event)
        real(session, event)

    monkeypatch.setattr(module, "publish", publish)
    return published


def approved_order(world: TradingWorld, *lines: services.PurchaseLineInput,
                   **kwargs: Any) -> int:
    """A created order with all the approvals it needs."""
    order_id = create_order(world, *lines, **kwargs)
    needed = order_state(world, order_id).approvals_required
    approve(world, order_id, *(MANAGER, DIRECTOR, 5, 6, 7)[:needed])
    return order_id


def order_state(world: TradingWorld, order_id: int) -> PurchaseOrder:
    with world.uow(readonly=True) as session:
        order = session.get_one(PurchaseOrder, order_id)
        session.expunge(order)
        return order


def order_lines(world: TradingWorld, order_id: int) -> list[PurchaseOrderLine]:
    with world.uow(readonly=True) as session:
        rows = list(session.scalars(select(PurchaseOrderLine)
                                    .where(PurchaseOrderLine.order_id == order_id)
                                    .order_by(PurchaseOrderLine.position)))
        session.expunge_all()
        return rows


def receive(world: TradingWorld, order_id: int, *lines: services.ReceiptLineInput,
            **kwargs: Any) -> int:
    def post(session: Session) -> int:
        return services.receive_purchase_order(session, order_id, lines=list(lines),
                                               user_id=CLERK, **kwargs).id

    return run(world, post)


def arrival(line_id: int, quantity: object, **kwargs: Any) -> services.ReceiptLineInput:
    for key in ("rejected_quantity",):
        if key in kwargs:
            kwargs[key] = D(kwargs[key])
    return services.ReceiptLineInput(order_line_id=line_id, quantity=D(quantity), **kwargs)


def set_policies(world: TradingWorld, **values: str) -> None:
    """``set_policies(world, purchase__receipt_tolerance="0.05")``."""
    with world.uow() as session:
        for key, text in values.items():
            set_policy(session, key.replace("__", "."), text, user_id=MANAGER)


def move_count(world: TradingWorld) -> int:
    with world.uow(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(StockMove)) or 0)


def moves_of(world: TradingWorld, origin_type: str) -> list[StockMove]:
    with world.uow(readonly=True) as session:
        rows = list(session.scalars(select(StockMove).where(StockMove.origin_type == origin_type)
                                    .order_by(StockMove.id)))
        session.expunge_all()
        return rows
