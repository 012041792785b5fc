"""Warranty policies, the warranties issued per serial unit, their extensions (续保) and
which accessory serial is fitted to which host serial (docs/pro.md, serial_warranty)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, UTCDateTime, utcnow

#: ``Warranty.void_reason`` of a unit the customer returned.
RETURNED = "returned"
#: ``Warranty.void_reason`` of a warranty replaced by a new delivery of the same unit
#: (it came back some other way than a customer return).
REDELIVERED = "redelivered"
#: ``Warranty.void_reason`` of a delivery whose move was reversed (entered by mistake).
REVERSED = "reversed"
DEFAULT_ALERT_DAYS = 30

_LIVE = text("voided_on IS NULL")
_FITTED = text("removed_on IS NULL")


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
    #: Days before the end a warranty counts as expiring (and raises the alert).
    alert_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ALERT_DAYS,
                                            server_default=text(str(DEFAULT_ALERT_DAYS)))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Warranty(Base):
    """The warranty of one serial unit from one delivery, with the terms it was issued
    with.  At most one live (not void) warranty per unit."""

    __tablename__ = "sw_warranty"
    __table_args__ = (
        Index("uq_sw_warranty_live_serial", "serial_id", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_sw_warranty_end", "end_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order.id"))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_delivery.id"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("sw_warranty_policy.id"))
    # The terms, copied from the policy when issued.
    months: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[str] = mapped_column(String(16))
    covers_parts: Mapped[bool] = mapped_column(Boolean)
    covers_labour: Mapped[bool] = mapped_column(Boolean)
    alert_days: Mapped[int] = mapped_column(Integer)
    delivered_on: Mapped[date] = mapped_column(Date)
    installed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    start_date: Mapped[date] = mapped_column(Date)
    #: start + months − 1 day (end-of-month clamped).
    base_end_date: Mapped[date] = mapped_column(Date)
    #: The base end moved by the extensions.
    end_date: Mapped[date] = mapped_column(Date)
    #: end − alert_days + 1: from this day on the warranty is expiring (kept with the end,
    #: so "expiring" is a plain date comparison on both databases).
    expiring_from: Mapped[date] = mapped_column(Date)
    voided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    void_reason: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WarrantyExtension(Base):
    """An extension (续保) sold for a warranty, billed on a receivable invoice."""

    __tablename__ = "sw_warranty_extension"
    __table_args__ = (CheckConstraint("months > 0", name="positive_months"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warranty_id: Mapped[int] = mapped_column(ForeignKey("sw_warranty.id"), index=True)
    months: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money())
    sold_on: Mapped[date] = mapped_column(Date)
    previous_end_date: Mapped[date] = mapped_column(Date)
    new_end_date: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_invoice.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Fitment(Base):
    """An accessory serial fitted to a host serial, from a day until (open) a day.  An
    accessory is fitted to at most one host at a time."""

    __tablename__ = "sw_fitment"
    __table_args__ = (
        Index("uq_sw_fitment_fitted_accessory", "accessory_serial_id", unique=True,
              sqlite_where=_FITTED, postgresql_where=_FITTED),
        CheckConstraint("host_serial_id <> accessory_serial_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), index=True)
    accessory_serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), index=True)
    fitted_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


MODELS: list[type] = [WarrantyPolicy, Warranty, WarrantyExtension, Fitment]
