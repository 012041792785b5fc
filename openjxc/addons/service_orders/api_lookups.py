"""What the service order mutations share: who is calling, the order behind a global ID,
and codes, serial numbers and usernames as typed resolved to ids (a NUL character or an
unknown key is a field error, never a server error)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import pk_of_global_id

from . import models
from .api_types import ServiceOrder
from .settings import typed_key

MAX_CODE = 64
#: An ID of another type or malformed: a key no row has, refused as ``NOT_FOUND``.
UNKNOWN_ID = -1


def caller_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def node_of(order: models.ServiceOrder | None) -> ServiceOrder | None:
    return ServiceOrder.from_row(order) if order is not None else None


def order_pk(global_id: strawberry.ID) -> int | None:
    return pk_of_global_id(global_id, "ServiceOrder", unknown=UNKNOWN_ID)


def encode_order(order: models.ServiceOrder | None) -> int | None:
    return order.id if order is not None else None


def decode_order(session: Session, order_id: int) -> models.ServiceOrder:
    return session.get_one(models.ServiceOrder, order_id)


def refuse(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def code_id(session: Session, errors: list[FieldError], model: Any, code: str | None,
            at: str | tuple[str, ...], message: object) -> int | None:
    """The id of the row of ``model`` with ``code`` (None when no code was given)."""
    text = typed_key(errors, code, at, MAX_CODE)
    if not text:
        return None
    found = session.scalar(select(model.id).where(model.code == text))
    if found is None:
        errors.append(FieldError("NOT_FOUND", message, field=at, code=text))
    return found


def serial_id(session: Session, errors: list[FieldError], number: str,
              product_id: int | None, at: tuple[str, ...]) -> int | None:
    """The unit with ``number`` (of ``product_id`` when given: numbers are unique per
    product only)."""
    before = len(errors)
    number = typed_key(errors, number, at, MAX_CODE)
    if len(errors) > before:
        return None
    stmt = select(SerialNumber.id).where(SerialNumber.number == number)
    if product_id is not None:
        stmt = stmt.where(SerialNumber.product_id == product_id)
    found = list(session.scalars(stmt.limit(2)))
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(FieldError("INVALID", _("Several products have serial number {serial}: "
                                              "name the product"), field=at,
                                 serial=number))
    else:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number {serial}"), field=at,
                                 serial=number))
    return None

