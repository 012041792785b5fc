"""Codes and global IDs from the API turned into the ids the services take.

People name customers, warehouses, products and bins by code; documents come as Relay
IDs.  An unknown code is ``NOT_FOUND`` at the input field that held it; the services'
errors about the same things (``customer``, ``product`` …) are said at the API's field
names (``customerCode``, ``productCode`` …) by :func:`api_errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from ..catalog.models import Product
from ..partners.models import Partner
from ..purchase.api_inputs import pk as global_pk
from ..stock.models import Location, Warehouse

T = TypeVar("T")

__all__ = ["api_errors", "by_code", "customer_id", "global_pk", "location_id", "product_ids",
           "warehouse_id"]

#: The services' field names → the API's.
API_FIELDS = {"customer": "customerCode", "salesOrder": "salesOrderId",
              "warehouse": "warehouseCode", "product": "productCode",
              "salesOrderLine": "salesOrderLineId", "restockLocation": "restockLocationCode"}


def api_errors(action: Callable[[], T]) -> T:
    """Run ``action``; its refusals name the API's fields."""
    try:
        return action()
    except ValidationFailed as exc:
        raise ValidationFailed([_renamed(e) for e in exc.errors]) from None


def _renamed(error: FieldError) -> FieldError:
    path = list(error.field)
    if path and path[-1] in API_FIELDS:
        path[-1] = API_FIELDS[path[-1]]
        return FieldError(error.code, error.message, field=tuple(path), **error.params)
    return error


def by_code(session: Session, errors: list[FieldError], model: type[Partner | Warehouse],
            code: str | None, at: str | tuple[str, ...], message: object) -> int | None:
    """The id of the customer or warehouse with ``code``; None when no code was given."""
    code = (code or "").strip()
    if not code:
        return None
    found = session.scalar(select(model.id).where(model.code == code[:64]))
    if found is None:
        errors.append(FieldError("NOT_FOUND", message, field=at, code=code[:64]))
        return 0
    return found


def customer_id(session: Session, errors: list[FieldError], code: str) -> int | None:
    found = by_code(session, errors, Partner, code, "customerCode",
                    _("Unknown customer {code}"))
    if found is None:
        errors.append(FieldError("REQUIRED", _("This field is required"), field="customerCode"))
    return found


def warehouse_id(session: Session, errors: list[FieldError], code: str | None) -> int | None:
    return by_code(session, errors, Warehouse, code, "warehouseCode",
                   _("Unknown warehouse {code}"))


def product_ids(session: Session, errors: list[FieldError], codes: Sequence[str],
                ) -> list[int | None]:
    """The product of each line (None, with an error, for an unknown code)."""
    wanted = {str(c).strip()[:64] for c in codes}
    found = dict(session.execute(select(Product.code, Product.id)
                                 .where(Product.code.in_(wanted))).all())
    ids: list[int | None] = []
    for i, code in enumerate(codes):
        product = found.get(str(code).strip()[:64])
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                     field=("lines", str(i), "productCode"),
                                     code=str(code)[:64]))
        ids.append(product)
    return ids


def location_id(session: Session, errors: list[FieldError], code: str | None,
                at: str | tuple[str, ...]) -> int | None:
    code = (code or "").strip()
    if not code:
        return None
    found = session.scalar(select(Location.id).where(Location.code == code[:64]))
    if found is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown location"), field=at))
        return 0
    return found
