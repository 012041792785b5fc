"""Documents to print, written straight into the tables (the sales and purchase services are
not needed to print what they would have saved).

``build_documents_world(database_url)`` is the trading world of ``trading_support`` plus

* the company's letterhead (``company.*`` policies);
* customer ``C1`` with a credit code, a billing and a shipping address and a contact;
* quotation ``BJ-202611-0007`` (valid) and ``BJ-202610-0003`` (expired) for ``C1``;
* sales order ``XS-202611-0042`` for ``C1`` from ``WH1`` (PLAIN, SER, BAT) and its
  delivery ``FH-202611-0009``: 2 × PLAIN, 2 serials of SER, 5 of batch ``B2026-01`` from
  bin ``WH1/A-01`` — posted through the stock engine at costs no document may show —
  and ``FH-202611-0010`` (one more PLAIN, a one-line delivery);
* purchase order ``CG-202611-0015`` (draft) to supplier ``S1`` for ``WH2``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from stock_support import D
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.invoicing.amounts import line_amounts
from openjxc.addons.base_jxc.partners.credit_code import check_character
from openjxc.addons.base_jxc.partners.models import Partner, PartnerAddress, PartnerContact
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder, PurchaseOrderLine
from openjxc.addons.base_jxc.sales.models import (
    CONFIRMED,
    Quotation,
    QuotationLine,
    SalesDelivery,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
)
from openjxc.addons.base_jxc.stock.models import Batch
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.testing.fixtures import DatabaseFactory
from openjxc.testing.pdf import pdf_text as pdf_text

COMPANY = {"name": "杭州恒达机电设备有限公司", "address": "杭州市滨江区江南大道 88 号",
           "phone": "0571-8888 6666", "tax_id": "91330108MA2CFE3K1" + check_character(
               "91330108MA2CFE3K1"),
           "bank": "中国工商银行杭州高新支行", "bank_account": "1202 0212 0900 1234 567"}
C1_CREDIT_CODE = "91350100M000100Y43"
#: Costs of the goods delivered: none of these figures may appear on any document.
COSTS = {"PLAIN": D("61.23"), "SER": D("1987.65"), "BAT": D("41.11")}


@dataclass
class DocumentsWorld(TradingWorld):
    ids: dict[str, int] = field(default_factory=dict)
    #: Document number → its total including tax.
    totals: dict[str, Decimal] = field(default_factory=dict)


def documents_world_on(backend: str, tmp_path: Path) -> Iterator[DocumentsWorld]:
    """A documents world on a database of its own, dropped afterwards: for module-scoped
    fixtures of tests that only read (printing changes nothing)."""
    factory = DatabaseFactory(backend, tmp_path)
    try:
        world = build_documents_world(factory.new())
        yield world
        world.env.database.dispose()
    finally:
        factory.cleanup()


def build_documents_world(database_url: str) -> DocumentsWorld:
    trading = build_trading_world(database_url)
    world = DocumentsWorld(trading.env, products=trading.products,
                           warehouses=trading.warehouses, locations=trading.locations,
                           partners=trading.partners)
    with world.uow() as session:
        for key, value in COMPANY.items():
            set_policy(session, f"company.{key}", value)
        _customer_details(session, world.partners["C1"])
        today = business_today(session)
        world.ids["quotation"] = _priced(session, world, Quotation(
            number="BJ-202611-0007", customer_id=world.partners["C1"], state="sent",
            quote_date=today - timedelta(days=3), valid_until=today + timedelta(days=27),
            note="含运费，不含安装"), QuotationLine, "quotation_id",
            [("PLAIN", "3", "100.00"), ("SER", "1", "3000.123456")])
        world.ids["expired_quotation"] = _priced(session, world, Quotation(
            number="BJ-202610-0003", customer_id=world.partners["C1"], state="sent",
            quote_date=today - timedelta(days=40), valid_until=today - timedelta(days=10)),
            QuotationLine, "quotation_id", [("PLAIN2", "1", "250.00")])
        world.ids["sales_order"] = _priced(session, world, SalesOrder(
            number="XS-202611-0042", customer_id=world.partners["C1"],
            warehouse_id=world.warehouses["WH1"], state=CONFIRMED,
            customer_reference="HT-甲-2026-118", order_date=today - timedelta(days=2),
            promised_date=today + timedelta(days=5)), SalesOrderLine, "order_id",
            [("PLAIN", "5", "100.00"), ("SER", "2", "3000.50"), ("BAT", "10", "80.00")])
        world.ids["purchase_order"] = _priced(session, world, PurchaseOrder(
            number="CG-202611-0015", supplier_id=world.partners["S1"],
            warehouse_id=world.warehouses["WH2"], state="draft", order_date=today,
            expected_date=today + timedelta(days=10)), PurchaseOrderLine, "order_id",
            [("SER2", "4", "3500.00"), ("PLAIN2", "20", "148.5")])
        world.ids["delivery_note"] = _deliver(session, world, today)
        world.ids["small_delivery"] = _deliver_one(session, world, today)
    return world


def _customer_details(session: Any, partner_id: int) -> None:
    partner = session.get(Partner, partner_id)
    partner.credit_code = C1_CREDIT_CODE
    partner.tax_bank = "中国建设银行杭州分行"
    partner.tax_account = "3305 0161 6270 0000 0123"
    session.add_all([
        PartnerAddress(partner_id=partner_id, kind="billing", address="杭州市西湖区文三路 1 号",
                       is_primary=True),
        PartnerAddress(partner_id=partner_id, kind="shipping",
                       address="杭州市余杭区仓前街道 9 号 3 号库", is_primary=True),
        PartnerContact(partner_id=partner_id, name="王经理", phone="0571-5555 1234",
                       is_primary=True),
    ])


def _priced(session: Any, world: DocumentsWorld, document: Any, line_model: Any,
            parent: str, lines: list[tuple[str, str, str]]) -> int:
    """Save ``document`` with ``lines`` of (product code, quantity, unit price) at 13 %."""
    session.add(document)
    session.flush()
    untaxed = tax = Decimal(0)
    for position, (code, quantity, price) in enumerate(lines, start=1):
        amount, line_tax, total = line_amounts(D(quantity), D(price), D("0.13"))
        session.add(line_model(**{parent: document.id}, position=position,
                               product_id=world.products[code], quantity=D(quantity),
                               unit_price=D(price), tax_rate=D("0.13"), amount=amount,
                               tax=line_tax, total=total))
        untaxed, tax = untaxed + amount, tax + line_tax
    document.amount_untaxed, document.amount_tax = untaxed, tax
    document.amount_total = untaxed + tax
    world.totals[document.number] = untaxed + tax
    session.flush()
    return int(document.id)


def _deliver(session: Any, world: DocumentsWorld, today: Any) -> int:
    """Stock in at :data:`COSTS`, then delivery FH-202611-0009 from sales order XS-…-0042."""
    post_moves(session, [
        world.line("PLAIN", 10, "supplier", "WH1/STOCK", unit_cost=COSTS["PLAIN"]),
        world.line("SER", 3, "supplier", "WH1/STOCK", unit_cost=COSTS["SER"],
                   serials=["SN-A001", "SN-A002", "SN-A003"]),
        world.line("BAT", 20, "supplier", "WH1/A-01", unit_cost=COSTS["BAT"],
                   batch_number="B2026-01", expires_on=today + timedelta(days=200)),
    ], origin_type="purchase.receipt", reference="RK-TEST")
    order = session.get(SalesOrder, world.ids["sales_order"])
    order_lines = {line.product_id: line for line in session.query(SalesOrderLine).filter_by(
        order_id=order.id)}
    delivery = SalesDelivery(number="FH-202611-0009", order_id=order.id,
                             warehouse_id=order.warehouse_id, delivery_date=today,
                             note="易碎，轻放")
    session.add(delivery)
    session.flush()
    batch_id = session.query(Batch.id).filter_by(number="B2026-01").scalar()
    moves: list[tuple[str, MoveLine]] = [
        ("PLAIN", world.line("PLAIN", 2, "WH1/STOCK", "customer")),
        ("SER", world.line("SER", 2, "WH1/STOCK", "customer", serials=["SN-A002", "SN-A001"])),
        ("BAT", world.line("BAT", 5, "WH1/A-01", "customer", batch_id=batch_id)),
    ]
    posted = post_moves(session, [move for _, move in moves], origin_type="sales.delivery",
                        origin_id=delivery.id, reference=delivery.number)
    for (code, move), move_id, value in zip(moves, posted.move_ids, posted.values,
                                            strict=True):
        order_line = order_lines[world.products[code]]
        session.add(SalesDeliveryLine(
            delivery_id=delivery.id, order_line_id=order_line.id, product_id=move.product_id,
            quantity=move.quantity, batch_id=move.batch_id, location_id=move.from_location_id,
            move_id=move_id, cost=value))
        order_line.delivered_quantity += move.quantity
        order_line.delivered_cost += value
    session.flush()
    world.totals[delivery.number] = sum(
        (line_amounts(move.quantity, order_lines[world.products[code]].unit_price,
                      D("0.13"))[2] for code, move in moves), Decimal(0))
    return int(delivery.id)


def _deliver_one(session: Any, world: DocumentsWorld, today: Any) -> int:
    order_line = session.query(SalesOrderLine).filter_by(
        order_id=world.ids["sales_order"], product_id=world.products["PLAIN"]).one()
    delivery = SalesDelivery(number="FH-202611-0010", order_id=order_line.order_id,
                             warehouse_id=world.warehouses["WH1"], delivery_date=today)
    session.add(delivery)
    session.flush()
    move = world.line("PLAIN", 1, "WH1/STOCK", "customer")
    posted = post_moves(session, [move], origin_type="sales.delivery", origin_id=delivery.id,
                        reference=delivery.number)
    session.add(SalesDeliveryLine(delivery_id=delivery.id, order_line_id=order_line.id,
                                  product_id=move.product_id, quantity=move.quantity,
                                  location_id=move.from_location_id,
                                  move_id=posted.move_ids[0], cost=posted.values[0]))
    session.flush()
    return int(delivery.id)


# -- reading PDFs (as tests/core/test_reports.py does) -----------------------------------




