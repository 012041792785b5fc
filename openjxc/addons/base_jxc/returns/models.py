"""Customer returns.  Goods come back with ``origin_type="sales.return"`` from the company's
customer location into the warehouse's **quarantine** location — never into sellable
stock — and leave quarantine at inspection with ``origin_type="sales.return.inspection"``
(to stock, scrap or the supplier location).  A serial unit comes back to its own record.

States: ``requested`` → ``received`` → ``inspected`` → ``closed`` (by a credit note or a
refund), or ``cancelled`` before anything was received.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UnitCost, UTCDateTime, utcnow

REQUESTED = "requested"
RECEIVED = "received"
INSPECTED = "inspected"
CLOSED = "closed"
CANCELLED = "cancelled"
STATES = (REQUESTED, RECEIVED, INSPECTED, CLOSED, CANCELLED)

# inspection decisions
RESTOCK = "restock"
SCRAP = "scrap"
TO_SUPPLIER = "supplier"
DISPOSITIONS = (RESTOCK, SCRAP, TO_SUPPLIER)

# how it was closed
BY_CREDIT_NOTE = "credit_note"
BY_REFUND = "refund"


class ReturnRequest(Base):
    """A customer's return (退货单 / RMA) with its unique return code."""

    __tablename__ = "jxc_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``TH-202611-0001``: the code the customer writes on the parcel.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_sales_order.id"),
                                                       nullable=True, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    state: Mapped[str] = mapped_column(String(16), default=REQUESTED, index=True)
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    inspected_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: ``credit_note`` or ``refund``.
    closed_with: Mapped[str] = mapped_column(String(12), default="")
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_invoice.id"),
                                                       nullable=True)
    refund_payment_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_payment.id"),
                                                          nullable=True)
    #: The amount credited or refunded (tax included).
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class ReturnLine(Base):
    """One product coming back: how many, from which order line, at what price and cost,
    and what inspection decided for it."""

    __tablename__ = "jxc_return_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("jxc_return.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    #: The order line the goods were sold on (price, tax and cost come from it).
    sales_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("jxc_sales_order_line.id"), nullable=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_batch.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    #: The tax-exclusive price credited per unit: the order line's, or agreed for goods
    #: sold without one (the credit note is priced from it).
    unit_price: Mapped[Decimal | None] = mapped_column(UnitCost(), nullable=True)
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: The cost per unit it came back at (the cost it left at when sold).
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    receive_move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    restocked_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    scrapped_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    to_supplier_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: Where restocked goods were put (the warehouse's main stock or a bin).
    restock_location_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_location.id"),
                                                            nullable=True)


class ReturnLineSerial(Base):
    """A serial unit of a return line and what inspection decided for it."""

    __tablename__ = "jxc_return_line_serial"

    line_id: Mapped[int] = mapped_column(ForeignKey("jxc_return_line.id"), primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), primary_key=True,
                                           index=True)
    #: ``restock`` / ``scrap`` / ``supplier``; "" until inspected.
    disposition: Mapped[str] = mapped_column(String(12), default="")


MODELS: list[type] = [ReturnRequest, ReturnLine, ReturnLineSerial]
