"""Warranty policies (SPEC.md serial_warranty)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow


class WarrantyPolicy(Base):
    """How long and what a warranty covers, for one product or a whole category.

    A policy is copied into each warranty when it is issued, so changing a policy never
    rewrites warranties already given.
    """

    __tablename__ = "sw_warranty_policy"
    __table_args__ = (
        CheckConstraint("(product_id IS NULL) <> (category_id IS NULL)", name="one_target"),
        CheckConstraint("months > 0", name="positive_months"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_product.id"), nullable=True,
                                                   unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_category.id"),
                                                    nullable=True, unique=True)
    months: Mapped[int] = mapped_column(Integer)
    #: delivery / installation
    starts_on: Mapped[str] = mapped_column(String(16), default="delivery")
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=True)
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
