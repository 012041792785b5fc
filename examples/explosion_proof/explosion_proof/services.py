"""Business operations on grades and certificates — plain Python, no GraphQL.

The API, the tests and other code call these; each refuses bad input with
:class:`~openjxc.core.errors.ValidationFailed` before changing anything::

    with env.unit_of_work() as session:
        set_rating(session, RatingInput(product_code="P1", grade="Ex d IIB T4 Gb",
                                        certificate_number="CNEx22.1234X",
                                        certificate_issuer="CQST",
                                        certificate_expires_on=date(2027, 6, 30)))
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from .events import ExplosionProofChanged
from .grades import Grade, Mismatch, find_grade, read_grade
from .models import DEFAULT_ALERT_DAYS, ExplosionProofRating

MAX_PRODUCT_CODE = 64  # base_jxc's jxc_product.code
MAX_NUMBER = 64
MAX_ISSUER = 128
MAX_ALERT_DAYS = 365
#: Certificates in China run five years; ten leaves room, anything later is a typo.
MAX_VALIDITY_YEARS = 10
EARLIEST_EXPIRY = date(2000, 1, 1)


class CertificateStatus(Enum):
    MISSING = "missing"
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RatingInput:
    product_code: str
    grade: str
    certificate_number: str
    certificate_issuer: str
    certificate_expires_on: date
    alert_days: int = DEFAULT_ALERT_DAYS


def _product(session: Session, code: str) -> Product:
    errors: list[FieldError] = []
    code = check_text(errors, code, "productCode", max_length=MAX_PRODUCT_CODE,
                      required=True)
    if errors:  # a NUL or an absurd length never reaches the database
        raise ValidationFailed(errors)
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("No product with code {code}"),
                                          field="productCode", code=code))
    return product


def check_grade(text: str) -> Grade:
    """The parsed grade, or ``ValidationFailed`` naming the expected pattern (or the
    part of the marking that contradicts another)."""
    grade = read_grade(text)
    if isinstance(grade, Mismatch) and grade.group is not None:
        raise ValidationFailed(FieldError(
            "INVALID_GRADE",
            _("“{grade}”: {protection} is not a type of protection for group {group} "
              "equipment"), field="grade", grade=grade.text, protection=grade.protection,
            group=grade.group))
    if isinstance(grade, Mismatch):
        raise ValidationFailed(FieldError(
            "INVALID_GRADE",
            _("“{grade}”: the type of protection {protection} does not reach the protection "
              "level {epl}"), field="grade", grade=grade.text, protection=grade.protection,
            epl=grade.epl))
    if grade is None:
        raise ValidationFailed(FieldError(
            "INVALID_GRADE",
            _("“{grade}” is not an explosion-proof marking: expected Ex, the types of "
              "protection, the group, the temperature class and optionally the EPL, e.g. "
              "Ex d IIB T4 Gb, Ex ia IIC T6 Ga, Ex tb IIIC T135°C Db or Ex d I Mb"),
            field="grade", grade=text[:80]))
    return grade


def _certificate_errors(data: RatingInput, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value, limit in (("certificateNumber", data.certificate_number, MAX_NUMBER),
                               ("certificateIssuer", data.certificate_issuer, MAX_ISSUER)):
        if check_text(errors, value, name, max_length=limit, required=True) and any(
                unicodedata.category(char) == "Cc" for char in value.strip()):
            errors.append(FieldError("INVALID", _("Must be one line without control "
                                                  "characters"), field=name))
    latest = today.replace(year=today.year + MAX_VALIDITY_YEARS, day=min(today.day, 28))
    if not EARLIEST_EXPIRY <= data.certificate_expires_on <= latest:
        errors.append(FieldError(
            "INVALID_DATE", _("The certificate must expire between {earliest} and {latest}"),
            field="certificateExpiresOn", earliest=EARLIEST_EXPIRY, latest=latest))
    if not 1 <= data.alert_days <= MAX_ALERT_DAYS:
        errors.append(FieldError("INVALID", _("Alert days must be between 1 and {max}"),
                                 field="alertDays", max=MAX_ALERT_DAYS))
    return errors


def set_rating(session: Session, data: RatingInput, *, today: date | None = None,
               ) -> ExplosionProofRating:
    """Give a product its grade and certificate (replacing any earlier ones)."""
    product = _product(session, data.product_code)
    errors = _certificate_errors(data, today or company_date())
    try:
        grade = check_grade(data.grade)
    except ValidationFailed as exc:
        errors = exc.errors + errors
    if errors:
        raise ValidationFailed(errors)
    rating = session.get(ExplosionProofRating, product.id)
    if rating is None:
        rating = ExplosionProofRating(product_id=product.id)
        session.add(rating)
    _apply_grade(rating, grade)
    rating.certificate_number = data.certificate_number.strip()
    rating.certificate_issuer = data.certificate_issuer.strip()
    rating.certificate_expires_on = data.certificate_expires_on
    rating.alert_days = data.alert_days
    session.flush()
    publish(session, ExplosionProofChanged(product_id=product.id, grade=grade.text))
    return rating


def clear_rating(session: Session, product_code: str) -> Product:
    """Remove a product's grade and certificate (a product no longer sold as Ex)."""
    product = _product(session, product_code)
    rating = session.get(ExplosionProofRating, product.id)
    if rating is not None:
        session.delete(rating)
        session.flush()
        publish(session, ExplosionProofChanged(product_id=product.id, grade=None))
    return product


def _apply_grade(rating: ExplosionProofRating, grade: Grade) -> None:
    rating.grade = grade.text
    rating.equipment_group = grade.group
    rating.temperature_class = grade.temperature_class
    rating.epl = grade.epl
    rating.updated_at = utcnow()


def ratings_for(session: Session, product_ids: Sequence[int],
                ) -> list[ExplosionProofRating | None]:
    """The ratings of ``product_ids`` in their order (None where a product has none) —
    one statement, whatever the number of products."""
    rows = session.scalars(select(ExplosionProofRating)
                           .where(ExplosionProofRating.product_id.in_(product_ids)))
    by_product = {row.product_id: row for row in rows}
    return [by_product.get(pk) for pk in product_ids]


def certificate_status(rating: ExplosionProofRating, today: date) -> CertificateStatus:
    expires = rating.certificate_expires_on
    if expires is None:
        return CertificateStatus.MISSING
    if expires < today:
        return CertificateStatus.EXPIRED
    if (expires - today).days <= rating.alert_days:
        return CertificateStatus.EXPIRING
    return CertificateStatus.VALID


def rate_from_description(session: Session, product: Product) -> ExplosionProofRating | None:
    """A new product whose model or specification carries a marking (``Ex d IIB T4 Gb``)
    gets that grade at once, without a certificate until someone records it."""
    if session.get(ExplosionProofRating, product.id) is not None:
        return None
    return _rate_from_text(session, product)


def _rate_from_text(session: Session, product: Product) -> ExplosionProofRating | None:
    grade = find_grade(product.model) or find_grade(product.spec)
    if grade is None:
        return None
    rating = ExplosionProofRating(product_id=product.id)
    _apply_grade(rating, grade)
    session.add(rating)
    session.flush()
    return rating


def rate_existing_products(session: Session) -> int:
    """On install: the same for every product already in the database — one query for
    the products not rated yet whose model or specification mentions ``Ex``, however
    large the catalogue."""
    candidates = (select(Product)
                  .where(Product.id.not_in(select(ExplosionProofRating.product_id)),
                         or_(Product.model.contains("Ex"), Product.spec.contains("Ex")))
                  .order_by(Product.id))
    return sum(1 for product in session.scalars(candidates).all()
               if _rate_from_text(session, product) is not None)
