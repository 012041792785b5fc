"""Demo selling (see :mod:`.trading`): quotations and sales orders in every state, deliveries
by serial number and by batch, invoices, payments (in full, in part, one settling two
invoices, one invoice overdue) and customer returns — through the sales, invoicing and
returns services, from the goods :mod:`.buying` received.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..invoicing.models import Invoice
from ..partners.models import Partner
from ..returns.closing import close_return
from ..returns.inspection import InspectionLineInput, inspect_return
from ..returns.receiving import receive_return
from ..returns.services import ReturnLineInput, create_return, return_lines
from ..sales.models import AWAITING_APPROVAL, SalesOrder
from ..sales.orders import order_lines
from ..sales.services import (
    DeliveryLineInput,
    SalesLineInput,
    approve_sales_order,
    cancel_sales_order,
    close_sales_order,
    confirm_sales_order,
    convert_quotation,
    create_quotation,
    create_sales_order,
    deliver_sales_order,
    invoice_sales_order,
    reject_quotation,
    send_quotation,
)
from .buying import (
    BEARING,
    BOLT,
    GREASE,
    INVERTER_5,
    MOTOR_5,
    MOTOR_7,
    MOTOR_11,
    PUMP_65,
    PUMP_80,
    PUMP_CDL,
    VALVE_BUTTERFLY,
    VALVE_CHECK,
)
from .trading import Desk

CENT = Decimal("0.01")
Lines = list[tuple[str, int]]


def load_selling(desk: Desk) -> None:
    big, small = _customers(desk)
    pumps_quote = _quotations(desk, big)
    # Delivered by serial, invoiced with short terms agreed in the contract, not paid:
    # the overdue invoice the ageing and the overdue alert show.
    overdue = _order(desk, big[1], [(PUMP_80, 2)], 0.3)
    _deliver(desk, overdue, 0.32, serials=True)
    _bill(desk, overdue, 0.32, due_days=10)
    # Delivered by batch (and grease picked earliest expiry first); paid in part.
    valves = _order(desk, big[2], [(VALVE_CHECK, 6), (GREASE, 1)], 0.3)
    _deliver(desk, valves, 0.35)
    valve_bill = _bill(desk, valves, 0.35)
    # Motors by serial, paid in full; one unit comes back (closed with a credit note).
    motors = _order(desk, big[0], [(MOTOR_5, 2)], 0.4)
    sold_motors = _deliver(desk, motors, 0.45, serials=True)
    motor_bill = _bill(desk, motors, 0.45)
    spares = _order(desk, big[2], [(BOLT, 200), (BEARING, 10)], 0.55)
    _deliver(desk, spares, 0.6)
    spares_bill = _bill(desk, spares, 0.6)
    # The accepted quotation's order: pumps by serial, paid in full.
    project = convert_quotation(desk.session, pumps_quote, warehouse_id=desk.warehouse_id,
                                customer_reference="HT-2026-118",
                                user_id=desk.staff["salesperson"])
    _dated(desk, project, 0.5)
    _confirm(desk, project)
    sold_pumps = _deliver(desk, project, 0.55, serials=True)
    project_bill = _bill(desk, project, 0.55)
    # Partly delivered: two motors of three by serial (billed); twelve valves of twenty
    # from their batch (not billed yet).
    partly = _order(desk, big[3 % len(big)], [(MOTOR_7, 3)], 0.6)
    _deliver(desk, partly, 0.65, serials=True, quantities={MOTOR_7: 2})
    _bill(desk, partly, 0.65)
    pipe = _order(desk, big[1], [(VALVE_BUTTERFLY, 20)], 0.7)
    _deliver(desk, pipe, 0.75, quantities={VALVE_BUTTERFLY: 12})
    # Closed: one 11 kW motor of three delivered; the customer needs no more.
    ended = _order(desk, big[0], [(MOTOR_11, 3)], 0.7)
    _deliver(desk, ended, 0.75, serials=True, quantities={MOTOR_11: 1})
    _bill(desk, ended, 0.75)
    close_sales_order(desk.session, ended.id, user_id=desk.staff["sales_manager"])
    # Confirmed and reserved, waiting to be shipped.
    _order(desk, big[0], [(MOTOR_5, 2), (BOLT, 50)], 0.9)
    _order(desk, big[2], [(PUMP_65, 1), (VALVE_BUTTERFLY, 4)], 0.95)
    # Cancelled after confirmation: its reservation is released.
    dropped = _order(desk, big[1], [(MOTOR_7, 1)], 0.8)
    cancel_sales_order(desk.session, dropped.id, reason="客户项目延期",
                       user_id=desk.staff["salesperson"])
    # Drafts.
    _order(desk, big[3 % len(big)], [(BEARING, 20), (GREASE, 2)], 1.0, confirm=False)
    _over_the_limit(desk, small)
    _collect(desk, big, valve_bill, motor_bill, spares_bill, project_bill)
    _returns(desk, big, (motors, sold_motors[0]), valves, (project, sold_pumps[0]))


def _customers(desk: Desk) -> tuple[list[Partner], Partner]:
    """Customers with room in their credit (largest limits first), and the one with the
    smallest limit — who will go over it."""
    customers = sorted((p for p in desk.partners.values() if p.is_customer and p.credit_limit),
                       key=lambda p: (-(p.credit_limit or 0), p.code))
    return customers[:-1], customers[-1]


def _quotations(desk: Desk, big: list[Partner]) -> int:
    """A draft, a sent, an expired, a rejected and an accepted quotation (returned)."""
    session, who = desk.session, desk.staff["salesperson"]

    def quote(customer: Partner, lines: Lines, day: date,
              valid_until: date | None = None) -> int:
        return create_quotation(session, customer_id=customer.id,
                                warehouse_id=desk.warehouse_id, lines=_lines(desk, lines),
                                quote_date=day, valid_until=valid_until, user_id=who).id

    quote(big[0], [(INVERTER_5, 2)], desk.day(1.0))
    send_quotation(session, quote(big[1], [(MOTOR_11, 2), (VALVE_CHECK, 8)], desk.day(0.9)))
    # Made weeks ago and never answered: past its validity, it shows as expired.
    quote(big[2], [(PUMP_80, 1)], desk.start - timedelta(days=30),
          valid_until=desk.start - timedelta(days=5))
    reject_quotation(session, quote(big[3 % len(big)], [(MOTOR_7, 4)], desk.day(0.3)))
    # A project quotation, valid for two months; the customer accepts it.
    accepted = quote(big[1], [(PUMP_CDL, 1), (PUMP_65, 1)], desk.day(0.45),
                     valid_until=desk.day(0.45) + timedelta(days=60))
    send_quotation(session, accepted)
    return accepted


def _lines(desk: Desk, lines: Lines) -> list[SalesLineInput]:
    return [SalesLineInput(product_id=desk.product(code), quantity=Decimal(quantity))
            for code, quantity in lines]


def _order(desk: Desk, customer: Partner, lines: Lines, share: float, *,
           confirm: bool = True) -> SalesOrder:
    """An order taken on day ``share`` for delivery within a week, confirmed."""
    day = desk.day(share)
    order = create_sales_order(desk.session, customer_id=customer.id,
                               warehouse_id=desk.warehouse_id, lines=_lines(desk, lines),
                               order_date=day, promised_date=day + timedelta(days=7),
                               user_id=desk.staff["salesperson"])
    if confirm:
        _confirm(desk, order)
    return order


def _dated(desk: Desk, order: SalesOrder, share: float) -> None:
    # Turning a quotation into an order dates it today: set it back to when it happened.
    order.order_date = desk.day(share)
    order.promised_date = order.order_date + timedelta(days=7)


def _confirm(desk: Desk, order: SalesOrder) -> None:
    """Confirm; an order over the customer's credit is approved by the sales manager."""
    done = confirm_sales_order(desk.session, order.id, user_id=desk.staff["salesperson"])
    if done.order.state == AWAITING_APPROVAL:
        approve_sales_order(desk.session, order.id, user_id=desk.staff["sales_manager"],
                            reason="老客户，信用良好")


def _deliver(desk: Desk, order: SalesOrder, share: float, *, serials: bool = False,
             quantities: dict[str, int] | None = None) -> list[str]:
    """The clerk ships the order (or ``quantities`` of it) on day ``share``: serial units
    named from what the demo received (returned), batches from its receipts, the rest
    picked."""
    entries, shipped = [], []
    for line in order_lines(desk.session, order.id):
        code = next(c for c, p in desk.products.items() if p.id == line.product_id)
        count = (quantities or {}).get(code, int(line.quantity))
        entry = DeliveryLineInput(order_line_id=line.id, quantity=Decimal(count))
        if serials and desk.products[code].tracking == "serial":
            entry.serials, entry.quantity = desk.take(code, count), None
            shipped += entry.serials
        elif code in desk.batches and code != GREASE:
            entry.batch_number = desk.batches[code]
        entries.append(entry)
    deliver_sales_order(desk.session, order.id, lines=entries, delivery_date=desk.day(share),
                        user_id=desk.staff["clerk"])
    return shipped


def _bill(desk: Desk, order: SalesOrder, share: float, *,
          due_days: int | None = None) -> Invoice:
    """The invoice for what was delivered and not yet billed, on day ``share``."""
    day = desk.day(share)
    return invoice_sales_order(
        desk.session, order.id, invoice_date=day, user_id=desk.staff["accountant"],
        due_date=day + timedelta(days=due_days) if due_days is not None else None)


def _over_the_limit(desk: Desk, customer: Partner) -> None:
    """Pumps worth more than the customer's credit limit: the order waits for a manager.
    A second, small order then goes over too (the first counts as open) and is approved."""
    price = desk.products["SB-ISG150-250"].list_price or Decimal(1)
    limit = customer.credit_limit or Decimal(0)
    quantity = int(limit / (price * Decimal("1.13"))) + 1
    held = _order(desk, customer, [("SB-ISG150-250", quantity)], 0.95, confirm=False)
    confirm_sales_order(desk.session, held.id, user_id=desk.staff["salesperson"])
    approved = _order(desk, customer, [(INVERTER_5, 1)], 0.9, confirm=False)
    confirm_sales_order(desk.session, approved.id, user_id=desk.staff["salesperson"])
    approve_sales_order(desk.session, approved.id, user_id=desk.staff["sales_manager"],
                        reason="预付30%已到账")


def _collect(desk: Desk, big: list[Partner], valves: Invoice, motors: Invoice,
             spares: Invoice, project: Invoice) -> None:
    """Motors and the project paid in full; the valves paid in part; one transfer settles
    the rest of the valves' invoice in part and the spares' in full.  The pumps' invoice
    stays unpaid past its due date."""
    desk.pay(big[0].code, "receivable", 0.6, [(motors, motors.amount_total)],
             reference="工行回单 2231")
    desk.pay(big[1].code, "receivable", 0.75, [(project, project.amount_total)])
    first = (valves.amount_total * Decimal("0.4")).quantize(CENT)
    desk.pay(big[2].code, "receivable", 0.5, [(valves, first)], reference="承兑汇票")
    desk.pay(big[2].code, "receivable", 0.8, [(valves, Decimal("500.00")),
                                               (spares, spares.amount_total)],
             reference="农行回单 0412")


def _returns(desk: Desk, big: list[Partner], motor: tuple[SalesOrder, str],
             valves: SalesOrder, pump: tuple[SalesOrder, str]) -> None:
    """A motor back by serial: inspected, restocked and credited.  Two check valves of a
    batch: one restocked, one scrapped; waiting to be settled.  A pump announced but not
    yet arrived."""
    session, clerk = desk.session, desk.staff["clerk"]
    (motors, unit), (project, pump_unit) = motor, pump
    motor_line = order_lines(session, motors.id)[0]
    humming = create_return(session, customer_id=big[0].id, sales_order_id=motors.id,
                            reason="运行噪音大", user_id=clerk, lines=[ReturnLineInput(
                                product_id=motor_line.product_id, quantity=Decimal(1),
                                serials=[unit])])
    receive_return(session, humming.id, user_id=clerk)
    (line,) = return_lines(session, [humming.id])[humming.id]
    inspect_return(session, humming.id, user_id=clerk, lines=[InspectionLineInput(
        line_id=line.id, restock_serials=[unit])], restock_location_id=desk.bin("A-01"))
    close_return(session, humming.id, settlement="credit_note",
                 user_id=desk.staff["sales_manager"])
    valve_line = order_lines(session, valves.id)[0]
    cracked = create_return(session, customer_id=big[2].id, sales_order_id=valves.id,
                            reason="阀体砂眼", user_id=clerk, lines=[ReturnLineInput(
                                product_id=valve_line.product_id, quantity=Decimal(2),
                                batch_number=desk.batches[VALVE_CHECK],
                                sales_order_line_id=valve_line.id)])
    receive_return(session, cracked.id, user_id=clerk)
    (line,) = return_lines(session, [cracked.id])[cracked.id]
    inspect_return(session, cracked.id, user_id=clerk, lines=[InspectionLineInput(
        line_id=line.id, restock=Decimal(1), scrap=Decimal(1))])
    pump_line = order_lines(session, project.id)[0]
    create_return(session, customer_id=big[1].id, sales_order_id=project.id,
                  reason="扬程不足，待厂家确认", user_id=clerk, lines=[ReturnLineInput(
                      product_id=pump_line.product_id, quantity=Decimal(1),
                      serials=[pump_unit])])
