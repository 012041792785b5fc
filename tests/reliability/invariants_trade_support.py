"""The world of the cross-addon invariant machine (test_invariants_trade.py), and what it
reads back from the database to check the promises of the ledger, the documents, credit
control, warranties and idempotency keys.

``build_trade_world(url)`` makes a Pro database (base_jxc, serial_warranty,
service_orders) with

* products ``PLAIN`` (no tracking, list price 100.00) and ``SER`` (serial, 3,000.00) with a
  12-month warranty policy on ``SER``;
* warehouses ``WH1`` (negative stock forbidden, bin ``WH1/A-01``) and ``WH2`` (negative
  stock allowed);
* customers ``C1`` (credit limit 20,000.00), ``C2`` (8,000.00 with a 10 % tolerance), ``C3``
  (no limit); supplier ``S1``;
* users ``boss`` (admin), ``manager`` (sales_manager: may approve over-limit orders) and
  ``clerk`` (salesperson: may not).

The world keeps a *seed* of that database; :meth:`TradeWorld.restore` puts the work
database back to it (a file copy on SQLite, its rows and sequences on PostgreSQL) so each
hypothesis example starts from the same state with the same environment (whose GraphQL
schema is built once).  No test is collected from this module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, func, select, text
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.invoicing.amounts import line_amounts
from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine, Payment
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.purchase.models import PurchaseReceiptLine
from openjxc.addons.base_jxc.sales.lines import open_total
from openjxc.addons.base_jxc.sales.models import (
    CLOSED,
    DELIVERED,
    OPEN_ORDER_STATES,
    SalesCreditApproval,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
)
from openjxc.addons.base_jxc.stock.models import (
    PHYSICAL_KINDS,
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
    StockMoveSerial,
)
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.addons.serial_warranty.models import Warranty
from openjxc.addons.serial_warranty.services import create_policy
from openjxc.core.env import Environment
from openjxc.core.security import Principal
from openjxc.core.security.users import create_user
from openjxc.testing.graphql import GraphQLTester

D = Decimal
PASSWORD = "correct-horse-battery-7"
FORBIDS_NEGATIVE = ("WH1",)
CUSTOMERS = (
    PartnerInput(code="C1", name="杭州甲机电有限公司", credit_limit=D("20000.00"),
                 payment_terms_days=30),
    PartnerInput(code="C2", name="宁波乙泵阀有限公司", credit_limit=D("8000.00"),
                 credit_tolerance=D("0.10")),
    PartnerInput(code="C3", name="温州丙贸易有限公司"),
    PartnerInput(code="S1", name="浙江电机制造有限公司", is_customer=False, is_supplier=True),
)


@dataclass
class TradeWorld:
    env: Environment
    work_url: str
    seed: str = ""
    ids: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    apis: dict[str, GraphQLTester] = field(default_factory=dict)
    metadata: MetaData = field(default_factory=MetaData)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sequences: list[tuple[Any, ...]] = field(default_factory=list)

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def gql(self, who: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """``{"data", "errors"?}`` of an operation run as user ``who``."""
        return self.apis[who].execute(query, variables)

    # -- the seed copy -----------------------------------------------------------------

    def keep_seed(self) -> None:
        """Keep the work database as built: a file copy on SQLite; on PostgreSQL its rows
        and sequences, in memory (a ``CREATE DATABASE … TEMPLATE`` per example takes
        seconds on a busy server, putting back a few hundred rows milliseconds)."""
        self.env.database.dispose()
        if self.work_url.startswith("sqlite"):
            work = Path(self.work_url.removeprefix("sqlite:///"))
            self.seed = str(work.with_name(work.stem + "_seed.sqlite"))
            shutil.copyfile(work, self.seed)
            return
        with self.env.database.engine.begin() as conn:
            self.metadata.reflect(conn)
            for table in self.metadata.sorted_tables:
                self.rows[table.name] = [dict(r) for r in conn.execute(table.select())
                                         .mappings()]
            self.sequences = [tuple(r) for r in conn.execute(text(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"))]

    def restore(self) -> None:
        """Put the work database back to the seed."""
        self.env.database.dispose()
        if self.work_url.startswith("sqlite"):
            work = Path(self.work_url.removeprefix("sqlite:///"))
            for extra in ("-wal", "-shm", "-journal"):
                Path(str(work) + extra).unlink(missing_ok=True)
            shutil.copyfile(self.seed, work)
            return
        tables = self.metadata.sorted_tables
        with self.env.database.engine.begin() as conn:
            # No foreign-key triggers while the rows are put back (the test server's user
            # is a superuser); DELETE, not TRUNCATE, which makes new files for every table.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            preparer = conn.dialect.identifier_preparer
            for table in reversed(tables):
                conn.exec_driver_sql(f"DELETE FROM {preparer.format_table(table)}")
            for table in tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            for name, last in self.sequences:
                conn.execute(text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                             {"name": name, "value": last or 1, "called": last is not None})
        self.env.database.dispose()


def build_trade_world(work_url: str) -> TradeWorld:
    from openjxc.testing.fixtures import create_test_database

    env = Environment.for_edition("pro", database_url=work_url)
    create_test_database(env)
    world = TradeWorld(env, work_url)
    with world.uow() as session:
        create_category(session, code="DJ", name="电机")
        for code, tracking, price, cost in (("PLAIN", "none", "100.00", "60.00"),
                                            ("SER", "serial", "3000.00", "2000.00")):
            product = create_product(session, ProductInput(
                code=code, name=f"产品 {code}", category_code="DJ", tracking=tracking))
            product.list_price, product.standard_price = D(price), D(cost)
            world.ids[code] = product.id
        create_policy(session, months=12, product_code="SER")
        world.ids["WH1"] = create_warehouse(session, code="WH1", name="总仓", bins=["A-01"]).id
        world.ids["WH2"] = create_warehouse(session, code="WH2", name="门店", kind="store",
                                            allow_negative=True).id
        for data in CUSTOMERS:
            world.ids[data.code] = create_partner(session, data).id
        for username, role in (("boss", "admin"), ("manager", "sales_manager"),
                               ("clerk", "salesperson")):
            world.ids[username] = create_user(session, env, username, PASSWORD,
                                              roles=[role]).id
        session.flush()
        for code, location_id in session.execute(select(Location.code, Location.id)):
            world.locations[code] = location_id
        for kind in ("supplier", "customer", "adjustment", "loss"):
            world.locations[kind] = company_location(session, kind).id
    with world.uow() as session:
        stock_up(session, world)
    admin = GraphQLTester(env)
    for username in ("boss", "manager", "clerk"):
        api = admin.anonymous()
        permissions = (env.permissions.names if username == "boss" else
                       [p for p in env.permissions.names if not p.startswith(
                           "sales.order.approve")] if username == "clerk" else
                       env.permissions.names)
        api.principal = Principal(user_id=world.ids[username], username=username,
                                  permissions=frozenset(permissions), locale="zh_CN")
        world.apis[username] = api
    world.keep_seed()
    return world


#: What the seed holds, bought from S1: (product, place, quantity, unit cost, serials).
OPENING = (("PLAIN", "WH1/STOCK", 30, "60", ()), ("PLAIN", "WH1/A-01", 10, "62", ()),
           ("PLAIN", "WH2/STOCK", 10, "61", ()),
           ("SER", "WH1/STOCK", 4, "2000", ("YE3-01", "YE3-02", "YE3-03", "YE3-04")),
           ("SER", "WH1/A-01", 2, "2100", ("YE3-05", "YE3-06")),
           ("SER", "WH2/STOCK", 2, "2050", ("YE3-07", "YE3-08")))


def stock_up(session: Session, world: TradeWorld) -> None:
    """The opening stock, received with the purchase services."""
    from openjxc.addons.base_jxc.purchase.services import (
        PurchaseLineInput,
        ReceiptLineInput,
        approve_purchase_order,
        create_purchase_order,
        order_lines,
        receive_purchase_order,
    )

    for product, place, quantity, cost, serials in OPENING:
        order = create_purchase_order(
            session, supplier_id=world.ids["S1"], warehouse_id=world.ids[place[:3]],
            lines=[PurchaseLineInput(product_id=world.ids[product], quantity=D(quantity),
                                     unit_price=D(cost))])
        for approver in ("boss", "manager")[:order.approvals_required]:
            approve_purchase_order(session, order.id, user_id=world.ids[approver])
        line = order_lines(session, [order.id])[order.id][0]
        receive_purchase_order(session, order.id, location_id=world.locations[place],
                               user_id=world.ids["boss"], lines=[ReceiptLineInput(
                                   order_line_id=line.id, quantity=D(quantity),
                                   serials=list(serials))])


# -- reading back ----------------------------------------------------------------------

def credit_exposure(session: Session, customer_id: int, *, excluding: int | None = None,
                    ) -> Decimal:
    """The exposure of ``customer_id`` as docs/trading.md defines it, computed in Python
    from the documents (not from the credit check's statement): open receivables minus
    unallocated receipts, plus what is not yet invoiced on its open orders, plus what was
    delivered and not billed on its delivered or closed ones (order ``excluding`` left
    out)."""
    total = Decimal(0)
    for invoice in session.scalars(select(Invoice).where(
            Invoice.partner_id == customer_id, Invoice.direction == "receivable",
            Invoice.state.in_(("open", "partly_settled")))):
        total += invoice.amount_total - invoice.amount_settled
    for payment in session.scalars(select(Payment).where(
            Payment.partner_id == customer_id, Payment.direction == "receivable")):
        left = payment.amount - payment.amount_allocated
        total += -left if payment.kind == "payment" else left
    rows = session.execute(select(SalesOrderLine, SalesOrder.state)
                           .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                           .where(SalesOrder.customer_id == customer_id,
                                  SalesOrder.id != (excluding or 0))).all()
    for line, state in rows:
        billed = line.invoiced_quantity + line.returned_quantity
        if state in OPEN_ORDER_STATES:
            total += open_total(line.quantity, billed, line.unit_price, line.tax_rate,
                                line.total)
        elif state in (DELIVERED, CLOSED) and line.delivered_quantity > billed:
            total += line_amounts(line.delivered_quantity - billed, line.unit_price,
                                  line.tax_rate)[2]
    return total


def order_own_total(session: Session, order_id: int) -> Decimal:
    """What of the order itself counts in its own credit check."""
    return sum((open_total(line.quantity, line.invoiced_quantity + line.returned_quantity,
                           line.unit_price, line.tax_rate, line.total)
                for line in session.scalars(select(SalesOrderLine)
                                            .where(SalesOrderLine.order_id == order_id))),
               Decimal(0))


def ceiling(session: Session, customer_id: int) -> Decimal | None:
    partner = session.get(Partner, customer_id)
    assert partner is not None
    if partner.credit_limit is None:
        return None
    tolerance = partner.credit_tolerance or Decimal(0)
    return (partner.credit_limit * (1 + tolerance)).quantize(D("0.01"))


def free_to_sell(session: Session, warehouse_id: int, product_id: int) -> Decimal:
    """Stock of the product in the warehouse's sellable (internal) places not reserved."""
    row = session.execute(
        select(func.coalesce(func.sum(StockBalance.quantity), 0),
               func.coalesce(func.sum(StockBalance.reserved), 0))
        .join(Location, Location.id == StockBalance.location_id)
        .where(Location.warehouse_id == warehouse_id, Location.kind == "internal",
               StockBalance.product_id == product_id)).one()
    return Decimal(row[0]) - Decimal(row[1])


def snapshot(session: Session) -> dict[str, dict[int, tuple[Any, ...]]]:
    """What may never change once posted: every stock move, receipt and delivery line,
    invoice (its own figures, not what was settled) and line, payment (not what was
    allocated), credit approval, and each warranty's issue (not its end or voiding)."""
    tables: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "move": (StockMove, (StockMove.product_id, StockMove.quantity, StockMove.value,
                             StockMove.from_location_id, StockMove.to_location_id,
                             StockMove.batch_id, StockMove.origin_type, StockMove.origin_id,
                             StockMove.reversal_of_id)),
        "move_serial": (StockMoveSerial, (StockMoveSerial.move_id,
                                          StockMoveSerial.serial_id)),
        "receipt_line": (PurchaseReceiptLine, (
            PurchaseReceiptLine.receipt_id, PurchaseReceiptLine.product_id,
            PurchaseReceiptLine.quantity, PurchaseReceiptLine.accepted_quantity,
            PurchaseReceiptLine.accepted_move_id)),
        "delivery_line": (SalesDeliveryLine, (
            SalesDeliveryLine.delivery_id, SalesDeliveryLine.order_line_id,
            SalesDeliveryLine.quantity, SalesDeliveryLine.location_id,
            SalesDeliveryLine.move_id, SalesDeliveryLine.cost)),
        "invoice": (Invoice, (Invoice.number, Invoice.partner_id, Invoice.direction,
                              Invoice.kind, Invoice.amount_untaxed, Invoice.amount_tax,
                              Invoice.amount_total)),
        "invoice_line": (InvoiceLine, (InvoiceLine.invoice_id, InvoiceLine.quantity,
                                       InvoiceLine.unit_price, InvoiceLine.total)),
        "payment": (Payment, (Payment.number, Payment.partner_id, Payment.direction,
                              Payment.kind, Payment.amount)),
        "approval": (SalesCreditApproval, (SalesCreditApproval.order_id,
                                           SalesCreditApproval.user_id,
                                           SalesCreditApproval.order_total,
                                           SalesCreditApproval.exposure,
                                           SalesCreditApproval.credit_limit)),
        "warranty": (Warranty, (Warranty.serial_id, Warranty.delivery_id,
                                Warranty.customer_id, Warranty.start_date,
                                Warranty.base_end_date)),
    }
    out: dict[str, dict[int, tuple[Any, ...]]] = {}
    for name, (model, columns) in tables.items():
        key = model.move_id if model is StockMoveSerial else model.id
        extra = (StockMoveSerial.serial_id,) if model is StockMoveSerial else ()
        rows = session.execute(select(key, *extra, *columns)).all()
        if model is StockMoveSerial:  # keyed by (move, serial): one row per unit moved
            out[name] = {hash((r[0], r[1])): tuple(r[2:]) for r in rows}
        else:
            out[name] = {r[0]: tuple(r[1:]) for r in rows}
    return out


def physical_location_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))))


def serial_histories(session: Session) -> dict[int, list[tuple[int, str, int | None, int]]]:
    """Serial id → its moves in order: ``(move id, origin type, origin id, to location)``."""
    out: dict[int, list[tuple[int, str, int | None, int]]] = {}
    for serial_id, move_id, origin_type, origin_id, to_id in session.execute(
            select(StockMoveSerial.serial_id, StockMove.id, StockMove.origin_type,
                   StockMove.origin_id, StockMove.to_location_id)
            .join(StockMove, StockMove.id == StockMoveSerial.move_id)
            .order_by(StockMove.id)):
        out.setdefault(serial_id, []).append((move_id, origin_type, origin_id, to_id))
    return out


def serial_rows(session: Session) -> list[tuple[int, int, str, int]]:
    """``(id, product id, number, location id)`` of every serial unit."""
    return [tuple(r) for r in session.execute(select(  # type: ignore[misc]
        SerialNumber.id, SerialNumber.product_id, SerialNumber.number,
        SerialNumber.location_id))]


def product_of(session: Session, code: str) -> int:
    found = session.scalar(select(Product.id).where(Product.code == code))
    assert found is not None
    return found
