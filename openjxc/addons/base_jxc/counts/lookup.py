"""Finding a count and the locations and products it covers (shared by the services)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from ..catalog.models import Category, Product
from ..stock.models import Location
from .models import COUNTED_KINDS, StockCount, StockCountScope


def count_by_number(session: Session, number: str, *, lock: bool = False,
                    in_progress: bool = False) -> StockCount:
    """The count called ``number`` (locked for update when asked); ``NOT_FOUND``, or
    ``NOT_IN_PROGRESS`` when ``in_progress`` is asked and it is posted or cancelled."""
    stmt = select(StockCount).where(StockCount.number == str(number).strip())
    if lock:
        stmt = stmt.with_for_update()
    count = session.scalar(stmt)
    if count is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown stock count {number}"),
                                          field="number", number=number))
    if in_progress and count.state != "in_progress":
        raise ValidationFailed(FieldError("NOT_IN_PROGRESS",
                                          _("Stock count {number} is no longer in progress"),
                                          field="number", number=count.number))
    return count


def scope_conditions(session: Session, count: StockCount,
                     ) -> tuple[Select[Any], ColumnElement[bool] | None]:
    """The count's locations (a SELECT of ids) and its product condition (on
    ``Product``; None when every product is in scope)."""
    rows = session.execute(select(StockCountScope.kind, StockCountScope.target_id)
                           .where(StockCountScope.count_id == count.id)).all()
    chosen = {kind: {t for k, t in rows if k == kind}
              for kind in ("location", "category", "product")}
    locations = select(Location.id).where(Location.warehouse_id == count.warehouse_id,
                                          Location.kind.in_(COUNTED_KINDS))
    if chosen["location"]:
        locations = locations.where(or_(Location.id.in_(chosen["location"]),
                                        Location.parent_id.in_(chosen["location"])))
    product: ColumnElement[bool] | None = None
    if chosen["category"] or chosen["product"]:
        categories = _with_descendants(session, chosen["category"])
        product = or_(Product.category_id.in_(categories) if categories else false(),
                      Product.id.in_(chosen["product"]) if chosen["product"] else false())
    return locations, product


def _with_descendants(session: Session, roots: set[int]) -> set[int]:
    if not roots:
        return set()
    parents = dict(session.execute(select(Category.id, Category.parent_id)).all())
    found = set(roots)
    grew = True
    while grew:
        more = {c for c, p in parents.items() if p in found and c not in found}
        found |= more
        grew = bool(more)
    return found
