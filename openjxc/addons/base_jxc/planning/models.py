"""What planning stores: users' service ratings of suppliers (the "service" 20% of the
supplier score); everything else is computed from orders, receipts, returns and moves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow


class SupplierServiceRating(Base):
    """One user's rating (1–5) of a supplier's service in a month."""

    __tablename__ = "jxc_supplier_rating"
    __table_args__ = (UniqueConstraint("supplier_id", "period", "rated_by_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    #: ``YYYY-MM``
    period: Mapped[str] = mapped_column(String(7))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(400), default="")
    rated_by_id: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


MODELS: list[type] = [SupplierServiceRating]
