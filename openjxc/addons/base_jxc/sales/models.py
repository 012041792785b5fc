"""Sales documents.  Stock only moves through ``stock.posting.post_moves`` with
``origin_type="sales.delivery"`` (warehouse → the company's customer location); the cost
each delivery move records is the cost of goods sold, so margins are exact.

Quotation states: ``draft`` → ``sent`` → ``accepted`` (turned into an order) / ``rejected``
/ ``expired`` (past ``valid_until``).

Order states: ``draft`` → ``confirmed`` (stock reserved) → ``partly_delivered`` →
``delivered`` → ``closed``; ``awaiting_approval`` when confirming would exceed the
customer's credit (it waits for a ``sales.order.approve`` user); ``cancelled`` (releases the
reservations).  An approval covers the order total it was given for
(``approved_total``); it is recorded in :class:`SalesCreditApproval` with who, when, the
exposure and the limit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UnitCost, UTCDateTime, utcnow

# quotation states
Q_DRAFT = "draft"
Q_SENT = "sent"
Q_ACCEPTED = "accepted"
Q_REJECTED = "rejected"
Q_EXPIRED = "expired"
QUOTATION_STATES = (Q_DRAFT, Q_SENT, Q_ACCEPTED, Q_REJECTED, Q_EXPIRED)

# order states
DRAFT = "draft"
AWAITING_APPROVAL = "awaiting_approval"
CONFIRMED = "confirmed"
PARTLY_DELIVERED = "partly_delivered"
DELIVERED = "delivered"
CLOSED = "closed"
CANCELLED = "cancelled"
ORDER_STATES = (DRAFT, AWAITING_APPROVAL, CONFIRMED, PARTLY_DELIVERED, DELIVERED, CLOSED,
                CANCELLED)
#: States whose undelivered lines count toward the customer's credit exposure.
OPEN_ORDER_STATES = (AWAITING_APPROVAL, CONFIRMED, PARTLY_DELIVERED)


class Quotation(Base):
    """A quotation (报价单) to a customer, valid until a date."""

    __tablename__ = "jxc_quotation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``BJ-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_warehouse.id"),
                                                     nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=Q_DRAFT)
    quote_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_untaxed: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The order it became.
    sales_order_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class QuotationLine(Base):
    __tablename__ = "jxc_quotation_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quotation_id: Mapped[int] = mapped_column(ForeignKey("jxc_quotation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    description: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())


class SalesOrder(Base):
    """A sales order / contract (销售订单/合同) shipped from one warehouse."""

    __tablename__ = "jxc_sales_order"
    __table_args__ = (Index("ix_jxc_sales_order_customer_state", "customer_id", "state"),
                      Index("ix_jxc_sales_order_state_date", "state", "order_date"),
                      # The credit check reads a customer's delivered or closed orders
                      # with goods still to bill, not its whole history.
                      Index("ix_jxc_sales_order_customer_unbilled", "customer_id",
                            "unbilled"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``XS-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    quotation_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_quotation.id"),
                                                     nullable=True)
    #: The customer's contract or PO number (合同号).
    customer_reference: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    order_date: Mapped[date] = mapped_column(Date)
    #: The delivery date promised to the customer (on-time delivery rate).
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Where the goods go (an address of the customer), e.g. an installation site.
    delivery_address_id: Mapped[int | None] = mapped_column(
        ForeignKey("jxc_partner_address.id"), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_untaxed: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: The order total a credit approval was given for (NULL: none given).
    approved_total: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(400), default="")
    #: Some line has goods delivered and neither invoiced nor returned: the order still
    #: counts toward the customer's credit once delivered or closed.  Kept where those
    #: quantities change (delivery, ``InvoicePosted``, ``record_return``).
    unbilled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SalesOrderLine(Base):
    __tablename__ = "jxc_sales_order_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    reserved_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    delivered_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: Σ cost recorded on this line's delivery moves (cost of goods sold), net of returns.
    delivered_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    returned_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    invoiced_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class SalesReservation(Base):
    """Stock reserved for an order line in one location (and batch), so that delivering
    or cancelling releases exactly what was reserved."""

    __tablename__ = "jxc_sales_reservation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order_line.id"),
                                               index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    #: 0: no batch (as in ``jxc_stock_balance``).
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Quantity())


class SalesCreditApproval(Base):
    """A credit-limit override: who let the order through, when, and against what figures."""

    __tablename__ = "jxc_sales_credit_approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order.id"), index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    order_total: Mapped[Decimal] = mapped_column(Money())
    #: Open receivables + confirmed undelivered orders + this order, when approved.
    exposure: Mapped[Decimal] = mapped_column(Money())
    credit_limit: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(String(400), default="")


class SalesDelivery(Base):
    """Goods leaving for the customer (销售出库/发货单)."""

    __tablename__ = "jxc_sales_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``FH-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    #: Where it went (the order's address unless given).
    address_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner_address.id"),
                                                   nullable=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SalesDeliveryLine(Base):
    __tablename__ = "jxc_sales_delivery_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_delivery.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("jxc_sales_order_line.id"),
                                               index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_batch.id"), nullable=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    #: The ledger move (its serials are in ``jxc_stock_move_serial``).
    move_id: Mapped[int] = mapped_column(Integer)
    #: The cost the goods left at (the move's value).
    cost: Mapped[Decimal] = mapped_column(Money())


MODELS: list[type] = [Quotation, QuotationLine, SalesOrder, SalesOrderLine, SalesReservation,
                      SalesCreditApproval, SalesDelivery, SalesDeliveryLine]
