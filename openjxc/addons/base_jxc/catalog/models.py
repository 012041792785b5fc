"""Categories and products (SPEC.md: product master with coding rules)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openjxc.core.models import Base, Money, Rate, UTCDateTime, utcnow


class Category(Base):
    """A product category; its code template shapes the codes of its products."""

    __tablename__ = "jxc_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_category.id"), nullable=True)
    #: e.g. ``DJ-{model}-{power_kw}-{poles}``; empty means codes are free-form.
    code_template: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Base):
    """Something the dealer buys, stocks and sells."""

    __tablename__ = "jxc_product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("jxc_category.id"), index=True)
    model: Mapped[str] = mapped_column(String(100), default="")
    spec: Mapped[str] = mapped_column(String(200), default="")
    brand: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(16), default="台")
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: none / batch / serial
    tracking: Mapped[str] = mapped_column(String(8), default="none")
    tax_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0.13"))
    list_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[Category] = relationship(lazy="raise")
