"""The one table of this addon: a product's explosion-proof grade and its certificate.

A companion table (one row per product) rather than new columns on base_jxc's
``jxc_product``: each addon owns its tables, and base_jxc works unchanged without us.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow

DEFAULT_ALERT_DAYS = 30


class ExplosionProofRating(Base):
    """防爆等级与防爆合格证 of one product."""

    __tablename__ = "exp_product_rating"

    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), primary_key=True)
    grade: Mapped[str] = mapped_column(String(64), index=True)
    equipment_group: Mapped[str] = mapped_column(String(8), index=True)
    temperature_class: Mapped[str | None] = mapped_column(String(8))
    epl: Mapped[str | None] = mapped_column(String(2))
    certificate_number: Mapped[str | None] = mapped_column(String(64))
    certificate_issuer: Mapped[str | None] = mapped_column(String(128))
    certificate_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    alert_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ALERT_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


MODELS = [ExplosionProofRating]
