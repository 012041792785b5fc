"""Sales orders (销售订单/合同): create, change, copy — and the look-ups every other
sales operation shares (locking an order, its lines, refusals of a state change).

An order is created as a draft; nothing is reserved and no credit is checked until it is
confirmed (:mod:`.confirmation`).  Changing the lines of an order that was confirmed or
approved takes it back to a draft — its reservations released, its approval dropped — so
the changed order is checked again; so is a copy, which is a new draft::

    order = create_sales_order(session, customer_id=c1.id, warehouse_id=wh1.id,
                               lines=[SalesLineInput(product_id=motor.id,
                                                     quantity=Decimal(2))])
    confirm_sales_order(session, order.id, user_id=user.id)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from ..numbering import next_document_number
from ..partners.models import Partner, PartnerAddress
from ..stock.models import Warehouse
from ..stock.posting import business_today
from . import statements
from .lines import PricedLine, SalesLineInput, check_lines, totals
from .models import (
    AWAITING_APPROVAL,
    CONFIRMED,
    DRAFT,
    SalesOrder,
    SalesOrderLine,
)
from .reserving import release_lines

NUMBER_PREFIX = "XS"
#: States whose lines may still change (the order goes back to a draft).
CHANGEABLE = (DRAFT, AWAITING_APPROVAL, CONFIRMED)

_STATE_LABELS = {
    "draft": _("draft"), "awaiting_approval": _("awaiting credit approval"),
    "confirmed": _("confirmed"), "partly_delivered": _("partly delivered"),
    "delivered": _("delivered"), "closed": _("closed"), "cancelled": _("cancelled"),
}


class NamedOrder(Protocol):
    """What a refusal names of an order (a :class:`SalesOrder` or a row read of it)."""

    @property
    def number(self) -> str: ...
    @property
    def state(self) -> str: ...


def invalid_state(order: NamedOrder, message: object, code: str = "INVALID_STATE",
                  ) -> ValidationFailed:
    """A refusal of a state change, naming the order and its state."""
    return ValidationFailed(FieldError(code, message, field="id", number=order.number,
                                       state=_STATE_LABELS.get(order.state, order.state)))


def lock_order(session: Session, order_id: int | None) -> SalesOrder:
    """The order, locked until the transaction ends (two clerks confirming or delivering
    the same order take turns).  ``NOT_FOUND`` when unknown."""
    order = None
    if order_id is not None:
        order = session.scalar(statements.lock_order(), {"id": order_id})
    if order is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    return order


def lock_order_with_lines(session: Session, order_id: int | None,
                          ) -> tuple[SalesOrder, list[SalesOrderLine]]:
    """:func:`lock_order` and :func:`order_lines` in one statement."""
    rows = (session.execute(statements.lock_order_with_lines(), {"id": order_id}).all()
            if order_id is not None else [])
    if not rows:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    return rows[0][0], [line for _order, line in rows if line is not None]


def order_lines(session: Session, order_id: int) -> list[SalesOrderLine]:
    """The order's lines in order, fresh from the database."""
    return list(session.scalars(statements.order_lines(), {"order_id": order_id}))


#: Tries at a document number when others take the same one at the same moment.
NUMBER_ATTEMPTS = 5


def add_numbered(session: Session, row: Any, column: Any, prefix: str) -> None:
    """Add ``row`` with the next free ``<prefix>-<yyyymm>-<nnnn>`` number.  Two documents
    numbered at the same moment on PostgreSQL pick the same number; the unique constraint
    refuses the second, which takes the next one (in a savepoint, so nothing else is
    undone) — a posting retried by its clerk must not fail for that."""
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        with session.no_autoflush:  # a refused row must not be flushed again by the read
            row.number = next_document_number(session, column, prefix)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return
        except IntegrityError:
            if row in session:
                session.expunge(row)
            if attempt == NUMBER_ATTEMPTS:
                raise


@cache
def _numbered_insert(dialect: str, table: Table) -> Any:
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert_(table).on_conflict_do_nothing(index_elements=["number"])
            .returning(table.c.id))


def insert_numbered(session: Session, row: Any, prefix: str) -> None:
    """:func:`add_numbered` in one statement, without a savepoint or a flush: ``row``
    (every column but ``id`` and ``number`` set) is inserted with the next free number —
    a number someone else holds is skipped (``ON CONFLICT DO NOTHING``) — and joins the
    session as stored."""
    mapper = type(row).__mapper__
    table = mapper.local_table
    values = {c.key: getattr(row, c.key) for c in mapper.column_attrs
              if c.key not in ("id", "number")}
    statement = _numbered_insert(session.get_bind().dialect.name, table)
    for _attempt in range(NUMBER_ATTEMPTS):
        number = next_document_number(session, table.c.number, prefix)
        new_id = session.execute(statement, {**values, "number": number}).scalar()
        if new_id is not None:
            row.id, row.number = new_id, number
            make_transient_to_detached(row)
            session.add(row)
            return
    raise RuntimeError(f"no free {prefix} number in {NUMBER_ATTEMPTS} attempts")


def expire_lines(session: Session, line_ids: Collection[int]) -> None:
    """Forget loaded order lines that a set-based update just changed (they are read again
    when next used)."""
    for line_id in line_ids:
        obj = session.identity_map.get(identity_key(SalesOrderLine, line_id))
        if obj is not None:
            session.expire(obj)


def check_customer(session: Session, errors: list[FieldError], customer_id: int | None,
                   field: str = "customer") -> Partner | None:
    """An active customer, or an error."""
    customer = session.get(Partner, customer_id) if customer_id is not None else None
    if customer_id is None:
        errors.append(FieldError("REQUIRED", _("Choose a customer"), field=field))
    elif customer is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown customer"), field=field))
    elif not customer.is_customer:
        errors.append(FieldError("INVALID", _("{partner} is not a customer"), field=field,
                                 partner=customer.code))
    elif not customer.active:
        errors.append(FieldError("INVALID", _("{partner} is inactive"), field=field,
                                 partner=customer.code))
    else:
        return customer
    return None


def check_warehouse(session: Session, errors: list[FieldError], warehouse_id: int | None,
                    field: str = "warehouse") -> Warehouse | None:
    warehouse = session.get(Warehouse, warehouse_id) if warehouse_id is not None else None
    if warehouse_id is None:
        errors.append(FieldError("REQUIRED", _("Choose a warehouse"), field=field))
    elif warehouse is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field=field))
    elif not warehouse.active:
        errors.append(FieldError("INVALID", _("Warehouse {code} is inactive"), field=field,
                                 code=warehouse.code))
    else:
        return warehouse
    return None


def _check_address(session: Session, errors: list[FieldError], address_id: int | None,
                   customer_id: int | None, field: str = "deliveryAddress") -> None:
    if address_id is None:
        return
    address = session.get(PartnerAddress, address_id)
    if address is None or (customer_id is not None and address.partner_id != customer_id):
        errors.append(FieldError("NOT_FOUND", _("This address is not one of the customer's"),
                                 field=field))


def create_sales_order(session: Session, *, customer_id: int | None,
                       warehouse_id: int | None, lines: Sequence[SalesLineInput],
                       quotation_id: int | None = None, order_date: date | None = None,
                       promised_date: date | None = None,
                       delivery_address_id: int | None = None, customer_reference: str = "",
                       note: str = "", user_id: int | None = None) -> SalesOrder:
    """A draft order with priced lines (``NOT_FOUND``, ``INVALID_QUANTITY`` … at
    ``lines.<i>.<attr>``); nothing is reserved yet."""
    errors: list[FieldError] = []
    check_customer(session, errors, customer_id)
    check_warehouse(session, errors, warehouse_id)
    _check_address(session, errors, delivery_address_id, customer_id)
    reference = check_text(errors, customer_reference, "customerReference", max_length=64)
    note = check_text(errors, note, "note", max_length=400)
    order_date = order_date or business_today(session)
    if promised_date is not None and promised_date < order_date:
        errors.append(FieldError("INVALID", _("The promised date cannot be before the order "
                                              "date"), field="promisedDate"))
    priced = check_lines(session, errors, lines)
    if errors:
        raise ValidationFailed(errors)
    assert customer_id is not None and warehouse_id is not None
    order = SalesOrder(customer_id=customer_id, warehouse_id=warehouse_id,
                       quotation_id=quotation_id, customer_reference=reference, state=DRAFT,
                       order_date=order_date, promised_date=promised_date,
                       delivery_address_id=delivery_address_id, note=note,
                       created_by_id=user_id)
    add_numbered(session, order, SalesOrder.number, NUMBER_PREFIX)
    _store_lines(session, order, priced)
    return order


def _store_lines(session: Session, order: SalesOrder, priced: Sequence[PricedLine]) -> None:
    rows = [SalesOrderLine(order_id=order.id, position=i, **line.columns(),
                           reserved_quantity=Decimal(0), delivered_quantity=Decimal(0),
                           delivered_cost=Decimal(0), returned_quantity=Decimal(0),
                           invoiced_quantity=Decimal(0))
            for i, line in enumerate(priced, start=1)]
    session.add_all(rows)
    order.amount_untaxed, order.amount_tax, order.amount_total = totals(priced)
    session.flush()


_UNSET: object = object()


def update_sales_order(session: Session, order_id: int | None, *,
                       lines: Sequence[SalesLineInput] | None = None,
                       promised_date: date | object | None = _UNSET,
                       delivery_address_id: int | object | None = _UNSET,
                       customer_reference: str | None = None, note: str | None = None,
                       user_id: int | None = None) -> SalesOrder:
    """Change an order; arguments left out stay as they are.

    New ``lines`` replace the old ones — only before anything was delivered — and take the
    order back to a draft: reservations released and any credit approval dropped, so it is
    checked again when confirmed.  Header fields (reference, note, promised date, address)
    may change while the order is open, without another check.
    """
    order = lock_order(session, order_id)
    if order.state not in (*CHANGEABLE, "partly_delivered"):
        raise invalid_state(order, _("Sales order {number} is {state} and can no longer "
                                     "change"))
    errors: list[FieldError] = []
    if customer_reference is not None:
        order.customer_reference = check_text(errors, customer_reference, "customerReference",
                                              max_length=64)
    if note is not None:
        order.note = check_text(errors, note, "note", max_length=400)
    if promised_date is not _UNSET:
        assert promised_date is None or isinstance(promised_date, date)
        if promised_date is not None and promised_date < order.order_date:
            errors.append(FieldError("INVALID", _("The promised date cannot be before the "
                                                  "order date"), field="promisedDate"))
        else:
            order.promised_date = promised_date
    if delivery_address_id is not _UNSET:
        assert delivery_address_id is None or isinstance(delivery_address_id, int)
        _check_address(session, errors, delivery_address_id, order.customer_id)
        order.delivery_address_id = delivery_address_id
    priced: list[PricedLine] = []
    if lines is not None:
        if order.state not in CHANGEABLE:
            errors.append(FieldError("INVALID_STATE", _("Lines cannot change once goods were "
                                                        "delivered"), field="lines"))
        else:
            priced = check_lines(session, errors, lines)
    if errors:
        raise ValidationFailed(errors)
    if lines is not None:
        old = order_lines(session, order.id)
        release_lines(session, old)
        session.execute(delete(SalesOrderLine).where(SalesOrderLine.order_id == order.id)
                        .execution_options(synchronize_session=False))
        for line in old:
            session.expunge(line)
        _store_lines(session, order, priced)
        back_to_draft(order)
    session.flush()
    return order


def back_to_draft(order: SalesOrder) -> None:
    """The order must be confirmed (and credit-checked) again."""
    order.state = DRAFT
    order.approved_total = None
    order.confirmed_at = None
    order.confirmed_by_id = None


def copy_sales_order(session: Session, order_id: int | None, *,
                     user_id: int | None = None) -> SalesOrder:
    """A new draft with the same customer, warehouse, address and lines (prices kept); it
    carries no approval and is checked like any new order."""
    source = session.get(SalesOrder, order_id) if order_id is not None else None
    if source is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    lines = [SalesLineInput(product_id=line.product_id, quantity=line.quantity,
                            unit_price=line.unit_price, tax_rate=line.tax_rate,
                            description=line.description)
             for line in order_lines(session, source.id)]
    return create_sales_order(session, customer_id=source.customer_id,
                              warehouse_id=source.warehouse_id, lines=lines,
                              delivery_address_id=source.delivery_address_id,
                              customer_reference=source.customer_reference, note=source.note,
                              user_id=user_id)
