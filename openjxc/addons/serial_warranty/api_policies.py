"""Warranty policies through GraphQL; base_jxc's ``Product`` gains ``warrantyPolicy`` and
its filter ``hasWarrantyPolicy``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import strawberry
from sqlalchemy import Select, exists, or_, select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog import models as catalog
from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.graphql import (
    Connection,
    Contribution,
    FilterField,
    Node,
    align,
    field,
    get_session,
    mutation,
    paginate,
)
from openjxc.graphql.payloads import run_service

from . import policies, services
from .api_common import POLICY_CREATE, POLICY_READ, WarrantyError, WarrantyStart
from .models import DEFAULT_ALERT_DAYS
from .models import WarrantyPolicy as PolicyRow


@strawberry.type(description="How long and what a warranty covers, for a product or a "
                             "category.  Issued warranties keep the terms they were given.")
class WarrantyPolicy(Node):
    node_permission: ClassVar[str] = POLICY_READ

    months: int
    starts_on: WarrantyStart
    covers_parts: bool
    covers_labour: bool
    alert_days: int = strawberry.field(description="Days before the end a warranty counts "
                                                   "as expiring and raises the alert.")
    product_id: strawberry.Private[int | None]
    category_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: PolicyRow) -> WarrantyPolicy:
        return cls(pk=row.id, months=row.months, starts_on=WarrantyStart(row.starts_on),
                   covers_parts=row.covers_parts, covers_labour=row.covers_labour,
                   alert_days=row.alert_days, product_id=row.product_id,
                   category_id=row.category_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[WarrantyPolicy | None]:
        rows = get_session(info).scalars(select(PolicyRow).where(PolicyRow.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda p: p.pk)


def _policies_for_products(info: Info[Any, Any], pairs: list[tuple[int, int]],
                           ) -> list[WarrantyPolicy | None]:
    rows = services.policies_for(get_session(info), pairs)
    return [WarrantyPolicy.from_row(r) if r is not None else None for r in rows]


async def product_warranty_policy(root: Product, info: Info[Any, Any],
                                  ) -> WarrantyPolicy | None:
    loader = info.context.loaders.get(
        "warranty.policy_for_product", lambda keys: _policies_for_products(info, keys))
    return await loader.load((root.pk, root.category_id))  # type: ignore[no-any-return]


def _filter_has_policy(stmt: Select[Any], value: bool, info: Info[Any, Any]) -> Select[Any]:
    own = exists().where(PolicyRow.product_id == catalog.Product.id)
    session = get_session(info)
    with_policy = set(session.scalars(select(PolicyRow.category_id)
                                      .where(PolicyRow.category_id.is_not(None))))
    # A category's policy reaches the categories below it.
    covered = sorted(c for c, chain in policies.category_chains(session).items()
                     if with_policy.intersection(chain))
    condition = or_(own, catalog.Product.category_id.in_(covered))
    return stmt.where(condition if value else ~condition)


def warranty_policies(info: Info[Any, Any], first: int | None = None, after: str | None = None,
                      last: int | None = None, before: str | None = None,
                      ) -> Connection[WarrantyPolicy]:
    return paginate(get_session(info), select(PolicyRow), first=first, after=after, last=last,
                    before=before, sort_keys=[PolicyRow.id], to_node=WarrantyPolicy.from_row,
                    info=info)


@strawberry.input(description="A policy for exactly one product or one category.")
class WarrantyPolicyCreateInput:
    months: int
    product_code: str | None = None
    category_code: str | None = None
    starts_on: WarrantyStart = WarrantyStart.DELIVERY
    covers_parts: bool = True
    covers_labour: bool = True
    alert_days: int = DEFAULT_ALERT_DAYS


@strawberry.type
class WarrantyPolicyCreatePayload:
    warranty_policy: WarrantyPolicy | None
    errors: list[WarrantyError]  # type: ignore[valid-type]


def warranty_policy_create(info: Info[Any, Any], input: WarrantyPolicyCreateInput,
                           ) -> WarrantyPolicyCreatePayload:
    row, errors = run_service(info, lambda s: services.create_policy(
        s, months=input.months, product_code=input.product_code,
        category_code=input.category_code, starts_on=input.starts_on.value,
        covers_parts=input.covers_parts, covers_labour=input.covers_labour,
        alert_days=input.alert_days), WarrantyError)
    return WarrantyPolicyCreatePayload(
        warranty_policy=WarrantyPolicy.from_row(row) if row else None, errors=errors)


def contribution() -> Contribution:
    return Contribution(
        types=[WarrantyPolicy, WarrantyStart, WarrantyError],
        queries=[field(warranty_policies, permission=POLICY_READ)],
        mutations=[mutation(warranty_policy_create, permission=POLICY_CREATE,
                            name="warrantyPolicyCreate",
                            description="A warranty policy for a product or a category; "
                                        "units it covers that were sold without a warranty "
                                        "are back-filled.")],
        type_fields={"Product": [
            field(product_warranty_policy, permission=POLICY_READ,
                  name="warrantyPolicy",
                  description="The warranty policy that applies: the product's own, "
                              "else its category's."),
        ]},
        filter_fields={"ProductFilter": [
            FilterField("has_warranty_policy", bool, _filter_has_policy,
                        description="Only products with (true) or without (false) a "
                                    "warranty policy."),
        ]},
    )
