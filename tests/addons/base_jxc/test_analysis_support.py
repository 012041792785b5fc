"""A small trading history for the analysis tests, every figure of which is worked out by
hand in the tests (``build_analysis_world(database_url)``).

On top of :func:`trading_support.build_trading_world` (products ``PLAIN`` 100.00,
``PLAIN2`` 250.00, ``SER`` … in category ``DJ``; warehouses ``WH1`` and ``WH2``) it adds
``VALVE`` in a second category ``FM`` and this history (2025; months January and
February closed, March open):

=========  ==================================================================  ========
date       move (origin)                                                       value
=========  ==================================================================  ========
Jan 10     100 PLAIN @60 supplier → WH1/STOCK (purchase.receipt)               6000.00
Jan 10     20 PLAIN2 @150 supplier → WH2/STOCK                                 3000.00
Jan 10     10 VALVE @200 supplier → WH1/STOCK                                  2000.00
Feb 15     20 PLAIN WH1/STOCK → customer (sales.delivery, order O0)            1200.00
Mar 05     30 PLAIN WH1/STOCK → customer (sales.delivery, O1)                  1800.00
Mar 08     5 PLAIN customer → WH1/QUARANTINE (sales.return, return R1 of O1)    300.00
Mar 10     20 PLAIN2 WH2/STOCK → customer (sales.delivery, O2): WH2 runs out   3000.00
Mar 12     10 PLAIN2 @150 supplier → WH2/STOCK                                 1500.00
Mar 20     4 VALVE WH1/STOCK → customer (sales.delivery, O3)                    800.00
Mar 21     1 VALVE WH1/STOCK → customer (sales.delivery, O3)                    200.00
Mar 22     1 VALVE WH1/STOCK → customer (sales.delivery, no document)           200.00
Mar 25     reversal of the Mar 22 move (customer → WH1/STOCK)                   200.00
Jun 01     5 PLAIN2 @150 supplier → WH1/STOCK (never sold)                      750.00
=========  ==================================================================  ========

Sales orders (inserted as rows: the sales services are another chapter's), all of
customer ``C1`` unless said:

* O0 Feb 10, WH1, 20 PLAIN @100, promised Feb 15, delivered Feb 15 (D0);
* O1 Mar 01, WH1, 30 PLAIN @100, promised Mar 06, delivered Mar 05 (D1);
* O2 Mar 02, WH2 (C2), 20 PLAIN2 @250 + 1 SER @3000, promised Mar 15, the PLAIN2
  delivered Mar 10 (D2), the SER never;
* O3 Mar 15, WH1, 5 VALVE @333.333333, promised Mar 20, 4 delivered Mar 20 (D3) and 1
  on Mar 21 (D4);
* O4 Mar 03, WH1, 2 SER2, promised Mar 31, cancelled;  O6 Mar 04, WH1, 1 SER2, promised
  Mar 10, a draft;
* O5 Mar 25, WH1, 5 PLAIN, promised Apr 02, confirmed;  O7 Mar 28, WH1, 1 PLAIN,
  promised Mar 31, confirmed, nothing delivered.

Return R1 (WH1): the 5 PLAIN of O1 received Mar 08, no price of its own (O1's applies).

Purchase orders (rows; times UTC, the company is in Asia/Shanghai, UTC+8):

* P1 WH1 (PLAIN): created Mar 02 01:00, approved Mar 02 03:30 → 2.5 h;
* P2 WH2 (PLAIN2, VALVE, VALVE): created Mar 03 00:00, approved Mar 04 12:00 → 36 h;
* P3 WH1 (VALVE): created Feb 20 00:00, approved Feb 28 17:00 = Mar 01 01:00 local →
  209 h, in March;
* P4 WH1 (PLAIN): approved Mar 31 17:00 = Apr 01 local → not in March;  P5: a draft.

Counts (posted today, by the counts chapter's services): WH1 full — PLAIN 50 in stock and
5 in quarantine, PLAIN2 5 as expected, VALVE 4 of 5 (−1, −200.00); WH2 cycle of PLAIN2 —
10 of 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.counts.recording import CountEntry
from openjxc.addons.base_jxc.counts.services import post_count, record_count, start_count
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder, PurchaseOrderLine
from openjxc.addons.base_jxc.returns.models import ReturnLine, ReturnRequest
from openjxc.addons.base_jxc.sales.models import (
    SalesDelivery,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
)
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.base_jxc.stock.periods import close_stock_period
from openjxc.addons.base_jxc.stock.reversals import reverse_moves

__all__ = ["AnalysisWorld", "D", "build_analysis_world", "utc"]


def D(value: object) -> Decimal:
    return Decimal(str(value))


def line_amounts(quantity: Decimal, price: Decimal, rate: Decimal
                 ) -> tuple[Decimal, Decimal, Decimal]:
    amount = (quantity * price).quantize(D("0.01"), ROUND_HALF_UP)
    tax = (amount * rate).quantize(D("0.01"), ROUND_HALF_UP)
    return amount, tax, amount + tax


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class AnalysisWorld(TradingWorld):
    categories: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    #: move ids by the names used above (``"Mar 22"`` …)
    moves: dict[str, int] = field(default_factory=dict)
    counter: int = 0

    def move(self, name: str, product: str, quantity: object, source: str, target: str,
             day: date, origin: str, **kwargs: Any) -> int:
        result = self.post(self.line(product, quantity, source, target, **kwargs),
                           move_date=day, origin_type=origin)
        self.moves[name] = result.move_ids[0]
        return result.move_ids[0]

    def number(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-T{self.counter:04d}"

    def order(self, name: str, session: Session, *, warehouse: str, order_date: date,
              promised: date | None, state: str, lines: list[tuple[str, object, str]],
              customer: str = "C1") -> list[int]:
        """A sales order row with its lines ``(product, quantity, unit price)``."""
        order = SalesOrder(number=self.number("XS"), customer_id=self.partners[customer],
                           warehouse_id=self.warehouses[warehouse], state=state,
                           order_date=order_date, promised_date=promised)
        session.add(order)
        session.flush()
        ids = []
        for position, (product, quantity, price) in enumerate(lines, start=1):
            amount, tax, total = line_amounts(D(quantity), D(price), D("0.13"))
            line = SalesOrderLine(order_id=order.id, position=position,
                                  product_id=self.products[product], quantity=D(quantity),
                                  unit_price=D(price), tax_rate=D("0.13"), amount=amount,
                                  tax=tax, total=total)
            session.add(line)
            session.flush()
            ids.append(line.id)
        self.orders[name] = order.id
        return ids

    def deliver(self, session: Session, order: str, line_id: int, move: str,
                day: date) -> None:
        """A delivery document of one line, for the move already posted."""
        posted = session.get(StockMove, self.moves[move])
        shipped = session.get(SalesOrder, self.orders[order])
        assert posted is not None and shipped is not None
        delivery = SalesDelivery(number=self.number("FH"), order_id=shipped.id,
                                 warehouse_id=shipped.warehouse_id, delivery_date=day)
        session.add(delivery)
        session.flush()
        session.add(SalesDeliveryLine(delivery_id=delivery.id, order_line_id=line_id,
                                      product_id=posted.product_id, quantity=posted.quantity,
                                      location_id=posted.from_location_id, move_id=posted.id,
                                      cost=posted.value))

    def purchase(self, session: Session, *, warehouse: str, created: datetime,
                 approved: datetime | None, products: list[str]) -> None:
        order = PurchaseOrder(number=self.number("CG"), supplier_id=self.partners["S1"],
                              warehouse_id=self.warehouses[warehouse],
                              state="approved" if approved else "draft",
                              order_date=created.date(), created_at=created,
                              approved_at=approved)
        session.add(order)
        session.flush()
        for position, product in enumerate(products, start=1):
            amount, tax, total = line_amounts(D(1), D(10), D("0.13"))
            session.add(PurchaseOrderLine(order_id=order.id, position=position,
                                          product_id=self.products[product], quantity=D(1),
                                          unit_price=D(10), tax_rate=D("0.13"), amount=amount,
                                          tax=tax, total=total))


def build_analysis_world(database_url: str, *, counts: bool = True) -> AnalysisWorld:
    trading = build_trading_world(database_url)
    world = AnalysisWorld(trading.env, products=trading.products,
                          warehouses=trading.warehouses, locations=trading.locations,
                          partners=trading.partners)
    with world.uow() as session:
        world.categories["FM"] = create_category(session, code="FM", name="阀门").id
        valve = create_product(session, ProductInput(code="VALVE", name="球阀 DN50",
                                                     category_code="FM"))
        world.products["VALVE"] = valve.id
        world.categories["DJ"] = session.get(type(valve), world.products["PLAIN"]).category_id
    _history(world)
    _documents(world)
    if counts:
        _counts(world)
    return world


def _history(w: AnalysisWorld) -> None:
    jan, feb = date(2025, 1, 1), date(2025, 2, 1)
    receipt = "purchase.receipt"
    w.move("Jan PLAIN", "PLAIN", 100, "supplier", "WH1/STOCK", date(2025, 1, 10), receipt,
           unit_cost=D(60))
    w.move("Jan PLAIN2", "PLAIN2", 20, "supplier", "WH2/STOCK", date(2025, 1, 10), receipt,
           unit_cost=D(150))
    w.move("Jan VALVE", "VALVE", 10, "supplier", "WH1/STOCK", date(2025, 1, 10), receipt,
           unit_cost=D(200))
    with w.uow() as session:
        close_stock_period(session, jan)
    w.move("Feb 15", "PLAIN", 20, "WH1/STOCK", "customer", date(2025, 2, 15), "sales.delivery")
    with w.uow() as session:
        close_stock_period(session, feb)
    sale, back = "sales.delivery", "sales.return"
    w.move("Mar 05", "PLAIN", 30, "WH1/STOCK", "customer", date(2025, 3, 5), sale)
    w.move("Mar 08", "PLAIN", 5, "customer", "WH1/QUARANTINE", date(2025, 3, 8), back)
    w.move("Mar 10", "PLAIN2", 20, "WH2/STOCK", "customer", date(2025, 3, 10), sale)
    w.move("Mar 12", "PLAIN2", 10, "supplier", "WH2/STOCK", date(2025, 3, 12), receipt,
           unit_cost=D(150))
    w.move("Mar 20", "VALVE", 4, "WH1/STOCK", "customer", date(2025, 3, 20), sale)
    w.move("Mar 21", "VALVE", 1, "WH1/STOCK", "customer", date(2025, 3, 21), sale)
    w.move("Mar 22", "VALVE", 1, "WH1/STOCK", "customer", date(2025, 3, 22), sale)
    with w.uow() as session:
        result = reverse_moves(session, [w.moves["Mar 22"]], reason="posted by mistake",
                               move_date=date(2025, 3, 25))
        w.moves["Mar 25"] = result.move_ids[0]
    w.move("Jun 01", "PLAIN2", 5, "supplier", "WH1/STOCK", date(2025, 6, 1), receipt,
           unit_cost=D(150))


def _documents(w: AnalysisWorld) -> None:
    with w.uow() as s:
        [o0] = w.order("O0", s, warehouse="WH1", order_date=date(2025, 2, 10),
                       promised=date(2025, 2, 15), state="delivered",
                       lines=[("PLAIN", 20, "100")])
        w.deliver(s, "O0", o0, "Feb 15", date(2025, 2, 15))
        [o1] = w.order("O1", s, warehouse="WH1", order_date=date(2025, 3, 1),
                       promised=date(2025, 3, 6), state="delivered",
                       lines=[("PLAIN", 30, "100")])
        w.deliver(s, "O1", o1, "Mar 05", date(2025, 3, 5))
        o2, _ser = w.order("O2", s, warehouse="WH2", order_date=date(2025, 3, 2),
                           promised=date(2025, 3, 15), state="partly_delivered",
                           lines=[("PLAIN2", 20, "250"), ("SER", 1, "3000")], customer="C2")
        w.deliver(s, "O2", o2, "Mar 10", date(2025, 3, 10))
        [o3] = w.order("O3", s, warehouse="WH1", order_date=date(2025, 3, 15),
                       promised=date(2025, 3, 20), state="delivered",
                       lines=[("VALVE", 5, "333.333333")])
        w.deliver(s, "O3", o3, "Mar 20", date(2025, 3, 20))
        w.deliver(s, "O3", o3, "Mar 21", date(2025, 3, 21))
        w.order("O4", s, warehouse="WH1", order_date=date(2025, 3, 3),
                promised=date(2025, 3, 31), state="cancelled", lines=[("SER2", 2, "5000")])
        w.order("O5", s, warehouse="WH1", order_date=date(2025, 3, 25),
                promised=date(2025, 4, 2), state="confirmed", lines=[("PLAIN", 5, "100")])
        w.order("O6", s, warehouse="WH1", order_date=date(2025, 3, 4),
                promised=date(2025, 3, 10), state="draft", lines=[("SER2", 1, "5000")])
        w.order("O7", s, warehouse="WH1", order_date=date(2025, 3, 28),
                promised=date(2025, 3, 31), state="confirmed", lines=[("PLAIN", 1, "100")])
        back = ReturnRequest(code="TH-T0001", customer_id=w.partners["C1"],
                             sales_order_id=w.orders["O1"], warehouse_id=w.warehouses["WH1"],
                             state="received")
        s.add(back)
        s.flush()
        s.add(ReturnLine(return_id=back.id, position=1, product_id=w.products["PLAIN"],
                         sales_order_line_id=o1, quantity=D(5), received_quantity=D(5),
                         unit_cost=D(60), receive_move_id=w.moves["Mar 08"]))
        w.purchase(s, warehouse="WH1", created=utc(2025, 3, 2, 1), approved=utc(2025, 3, 2, 3, 30),
                   products=["PLAIN"])
        w.purchase(s, warehouse="WH2", created=utc(2025, 3, 3), approved=utc(2025, 3, 4, 12),
                   products=["PLAIN2", "VALVE", "VALVE"])
        w.purchase(s, warehouse="WH1", created=utc(2025, 2, 20), approved=utc(2025, 2, 28, 17),
                   products=["VALVE"])
        w.purchase(s, warehouse="WH1", created=utc(2025, 3, 30), approved=utc(2025, 3, 31, 17),
                   products=["PLAIN"])
        w.purchase(s, warehouse="WH1", created=utc(2025, 3, 5), approved=None,
                   products=["PLAIN"])


def _counts(w: AnalysisWorld) -> None:
    with w.uow() as s:
        full = start_count(s, warehouse_code="WH1").number
        record_count(s, number=full, entries=[
            CountEntry("WH1/STOCK", "PLAIN", quantity=D(50)),
            CountEntry("WH1/QUARANTINE", "PLAIN", quantity=D(5)),
            CountEntry("WH1/STOCK", "VALVE", quantity=D(4)),
            CountEntry("WH1/STOCK", "PLAIN2", quantity=D(5))])
        post_count(s, number=full)
        cycle = start_count(s, warehouse_code="WH2", scope="cycle",
                            product_codes=["PLAIN2"]).number
        record_count(s, number=cycle, entries=[CountEntry("WH2/STOCK", "PLAIN2",
                                                          quantity=D(10))])
        post_count(s, number=cycle)
