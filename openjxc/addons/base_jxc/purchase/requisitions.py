"""Requisitions (请购单): someone asks to buy; a manager approves or rejects; the approved
lines are bought by purchase order lines (``requisition_line_id``)::

    requisition = create_requisition(session, warehouse_id=wh.id, department="维修部",
                                     lines=[RequisitionLineInput(product_id=motor.id,
                                                                 quantity=Decimal(2))],
                                     user_id=clerk.id)
    approve_requisition(session, requisition.id, user_id=manager.id)

A requisition whose every line is on an order is ``ordered``; cancelling such an order
frees its lines again (the requisition goes back to ``approved``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..numbering import next_document_number
from ..partners.models import Partner
from ..stock.models import Warehouse
from .labels import requisition_state
from .models import (
    REQ_APPROVED,
    REQ_CANCELLED,
    REQ_ORDERED,
    REQ_REJECTED,
    REQ_SUBMITTED,
    PurchaseRequisition,
    PurchaseRequisitionLine,
)

NUMBER_PREFIX = "QG"
MAX_LINES = 500


@dataclass
class RequisitionLineInput:
    product_id: int | None
    quantity: Decimal
    #: A supplier the requester suggests (optional).
    suggested_supplier_id: int | None = None
    note: str = ""


def lock_requisition(session: Session, requisition_id: int | None) -> PurchaseRequisition:
    """The requisition, locked for the rest of the transaction; ``NOT_FOUND`` if unknown."""
    found = None
    if requisition_id is not None:
        found = session.scalar(select(PurchaseRequisition)
                               .where(PurchaseRequisition.id == requisition_id)
                               .with_for_update().execution_options(populate_existing=True))
    if found is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown requisition"), field="id"))
    return found


def create_requisition(session: Session, *, warehouse_id: int | None,
                       lines: Sequence[RequisitionLineInput], department: str = "",
                       needed_by: date | None = None, note: str = "",
                       user_id: int | None = None) -> PurchaseRequisition:
    """A submitted requisition (``QG-…``) waiting for a decision."""
    errors: list[FieldError] = []
    department = check_text(errors, department, "department", max_length=64)
    note = check_text(errors, note, "note", max_length=400)
    warehouse = session.get(Warehouse, warehouse_id) if warehouse_id is not None else None
    if warehouse is None or not warehouse.active:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field="warehouseCode"))
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    checked = _check_lines(session, errors, lines[:MAX_LINES])
    if errors:
        raise ValidationFailed(errors)
    assert warehouse is not None
    requisition = PurchaseRequisition(
        number=next_document_number(session, PurchaseRequisition.number, NUMBER_PREFIX),
        warehouse_id=warehouse.id, department=department, state=REQ_SUBMITTED,
        needed_by=needed_by, note=note, created_by_id=user_id)
    session.add(requisition)
    session.flush()
    for position, line in enumerate(checked, start=1):
        line.requisition_id = requisition.id
        line.position = position
    session.add_all(checked)
    session.flush()
    return requisition


def _check_lines(session: Session, errors: list[FieldError],
                 lines: Sequence[RequisitionLineInput]) -> list[PurchaseRequisitionLine]:
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({line.product_id for line in lines if line.product_id is not None})))}
    suppliers = {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(
        {line.suggested_supplier_id for line in lines if line.suggested_supplier_id})))}
    checked = []
    for i, line in enumerate(lines):
        at = ("lines", str(i))
        before = len(errors)
        product = products.get(line.product_id) if line.product_id is not None else None
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productCode")))
        quantity = check_decimal(errors, line.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
        supplier_id = line.suggested_supplier_id
        if supplier_id is not None:
            supplier = suppliers.get(supplier_id)
            if supplier is None or not supplier.is_supplier or not supplier.active:
                errors.append(FieldError("NOT_SUPPLIER", _("This partner is not an active "
                                                           "supplier"),
                                         field=(*at, "suggestedSupplierCode")))
        note = check_text(errors, line.note, (*at, "note"), max_length=200)
        if len(errors) == before and product is not None and quantity is not None:
            checked.append(PurchaseRequisitionLine(product_id=product.id, quantity=quantity,
                                                   suggested_supplier_id=supplier_id,
                                                   note=note))
    return checked


def approve_requisition(session: Session, requisition_id: int | None, *,
                        user_id: int | None = None) -> PurchaseRequisition:
    """Approve a submitted requisition: its lines may now be ordered."""
    return _decide(session, requisition_id, REQ_APPROVED, user_id)


def reject_requisition(session: Session, requisition_id: int | None, *,
                       user_id: int | None = None, reason: str = "") -> PurchaseRequisition:
    """Reject a submitted requisition (the reason is added to its note)."""
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=200)
    if errors:
        raise ValidationFailed(errors)
    requisition = _decide(session, requisition_id, REQ_REJECTED, user_id)
    if reason:
        requisition.note = (f"{requisition.note}\n{reason}" if requisition.note
                            else reason)[:400]
        session.flush()
    return requisition


def _decide(session: Session, requisition_id: int | None, state: str,
            user_id: int | None) -> PurchaseRequisition:
    requisition = lock_requisition(session, requisition_id)
    if requisition.state != REQ_SUBMITTED:
        raise ValidationFailed(FieldError(
            "INVALID_STATE", _("Requisition {number} is {state}: only a submitted requisition "
                               "can be approved or rejected"),
            field="id", number=requisition.number, state=requisition_state(requisition.state)))
    requisition.state = state
    requisition.decided_at = utcnow()
    requisition.decided_by_id = user_id
    session.flush()
    return requisition


def requisition_lines(session: Session, requisition_ids: Sequence[int],
                      ) -> dict[int, list[PurchaseRequisitionLine]]:
    """The lines of each requisition, in order (one statement for all)."""
    found: dict[int, list[PurchaseRequisitionLine]] = {i: [] for i in requisition_ids}
    for line in session.scalars(select(PurchaseRequisitionLine)
                                .where(PurchaseRequisitionLine.requisition_id.in_(
                                    set(requisition_ids)))
                                .order_by(PurchaseRequisitionLine.requisition_id,
                                          PurchaseRequisitionLine.position)):
        found[line.requisition_id].append(line)
    return found


def lines_to_order(session: Session, line_ids: Sequence[int],
                   ) -> dict[int, tuple[PurchaseRequisitionLine, PurchaseRequisition]]:
    """Requisition lines by id with their requisitions, locked (an order is about to take
    them; two buyers ordering the same line take turns)."""
    if not line_ids:
        return {}
    rows = session.execute(select(PurchaseRequisitionLine, PurchaseRequisition)
                           .join(PurchaseRequisition, PurchaseRequisition.id
                                 == PurchaseRequisitionLine.requisition_id)
                           .where(PurchaseRequisitionLine.id.in_(set(line_ids)))
                           .order_by(PurchaseRequisitionLine.id)
                           .with_for_update().execution_options(populate_existing=True))
    return {line.id: (line, requisition) for line, requisition in rows}


def refresh_states(session: Session, requisition_ids: set[int]) -> None:
    """``ordered`` when every line of an approved requisition is on an order, ``approved``
    again when one is freed (its order was cancelled)."""
    if not requisition_ids:
        return
    open_lines = dict(session.execute(
        select(PurchaseRequisitionLine.requisition_id, func.count())
        .where(PurchaseRequisitionLine.requisition_id.in_(requisition_ids),
               PurchaseRequisitionLine.order_line_id.is_(None))
        .group_by(PurchaseRequisitionLine.requisition_id)).all())
    done = [i for i in requisition_ids if not open_lines.get(i)]
    pending = [i for i in requisition_ids if open_lines.get(i)]
    for ids, source, target in ((done, REQ_APPROVED, REQ_ORDERED),
                                (pending, REQ_ORDERED, REQ_APPROVED)):
        if ids:
            session.execute(update(PurchaseRequisition)
                            .where(PurchaseRequisition.id.in_(ids),
                                   PurchaseRequisition.state == source)
                            .values(state=target)
                            .execution_options(synchronize_session=False))
    session.expire_all()


def cancel_requisition(session: Session, requisition_id: int | None, *,
                       user_id: int | None = None) -> PurchaseRequisition:
    """Withdraw a requisition none of whose lines is on an order yet."""
    requisition = lock_requisition(session, requisition_id)
    ordered = session.scalar(select(func.count()).select_from(PurchaseRequisitionLine).where(
        PurchaseRequisitionLine.requisition_id == requisition.id,
        PurchaseRequisitionLine.order_line_id.is_not(None)))
    if requisition.state not in (REQ_SUBMITTED, REQ_APPROVED) or ordered:
        raise ValidationFailed(FieldError(
            "INVALID_STATE", _("Requisition {number} is {state}: only one with nothing "
                               "ordered yet can be cancelled"),
            field="id", number=requisition.number, state=requisition_state(requisition.state)))
    requisition.state = REQ_CANCELLED
    requisition.decided_at = utcnow()
    requisition.decided_by_id = user_id
    session.flush()
    return requisition
