"""Purchase orders: create a draft, approve it (by amount, see the policies), cancel it
before anything arrives, close it when no more will arrive::

    order = create_purchase_order(session, supplier_id=s1.id, warehouse_id=wh1.id,
                                  lines=[PurchaseLineInput(product_id=motor.id,
                                                           quantity=Decimal(2))],
                                  user_id=buyer.id)          # price: the last one paid S1
    approve_purchase_order(session, order.id, user_id=manager.id)

An order whose total is above ``purchase.approval_threshold`` needs
``purchase.approvals_above_threshold`` approvals by different users (one at or below it);
the number is fixed on the order when it is created.  Each approval is a
:class:`PurchaseApproval` (who, when); the last one sets ``approved_at`` and publishes
:class:`PurchaseOrderApproved`.  Receiving lives in :mod:`.receiving`, returns in
:mod:`.returns`, supplier invoices in :mod:`.billing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import LIMITS, check_text

from ..catalog.models import Product
from ..invoicing.amounts import check_line_values, line_amounts
from ..numbering import next_document_number
from ..partners.models import Partner
from ..policies.services import get_policy
from ..stock.models import Warehouse
from ..stock.posting import business_today
from . import requisitions
from .events import PurchaseOrderApproved
from .labels import order_state, requisition_state
from .models import (
    APPROVED,
    CANCELLED,
    CLOSED,
    DRAFT,
    PARTLY_RECEIVED,
    RECEIVED,
    REQ_APPROVED,
    PurchaseApproval,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
)

NUMBER_PREFIX = "CG"
MAX_LINES = 500
#: Amounts (2 decimals) stay below this on both backends.
MONEY_LIMIT = LIMITS[2]


@dataclass
class PurchaseLineInput:
    """One product to buy.  ``unit_price`` (tax-exclusive) empty: the last price paid to
    this supplier, else the product's standard price; ``tax_rate`` empty: the product's.
    With ``requisition_line_id`` the product and quantity default to the requisition's."""

    product_id: int | None
    quantity: Decimal | None
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    expected_date: date | None = None
    requisition_line_id: int | None = None


_NEEDS = {
    "approve": _("Order {number} is {state}: only a draft can be approved"),
    "cancel": _("Order {number} is {state}: only an order nothing was received on can be "
                "cancelled"),
    "close": _("Order {number} is {state}: only an order goods were received on can be "
               "closed"),
    "receive": _("Order {number} is {state}: it cannot receive goods"),
    "invoice": _("Order {number} is {state}: it cannot be invoiced"),
}


def invalid_state(order: PurchaseOrder, change: str) -> ValidationFailed:
    """``INVALID_STATE``: ``change`` is not allowed from the order's state."""
    return ValidationFailed(FieldError("INVALID_STATE", _NEEDS[change], field="id",
                                       number=order.number, state=order_state(order.state)))


def lock_order(session: Session, order_id: int | None) -> PurchaseOrder:
    """The order, locked until the transaction ends (two clerks receiving against it take
    turns); ``NOT_FOUND`` when unknown."""
    order = None
    if order_id is not None:
        order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id)
                               .with_for_update().execution_options(populate_existing=True))
    if order is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown purchase order"), field="id"))
    return order


def order_lines(session: Session, order_ids: Sequence[int], *, lock: bool = False,
                ) -> dict[int, list[PurchaseOrderLine]]:
    """The lines of each order, in order (one statement for all)."""
    found: dict[int, list[PurchaseOrderLine]] = {i: [] for i in order_ids}
    stmt = (select(PurchaseOrderLine).where(PurchaseOrderLine.order_id.in_(set(order_ids)))
            .order_by(PurchaseOrderLine.order_id, PurchaseOrderLine.position))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    for line in session.scalars(stmt):
        found[line.order_id].append(line)
    return found


def check_supplier(session: Session, errors: list[FieldError], supplier_id: int | None,
                   at: str = "supplierCode") -> Partner | None:
    supplier = session.get(Partner, supplier_id) if supplier_id is not None else None
    if supplier is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown supplier"), field=at))
    elif not supplier.is_supplier or not supplier.active:
        errors.append(FieldError("NOT_SUPPLIER", _("{partner} is not an active supplier"),
                                 field=at, partner=supplier.code))
        return None
    return supplier


def check_warehouse(session: Session, errors: list[FieldError], warehouse_id: int | None,
                    at: str = "warehouseCode") -> Warehouse | None:
    warehouse = session.get(Warehouse, warehouse_id) if warehouse_id is not None else None
    if warehouse is None or not warehouse.active:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field=at))
        return None
    return warehouse


def last_prices(session: Session, supplier_id: int, product_ids: set[int],
                ) -> dict[int, Decimal]:
    """The unit price of each product on the supplier's latest order that names it
    (cancelled orders do not count); one statement."""
    if not product_ids:
        return {}
    latest = (select(func.max(PurchaseOrderLine.id))
              .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
              .where(PurchaseOrder.supplier_id == supplier_id,
                     PurchaseOrder.state != CANCELLED,
                     PurchaseOrderLine.product_id.in_(product_ids))
              .group_by(PurchaseOrderLine.product_id))
    return dict(session.execute(select(PurchaseOrderLine.product_id,
                                       PurchaseOrderLine.unit_price)
                                .where(PurchaseOrderLine.id.in_(latest))).all())


def approvals_needed(session: Session, total: Decimal) -> int:
    """Approvals an order of ``total`` needs, from the policies."""
    if total > get_policy(session, "purchase.approval_threshold"):
        return int(get_policy(session, "purchase.approvals_above_threshold"))
    return 1


def create_purchase_order(session: Session, *, supplier_id: int | None,
                          warehouse_id: int | None, lines: Sequence[PurchaseLineInput],
                          expected_date: date | None = None, note: str = "",
                          user_id: int | None = None) -> PurchaseOrder:
    """A draft order (``CG-…``), priced line by line; requisition lines it names become
    ordered.  Refusals: ``NOT_FOUND``, ``NOT_SUPPLIER``, ``INVALID_QUANTITY``,
    ``INVALID``, ``REQUISITION_NOT_APPROVED``, ``ALREADY_ORDERED``."""
    errors: list[FieldError] = []
    note = check_text(errors, note, "note", max_length=400)
    supplier = check_supplier(session, errors, supplier_id)
    warehouse = check_warehouse(session, errors, warehouse_id)
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    lines = lines[:MAX_LINES]
    wanted = [line.requisition_line_id for line in lines if line.requisition_line_id]
    claimed = requisitions.lines_to_order(session, wanted)
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    product_ids |= {line.product_id for line, _req in claimed.values()}
    products = {p.id: p for p in session.scalars(select(Product)
                                                 .where(Product.id.in_(product_ids)))}
    prices = last_prices(session, supplier.id, product_ids) if supplier is not None else {}
    built: list[tuple[PurchaseOrderLine, int | None]] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        priced = _line(errors, ("lines", str(i)), line, products, prices, claimed, warehouse,
                       seen)
        if priced is not None:
            built.append((priced, line.requisition_line_id))
    if not errors and sum((p.total for p, _r in built), Decimal(0)) >= MONEY_LIMIT:
        errors.append(FieldError("INVALID", _("The order's total is more than an amount can "
                                              "be: split it"), field="lines"))
    if errors:
        raise ValidationFailed(errors)
    assert supplier is not None and warehouse is not None
    order = PurchaseOrder(number=next_document_number(session, PurchaseOrder.number,
                                                      NUMBER_PREFIX),
                          supplier_id=supplier.id, warehouse_id=warehouse.id, state=DRAFT,
                          order_date=business_today(session), expected_date=expected_date,
                          currency=supplier.currency or "CNY", note=note,
                          amount_untaxed=sum((p.amount for p, _r in built), Decimal(0)),
                          amount_tax=sum((p.tax for p, _r in built), Decimal(0)),
                          amount_total=sum((p.total for p, _r in built), Decimal(0)),
                          created_by_id=user_id)
    order.approvals_required = approvals_needed(session, order.amount_total)
    session.add(order)
    session.flush()
    for position, (priced, _req) in enumerate(built, start=1):
        priced.order_id = order.id
        priced.position = position
    session.add_all(p for p, _r in built)
    session.flush()
    for priced, requisition_line_id in built:
        if requisition_line_id:
            claimed[requisition_line_id][0].order_line_id = priced.id
    session.flush()
    requisitions.refresh_states(session, {req.id for _line, req in claimed.values()})
    return order


def _line(errors: list[FieldError], at: tuple[str, ...], line: PurchaseLineInput,
          products: dict[int, Product], prices: dict[int, Decimal],
          claimed: dict[int, tuple[requisitions.PurchaseRequisitionLine,
                                   requisitions.PurchaseRequisition]],
          warehouse: Warehouse | None, seen: set[int]) -> PurchaseOrderLine | None:
    before = len(errors)
    product_id, quantity = line.product_id, line.quantity
    if line.requisition_line_id:
        found = claimed.get(line.requisition_line_id)
        where = (*at, "requisitionLineId")
        if found is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown requisition line"), field=where))
            return None
        wanted, requisition = found
        if line.requisition_line_id in seen:
            errors.append(FieldError("INVALID", _("A requisition line is listed twice"),
                                     field=where))
        elif requisition.state != REQ_APPROVED:
            errors.append(FieldError("REQUISITION_NOT_APPROVED",
                                     _("Requisition {number} is {state}, not approved"),
                                     field=where, number=requisition.number,
                                     state=requisition_state(requisition.state)))
        elif wanted.order_line_id is not None:
            errors.append(FieldError("ALREADY_ORDERED",
                                     _("This line of requisition {number} is already ordered"),
                                     field=where, number=requisition.number))
        elif warehouse is not None and requisition.warehouse_id != warehouse.id:
            errors.append(FieldError("INVALID", _("Requisition {number} is for another "
                                                  "warehouse"),
                                     field=where, number=requisition.number))
        seen.add(line.requisition_line_id)
        if product_id is None:
            product_id = wanted.product_id
        elif product_id != wanted.product_id:
            errors.append(FieldError("INVALID", _("The requisition asks for another product"),
                                     field=(*at, "productCode")))
        if quantity is None:
            quantity = wanted.quantity
    if product_id is None:
        errors.append(FieldError("REQUIRED", _("This field is required"),
                                 field=(*at, "productCode")))
        return None
    product = products.get(product_id)
    if product is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product"), field=(*at, "productCode")))
        return None
    if quantity is None:
        errors.append(FieldError("REQUIRED", _("This field is required"),
                                 field=(*at, "quantity")))
        return None
    price = line.unit_price
    if price is None:
        price = prices.get(product.id, product.standard_price)
    rate = product.tax_rate if line.tax_rate is None else line.tax_rate
    values = check_line_values(errors, at, quantity=quantity, unit_price=price, tax_rate=rate)
    if values is None or len(errors) > before:
        return None
    quantity, price, rate = values
    amount, tax, total = line_amounts(quantity, price, rate)
    if total >= MONEY_LIMIT:  # the amount columns could not store it
        errors.append(FieldError("INVALID", _("The line comes to more than an amount can "
                                              "be"), field=(*at, "quantity")))
        return None
    return PurchaseOrderLine(product_id=product.id, quantity=quantity, unit_price=price,
                             tax_rate=rate, amount=amount, tax=tax, total=total,
                             expected_date=line.expected_date)


def approve_purchase_order(session: Session, order_id: int | None, *, user_id: int | None,
                           note: str = "") -> PurchaseOrder:
    """One approval of a draft by ``user_id``; the last one needed approves the order.

    ``SAME_APPROVER`` when this user already gave one of its approvals,
    ``ALREADY_APPROVED`` when the order needs no more."""
    errors: list[FieldError] = []
    note = check_text(errors, note, "note", max_length=400)
    if user_id is None:
        errors.append(FieldError("REQUIRED", _("An approval needs a signed-in user"),
                                 field="id"))
    if errors:
        raise ValidationFailed(errors)
    order = lock_order(session, order_id)
    if order.state in (APPROVED, PARTLY_RECEIVED, RECEIVED, CLOSED):
        raise ValidationFailed(FieldError("ALREADY_APPROVED",
                                          _("Order {number} is already approved"),
                                          field="id", number=order.number))
    if order.state != DRAFT:
        raise invalid_state(order, "approve")
    given = set(session.scalars(select(PurchaseApproval.user_id)
                                .where(PurchaseApproval.order_id == order.id)))
    if user_id in given:
        raise ValidationFailed(FieldError(
            "SAME_APPROVER", _("You already approved order {number}; another user must give "
                               "the next approval"), field="id", number=order.number))
    now = utcnow()
    session.add(PurchaseApproval(order_id=order.id, user_id=user_id, approved_at=now,
                                 note=note))
    if len(given) + 1 >= order.approvals_required:
        order.state = APPROVED
        order.approved_at = now
        session.flush()
        publish(session, PurchaseOrderApproved(order_id=order.id, number=order.number))
    session.flush()
    return order


def has_receipts(session: Session, order_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(PurchaseReceipt)
                               .where(PurchaseReceipt.order_id == order_id)))


def cancel_purchase_order(session: Session, order_id: int | None, *, reason: str = "",
                          user_id: int | None = None) -> PurchaseOrder:
    """Cancel a draft or approved order nothing has arrived on; the requisition lines it
    bought may be ordered again."""
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    if errors:
        raise ValidationFailed(errors)
    order = lock_order(session, order_id)
    if order.state not in (DRAFT, APPROVED) or has_receipts(session, order.id):
        raise invalid_state(order, "cancel")
    order.state = CANCELLED
    order.cancelled_at = utcnow()
    order.cancelled_by_id = user_id
    order.cancel_reason = reason
    line_ids = select(PurchaseOrderLine.id).where(PurchaseOrderLine.order_id == order.id)
    freed = set(session.scalars(select(requisitions.PurchaseRequisitionLine.requisition_id)
                                .where(requisitions.PurchaseRequisitionLine.order_line_id
                                       .in_(line_ids))))
    if freed:
        session.execute(update(requisitions.PurchaseRequisitionLine)
                        .where(requisitions.PurchaseRequisitionLine.order_line_id.in_(line_ids))
                        .values(order_line_id=None)
                        .execution_options(synchronize_session=False))
    session.flush()
    requisitions.refresh_states(session, freed)
    return order


def close_purchase_order(session: Session, order_id: int | None, *,
                         user_id: int | None = None) -> PurchaseOrder:
    """Close an order goods arrived on: nothing more will be received (what is still
    open is not expected any more).  Returns and invoices of what arrived stay possible."""
    order = lock_order(session, order_id)
    if order.state not in (PARTLY_RECEIVED, RECEIVED):
        raise invalid_state(order, "close")
    order.state = CLOSED
    order.closed_at = utcnow()
    order.closed_by_id = user_id
    session.flush()
    return order
