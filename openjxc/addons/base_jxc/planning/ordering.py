"""Purchase suggestions turned into draft purchase orders, one per supplier, in one go.

Without lines, every current suggestion of the warehouse is ordered (its quantity and
supplier); with lines, exactly those (a line's supplier defaults to the suggested one).
Each line is priced like its suggestion (the last price from that supplier, else the
standard price) and expected after the product's lead time.  A line without a supplier
refuses the whole request (``REQUIRED`` at its ``supplierId``), so nothing is half
ordered.  The orders are made by :func:`purchase.services.create_purchase_order`::

    orders = order_suggestions(session, wh1, None, user_id=buyer)           # everything
    orders = order_suggestions(session, wh1, [SuggestedLine(motor, Decimal(5), s2)],
                               user_id=buyer)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from ..catalog.models import Product
from ..partners.models import Partner
from ..purchase.models import PurchaseOrder
from ..purchase.services import PurchaseLineInput, create_purchase_order
from ..stock.models import Warehouse
from ..stock.posting import business_today
from .suggestions import purchase_suggestions, sourcing_of

MAX_LINES = 500
NOTE = "Purchase suggestions"
#: The purchase chapter names its inputs by code; this request names them by id.
_RENAMED = {"productCode": "productId", "supplierCode": "supplierId",
            "warehouseCode": "warehouseId"}


@dataclass
class SuggestedLine:
    product_id: int | None
    quantity: Decimal | None
    supplier_id: int | None = None


@dataclass
class _Line:
    index: int
    product: Product
    quantity: Decimal
    supplier_id: int


def order_suggestions(session: Session, warehouse_id: int | None,
                      lines: Sequence[SuggestedLine] | None, *, user_id: int | None,
                      as_of: date | None = None) -> list[PurchaseOrder]:
    """Draft orders for ``lines`` (None: all current suggestions), by supplier id.

    Refusals: ``NOT_FOUND`` (warehouse, product, supplier), ``NOT_SUPPLIER``,
    ``REQUIRED`` (no lines, nothing to order, a line without a supplier),
    ``INVALID_QUANTITY`` (zero or less), ``INVALID`` (a quantity that is not a number, a
    product listed twice for one supplier) and those of
    ``create_purchase_order``.
    """
    as_of = as_of or business_today(session)
    warehouse = session.get(Warehouse, warehouse_id) if warehouse_id is not None else None
    if warehouse is None or not warehouse.active:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown warehouse"),
                                          field="warehouseId"))
    if lines is None:
        wanted = _all_suggested(session, warehouse.id, as_of)
    else:
        wanted = _given(session, lines)
    return _create(session, warehouse.id, wanted, as_of=as_of, user_id=user_id)


def _all_suggested(session: Session, warehouse_id: int, as_of: date) -> list[_Line]:
    suggestions = purchase_suggestions(session, warehouse_id, as_of=as_of)
    if not suggestions:
        raise ValidationFailed(FieldError(
            "REQUIRED", _("Nothing to order: no product of this warehouse needs buying"),
            field="lines"))
    missing = [s.product_code for s in suggestions if s.supplier_id is None]
    if missing:
        raise ValidationFailed([FieldError(
            "REQUIRED", _("{product} has no supplier: set its default supplier or list "
                          "the lines with a supplier"), field="lines", product=code)
            for code in missing])
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_([s.product_id for s in suggestions])))}
    return [_Line(i, products[s.product_id], s.quantity, s.supplier_id)
            for i, s in enumerate(suggestions) if s.supplier_id is not None]


def _given(session: Session, lines: Sequence[SuggestedLine]) -> list[_Line]:
    errors: list[FieldError] = []
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"),
                                 field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    lines = lines[:MAX_LINES]
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    products = {p.id: p for p in session.scalars(select(Product)
                                                 .where(Product.id.in_(product_ids)))}
    supplier_ids = {line.supplier_id for line in lines if line.supplier_id is not None}
    suppliers = {p.id: p for p in session.scalars(select(Partner)
                                                  .where(Partner.id.in_(supplier_ids)))}
    sourcing = sourcing_of(session, sorted(products))
    out: list[_Line] = []
    seen: set[tuple[int, int]] = set()
    for i, line in enumerate(lines):
        at = ("lines", str(i))
        before = len(errors)
        product = products.get(line.product_id) if line.product_id is not None else None
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productId")))
        quantity = check_decimal(errors, line.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
        supplier_id = line.supplier_id
        if supplier_id is not None:
            _check_supplier(errors, suppliers.get(supplier_id), (*at, "supplierId"))
        elif product is not None:
            source = sourcing.get(product.id)
            supplier_id = source.supplier[0] if source is not None else None
            if supplier_id is None:
                errors.append(FieldError(
                    "REQUIRED", _("{product} has no supplier: give one for this line"),
                    field=(*at, "supplierId"), product=product.code))
        if product is not None and supplier_id is not None:
            if (product.id, supplier_id) in seen:
                errors.append(FieldError("INVALID", _("{product} is listed twice for the "
                                                      "same supplier"),
                                         field=(*at, "productId"), product=product.code))
            seen.add((product.id, supplier_id))
        if len(errors) == before and product is not None and quantity is not None \
                and supplier_id is not None:
            out.append(_Line(i, product, quantity, supplier_id))
    if errors:
        raise ValidationFailed(errors)
    return out


def _check_supplier(errors: list[FieldError], supplier: Partner | None,
                    at: tuple[str, ...]) -> None:
    if supplier is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown supplier"), field=at))
    elif not supplier.is_supplier or not supplier.active:
        errors.append(FieldError("NOT_SUPPLIER", _("{partner} is not an active supplier"),
                                 field=at, partner=supplier.code))


def _create(session: Session, warehouse_id: int, lines: list[_Line], *, as_of: date,
            user_id: int | None) -> list[PurchaseOrder]:
    sourcing = sourcing_of(session, sorted({line.product.id for line in lines}))
    by_supplier: dict[int, list[_Line]] = {}
    for line in lines:
        by_supplier.setdefault(line.supplier_id, []).append(line)
    orders: list[PurchaseOrder] = []
    for supplier_id in sorted(by_supplier):
        group = by_supplier[supplier_id]
        inputs = []
        for line in group:
            source = sourcing.get(line.product.id)
            price = (source.price(supplier_id)[0] if source is not None
                     else line.product.standard_price)
            inputs.append(PurchaseLineInput(
                product_id=line.product.id, quantity=line.quantity, unit_price=price,
                expected_date=as_of + timedelta(days=max(line.product.lead_time_days, 0))))
        try:
            orders.append(create_purchase_order(
                session, supplier_id=supplier_id, warehouse_id=warehouse_id, lines=inputs,
                expected_date=max(i.expected_date for i in inputs if i.expected_date),
                note=NOTE, user_id=user_id))
        except ValidationFailed as exc:
            raise ValidationFailed([_renumbered(e, group) for e in exc.errors]) from exc
    return orders


def _renumbered(error: FieldError, group: list[_Line]) -> FieldError:
    """The purchase chapter's error, pointing at the line of this request."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "lines" and path[1].isdigit() \
            and int(path[1]) < len(group):
        path[1] = str(group[int(path[1])].index)
    elif path and path[0] in ("supplierCode", "warehouseCode"):
        path = ["lines", str(group[0].index), "supplierId"] if path[0] == "supplierCode" \
            else ["warehouseId"]
    path = [_RENAMED.get(part, part) for part in path]
    return FieldError(error.code, error.message, field=tuple(path), **error.params)
