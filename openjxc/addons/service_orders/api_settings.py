"""The service desk's settings through GraphQL (all need ``service.settings.manage``):
``serviceSlaSet``, ``serviceLabourRateSet``, ``serviceProductSet`` (the "needs
installation" flag shown as ``Product.needsInstallation``), ``serviceTechnicianSet`` (a
technician's van) and ``serviceTeamSet``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import Warehouse
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service

from . import settings
from .api_types import (
    ServiceError,
    ServiceLabourRate,
    ServiceOrderType,
    ServicePriority,
    ServiceSla,
    ServiceTeam,
)

MANAGE = "service.settings.manage"


def _code_id(session: Session, errors: list[FieldError], model: Any, code: str,
             at: str, message: object) -> int | None:
    before = len(errors)
    text = settings.typed_key(errors, code, at)
    found = session.scalar(select(model.id).where(model.code == text)) if text else None
    if found is None and len(errors) == before:
        errors.append(FieldError("NOT_FOUND", message, field=at, code=text))
    return found


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


@strawberry.input
class ServiceSlaSetInput:
    type: ServiceOrderType
    priority: ServicePriority
    hours: int


@strawberry.type
class ServiceSlaSetPayload:
    sla: ServiceSla | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_sla_set(info: Info[Any, Any], input: ServiceSlaSetInput) -> ServiceSlaSetPayload:
    row, errors = run_service(info, lambda s: settings.set_sla(
        s, type=input.type.value, priority=input.priority.value, hours=input.hours),
        ServiceError)
    return ServiceSlaSetPayload(sla=ServiceSla(type=input.type, priority=input.priority,
                                               hours=row.hours) if row else None,
                                errors=errors)


@strawberry.input
class ServiceLabourRateSetInput:
    type: ServiceOrderType
    rate: Decimal
    internal_rate: Decimal
    tax_rate: Decimal


@strawberry.type
class ServiceLabourRateSetPayload:
    labour_rate: ServiceLabourRate | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_labour_rate_set(info: Info[Any, Any], input: ServiceLabourRateSetInput,
                            ) -> ServiceLabourRateSetPayload:
    row, errors = run_service(info, lambda s: settings.set_labour_rate(
        s, type=input.type.value, rate=input.rate, internal_rate=input.internal_rate,
        tax_rate=input.tax_rate), ServiceError)
    return ServiceLabourRateSetPayload(
        labour_rate=ServiceLabourRate(type=input.type, rate=row.rate, tax_rate=row.tax_rate,
                                      _internal_rate=row.internal_rate) if row else None,
        errors=errors)


@strawberry.input
class ServiceProductSetInput:
    product_code: str
    needs_installation: bool


@strawberry.type
class ServiceProductSetPayload:
    product_code: str | None
    needs_installation: bool | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_product_set(info: Info[Any, Any], input: ServiceProductSetInput,
                        ) -> ServiceProductSetPayload:
    def action(session: Session) -> Any:
        errors: list[FieldError] = []
        product = _code_id(session, errors, Product, input.product_code, "productCode",
                           _("Unknown product {code}"))
        _refuse(errors)
        return settings.set_product_setting(session, product_id=product,
                                            needs_installation=input.needs_installation)

    row, errors = run_service(info, action, ServiceError)
    return ServiceProductSetPayload(
        product_code=input.product_code.strip() if row else None,
        needs_installation=row.needs_installation if row else None, errors=errors)


@strawberry.input(description="A technician's van: a warehouse (usually of type VAN) whose "
                              "main stock the parts come from.")
class ServiceTechnicianSetInput:
    username: str
    warehouse_code: str


@strawberry.type
class ServiceTechnicianSetPayload:
    username: str | None
    warehouse_code: str | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_technician_set(info: Info[Any, Any], input: ServiceTechnicianSetInput,
                           ) -> ServiceTechnicianSetPayload:
    def action(session: Session) -> Any:
        errors: list[FieldError] = []
        user = settings.user_id_by_name(session, errors, input.username, "username")
        if user is None and not errors:
            errors.append(FieldError("REQUIRED", _("This field is required"),
                                     field="username"))
        warehouse = _code_id(session, errors, Warehouse, input.warehouse_code,
                             "warehouseCode", _("Unknown warehouse {code}"))
        _refuse(errors)
        return settings.set_technician(session, user_id=user, warehouse_id=warehouse)

    row, errors = run_service(info, action, ServiceError)
    return ServiceTechnicianSetPayload(
        username=input.username.strip() if row else None,
        warehouse_code=input.warehouse_code.strip() if row else None, errors=errors)


@strawberry.input(description="A team by code: created, or its name and members replaced.")
class ServiceTeamSetInput:
    code: str
    name: str
    members: list[str] = strawberry.field(default_factory=list, description="Usernames.")


@strawberry.type
class ServiceTeamSetPayload:
    team: ServiceTeam | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_team_set(info: Info[Any, Any], input: ServiceTeamSetInput,
                     ) -> ServiceTeamSetPayload:
    def action(session: Session) -> ServiceTeam:
        errors: list[FieldError] = []
        members = [settings.user_id_by_name(session, errors, name, ("members", str(i)))
                   for i, name in enumerate(input.members[:settings.MAX_MEMBERS + 1])]
        _refuse(errors)
        team = settings.save_team(session, code=input.code, name=input.name,
                                  member_ids=members)
        names = settings.team_members(session, [team.id])[team.id]
        return ServiceTeam(code=team.code, name=team.name, members=[n for _i, n in names])

    team, errors = run_service(info, action, ServiceError)
    return ServiceTeamSetPayload(team=team, errors=errors)


def setting_types() -> list[type]:
    return [ServiceSlaSetInput, ServiceSlaSetPayload, ServiceLabourRateSetInput,
            ServiceLabourRateSetPayload, ServiceProductSetInput, ServiceProductSetPayload,
            ServiceTechnicianSetInput, ServiceTechnicianSetPayload, ServiceTeamSetInput,
            ServiceTeamSetPayload]


def setting_mutations() -> list[Any]:
    return [
        mutation(service_sla_set, permission=MANAGE, name="serviceSlaSet",
                 description="Change the SLA hours of a type and priority (orders already "
                             "reported keep their due time)."),
        mutation(service_labour_rate_set, permission=MANAGE, name="serviceLabourRateSet",
                 description="Change a type's labour rates (labour already recorded keeps "
                             "its rates)."),
        mutation(service_product_set, permission=MANAGE, name="serviceProductSet",
                 description="Flag a product as needing installation: its deliveries "
                             "create installation orders."),
        mutation(service_technician_set, permission=MANAGE, name="serviceTechnicianSet",
                 description="Give a technician the van parts come from."),
        mutation(service_team_set, permission=MANAGE, name="serviceTeamSet",
                 description="Create a team or replace its name and members."),
    ]
