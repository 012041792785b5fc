"""The GraphQL face: base_jxc's ``Product`` gains ``explosionProofGrade`` and
``explosionProof``, its ``ProductFilter`` gains three filters, and two mutations set and
clear a product's grade and certificate.  base_jxc knows none of this."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Select, false, or_, select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog import models as catalog
from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _
from openjxc.graphql import (
    BadUserInput,
    Contribution,
    FilterField,
    field,
    get_session,
    make_user_error_type,
    mutation,
)
from openjxc.graphql.payloads import run_service

from . import services
from .grades import SERVES_DUST_GROUP, SERVES_GAS_GROUP, normalise, parse_grade
from .models import DEFAULT_ALERT_DAYS, ExplosionProofRating

READ = "catalog.product.read"
MANAGE = "explosion_proof.certificate.manage"
#: Longer grade filters are cut: no marking is longer.
MAX_FILTER = 64


@strawberry.enum
class ExplosionProofErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_GRADE = "INVALID_GRADE"
    REQUIRED = "REQUIRED"
    INVALID_DATE = "INVALID_DATE"
    INVALID = "INVALID"


ExplosionProofError = make_user_error_type("ExplosionProof", ExplosionProofErrorCode)


@strawberry.enum(description="Gas groups of hazardous areas (GB/T 3836.1, IEC 60079-0).")
class GasGroup(Enum):
    IIA = "IIA"
    IIB = "IIB"
    IIC = "IIC"

    __labels__ = {"IIA": _("Gas group IIA (propane)"), "IIB": _("Gas group IIB (ethylene)"),
                  "IIC": _("Gas group IIC (hydrogen, acetylene)")}


@strawberry.enum(description="Dust groups of hazardous areas (GB/T 3836.1, IEC 60079-0).")
class DustGroup(Enum):
    IIIA = "IIIA"
    IIIB = "IIIB"
    IIIC = "IIIC"

    __labels__ = {"IIIA": _("Dust group IIIA (combustible flyings)"),
                  "IIIB": _("Dust group IIIB (non-conductive dust)"),
                  "IIIC": _("Dust group IIIC (conductive dust)")}


@strawberry.enum(description="Where a product's certificate stands today.")
class CertificateStatus(Enum):
    MISSING = "missing"
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    __labels__ = {"MISSING": _("No certificate"), "VALID": _("Valid"),
                  "EXPIRING": _("Expiring"), "EXPIRED": _("Expired")}


@strawberry.type(description="A product's explosion-proof grade (防爆等级) and certificate "
                             "(防爆合格证).")
class ExplosionProof:
    grade: str = strawberry.field(description="The marking, e.g. Ex d IIB T4 Gb.")
    protection_types: list[str]
    equipment_group: str = strawberry.field(description="I, II, IIA, IIB, IIB+H2, IIC, "
                                                        "IIIA, IIIB or IIIC.")
    temperature_class: str | None
    epl: str | None = strawberry.field(description="Equipment protection level (Gb …).")
    certificate_number: str | None
    certificate_issuer: str | None
    certificate_expires_on: date | None
    certificate_status: CertificateStatus
    alert_days: int

    @classmethod
    def from_row(cls, row: ExplosionProofRating, today: date) -> ExplosionProof:
        parsed = parse_grade(row.grade)
        return cls(grade=row.grade, protection_types=list(parsed.protection if parsed else ()),
                   equipment_group=row.equipment_group,
                   temperature_class=row.temperature_class, epl=row.epl,
                   certificate_number=row.certificate_number,
                   certificate_issuer=row.certificate_issuer,
                   certificate_expires_on=row.certificate_expires_on,
                   certificate_status=CertificateStatus(
                       services.certificate_status(row, today).value),
                   alert_days=row.alert_days)


def _ratings(info: Info[Any, Any]) -> Any:
    """One DataLoader per request: a page of products costs one statement here."""
    return info.context.loaders.get(
        "explosion_proof.rating",
        lambda ids: services.ratings_for(get_session(info), ids))


async def product_explosion_proof(root: Product, info: Info[Any, Any],
                                  ) -> ExplosionProof | None:
    row = await _ratings(info).load(root.pk)
    return ExplosionProof.from_row(row, company_date()) if row is not None else None


async def product_explosion_proof_grade(root: Product, info: Info[Any, Any]) -> str | None:
    row = await _ratings(info).load(root.pk)
    return row.grade if row is not None else None


def _rated_products(*conditions: Any) -> Any:
    return catalog.Product.id.in_(select(ExplosionProofRating.product_id).where(*conditions))


def _filter_grade(stmt: Select[Any], value: str, info: Info[Any, Any]) -> Select[Any]:
    """The grade itself or its first words: ``Ex d`` finds ``Ex d IIB T4 Gb``, not
    ``Ex db IIB T4 Gb``."""
    grade = ExplosionProofRating.grade
    wanted = normalise(value[:MAX_FILTER])
    if not wanted:  # a blank search box narrows nothing, as base_jxc's own search
        return stmt
    if "\x00" in wanted:  # nothing stored holds a NUL (and PostgreSQL refuses one)
        return stmt.where(false())
    return stmt.where(_rated_products(or_(grade == wanted, grade.startswith(
        wanted + " ", autoescape=True))))


def _filter_gas_group(stmt: Select[Any], value: GasGroup, info: Info[Any, Any],
                      ) -> Select[Any]:
    serving = SERVES_GAS_GROUP[value.value]
    return stmt.where(_rated_products(ExplosionProofRating.equipment_group.in_(serving)))


def _filter_dust_group(stmt: Select[Any], value: DustGroup, info: Info[Any, Any],
                       ) -> Select[Any]:
    serving = SERVES_DUST_GROUP[value.value]
    return stmt.where(_rated_products(ExplosionProofRating.equipment_group.in_(serving)))


def _filter_expiring(stmt: Select[Any], value: int, info: Info[Any, Any]) -> Select[Any]:
    if not 0 <= value <= services.MAX_ALERT_DAYS:
        message = _("Days must be between 0 and {max}", max=services.MAX_ALERT_DAYS)
        raise BadUserInput(message.resolve(getattr(info.context, "locale", None)))
    until = company_date() + timedelta(days=value)
    return stmt.where(_rated_products(ExplosionProofRating.certificate_expires_on <= until))


@strawberry.input(description="A product's grade and certificate; replaces earlier ones.")
class ProductExplosionProofSetInput:
    product_code: str
    grade: str = strawberry.field(description="e.g. Ex d IIB T4 Gb")
    certificate_number: str
    certificate_issuer: str
    certificate_expires_on: date
    alert_days: int = strawberry.field(default=DEFAULT_ALERT_DAYS, description=(
        "Days before expiry the certificate counts as expiring and raises the alert."))


@strawberry.input
class ProductExplosionProofClearInput:
    product_code: str


@strawberry.type
class ProductExplosionProofSetPayload:
    product: Product | None
    errors: list[ExplosionProofError]  # type: ignore[valid-type]


@strawberry.type
class ProductExplosionProofClearPayload:
    product: Product | None
    errors: list[ExplosionProofError]  # type: ignore[valid-type]


def product_explosion_proof_set(info: Info[Any, Any], input: ProductExplosionProofSetInput,
                                ) -> ProductExplosionProofSetPayload:
    data = services.RatingInput(
        product_code=input.product_code, grade=input.grade,
        certificate_number=input.certificate_number,
        certificate_issuer=input.certificate_issuer,
        certificate_expires_on=input.certificate_expires_on, alert_days=input.alert_days)
    row, errors = run_service(info, lambda s: services.set_rating(s, data),
                              ExplosionProofError)
    product = get_session(info).get(catalog.Product, row.product_id) if row else None
    return ProductExplosionProofSetPayload(
        product=Product.from_row(product) if product else None, errors=errors)


def product_explosion_proof_clear(info: Info[Any, Any],
                                  input: ProductExplosionProofClearInput,
                                  ) -> ProductExplosionProofClearPayload:
    product, errors = run_service(
        info, lambda s: services.clear_rating(s, input.product_code), ExplosionProofError)
    return ProductExplosionProofClearPayload(
        product=Product.from_row(product) if product else None, errors=errors)


def contribution() -> Contribution:
    return Contribution(
        types=[ExplosionProof, GasGroup, DustGroup, CertificateStatus, ExplosionProofError],
        mutations=[
            mutation(product_explosion_proof_set, permission=MANAGE,
                     name="productExplosionProofSet",
                     description="Record a product's explosion-proof grade and certificate."),
            mutation(product_explosion_proof_clear, permission=MANAGE,
                     name="productExplosionProofClear",
                     description="Remove a product's explosion-proof grade and certificate."),
        ],
        type_fields={"Product": [
            field(product_explosion_proof_grade, permission=READ, name="explosionProofGrade",
                  description="The explosion-proof marking (防爆等级), e.g. Ex d IIB T4 Gb."),
            field(product_explosion_proof, permission=READ, name="explosionProof",
                  description="Grade and certificate in detail."),
        ]},
        filter_fields={"ProductFilter": [
            FilterField("explosion_proof_grade", str, _filter_grade,
                        description="A grade or its first words (Ex d, Ex d IIB)."),
            FilterField("gas_group", GasGroup, _filter_gas_group,
                        description="Only products usable in this gas group (IIC equipment "
                                    "also serves IIB and IIA areas)."),
            FilterField("dust_group", DustGroup, _filter_dust_group,
                        description="Only products usable in this dust group (IIIC equipment "
                                    "also serves IIIB and IIIA areas)."),
            FilterField("certificate_expiring_within_days", int, _filter_expiring,
                        description="Only certificates expiring within this many days, or "
                                    "expired."),
        ]},
    )
