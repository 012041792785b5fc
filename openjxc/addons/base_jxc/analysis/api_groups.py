"""What the analysis types share in GraphQL: the grouping, the group an item belongs to,
the warehouse limits of the caller, and service refusals as clear errors."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import _, translate
from openjxc.graphql import BadUserInput, get_session
from openjxc.graphql.scoping import require_scope

from ..catalog.api import Category, Product
from ..stock.api_scoping import warehouse_scope
from ..stock.api_types import Warehouse, load_products, load_warehouses
from ..stock.models import Warehouse as WarehouseRow
from .common import GroupBy

T = TypeVar("T")


@strawberry.enum(description="What the figures of a KPI report are given per.")
class KpiGroupBy(Enum):
    NONE = "none"
    PRODUCT = "product"
    CATEGORY = "category"
    WAREHOUSE = "warehouse"

    __labels__ = {"NONE": _("Whole company"), "PRODUCT": _("Per product"),
                  "CATEGORY": _("Per category"), "WAREHOUSE": _("Per warehouse")}

    @property
    def grouping(self) -> GroupBy:
        return GroupBy(self.value)


def load_categories(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("catalog.category",
                                    lambda ids: Category.get_nodes(info, ids))


@strawberry.interface(description="A figure given for a group: the product, category or "
                                  "warehouse it is about (all null for the whole company).")
class KpiGroup:
    group_by: strawberry.Private[GroupBy]
    group_id: strawberry.Private[int | None]

    @strawberry.field(description="The product, when grouped per product.")
    async def product(self, info: Info[Any, Any]) -> Product | None:
        if self.group_by is not GroupBy.PRODUCT or self.group_id is None:
            return None
        return await load_products(info).load(self.group_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The category, when grouped per category.")
    async def category(self, info: Info[Any, Any]) -> Category | None:
        if self.group_by is not GroupBy.CATEGORY or self.group_id is None:
            return None
        return await load_categories(info).load(self.group_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The warehouse, when grouped per warehouse.")
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        if self.group_by is not GroupBy.WAREHOUSE or self.group_id is None:
            return None
        return await load_warehouses(info).load(self.group_id)  # type: ignore[no-any-return]


def warehouses_of(info: Info[Any, Any], warehouse_code: str | None) -> list[int] | None:
    """The warehouses a report covers: the one asked for (within the caller's scope,
    else ``FORBIDDEN``), or the caller's scope, or all (None)."""
    if warehouse_code is None:
        return warehouse_scope(info)
    found = get_session(info).scalar(select(WarehouseRow.id)
                                     .where(WarehouseRow.code == warehouse_code))
    if found is None:
        message = _("Unknown warehouse {code}", code=warehouse_code[:64])
        raise BadUserInput(message.resolve(getattr(info.context, "locale", None)),
                           extensions={"reason": "NOT_FOUND", "field": ["warehouseCode"]})
    require_scope(info, "warehouse", found)
    return [int(found)]


def checked(info: Info[Any, Any], action: Callable[[], T]) -> T:
    """``action()``, a service refusal turned into a ``BAD_USER_INPUT`` error that says
    what is wrong, in the caller's language, with the code and the argument."""
    try:
        return action()
    except ValidationFailed as exc:
        error = exc.errors[0]
        raise BadUserInput(translate(error.message, getattr(info.context, "locale", None),
                                     **error.params),
                           extensions={"reason": error.code,
                                       "field": list(error.field)}) from None
