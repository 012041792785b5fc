"""service_orders through GraphQL: the queries, and the contribution (mutations in
:mod:`.api_mutations` and :mod:`.api_work`, settings in :mod:`.api_settings`).

``serviceOrders`` (filtered, sorted, paged), ``serviceOrder(number:)``, ``myServiceOrders``
(the technician's phone: open orders assigned to me or to a team of mine, by due time),
``warrantyCost(from:, to:)``, ``firstTimeFixRate(from:, to:)``, ``serviceSlas``,
``serviceLabourRates``, ``serviceTeams``; ``Product.needsInstallation``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy import false, or_, select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.addons.base_jxc.partners.models import Partner as PartnerRow
from openjxc.core.errors import ValidationFailed
from openjxc.core.models import utcnow
from openjxc.core.security.models import User
from openjxc.core.security.users import username_key
from openjxc.graphql import (
    BadUserInput,
    Connection,
    Contribution,
    apply_filter_extensions,
    field,
    get_session,
    paginate,
)

from . import metrics, models, settings
from .api_types import (
    READ,
    FirstTimeFixRate,
    ServiceDevice,
    ServiceError,
    ServiceLabour,
    ServiceLabourRate,
    ServiceOrder,
    ServiceOrderSort,
    ServiceOrderState,
    ServiceOrderType,
    ServicePart,
    ServicePriority,
    ServiceRecord,
    ServiceSla,
    ServiceSource,
    ServiceTeam,
    WarrantyCost,
)

MAX_SEARCH = 64


@strawberry.input(description="Narrow the service order list; all given conditions hold.")
class ServiceOrderFilter:
    state: ServiceOrderState | None = None
    type: ServiceOrderType | None = None
    priority: ServicePriority | None = None
    customer_code: str | None = None
    assignee: str | None = strawberry.field(default=None, description="A username.")
    overdue: bool | None = strawberry.field(default=None,
                                            description="Open and past the SLA due time.")
    search: str | None = strawberry.field(default=None, description="Part of the number.")


def _sorted(sort: ServiceOrderSort) -> list[Any]:
    row = models.ServiceOrder
    if sort is ServiceOrderSort.DUE:
        return [row.due_at]
    if sort is ServiceOrderSort.NUMBER:
        return [row.number]
    return [row.id.desc()]


def service_orders(info: Info[Any, Any], filter: ServiceOrderFilter | None = None,
                   sort: ServiceOrderSort = ServiceOrderSort.NEWEST,
                   first: int | None = None, after: str | None = None,
                   last: int | None = None, before: str | None = None,
                   ) -> Connection[ServiceOrder]:
    row = models.ServiceOrder
    stmt = select(row)
    if filter is not None and any("\x00" in (text or "") for text in (
            filter.customer_code, filter.assignee, filter.search)):
        stmt = stmt.where(false())  # nothing stored holds a NUL (and PostgreSQL refuses it)
    elif filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.type is not None:
            stmt = stmt.where(row.type == filter.type.value)
        if filter.priority is not None:
            stmt = stmt.where(row.priority == filter.priority.value)
        if filter.customer_code:
            stmt = stmt.where(row.customer_id == select(PartnerRow.id).where(
                PartnerRow.code == filter.customer_code[:MAX_SEARCH].strip())
                .scalar_subquery())
        if filter.assignee:
            stmt = stmt.where(row.assignee_id == select(User.id).where(
                User.username_key == username_key(filter.assignee[:MAX_SEARCH].strip()))
                .scalar_subquery())
        if filter.overdue is not None:
            late = (row.state.in_(models.OPEN_STATES)) & (row.due_at < utcnow())
            stmt = stmt.where(late if filter.overdue else ~late)
        if filter.search:
            stmt = stmt.where(row.number.icontains(filter.search[:MAX_SEARCH].strip(),
                                                   autoescape=True))
    stmt = apply_filter_extensions(info, "ServiceOrderFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=_sorted(sort), to_node=ServiceOrder.from_row,
                    info=info)


def service_order(info: Info[Any, Any], number: str) -> ServiceOrder | None:
    if "\x00" in number:
        return None
    found = get_session(info).scalar(select(models.ServiceOrder).where(
        models.ServiceOrder.number == number[:MAX_SEARCH].strip()))
    return ServiceOrder.from_row(found) if found is not None else None


def my_service_orders(info: Info[Any, Any], first: int | None = None,
                      after: str | None = None, last: int | None = None,
                      before: str | None = None) -> Connection[ServiceOrder]:
    row = models.ServiceOrder
    me = getattr(info.context.principal, "user_id", None)
    teams = select(models.ServiceTeamMember.team_id).where(
        models.ServiceTeamMember.user_id == me)
    stmt = select(row).where(row.state.in_(models.OPEN_STATES),
                             or_(row.assignee_id == me, row.team_id.in_(teams)))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.due_at], to_node=ServiceOrder.from_row,
                    info=info)


def _period(action: Any) -> Any:
    """A refused period is a client error (``BAD_USER_INPUT``) with the reason."""
    try:
        return action()
    except ValidationFailed as exc:
        raise BadUserInput(exc.message) from None


def warranty_cost(info: Info[Any, Any], from_: Annotated[date, strawberry.argument(name="from")],
                  to: date) -> WarrantyCost:
    found = _period(lambda: metrics.warranty_cost(get_session(info), from_, to))
    return WarrantyCost(from_=found.start, to=found.end, orders=found.orders,
                        parts_cost=found.parts_cost, labour_cost=found.labour_cost,
                        total=found.total)


def first_time_fix_rate(info: Info[Any, Any],
                        from_: Annotated[date, strawberry.argument(name="from")],
                        to: date) -> FirstTimeFixRate:
    found = _period(lambda: metrics.first_time_fix_rate(get_session(info), from_, to))
    return FirstTimeFixRate(from_=found.start, to=found.end, repairs=found.repairs,
                            fixed_first_time=found.fixed_first_time, rate=found.rate)


def service_slas(info: Info[Any, Any]) -> list[ServiceSla]:
    return [ServiceSla(type=ServiceOrderType(r.type), priority=ServicePriority(r.priority),
                       hours=r.hours) for r in settings.sla_table(get_session(info))]


def service_labour_rates(info: Info[Any, Any]) -> list[ServiceLabourRate]:
    session = get_session(info)
    found = []
    for kind in models.TYPES:
        rate, internal, tax = settings.labour_rate(session, kind)
        found.append(ServiceLabourRate(type=ServiceOrderType(kind), rate=rate, tax_rate=tax,
                                       _internal_rate=internal))
    return found


def service_teams(info: Info[Any, Any]) -> list[ServiceTeam]:
    session = get_session(info)
    teams = list(session.scalars(select(models.ServiceTeam).order_by(models.ServiceTeam.code)))
    members = settings.team_members(session, [t.id for t in teams])
    return [ServiceTeam(code=t.code, name=t.name, members=[n for _i, n in members[t.id]])
            for t in teams]


async def product_needs_installation(root: Product, info: Info[Any, Any]) -> bool | None:
    def batch(ids: list[int]) -> list[bool]:
        flagged = settings.needs_installation(get_session(info), ids)
        return [i in flagged for i in ids]

    loader = info.context.loaders.get("service.needs_installation", batch)
    return await loader.load(root.pk)  # type: ignore[no-any-return]


def contribution() -> Contribution:
    from .api_mutations import mutations, types

    return Contribution(
        types=[ServiceOrder, ServiceDevice, ServiceRecord, ServiceLabour, ServicePart,
               ServiceOrderType, ServicePriority, ServiceSource, ServiceOrderState,
               ServiceOrderSort, ServiceOrderFilter, ServiceError, ServiceSla,
               ServiceLabourRate, ServiceTeam, WarrantyCost, FirstTimeFixRate, *types()],
        queries=[
            field(service_orders, permission=READ, name="serviceOrders",
                  description="Service orders, filtered and sorted."),
            field(service_order, permission=READ, name="serviceOrder",
                  description="A service order by its number (FW-…)."),
            field(my_service_orders, permission=READ, name="myServiceOrders",
                  description="Open orders assigned to me or to a team of mine, the most "
                              "urgent due time first."),
            field(warranty_cost, permission="stock.cost.read", name="warrantyCost",
                  description="Parts and labour spent on covered orders completed in a "
                              "period."),
            field(first_time_fix_rate, permission=READ, name="firstTimeFixRate",
                  description="Repairs completed in a period not followed by another "
                              "repair of the device within 30 days."),
            field(service_slas, permission=READ, name="serviceSlas",
                  description="SLA hours per type and priority."),
            field(service_labour_rates, permission=READ, name="serviceLabourRates",
                  description="Labour rates per order type."),
            field(service_teams, permission=READ, name="serviceTeams",
                  description="The technicians' teams."),
        ],
        mutations=mutations(),
        type_fields={"Product": [
            field(product_needs_installation, permission="catalog.product.read",
                  name="needsInstallation",
                  description="A delivery of it creates an installation order "
                              "(service_orders)."),
        ]},
    )


__all__ = ["ServiceError", "contribution"]
