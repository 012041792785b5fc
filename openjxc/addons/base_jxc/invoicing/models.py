"""Invoices and payments, for both sides of the business.

* ``direction`` is ``receivable`` (we invoice a customer, the customer pays us) or
  ``payable`` (a supplier invoices us, we pay the supplier).
* :class:`Invoice` of ``kind`` ``invoice`` or ``credit_note`` (红字发票).  Amounts are
  stored **signed**: a credit note's totals are negative, so a partner's balance is a plain
  sum.  ``amount_settled`` (same sign) is what payments and credit notes have allocated to it.
* :class:`InvoiceLine` may name the document line it bills (``source_type`` is the GraphQL
  type name, e.g. ``SalesOrderLine``, ``PurchaseOrderLine``, ``ReturnLine``); the chapter that
  owns that line keeps its invoiced quantity by listening to ``InvoicePosted``.
* :class:`Payment` is money in (``receivable``) or out (``payable``); ``kind`` ``refund`` is
  money going back the other way (a refund to a customer settles a credit note).
* :class:`PaymentAllocation` settles part of an invoice from a payment or a credit note.

Posted invoices and payments are never edited; a mistake is corrected by a credit note.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UnitCost, UTCDateTime, utcnow

RECEIVABLE = "receivable"
PAYABLE = "payable"
DIRECTIONS = (RECEIVABLE, PAYABLE)

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
INVOICE_KINDS = (INVOICE, CREDIT_NOTE)

OPEN = "open"
PARTLY_SETTLED = "partly_settled"
SETTLED = "settled"
INVOICE_STATES = (OPEN, PARTLY_SETTLED, SETTLED)

PAYMENT = "payment"
REFUND = "refund"
PAYMENT_KINDS = (PAYMENT, REFUND)

PAYMENT_METHODS = ("bank", "cash", "acceptance_bill", "wechat", "alipay", "other")


class Invoice(Base):
    """A posted invoice or credit note; immutable except for what has been settled."""

    __tablename__ = "jxc_invoice"
    __table_args__ = (
        Index("ix_jxc_invoice_partner_open", "partner_id", "direction", "state"),
        # Covers the ageing and the overdue alert: open invoices by side and due date, with
        # what they need to be summed per partner without touching the table.
        Index("ix_jxc_invoice_aging", "direction", "state", "due_date", "partner_id",
              "invoice_date", "amount_total", "amount_settled"),
        Index("ix_jxc_invoice_origin", "origin_type", "origin_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Our number, e.g. ``XSFP-202611-0001`` / ``CGFP-…`` / ``HZFP-…``, numbered per month.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: The official 发票号码 from the tax system (a supplier's number on payables).
    external_number: Mapped[str] = mapped_column(String(32), default="")
    partner_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"))
    direction: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12), default=INVOICE)
    state: Mapped[str] = mapped_column(String(16), default=OPEN)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_untaxed: Mapped[Decimal] = mapped_column(Money())
    amount_tax: Mapped[Decimal] = mapped_column(Money())
    amount_total: Mapped[Decimal] = mapped_column(Money())
    amount_settled: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: For a credit note: the invoice it corrects, when there is one.
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_invoice.id"),
                                                            nullable=True)
    #: The business document behind it: ``sales.order``, ``purchase.order``, ``return`` …
    origin_type: Mapped[str] = mapped_column(String(32), default="")
    origin_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class InvoiceLine(Base):
    """One billed line: tax-exclusive unit price, its VAT and total, all signed like the
    invoice."""

    __tablename__ = "jxc_invoice_line"
    __table_args__ = (Index("ix_jxc_invoice_line_source", "source_type", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("jxc_invoice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: NULL for a line that is not a product (labour, freight).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_product.id"), nullable=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    #: The document line billed (GraphQL type name and id), if any.
    source_type: Mapped[str] = mapped_column(String(32), default="")
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Payment(Base):
    """Money received from a customer or paid to a supplier (or a refund of either)."""

    __tablename__ = "jxc_payment"
    __table_args__ = (
        Index("ix_jxc_payment_partner", "partner_id", "direction"),
        # The few payments with money not yet allocated (balances and ageing read them).
        Index("ix_jxc_payment_unallocated", "direction", "partner_id",
              sqlite_where=text("amount != amount_allocated"),
              postgresql_where=text("amount != amount_allocated")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``SK-202611-0001`` (收款) / ``FK-…`` (付款) / ``TK-…`` (退款).
    number: Mapped[str] = mapped_column(String(32), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"))
    direction: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(8), default=PAYMENT)
    payment_date: Mapped[date] = mapped_column(Date)
    #: Always positive; what it settles is in the allocations.
    amount: Mapped[Decimal] = mapped_column(Money())
    amount_allocated: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    method: Mapped[str] = mapped_column(String(16), default="bank")
    reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PaymentAllocation(Base):
    """Part of an invoice settled by a payment or by a credit note (exactly one of them)."""

    __tablename__ = "jxc_payment_allocation"
    __table_args__ = (
        # Ageing as of a past day reads the allocations made after it, nothing else.
        Index("ix_jxc_payment_allocation_settled_on", "settled_on", "invoice_id",
              "credit_note_id", "payment_id", "amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("jxc_invoice.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_payment.id"), nullable=True,
                                                   index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_invoice.id"),
                                                       nullable=True, index=True)
    #: Signed like the invoice it settles.
    amount: Mapped[Decimal] = mapped_column(Money())
    #: The business day from which it counts as settled: the later of the payment's (or
    #: credit note's) date and the invoice's date.  Ageing "as of" a day reads it.
    settled_on: Mapped[date] = mapped_column(Date)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    allocated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


MODELS: list[type] = [Invoice, InvoiceLine, Payment, PaymentAllocation]
