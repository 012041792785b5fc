"""The sales chapter's business operations, for the API, the CLI, tests and later chapters.

The operations live in modules named after what they do; this module gathers them::

    quotation = create_quotation(session, customer_id=c1.id, lines=[...])
    order = convert_quotation(session, quotation.id, warehouse_id=wh1.id)
    order, credit = confirm_sales_order(session, order.id, user_id=clerk.id)
    if order.state == "awaiting_approval":  # over the customer's credit: credit.exposure …
        approve_sales_order(session, order.id, user_id=manager.id, reason="老客户")
    delivery = deliver_sales_order(session, order.id)
    invoice = invoice_sales_order(session, order.id)

and it holds what the returns chapter (later in chapter order, so it cannot be listened
to) calls when goods come back: :func:`record_return`.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from ..stock.models import table_of
from . import statements
from .billing import InvoiceQuantityInput, invoice_sales_order, invoiceable
from .confirmation import (
    Confirmation,
    approve_sales_order,
    cancel_sales_order,
    close_sales_order,
    confirm_sales_order,
    reopen_sales_order,
    reserve_sales_order,
)
from .credit import CreditCheck, check_credit
from .delivery import DeliveryLineInput, deliver_sales_order
from .lines import SalesLineInput
from .models import SalesOrderLine
from .orders import copy_sales_order, create_sales_order, update_sales_order
from .quotations import (
    convert_quotation,
    create_quotation,
    reject_quotation,
    send_quotation,
)

__all__ = [
    "Confirmation", "CreditCheck", "DeliveryLineInput", "InvoiceQuantityInput", "SalesLineInput",
    "approve_sales_order", "cancel_sales_order", "check_credit", "close_sales_order",
    "confirm_sales_order", "convert_quotation", "copy_sales_order", "create_quotation",
    "create_sales_order", "deliver_sales_order", "invoice_sales_order", "invoiceable",
    "record_return", "reject_quotation", "reopen_sales_order", "reserve_sales_order",
    "send_quotation", "update_sales_order",
]


def record_return(session: Session, order_line_id: int | None, quantity: Decimal,
                  value: Decimal, *, field: tuple[str, ...] = ()) -> SalesOrderLine:
    """Goods of an order line came back: ``returned_quantity`` grows by ``quantity`` and
    ``delivered_cost`` shrinks by ``value`` (the cost they came back at), so the line's
    margin is that of what the customer kept.  A value above the line's remaining cost
    (goods coming back at another cost than they left at) leaves the cost at zero, never
    below.

    Refused: an unknown line (``NOT_FOUND``), a quantity that is not positive
    (``INVALID_QUANTITY``), more than was delivered and not yet returned
    (``OVER_RETURN``), a value below zero (``INVALID``).  Field paths start with
    ``field``.  One guarded update, so two returns of the last units cannot both pass.
    """
    errors: list[FieldError] = []
    quantity_ = check_decimal(errors, quantity, (*field, "quantity"), places=4, minimum=None)
    value_ = check_decimal(errors, value, (*field, "value"), places=2)
    if quantity_ is not None and quantity_ <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*field, "quantity")))
    line = session.get(SalesOrderLine, order_line_id) if order_line_id is not None else None
    if line is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown sales order line"),
                                 field=(*field, "orderLine")))
    if errors:
        raise ValidationFailed(errors)
    assert line is not None and quantity_ is not None and value_ is not None
    table = table_of(SalesOrderLine)
    returned = table.c.returned_quantity + quantity_
    cost = case((table.c.delivered_cost >= value_, table.c.delivered_cost - value_),
                else_=table.c.delivered_cost - table.c.delivered_cost)
    done = session.execute(update(table).where(and_(
        table.c.id == line.id, returned <= table.c.delivered_quantity))
        .values(returned_quantity=returned, delivered_cost=cost))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        row = session.execute(select(table.c.delivered_quantity, table.c.returned_quantity)
                              .where(table.c.id == line.id)).one()
        raise ValidationFailed(FieldError(
            "OVER_RETURN", _("{wanted} returned but only {left} delivered and not yet "
                             "returned"), field=(*field, "quantity"),
            wanted=f"{quantity_.normalize():f}",
            left=f"{(row.delivered_quantity - row.returned_quantity).normalize():f}"))
    session.execute(statements.mark_unbilled(), {"lines": [line.id]})
    session.refresh(line)
    return line
