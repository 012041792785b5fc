"""Partners (customers and suppliers), their contacts and their addresses (SPEC.md: Partners)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Rate, UTCDateTime, utcnow


class Partner(Base):
    """A customer, a supplier, or both (one company often is both to a dealer).

    Other chapters refer to partners by ``jxc_partner.id`` and look them up by ``code``.
    """

    __tablename__ = "jxc_partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 统一社会信用代码; individuals have none, so NULL (never "") when absent.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    # What a VAT invoice (增值税发票) prints about the buyer: bank, account, address, phone.
    tax_bank: Mapped[str] = mapped_column(String(100), default="")
    tax_account: Mapped[str] = mapped_column(String(64), default="")
    tax_address: Mapped[str] = mapped_column(String(200), default="")
    tax_phone: Mapped[str] = mapped_column(String(32), default="")
    #: Days after the invoice until payment is due (月结30天 → 30); 0 is cash on delivery.
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=0)
    payment_terms_note: Mapped[str] = mapped_column(String(100), default="")
    #: NULL means no limit; 0 means no credit at all.
    credit_limit: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    #: How far above the limit an order may still go without approval, as a fraction of
    #: the limit (0.1 for 10 %, like every rate); NULL means none.
    credit_tolerance: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PartnerContact(Base):
    """A person to call at a partner; at most one per partner is the primary contact."""

    __tablename__ = "jxc_partner_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32), default="")
    mobile: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    position: Mapped[str] = mapped_column(String(64), default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class PartnerAddress(Base):
    """A billing, shipping or site address; at most one primary per partner and kind."""

    __tablename__ = "jxc_partner_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    #: billing / shipping / site
    kind: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(32), default="")
    district: Mapped[str] = mapped_column(String(32), default="")
    #: The whole address as written on a delivery note.
    address: Mapped[str] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
