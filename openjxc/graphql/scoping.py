"""Row scoping for the API: a user limited to some warehouses sees and moves only those.

The kernel knows no warehouses; it knows *scope kinds* (``"warehouse"``) and the values a
principal is limited to (:meth:`openjxc.core.security.Principal.scope`).  An addon applies
them where its rows carry such a value::

    stmt = restrict(info, select(StockLevel), "warehouse", StockLevel.warehouse_id)
    require_scope(info, "warehouse", input.warehouse_id)   # before posting a move

A principal without limits of a kind is unrestricted for that kind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false
from sqlalchemy.sql.elements import ColumnElement
from strawberry.types import Info

from openjxc.core.i18n import KernelMessages
from openjxc.graphql.errors import Forbidden


def _limit(info: Info[Any, Any], kind: str) -> frozenset[str] | None:
    principal = getattr(info.context, "principal", None)
    scope = getattr(principal, "scope", None)
    return scope(kind) if callable(scope) else None


def restrict(info: Info[Any, Any], stmt: Select[Any], kind: str,
             column: ColumnElement[Any]) -> Select[Any]:
    """``stmt`` narrowed to the rows whose ``column`` is within the caller's scope."""
    allowed = _limit(info, kind)
    if allowed is None:
        return stmt
    if not allowed:
        return stmt.where(false())
    python_type = getattr(column.type, "python_type", str)
    values = [python_type(v) if python_type is int else v for v in allowed]
    return stmt.where(column.in_(values))


def require_scope(info: Info[Any, Any], kind: str, value: object) -> None:
    """Refuse (``FORBIDDEN``, in the current locale) an action on a ``kind`` value outside
    the caller's scope."""
    allowed = _limit(info, kind)
    if allowed is not None and str(value) not in allowed:
        # The value is an internal id the caller may not even know exists: not named.
        raise Forbidden(str(KernelMessages.OUT_OF_SCOPE), extensions={"scope": kind})
