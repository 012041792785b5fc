"""Demo purchasing (see :mod:`.trading`): requisitions, purchase orders in every state,
receipts with inspection, a purchase return, the factories' invoices and payments, and
service ratings — each through the purchase, invoicing and planning services.

What is bought here is what :mod:`.selling` sells afterwards by serial number and batch.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..catalog.models import Product
from ..invoicing.models import Invoice
from ..planning.ratings import rate_supplier
from ..purchase.models import PurchaseApproval, PurchaseOrder
from ..purchase.services import (
    PurchaseLineInput,
    PurchaseReturnLineInput,
    ReceiptLineInput,
    RequisitionLineInput,
    approve_purchase_order,
    approve_requisition,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    create_purchase_return,
    create_requisition,
    invoice_purchase_order,
    order_lines,
    receive_purchase_order,
    reject_requisition,
    requisition_lines,
)
from .trading import Desk

MOTOR_5 = "DJ-YE3-132S-4-5.5-4"
MOTOR_7 = "DJ-YE3-132M-4-7.5-4"
MOTOR_11 = "DJ-YE3-160M-4-11-4"
MOTOR_15 = "DJ-YE3-160L-4-15-4"
PUMP_80, PUMP_65, PUMP_CDL = "SB-ISG80-160", "SB-ISG65-160", "SB-CDL8-10"
VALVE_BUTTERFLY, VALVE_CHECK = "FM-D71X-16-DN100", "FM-H44H-16C-DN100"
INVERTER_5, INVERTER_11 = "BPQ-MD290T5.5G", "BPQ-MD290T11G"
BEARING, BEARING_9, BOLT, GREASE = "BJ-ZC-6308", "BJ-ZC-6309", "PJ-LS-M16", "PJ-RHZ-2"
#: Where each kind of goods is put away in the head warehouse.
BINS = {"DJ": "A-01", "SB": "B-01", "FM": "C-01", "BPQ": "D-01", "JSJ": "B-02", "BJ": "C-02",
        "PJ": "C-02"}
Lines = list[tuple[str, int] | tuple[str, int, str]]


def load_buying(desk: Desk) -> None:
    requested = _requisitions(desk)
    # Motors for stock.  One 5.5 kW unit fails inspection: quarantine, and later back to
    # the factory; the order waits for its replacement (partly received).  The invoice
    # waits for its 60 days' terms.
    motors = _order(desk, "S001", [(MOTOR_5, 6), (MOTOR_7, 5)], 0.0, expect=6)
    _approve(desk, motors, hours=3.5)
    broken = _receive(desk, motors, after=5, reject={MOTOR_5: "接线盒开裂"})
    _bill(desk, motors, 6, "33071001")
    # Pumps, two days late but complete.
    pumps = _order(desk, "S002", [(PUMP_80, 3), (PUMP_65, 2), (PUMP_CDL, 2)], 0.02, expect=5)
    _approve(desk, pumps, hours=26)
    _receive(desk, pumps, after=7)
    pump_bill = _bill(desk, pumps, 8, "32050417")
    # Valves by batch; two butterfly valves are refused at the door (bent discs) — the
    # driver took them back, so the order is still complete.
    valves = _order(desk, "S003", [(VALVE_BUTTERFLY, 40), (VALVE_CHECK, 20)], 0.04, expect=7)
    _approve(desk, valves, hours=5)
    _receive(desk, valves, after=6, refuse={VALVE_BUTTERFLY: (2, "蝶板变形")})
    valve_bill = _bill(desk, valves, 7, "33030888")
    inverters = _order(desk, "S004", [(INVERTER_5, 3), (INVERTER_11, 2)], 0.06, expect=4)
    _approve(desk, inverters, hours=2)
    _receive(desk, inverters, after=4)
    inverter_bill = _bill(desk, inverters, 5, "44030552")
    # Bearings from two suppliers at different prices (the price part of their scores).
    bearings = _order(desk, "S006", [(BEARING, 30, "52.00"), (BEARING_9, 20)], 0.08, expect=5)
    _approve(desk, bearings, hours=1)
    _receive(desk, bearings, after=5)
    bearing_bill = _bill(desk, bearings, 6, "33020190")
    parts = _order(desk, "S007", [(BEARING, 20, "58.00"), (BOLT, 600), (GREASE, 8)], 0.1,
                   expect=3)
    _approve(desk, parts, hours=20)
    _receive(desk, parts, after=3)
    parts_bill = _bill(desk, parts, 4, "31011577")
    # Bigger motors: the 11 kW arrive two days late (one into quarantine, waiting for the
    # factory's engineer), the 15 kW are still on their way.
    big = _order(desk, "S001", [(MOTOR_11, 5), (MOTOR_15, 2)], 0.2, expect=8)
    _approve(desk, big, hours=30)
    _receive(desk, big, after=10, only=(MOTOR_11,), reject={MOTOR_11: "绝缘电阻偏低"})
    _bill(desk, big, 11, "33071002")
    # Reducers: half arrived, the model is discontinued — the order is closed.
    reducers = _order(desk, "S005", [("JSJ-R57-3", 4)], 0.3, expect=10)
    _approve(desk, reducers, hours=6)
    _receive(desk, reducers, after=10, part={"JSJ-R57-3": 2})
    close_purchase_order(desk.session, reducers.id, user_id=desk.staff["purchase_manager"])
    # Approved and on their way: what the purchase suggestions count as incoming.
    coming = _order(desk, "S001", [(MOTOR_5, 8), (MOTOR_7, 6)], 0.85, expect=20)
    _approve(desk, coming, hours=8)
    _approve(desk, _order(desk, "S002", [(PUMP_65, 1)], 0.9, expect=10), hours=2)
    # Above the threshold with one approval of two: waiting for the general manager.
    waiting = _order(desk, "S004", [(INVERTER_11, 6)], 0.95, expect=7)
    approve_purchase_order(desk.session, waiting.id, user_id=desk.staff["purchase_manager"],
                           note="价格已比对三家")
    # Drafts: one made today from the sales team's requisition, one small order of spares.
    create_purchase_order(desk.session, supplier_id=desk.partner("S002"),
                          warehouse_id=desk.warehouse_id, user_id=desk.staff["purchaser"],
                          lines=[PurchaseLineInput(product_id=None, quantity=None,
                                                   requisition_line_id=line_id)
                                 for line_id in requested])
    _order(desk, "S007", [(GREASE, 4), (BOLT, 200)], 1.0, expect=5)
    # Cancelled: the factory could not meet the date.
    late = _order(desk, "S003", [(VALVE_CHECK, 30)], 0.5, expect=5)
    _approve(desk, late, hours=4)
    cancel_purchase_order(desk.session, late.id, reason="供应商无法按期交货",
                          user_id=desk.staff["purchase_manager"])
    _send_back(desk, motors, broken)
    _pay_suppliers(desk, pump_bill, valve_bill, inverter_bill, bearing_bill, parts_bill)
    _rate(desk)


def _requisitions(desk: Desk) -> list[int]:
    """Three requests to buy: one waiting, one approved (its lines are returned, to be
    ordered), one rejected."""
    session, staff = desk.session, desk.staff
    create_requisition(session, warehouse_id=desk.warehouse_id, department="维修部",
                       needed_by=desk.today + timedelta(days=14), user_id=staff["clerk"],
                       lines=[RequisitionLineInput(desk.product(BEARING_9), Decimal(10)),
                              RequisitionLineInput(desk.product(GREASE), Decimal(2))])
    project = create_requisition(
        session, warehouse_id=desk.warehouse_id, department="销售部", note="滨江水务泵房改造",
        needed_by=desk.today + timedelta(days=21), user_id=staff["salesperson"],
        lines=[RequisitionLineInput(desk.product(PUMP_80), Decimal(2),
                                    suggested_supplier_id=desk.partner("S002"))])
    approve_requisition(session, project.id, user_id=staff["purchase_manager"])
    spare = create_requisition(session, warehouse_id=desk.warehouse_id, department="维修部",
                               user_id=staff["clerk"],
                               lines=[RequisitionLineInput(desk.product(MOTOR_15), Decimal(1))])
    reject_requisition(session, spare.id, user_id=staff["purchase_manager"],
                       reason="预算不足，下季度再议")
    return [line.id for line in requisition_lines(session, [project.id])[project.id]]


def _order(desk: Desk, supplier: str, lines: Lines, share: float, *,
           expect: int) -> PurchaseOrder:
    """A draft order made on day ``share``, expected ``expect`` days later."""
    day = desk.day(share)
    order = create_purchase_order(
        desk.session, supplier_id=desk.partner(supplier), warehouse_id=desk.warehouse_id,
        expected_date=day + timedelta(days=expect), user_id=desk.staff["purchaser"],
        lines=[PurchaseLineInput(product_id=desk.product(line[0]), quantity=Decimal(line[1]),
                                 unit_price=Decimal(line[2]) if len(line) > 2 else
                                 _price(desk.products[line[0]]))
               for line in lines])
    # The service dates an order today: set it back to the day it was made.
    order.order_date = day
    order.created_at = desk.at(day, 9 + desk.rng.random() * 2)
    return order


def _price(product: Product) -> Decimal | None:
    """The standard price, else 70 % of the list price (most of the catalog has no
    standard price; the history bought at about that)."""
    if product.standard_price:
        return None  # the order takes it (or the supplier's last price) itself
    return (product.list_price * Decimal("0.70")).quantize(Decimal("0.01"))


def _approve(desk: Desk, order: PurchaseOrder, *, hours: float) -> None:
    """The approvals the order needs, the last one ``hours`` after it was made."""
    approvers = ["purchase_manager", "general_manager"][:order.approvals_required]
    for who in approvers:
        approve_purchase_order(desk.session, order.id, user_id=desk.staff[who])
    given = desk.session.scalars(select(PurchaseApproval).where(
        PurchaseApproval.order_id == order.id).order_by(PurchaseApproval.id)).all()
    for i, approval in enumerate(given, start=1):
        approval.approved_at = order.created_at + timedelta(hours=hours * i / len(given))
    order.approved_at = given[-1].approved_at
    desk.session.flush()


def _receive(desk: Desk, order: PurchaseOrder, *, after: int,
             only: tuple[str, ...] = (), part: dict[str, int] | None = None,
             reject: dict[str, str] | None = None,
             refuse: dict[str, tuple[int, str]] | None = None) -> list[str]:
    """The clerk receives ``order`` ``after`` days after it was made: every line in full,
    or ``only`` some, ``part`` of some; one unit per line in ``reject`` fails inspection
    and goes to quarantine (its serial numbers are returned); ``refuse`` sends some extra
    arrivals back with the driver."""
    day, reject, refuse = desk.after(order.order_date, after), reject or {}, refuse or {}
    entries, rejected = [], []
    by_id = {p.id: p for p in desk.products.values()}
    for line in order_lines(desk.session, [order.id])[order.id]:
        product = by_id[line.product_id]
        code = product.code
        if only and code not in only:
            continue
        quantity = int((part or {}).get(code, line.quantity))
        entry = ReceiptLineInput(order_line_id=line.id, quantity=Decimal(quantity),
                                 location_id=desk.bin(BINS[code.split("-")[0]]))
        if product.tracking == "serial":
            numbers = desk.new_serials(code, quantity, day)
            if code in reject:
                entry.rejected_serials, numbers = numbers[-1:], numbers[:-1]
                rejected += entry.rejected_serials
            entry.serials = numbers
            desk.serials.setdefault(code, []).extend(numbers)
        elif product.tracking == "batch":
            entry.batch_number = desk.batches[code] = f"{day:%y%m%d}-{order.id:03d}"
            entry.manufactured_on = day - timedelta(days=20)
            if product.shelf_life_days:
                entry.expires_on = entry.manufactured_on + timedelta(
                    days=product.shelf_life_days)
        if code in reject:
            entry.rejected_quantity, entry.reject_reason = Decimal(1), reject[code]
        if code in refuse:
            extra, reason = refuse[code]
            entry.quantity += extra
            entry.rejected_quantity, entry.reject_reason = Decimal(extra), reason
            entry.rejected_to = "supplier"
        entries.append(entry)
    receive_purchase_order(desk.session, order.id, lines=entries, receipt_date=day,
                           user_id=desk.staff["clerk"])
    return rejected


def _bill(desk: Desk, order: PurchaseOrder, after: int, number: str) -> Invoice:
    """The supplier's invoice (its own ``number``) for what was accepted, ``after`` days
    after the order."""
    return invoice_purchase_order(desk.session, order.id, external_number=number,
                                  invoice_date=desk.after(order.order_date, after),
                                  user_id=desk.staff["accountant"])


def _send_back(desk: Desk, order: PurchaseOrder, rejected: list[str]) -> None:
    """The factory collects the 5.5 kW motor that failed inspection, from quarantine."""
    line = next(x for x in order_lines(desk.session, [order.id])[order.id]
                if x.product_id == desk.product(MOTOR_5))
    create_purchase_return(desk.session, order_id=order.id, reason="接线盒开裂，退厂",
                           return_date=desk.day(0.2), user_id=desk.staff["purchaser"],
                           lines=[PurchaseReturnLineInput(
                               quantity=Decimal(len(rejected)), order_line_id=line.id,
                               from_location_id=desk.locations["HQ/QUARANTINE"],
                               serials=rejected)])


def _pay_suppliers(desk: Desk, pumps: Invoice, valves: Invoice, inverters: Invoice,
                   bearings: Invoice, parts: Invoice) -> None:
    """Pumps, inverters and valves paid; half the bearings; part of the spares."""
    desk.pay("S002", "payable", 0.3, [(pumps, pumps.amount_total)], reference="网银 FK-0931")
    desk.pay("S004", "payable", 0.35, [(inverters, inverters.amount_total)])
    desk.pay("S006", "payable", 0.5, [(bearings, (bearings.amount_total / 2).quantize(
        Decimal("0.01")))], reference="承兑汇票")
    desk.pay("S003", "payable", 0.6, [(valves, valves.amount_total)])
    desk.pay("S007", "payable", 0.6, [(parts, Decimal("3000.00"))])


def _rate(desk: Desk) -> None:
    """The purchase managers rate the factories' service this month and last."""
    last_month = desk.start.strftime("%Y-%m")
    for who, supplier, score, period, comment in [
        ("purchase_manager", "S001", 4, last_month, "交期准，包装需改进"),
        ("purchase_manager", "S002", 5, last_month, "响应快"),
        ("general_manager", "S003", 3, last_month, "来货有变形蝶板"),
        ("purchase_manager", "S001", 3, None, "11kW 批次绝缘问题"),
    ]:
        rate_supplier(desk.session, supplier_id=desk.partner(supplier), score=score,
                      period=period, comment=comment, user_id=desk.staff[who],
                      today=desk.today)
