"""From GraphQL input to service arguments: global IDs to keys, codes to ids (``NOT_FOUND``
at the input field that named them), the caller and their warehouse scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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

#: What an ID that is not one of the expected type decodes to: a key no row has, so the
#: service refuses it with ``NOT_FOUND`` (None would mean "not given").
UNKNOWN = -1


def pk(global_id: str | None, type_name: str) -> int | None:
    """The key behind a global ID of ``type_name``; None when not given, :data:`UNKNOWN`
    for any other ID."""
    return pk_of_global_id(global_id, type_name, unknown=UNKNOWN)


def user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


class Codes:
    """Codes of one input resolved to ids with one statement per kind; an unknown code is
    recorded as ``NOT_FOUND`` at the field that named it (:meth:`check` raises them)."""

    KINDS: dict[str, tuple[Any, Any]] = {
        "product": (Product.code, Product.id), "partner": (Partner.code, Partner.id),
        "warehouse": (Warehouse.code, Warehouse.id), "location": (Location.code, Location.id),
    }
    MESSAGES = {"product": _("Unknown product {code}"), "partner": _("Unknown partner {code}"),
                "warehouse": _("Unknown warehouse {code}"),
                "location": _("Unknown location {code}")}

    def __init__(self, session: Session, **wanted: Iterable[str | None]) -> None:
        self.errors: list[FieldError] = []
        self.ids: dict[str, dict[str, int]] = {}
        for kind, codes in wanted.items():
            column, key = self.KINDS[kind]
            clean = {str(c).strip() for c in codes if c}
            self.ids[kind] = dict(session.execute(
                select(column, key).where(column.in_(clean))).all()) if clean else {}

    def get(self, kind: str, code: str | None, at: tuple[str, ...] | str) -> int | None:
        """The id of ``code`` (None when not given, or unknown: then an error)."""
        if code is None or not str(code).strip():
            return None
        found = self.ids[kind].get(str(code).strip())
        if found is None:
            self.errors.append(FieldError("NOT_FOUND", self.MESSAGES[kind], field=at,
                                          code=str(code)[:64]))
        return found

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def require_document_scope(info: Info[Any, Any], session: Session, model: Any,
                           document_id: int | None) -> None:
    """Refuse (``FORBIDDEN``) an action on a document (an order, a requisition) of a
    warehouse outside the caller's scope."""
    if document_id is None:
        return
    warehouse_id = session.scalar(select(model.warehouse_id).where(model.id == document_id))
    if warehouse_id is not None:
        require_scope(info, "warehouse", warehouse_id)


def require_order_scope(info: Info[Any, Any], session: Session, order_id: int | None) -> None:
    require_document_scope(info, session, models.PurchaseOrder, order_id)


def require_order_lines_scope(info: Info[Any, Any], session: Session,
                              line_ids: Iterable[int | None]) -> None:
    """Refuse (``FORBIDDEN``) order lines of orders of warehouses outside the caller's
    scope: a return naming only order lines takes its order (and warehouse) from them."""
    wanted = {i for i in line_ids if i is not None}
    if not wanted:
        return
    line, order = models.PurchaseOrderLine, models.PurchaseOrder
    for warehouse_id in session.scalars(select(order.warehouse_id).distinct()
                                        .join(line, line.order_id == order.id)
                                        .where(line.id.in_(wanted))):
        require_scope(info, "warehouse", warehouse_id)
