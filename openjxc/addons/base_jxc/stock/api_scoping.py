"""Warehouse scoping of the stock API: a user limited to some warehouses sees and moves
stock only there (see :mod:`openjxc.graphql.scoping`); company-wide locations (suppliers,
customers, adjustment, loss) stay visible to everyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from strawberry.types import Info

from . import models


def warehouse_scope(info: Info[Any, Any]) -> list[int] | None:
    """The warehouse ids the caller is limited to, or None when unrestricted."""
    principal = getattr(info.context, "principal", None)
    scope = getattr(principal, "scope", None)
    allowed = scope("warehouse") if callable(scope) else None
    if allowed is None:
        return None
    return [int(v) for v in allowed if str(v).isdigit()]


def visible_locations(info: Info[Any, Any]) -> Select[Any] | None:
    """Ids of the locations a scoped caller may see (their warehouses' and the company-wide
    ones), as a subquery; None when unrestricted."""
    allowed = warehouse_scope(info)
    if allowed is None:
        return None
    return select(models.Location.id).where(or_(models.Location.warehouse_id.is_(None),
                                                models.Location.warehouse_id.in_(allowed)))


def scoped_moves(info: Info[Any, Any], stmt: Select[Any]) -> Select[Any]:
    """Moves touching one of the caller's warehouses (all moves when unrestricted)."""
    allowed = warehouse_scope(info)
    if allowed is None:
        return stmt
    mine = select(models.Location.id).where(models.Location.warehouse_id.in_(allowed))
    return stmt.where(or_(models.StockMove.from_location_id.in_(mine),
                          models.StockMove.to_location_id.in_(mine)))
