"""What the sales mutations share: line inputs, codes and IDs turned into the ids the
services take, and service errors said at the input's own field names.

Services name things by their business (``customer``, ``lines.0.product``); inputs name
them by what the client sends (``customerCode``, ``lines.0.productCode``).  :func:`run`
runs a service with the codes resolved and renames the fields of its refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import pk_of_global_id
from openjxc.graphql.scoping import require_scope

from ..catalog.models import Product
from ..partners.models import Partner
from ..stock.models import Location, Warehouse
from . import models
from .lines import SalesLineInput as ServiceLine

T = TypeVar("T")

#: Service field name → input field name.
RENAMES = {"customer": "customerCode", "warehouse": "warehouseCode", "product": "productCode",
           "location": "locationCode", "orderLine": "orderLineId",
           "deliveryAddress": "deliveryAddressId", "address": "addressId",
           "partnerCode": "customerCode", "moveDate": "deliveryDate"}


@strawberry.input(description="One product to quote or sell.")
class SalesLineInput:
    product_code: str
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Tax excluded; empty: the product's list price.")
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="A fraction (0.13 is 13 % VAT); empty: the product's.")
    description: str = strawberry.field(default="", description="Empty: the product's name.")


def user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def pk(global_id: str | None, type_name: str) -> int | None:
    """The key behind a global ID of ``type_name``; None (then ``NOT_FOUND``) otherwise."""
    return pk_of_global_id(global_id, type_name)


def renamed(error: FieldError) -> FieldError:
    path = tuple(RENAMES.get(part, part) for part in error.field)
    return FieldError(error.code, error.message, field=path, **error.params)


def run(action: Callable[[Session], T]) -> Callable[[Session], T]:
    """``action`` with its refusals said at the input's field names."""
    def wrapped(session: Session) -> T:
        try:
            return action(session)
        except ValidationFailed as exc:
            raise ValidationFailed([renamed(e) for e in exc.errors]) from None

    return wrapped


def _by_code(session: Session, errors: list[FieldError], model: Any, code: str | None,
             at: str | tuple[str, ...], message: object) -> int | None:
    text = (code or "").strip()
    if not text:
        errors.append(FieldError("REQUIRED", _("This field is required"), field=at))
        return None
    found = session.scalar(select(model.id).where(model.code == text[:64]))
    if found is None:
        errors.append(FieldError("NOT_FOUND", message, field=at, code=text[:64]))
    return found


def customer_id(session: Session, errors: list[FieldError], code: str | None) -> int | None:
    return _by_code(session, errors, Partner, code, "customerCode",
                    _("Unknown customer {code}"))


def warehouse_id(session: Session, errors: list[FieldError], code: str | None) -> int | None:
    return _by_code(session, errors, Warehouse, code, "warehouseCode",
                    _("Unknown warehouse {code}"))


def location_id(session: Session, errors: list[FieldError], code: str | None,
                at: tuple[str, ...]) -> int | None:
    return _by_code(session, errors, Location, code, at, _("Unknown location {code}"))


def service_lines(session: Session, errors: list[FieldError],
                  lines: Sequence[SalesLineInput]) -> list[ServiceLine]:
    """The lines with product codes turned into ids (one statement); unknown codes are
    ``NOT_FOUND`` at ``lines.<i>.productCode``."""
    codes = {line.product_code.strip()[:64] for line in lines}
    ids = dict(session.execute(select(Product.code, Product.id)
                               .where(Product.code.in_(codes))).all()) if codes else {}
    out = []
    for i, line in enumerate(lines):
        code = line.product_code.strip()[:64]
        product = ids.get(code)
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                     field=("lines", str(i), "productCode"), code=code))
        out.append(ServiceLine(product_id=product, quantity=line.quantity,
                               unit_price=line.unit_price, tax_rate=line.tax_rate,
                               description=line.description))
    return out


def refuse(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def require_document_scope(info: Info[Any, Any], session: Session, model: Any,
                           document_id: int | None) -> None:
    """Refuse (``FORBIDDEN``) an action on a document (an order, a quotation) of a
    warehouse outside the caller's scope; a quotation without a warehouse is everyone's,
    an unknown document is left for the service to refuse (``NOT_FOUND``)."""
    if document_id is None:
        return
    warehouse = session.scalar(select(model.warehouse_id).where(model.id == document_id))
    if warehouse is not None:
        require_scope(info, "warehouse", warehouse)


def require_order_scope(info: Info[Any, Any], session: Session, order_id: int | None) -> None:
    require_document_scope(info, session, models.SalesOrder, order_id)


def require_quotation_scope(info: Info[Any, Any], session: Session,
                            quotation_id: int | None) -> None:
    require_document_scope(info, session, models.Quotation, quotation_id)


def scoped(info: Info[Any, Any], order_id: int | None,
           action: Callable[[Session], T]) -> Callable[[Session], T]:
    """``action`` run only once the order ``order_id`` is in the caller's scope."""
    def checked(session: Session) -> T:
        require_order_scope(info, session, order_id)
        return action(session)

    return checked
