"""Customer returns (RMA): request, cancel, and what every step shares.

A return request names the customer, optionally the sales order, and per line the product,
the quantity, the serial units or the batch and the sales order line the goods were sold
on; it gets its return code (``TH-202611-0001``) at once, the code the customer writes on
the parcel.  Nothing moves until it is received (:mod:`.receiving`); then it is inspected
(:mod:`.inspection`) and closed by a credit note or a refund (:mod:`.closing`)::

    request = create_return(session, customer_id=c1.id, lines=[
        ReturnLineInput(product_id=motor.id, quantity=Decimal(1), serials=["YE3-0001"]),
        ReturnLineInput(product_id=bolts.id, quantity=Decimal(5),
                        sales_order_line_id=order_line.id)], reason="运输损坏")
    receive_return(session, request.id)              # customer → WH1/QUARANTINE
    inspect_return(session, request.id, lines=[...]) # → stock, scrap or the supplier
    close_return(session, request.id, settlement="credit_note")

A request may be cancelled only before anything was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from ..partners.models import Partner
from ..sales.models import SalesOrder
from ..stock.models import SerialNumber, Warehouse
from .checking import CheckedLine, check_lines
from .models import (
    CANCELLED,
    CLOSED,
    INSPECTED,
    RECEIVED,
    REQUESTED,
    ReturnLine,
    ReturnLineSerial,
    ReturnRequest,
)

CODE_PREFIX = "TH"
MAX_LINES = 500


@dataclass
class ReturnLineInput:
    """One product coming back.

    ``serials`` (ranges allowed, ``SN0001..0003``) for serial-tracked products: each must
    have been delivered to this customer, and the sales order line is then found from the
    delivery.  ``unit_price``/``tax_rate`` only for goods returned without a sales order line
    (the credit is otherwise priced from the order line)."""

    product_id: int | None
    quantity: Decimal
    serials: Sequence[str] = ()
    batch_number: str | None = None
    sales_order_line_id: int | None = None
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    reason: str = ""


#: What each state change needs, as the refusal says it.
_NEEDS = {
    "receive": _("Return {code} is {state}: only a requested return can be received"),
    "inspect": _("Return {code} is {state}: only a received return can be inspected"),
    "close": _("Return {code} is {state}: only an inspected return can be closed"),
    "cancel": _("Return {code} is {state}: only a return not yet received can be cancelled"),
}


_STATE_LABELS = {REQUESTED: _("requested"), RECEIVED: _("in quarantine"),
                 INSPECTED: _("inspected"), CLOSED: _("closed"), CANCELLED: _("cancelled")}


def invalid_state(request: ReturnRequest, change: str) -> ValidationFailed:
    """``INVALID_STATE``: ``change`` (``receive``, ``inspect``, ``close``, ``cancel``) is not
    allowed from the return's state."""
    return ValidationFailed(FieldError("INVALID_STATE", _NEEDS[change], field="id",
                                       code=request.code,
                                       state=_STATE_LABELS.get(request.state, request.state)))


def lock_return(session: Session, return_id: int | None) -> ReturnRequest:
    """The return, locked until the transaction ends (two clerks receiving the same parcel
    take turns: the second finds it received).  ``NOT_FOUND`` when unknown."""
    request = None
    if return_id is not None:
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.id == return_id)
                                 .with_for_update()
                                 .execution_options(populate_existing=True))
    if request is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown return"), field="id"))
    return request


def advance(session: Session, request: ReturnRequest, expected: str, change: str,
            **values: object) -> None:
    """Change the state only from ``expected`` (a guarded update: of two concurrent
    changes one wins, the other is refused)."""
    done = session.execute(update(ReturnRequest)
                           .where(ReturnRequest.id == request.id,
                                  ReturnRequest.state == expected)
                           .values(**values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(request)
        raise invalid_state(request, change)
    session.refresh(request)


def next_code(session: Session) -> str:
    """The next free ``TH-YYYYMM-NNNN`` of the current business month."""
    return next_document_number(session, ReturnRequest.code, CODE_PREFIX)


def create_return(session: Session, *, customer_id: int | None,
                  lines: Sequence[ReturnLineInput], sales_order_id: int | None = None,
                  warehouse_id: int | None = None, reason: str = "",
                  user_id: int | None = None) -> ReturnRequest:
    """A return request with its unique code; nothing moves yet.

    Refusals (nothing is created): ``NOT_FOUND``/``INVALID`` customer, order, order line,
    product or warehouse; ``SERIAL_NOT_DELIVERED`` for a unit this customer did not get
    from us; ``ALREADY_RETURNED`` for a unit on another open return; ``OVER_RETURN`` when
    an order line would get back more than was delivered minus what is returned already;
    ``REQUIRED`` for a price on goods returned without an order line.  The goods come back
    to ``warehouse_id``, by default the warehouse the order shipped from.
    """
    errors: list[FieldError] = []
    customer = _customer(session, errors, customer_id)
    order = _order(session, errors, sales_order_id, customer)
    reason = check_text(errors, reason, "reason", max_length=400)
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    checked: list[CheckedLine] = []
    if customer is not None and (order is not None or sales_order_id is None):
        checked = check_lines(session, errors, customer.id, order, lines[:MAX_LINES])
    warehouse = _warehouse(session, errors, warehouse_id, order, checked)
    if errors:
        raise ValidationFailed(errors)
    assert customer is not None and warehouse is not None
    request = ReturnRequest(code=next_code(session), customer_id=customer.id,
                            sales_order_id=order.id if order is not None else None,
                            warehouse_id=warehouse, state=REQUESTED, reason=reason,
                            created_by_id=user_id, amount=Decimal(0))
    session.add(request)
    session.flush()
    for position, c in enumerate(checked, start=1):
        line = ReturnLine(return_id=request.id, position=position, product_id=c.product_id,
                          sales_order_line_id=c.order_line_id, quantity=c.quantity,
                          batch_id=c.batch_id, reason=c.reason, unit_price=c.unit_price,
                          tax_rate=c.tax_rate, received_quantity=Decimal(0),
                          unit_cost=Decimal(0), restocked_quantity=Decimal(0),
                          scrapped_quantity=Decimal(0), to_supplier_quantity=Decimal(0))
        session.add(line)
        session.flush()
        session.add_all(ReturnLineSerial(line_id=line.id, serial_id=s, disposition="")
                        for s in c.serial_ids)
    session.flush()
    return request


def _customer(session: Session, errors: list[FieldError], customer_id: int | None,
              ) -> Partner | None:
    customer = session.get(Partner, customer_id) if customer_id is not None else None
    if customer is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown customer"), field="customer"))
        return None
    if not customer.is_customer:
        errors.append(FieldError("INVALID", _("{partner} is not a customer"), field="customer",
                                 partner=customer.code))
        return None
    return customer


def _order(session: Session, errors: list[FieldError], order_id: int | None,
           customer: Partner | None) -> SalesOrder | None:
    if order_id is None:
        return None
    order = session.get(SalesOrder, order_id)
    if order is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown sales order"), field="salesOrder"))
        return None
    if customer is not None and order.customer_id != customer.id:
        errors.append(FieldError("INVALID", _("Sales order {number} is not this customer's"),
                                 field="salesOrder", number=order.number))
        return None
    return order


def _warehouse(session: Session, errors: list[FieldError], warehouse_id: int | None,
               order: SalesOrder | None, checked: list[CheckedLine]) -> int | None:
    """The warehouse given, else the one the order (or every named order line) shipped
    from."""
    if warehouse_id is not None:
        warehouse = session.get(Warehouse, warehouse_id)
        if warehouse is None or not warehouse.active:
            errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field="warehouse"))
            return None
        return warehouse.id
    if order is not None:
        return order.warehouse_id
    shipped_from = {c.order_warehouse_id for c in checked if c.order_warehouse_id is not None}
    if len(shipped_from) == 1:
        return shipped_from.pop()
    if not errors:
        errors.append(FieldError("REQUIRED", _("Say which warehouse receives the goods"),
                                 field="warehouse"))
    return None


def cancel_return(session: Session, return_id: int | None, *, reason: str = "",
                  user_id: int | None = None) -> ReturnRequest:
    """Cancel a request before anything was received (``INVALID_STATE`` afterwards: received
    goods are inspected and settled instead).  Its serial units and quantities are free for
    another return."""
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    if errors:
        raise ValidationFailed(errors)
    request = lock_return(session, return_id)
    if request.state != REQUESTED:
        raise invalid_state(request, "cancel")
    values: dict[str, object] = {"state": CANCELLED, "closed_at": utcnow(),
                                 "closed_by_id": user_id}
    if reason:
        values["reason"] = f"{request.reason}\n{reason}".strip()[:400]
    advance(session, request, REQUESTED, "cancel", **values)
    return request


def return_lines(session: Session, return_ids: Sequence[int],
                 ) -> dict[int, list[ReturnLine]]:
    """The lines of each return, in order (one statement for all)."""
    found: dict[int, list[ReturnLine]] = {i: [] for i in return_ids}
    if not return_ids:
        return found
    for line in session.scalars(select(ReturnLine)
                                .where(ReturnLine.return_id.in_(set(return_ids)))
                                .order_by(ReturnLine.return_id, ReturnLine.position)):
        found[line.return_id].append(line)
    return found


def line_serials(session: Session, line_ids: Sequence[int],
                 ) -> dict[int, list[tuple[int, str, str]]]:
    """``line id → [(serial id, number, disposition)]`` in number order (one statement)."""
    found: dict[int, list[tuple[int, str, str]]] = {i: [] for i in line_ids}
    if not line_ids:
        return found
    for line_id, serial_id, number, disposition in session.execute(
            select(ReturnLineSerial.line_id, SerialNumber.id, SerialNumber.number,
                   ReturnLineSerial.disposition)
            .join(SerialNumber, SerialNumber.id == ReturnLineSerial.serial_id)
            .where(ReturnLineSerial.line_id.in_(set(line_ids)))
            .order_by(SerialNumber.number)):
        found[line_id].append((serial_id, number, disposition))
    return found
