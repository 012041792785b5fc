"""A world for the accounting_bridge tests (no test is collected from this module).

``build_world(database_url)`` creates a database with base_jxc, depreciation and
accounting_bridge (小企业会计准则, the default): a product ``P1`` in category ``GOODS``, a
warehouse ``WH1``, a customer ``C1`` and a supplier ``S1``; helpers post receipts,
deliveries, invoices and payments through base_jxc's services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger
from openjxc.addons.accounting_bridge.models import Voucher, VoucherLine
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.invoicing.payments import create_payment
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.stock.models import Location, StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.concurrency import waiting_on_a_lock
from openjxc.testing.fixtures import create_test_database

D = Decimal
ADDONS = ["base_jxc", "depreciation", "accounting_bridge"]
DAY = date(2026, 3, 10)


@dataclass
class World:
    env: Environment
    ids: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def run(self, action: Any) -> Any:
        with self.uow() as session:
            result = action(session)
            session.flush()
            if hasattr(result, "__table__"):
                session.refresh(result)
                session.expunge(result)
            return result

    def refusal(self, action: Any) -> list[tuple[str, tuple[str, ...]]]:
        with self.uow() as session:
            try:
                with session.begin_nested():
                    action(session)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the action was accepted")

    # -- documents --------------------------------------------------------------------
    def receive(self, s: Session, qty: Decimal, cost: Decimal, day: date = DAY) -> None:
        post_moves(s, [MoveLine(product_id=self.ids["P1"], quantity=qty,
                                from_location_id=company_location(s, "supplier").id,
                                to_location_id=self.ids["WH1/STOCK"], unit_cost=cost)],
                   move_date=day, origin_type="purchase.receipt")

    def deliver(self, s: Session, qty: Decimal, day: date = DAY) -> None:
        post_moves(s, [MoveLine(product_id=self.ids["P1"], quantity=qty,
                                from_location_id=self.ids["WH1/STOCK"],
                                to_location_id=company_location(s, "customer").id)],
                   move_date=day, origin_type="sales.delivery")

    def invoice(self, s: Session, direction: str, qty: Decimal, price: Decimal,
                kind: str = "invoice", day: date = DAY) -> Any:
        partner = self.ids["C1"] if direction == "receivable" else self.ids["S1"]
        return create_invoice(s, partner_id=partner, direction=direction, kind=kind,
                              invoice_date=day, lines=[InvoiceLineInput(
                                  product_id=self.ids["P1"], description="P1", quantity=qty,
                                  unit_price=price, tax_rate=D("0.13"))])

    def pay(self, s: Session, direction: str, amount: Decimal, day: date = DAY,
            **kw: Any) -> Any:
        partner = self.ids["C1"] if direction == "receivable" else self.ids["S1"]
        return create_payment(s, partner_id=partner, direction=direction, amount=amount,
                              payment_date=day, **kw)

    # -- reading ----------------------------------------------------------------------
    def balance(self, code: str) -> Decimal:
        with self.uow(readonly=True) as s:
            return ledger.account_balance(s, code)

    def stock_value(self) -> Decimal:
        """Σ StockMove.value into internal locations less out of them."""
        with self.uow(readonly=True) as s:
            internal = select(Location.id).where(Location.kind == "internal")
            value = s.scalar(select(func.coalesce(func.sum(
                case((StockMove.to_location_id.in_(internal), StockMove.value), else_=0)
                - case((StockMove.from_location_id.in_(internal), StockMove.value),
                       else_=0)), 0)))
            return D(value or 0).quantize(D("0.01"))

    def unbalanced(self) -> list[str]:
        with self.uow(readonly=True) as s:
            rows = s.execute(select(Voucher.number, Voucher.total,
                                    func.sum(VoucherLine.debit), func.sum(VoucherLine.credit))
                             .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
                             .group_by(Voucher.id, Voucher.number, Voucher.total)).all()
            return [n for n, total, d, c in rows if not (d == c == total)]

    def vouchers(self) -> list[tuple[str, str]]:
        with self.uow(readonly=True) as s:
            return [(n, t) for n, t in s.execute(select(Voucher.number, Voucher.source_type)
                                                 .order_by(Voucher.id))]

    def lines(self, number: str | None = None) -> list[tuple[str, Decimal, Decimal]]:
        from openjxc.addons.accounting_bridge.models import Account

        with self.uow(readonly=True) as s:
            stmt = (select(Account.code, VoucherLine.debit, VoucherLine.credit)
                    .join(Account, Account.id == VoucherLine.account_id)
                    .join(Voucher, Voucher.id == VoucherLine.voucher_id))
            if number is None:
                stmt = stmt.where(Voucher.id == select(func.max(Voucher.id))
                                  .scalar_subquery())
            else:
                stmt = stmt.where(Voucher.number == number)
            return [(c, d, cr) for c, d, cr in s.execute(
                stmt.order_by(VoucherLine.sequence))]


def build_world(database_url: str) -> World:
    env = Environment.for_addons(ADDONS, database_url=database_url)
    create_test_database(env)
    world = World(env)
    with env.unit_of_work() as session:
        create_category(session, code="GOODS", name="商品")
        world.ids["P1"] = create_product(session, ProductInput(
            code="P1", name="轴承", category_code="GOODS")).id
        world.ids["WH1"] = create_warehouse(session, code="WH1", name="总仓", kind="hq").id
        stock = session.scalar(select(Location.id).where(Location.code == "WH1/STOCK"))
        assert stock is not None
        world.ids["WH1/STOCK"] = stock
        world.ids["C1"] = create_partner(session, PartnerInput(code="C1", name="客户")).id
        world.ids["S1"] = create_partner(session, PartnerInput(
            code="S1", name="供应商", is_customer=False, is_supplier=True)).id
    return world


def race(world: World, first: Callable[[Session], Any],
         second: Callable[[Session], Any]) -> list[Any]:
    """``second`` starts while ``first`` is done but not committed; its outcome."""
    outcome: list[Any] = []

    def late() -> None:
        try:
            with world.uow() as s:
                second(s)
            outcome.append("ok")
        except ValidationFailed as exc:
            outcome.append([e.code for e in exc.errors])
        except Exception as exc:  # reported, never swallowed
            outcome.append(repr(exc))

    with world.uow() as s:
        first(s)
        thread = threading.Thread(target=late)
        thread.start()
        waited = waiting_on_a_lock(world.env.database.engine)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert waited, "the second should wait for the first"
    return outcome
