"""Checking what a customer says they send back, before a return request is created.

* a serial unit must be with the customer, and the move that took it there must be a
  sales delivery of one of this customer's orders (``SERIAL_NOT_DELIVERED``); that
  delivery also tells the order line it was sold on;
* a unit already on another open return is refused (``ALREADY_RETURNED``);
* an order line gives back at most what was delivered on it minus what was returned or is
  on open returns already (``OVER_RETURN``);
* a batch named with an order line must be one that line delivered.

Reads are set-based: one statement per kind of thing, whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _
from openjxc.core.validation import LIMITS, check_decimal, check_text

from ..catalog.models import Product
from ..invoicing.amounts import line_amounts
from ..sales.models import SalesDeliveryLine, SalesOrder, SalesOrderLine
from ..stock.models import Batch, SerialNumber
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location
from .delivered import pending_quantities, returnable, serial_deliveries
from .models import REQUESTED, ReturnLine, ReturnLineSerial, ReturnRequest

if TYPE_CHECKING:
    from .services import ReturnLineInput


@dataclass
class CheckedLine:
    """A request line after validation: what the writer needs, resolved."""

    product_id: int
    quantity: Decimal
    reason: str
    batch_id: int | None = None
    order_line_id: int | None = None
    order_warehouse_id: int | None = None
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    serial_ids: list[int] = field(default_factory=list)


class _Context:
    """Everything the lines refer to, read once for all of them."""

    def __init__(self, session: Session, lines: Sequence[ReturnLineInput],
                 order: SalesOrder | None, expanded: list[list[str]]) -> None:
        product_ids = {line.product_id for line in lines if isinstance(line.product_id, int)}
        self.products = {r.id: r for r in session.execute(
            select(Product.id, Product.code, Product.tracking, Product.tax_rate)
            .where(Product.id.in_(product_ids)))} if product_ids else {}
        line_ids = {line.sales_order_line_id for line in lines
                    if isinstance(line.sales_order_line_id, int)}
        self.order_lines: dict[int, Any] = {}
        order_lines = _order_lines_query()
        if line_ids:
            self._add_order_lines(session.execute(
                order_lines.where(SalesOrderLine.id.in_(line_ids))))
        self.order_lines_of_order: list[Any] = []
        if order is not None:
            self.order_lines_of_order = list(session.execute(
                order_lines.where(SalesOrderLine.order_id == order.id)
                .order_by(SalesOrderLine.position)))
            self._add_order_lines(self.order_lines_of_order)
        wanted_batches = {(line.product_id, str(line.batch_number).strip()) for line in lines
                          if line.batch_number and isinstance(line.product_id, int)}
        self.batches = {(b.product_id, b.number): b.id for b in session.execute(
            select(Batch.id, Batch.product_id, Batch.number)
            .where(tuple_(Batch.product_id, Batch.number).in_(wanted_batches)))
        } if wanted_batches else {}
        wanted_serials = {(line.product_id, n) for line, numbers in zip(lines, expanded,
                                                                        strict=True)
                          if isinstance(line.product_id, int) for n in numbers}
        self.serials = {(r.product_id, r.number): r for r in session.execute(
            select(SerialNumber.id, SerialNumber.product_id, SerialNumber.number,
                   SerialNumber.location_id)
            .where(tuple_(SerialNumber.product_id, SerialNumber.number).in_(wanted_serials)))
        } if wanted_serials else {}
        serial_ids = [r.id for r in self.serials.values()]
        self.customer_location = company_location(session, "customer").id
        self.deliveries = serial_deliveries(session, [
            r.id for r in self.serials.values() if r.location_id == self.customer_location])
        self.open_returns = dict(session.execute(
            select(ReturnLineSerial.serial_id, ReturnRequest.code)
            .join(ReturnLine, ReturnLine.id == ReturnLineSerial.line_id)
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .where(ReturnLineSerial.serial_id.in_(serial_ids),
                   ReturnRequest.state == REQUESTED)).all()) if serial_ids else {}

    def _add_order_lines(self, rows: Any) -> None:
        for row in rows:
            self.order_lines[row.id] = row

    def load_more_order_lines(self, session: Session, ids: set[int]) -> None:
        missing = ids - set(self.order_lines)
        if missing:
            self._add_order_lines(session.execute(
                _order_lines_query().where(SalesOrderLine.id.in_(missing))))


def _order_lines_query() -> Any:
    return (select(SalesOrderLine.id, SalesOrderLine.order_id, SalesOrderLine.position,
                   SalesOrderLine.product_id, SalesOrderLine.unit_price,
                   SalesOrderLine.tax_rate, SalesOrderLine.delivered_quantity,
                   SalesOrderLine.returned_quantity, SalesOrder.number,
                   SalesOrder.customer_id, SalesOrder.warehouse_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id))


def check_lines(session: Session, errors: list[FieldError], customer_id: int,
                order: SalesOrder | None, lines: Sequence[ReturnLineInput],
                ) -> list[CheckedLine]:
    """Each line resolved, or errors recorded at ``lines.<i>.<field>``."""
    expanded = [expand_serials(line.serials, errors, ("lines", str(i), "serials"))
                for i, line in enumerate(lines)]
    ctx = _Context(session, lines, order, expanded)
    # Serial units tell the order line they were sold on.
    derived = {d.order_line_id for d in ctx.deliveries.values() if d.order_line_id}
    ctx.load_more_order_lines(session, derived)
    seen: set[int] = set()
    checked: list[tuple[int, CheckedLine]] = []
    for i, (line, numbers) in enumerate(zip(lines, expanded, strict=True)):
        c = _check_line(errors, ctx, customer_id, order, i, line, numbers, seen)
        if c is not None:
            checked.append((i, c))
    _check_batches_delivered(session, errors, checked)
    _check_returnable(session, errors, ctx, checked)
    return [c for _i, c in checked]


def _check_line(errors: list[FieldError], ctx: _Context, customer_id: int,
                order: SalesOrder | None, i: int, line: ReturnLineInput, numbers: list[str],
                seen: set[int]) -> CheckedLine | None:
    at = ("lines", str(i))
    before = len(errors)
    product = ctx.products.get(line.product_id) if isinstance(line.product_id, int) else None
    if product is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product"), field=(*at, "product")))
    quantity = check_decimal(errors, line.quantity, (*at, "quantity"), places=4, minimum=None)
    if quantity is not None and quantity <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*at, "quantity")))
    reason = check_text(errors, line.reason, (*at, "reason"), max_length=200)
    if product is None or quantity is None or len(errors) > before:
        return None
    c = CheckedLine(product_id=product.id, quantity=quantity, reason=reason)
    c.batch_id = _batch(errors, ctx, at, product, line)
    c.serial_ids, from_serials = _serials(errors, ctx, at, product, quantity, numbers,
                                          customer_id, seen)
    if len(errors) > before:
        return None
    order_line = _order_line(errors, ctx, at, product, line, order, customer_id,
                             from_serials, quantity)
    if len(errors) > before:
        return None
    if order_line is not None:
        c.order_line_id = order_line.id
        c.order_warehouse_id = order_line.warehouse_id
        c.unit_price, c.tax_rate = order_line.unit_price, order_line.tax_rate
        if line.unit_price is not None or line.tax_rate is not None:
            errors.append(FieldError("INVALID",
                                     _("The price comes from sales order line {number}/"
                                       "{position}"), field=(*at, "unitPrice"),
                                     number=order_line.number, position=order_line.position))
    else:
        c.unit_price, c.tax_rate = _price(errors, at, product, line)
        if c.unit_price is not None and c.tax_rate is not None \
                and line_amounts(quantity, c.unit_price, c.tax_rate)[2] >= LIMITS[2]:
            errors.append(FieldError("INVALID", _("The line comes to more than an amount can "
                                                  "be"), field=(*at, "unitPrice")))
    return c if len(errors) == before else None


def _batch(errors: list[FieldError], ctx: _Context, at: tuple[str, ...], product: Any,
           line: ReturnLineInput) -> int | None:
    number = str(line.batch_number or "").strip()
    if product.tracking != "batch":
        if number:
            errors.append(FieldError("BATCH_NOT_TRACKED", _("{product} is not tracked by batch"),
                                     field=(*at, "batchNumber"), product=product.code))
        return None
    if not number:
        errors.append(FieldError("BATCH_REQUIRED", _("{product} needs a batch"),
                                 field=(*at, "batchNumber"), product=product.code))
        return None
    batch_id = ctx.batches.get((product.id, number))
    if batch_id is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown batch {batch}"),
                                 field=(*at, "batchNumber"), batch=number))
    return batch_id


def _serials(errors: list[FieldError], ctx: _Context, at: tuple[str, ...], product: Any,
             quantity: Decimal, numbers: list[str], customer_id: int,
             seen: set[int]) -> tuple[list[int], set[int | None]]:
    """The units' ids and the order lines they were delivered on."""
    where = (*at, "serials")
    if product.tracking != "serial":
        if numbers:
            errors.append(FieldError("SERIAL_NOT_TRACKED",
                                     _("{product} is not tracked by serial number"),
                                     field=where, product=product.code))
        return [], set()
    if quantity != len(numbers):
        errors.append(FieldError(
            "SERIAL_COUNT_MISMATCH",
            _("{quantity} units need {quantity} serial numbers, {count} given"),
            field=where, quantity=f"{quantity.normalize():f}", count=len(numbers)))
    ids: list[int] = []
    order_lines: set[int | None] = set()
    for number in numbers:
        serial = ctx.serials.get((product.id, number))
        if serial is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown serial number {serial}"),
                                     field=where, serial=number))
            continue
        if serial.id in seen:
            errors.append(FieldError("SERIAL_DUPLICATED", _("A serial number is listed twice"),
                                     field=where))
            continue
        seen.add(serial.id)
        delivered = ctx.deliveries.get(serial.id)
        if (serial.location_id != ctx.customer_location or delivered is None
                or delivered.customer_id != customer_id):
            errors.append(FieldError("SERIAL_NOT_DELIVERED",
                                     _("Serial number {serial} was not delivered to this "
                                       "customer"), field=where, serial=number))
            continue
        if serial.id in ctx.open_returns:
            errors.append(FieldError("ALREADY_RETURNED",
                                     _("Serial number {serial} is already on return {code}"),
                                     field=where, serial=number,
                                     code=ctx.open_returns[serial.id]))
            continue
        ids.append(serial.id)
        order_lines.add(delivered.order_line_id)
    return ids, order_lines


def _order_line(errors: list[FieldError], ctx: _Context, at: tuple[str, ...], product: Any,
                line: ReturnLineInput, order: SalesOrder | None, customer_id: int,
                from_serials: set[int | None], quantity: Decimal) -> Any:
    """The order line named, else the one the serial units were delivered on, else (with
    an order) the order's line for the product that can take the quantity back."""
    where = (*at, "salesOrderLine")
    if line.sales_order_line_id is not None:
        found = ctx.order_lines.get(line.sales_order_line_id)
        if found is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown sales order line"), field=where))
            return None
        if found.customer_id != customer_id:
            errors.append(FieldError("INVALID", _("Sales order {number} is not this "
                                                  "customer's"), field=where,
                                     number=found.number))
            return None
        if order is not None and found.order_id != order.id:
            errors.append(FieldError("INVALID", _("The line is not part of sales order "
                                                  "{number}"), field=where,
                                     number=order.number))
            return None
        if found.product_id != product.id:
            errors.append(FieldError("INVALID", _("Sales order line {number}/{position} sold "
                                                  "another product"), field=where,
                                     number=found.number, position=found.position))
            return None
        if from_serials and from_serials != {found.id}:
            errors.append(FieldError("SERIAL_NOT_DELIVERED",
                                     _("The serial numbers were not delivered on this order "
                                       "line"), field=(*at, "serials")))
            return None
        return found
    if from_serials:
        if len(from_serials) > 1:
            errors.append(FieldError("INVALID",
                                     _("These serial numbers were sold on different order "
                                       "lines: give each its own return line"),
                                     field=(*at, "serials")))
            return None
        only = next(iter(from_serials))
        found = ctx.order_lines.get(only) if only is not None else None
        if found is not None and order is not None and found.order_id != order.id:
            errors.append(FieldError("SERIAL_NOT_DELIVERED",
                                     _("The serial numbers were not delivered on sales order "
                                       "{number}"), field=(*at, "serials"),
                                     number=order.number))
            return None
        return found
    if order is not None:
        candidates = [r for r in ctx.order_lines_of_order if r.product_id == product.id]
        if not candidates:
            errors.append(FieldError("INVALID", _("Sales order {number} has no line for "
                                                  "{product}"), field=(*at, "product"),
                                     number=order.number, product=product.code))
            return None
        return next((r for r in candidates if returnable(r) >= quantity), candidates[0])
    return None


def _price(errors: list[FieldError], at: tuple[str, ...], product: Any,
           line: ReturnLineInput) -> tuple[Decimal | None, Decimal | None]:
    if line.unit_price is None:
        errors.append(FieldError("REQUIRED",
                                 _("Name the sales order line, or the unit price to credit"),
                                 field=(*at, "unitPrice")))
        return None, None
    price = check_decimal(errors, line.unit_price, (*at, "unitPrice"), places=6)
    rate: Decimal | None = product.tax_rate
    if line.tax_rate is not None:
        rate = check_decimal(errors, line.tax_rate, (*at, "taxRate"), places=6)
        if rate is not None and rate >= 1:
            errors.append(FieldError("INVALID", _("The tax rate is a fraction from 0 up to 1 "
                                                  "(0.13 for 13%)"), field=(*at, "taxRate")))
    return price, rate


def _check_batches_delivered(session: Session, errors: list[FieldError],
                             checked: list[tuple[int, CheckedLine]]) -> None:
    wanted = {c.order_line_id for _i, c in checked if c.batch_id and c.order_line_id}
    if not wanted:
        return
    delivered = {(line_id, batch_id) for line_id, batch_id in session.execute(
        select(SalesDeliveryLine.order_line_id, SalesDeliveryLine.batch_id)
        .where(SalesDeliveryLine.order_line_id.in_(wanted))
        .distinct())}
    for i, c in checked:
        if c.batch_id and c.order_line_id and (c.order_line_id, c.batch_id) not in delivered:
            errors.append(FieldError("INVALID",
                                     _("This batch was not delivered on the sales order line"),
                                     field=("lines", str(i), "batchNumber")))


def _check_returnable(session: Session, errors: list[FieldError], ctx: _Context,
                      checked: list[tuple[int, CheckedLine]]) -> None:
    wanted: dict[int, Decimal] = {}
    for _i, c in checked:
        if c.order_line_id is not None:
            wanted[c.order_line_id] = wanted.get(c.order_line_id, Decimal(0)) + c.quantity
    pending = pending_quantities(session, list(wanted))
    so_far: dict[int, Decimal] = {}
    for i, c in checked:
        line_id = c.order_line_id
        if line_id is None or line_id not in wanted:
            continue
        so_far[line_id] = so_far.get(line_id, Decimal(0)) + c.quantity
        order_line = ctx.order_lines[line_id]
        left = returnable(order_line, pending.get(line_id, Decimal(0)))
        if so_far[line_id] > left:
            del wanted[line_id]  # said once, at the line that goes over
            errors.append(FieldError(
                "OVER_RETURN",
                _("{wanted} to return but only {left} of sales order line {number}/{position} "
                  "was delivered and not yet returned"),
                field=("lines", str(i), "quantity"), wanted=f"{so_far[line_id].normalize():f}",
                left=f"{max(left, Decimal(0)).normalize():f}", number=order_line.number,
                position=order_line.position))
