"""Purchase documents.  Stock only ever moves through ``stock.posting.post_moves`` with
``origin_type`` ``purchase.receipt`` (accepted to stock, rejected to quarantine) and
``purchase.return`` (back to the supplier); these tables are the documents around them.

Order states: ``draft`` → ``approved`` → ``partly_received`` → ``received`` → ``closed``,
or ``cancelled``.  An order whose total is above the approval threshold (policy) needs that
many approvals by different users (:class:`PurchaseApproval`); ``approved_at − created_at``
is the approval time the analysis reports.

Amounts: tax-exclusive unit prices, line ``amount`` (excl.), ``tax`` and ``total``; the
order's totals are their sums.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UnitCost, UTCDateTime, utcnow

# requisition states
REQ_SUBMITTED = "submitted"
REQ_APPROVED = "approved"
REQ_REJECTED = "rejected"
REQ_ORDERED = "ordered"
REQ_CANCELLED = "cancelled"
REQUISITION_STATES = (REQ_SUBMITTED, REQ_APPROVED, REQ_REJECTED, REQ_ORDERED, REQ_CANCELLED)

# order states
DRAFT = "draft"
APPROVED = "approved"
PARTLY_RECEIVED = "partly_received"
RECEIVED = "received"
CLOSED = "closed"
CANCELLED = "cancelled"
ORDER_STATES = (DRAFT, APPROVED, PARTLY_RECEIVED, RECEIVED, CLOSED, CANCELLED)

# what happens to goods rejected at inspection
REJECT_TO_QUARANTINE = "quarantine"
REJECT_TO_SUPPLIER = "supplier"


class PurchaseRequisition(Base):
    """A request to buy (请购单), approved and then turned into purchase order lines."""

    __tablename__ = "jxc_purchase_requisition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``QG-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    department: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), default=REQ_SUBMITTED, index=True)
    needed_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PurchaseRequisitionLine(Base):
    __tablename__ = "jxc_purchase_requisition_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_requisition.id"),
                                                index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    #: A supplier the requester suggests (optional).
    suggested_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                              nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    #: The order line that buys it, once ordered.
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("jxc_purchase_order_line.id"), nullable=True)


class PurchaseOrder(Base):
    """A purchase order (采购订单) to one supplier, delivered to one warehouse."""

    __tablename__ = "jxc_purchase_order"
    __table_args__ = (Index("ix_jxc_purchase_order_state_date", "state", "order_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``CG-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    order_date: Mapped[date] = mapped_column(Date)
    #: When the supplier promised delivery (on-time rate, supplier evaluation).
    expected_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_untaxed: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: Approvals this order needs (fixed when it is created/changed, from the policy).
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(400), default="")


class PurchaseOrderLine(Base):
    __tablename__ = "jxc_purchase_order_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_order.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    expected_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Accepted into stock.
    received_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: Rejected at inspection (to quarantine or refused back to the supplier).
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: Accepted goods sent back later by purchase returns (from stock or a bin); returns of
    #: rejected goods out of quarantine count against ``rejected_quantity`` instead.
    returned_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    invoiced_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class PurchaseApproval(Base):
    """One approval of an order: who and when (two different users above the threshold)."""

    __tablename__ = "jxc_purchase_approval"
    __table_args__ = (UniqueConstraint("order_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_order.id"), index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(String(400), default="")


class PurchaseReceipt(Base):
    """Goods received against an order (入库单), with the inspection result per line."""

    __tablename__ = "jxc_purchase_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``RK-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_order.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    receipt_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(400), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PurchaseReceiptLine(Base):
    __tablename__ = "jxc_purchase_receipt_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_receipt.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_order_line.id"),
                                               index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    #: What arrived = accepted + rejected.
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    accepted_quantity: Mapped[Decimal] = mapped_column(Quantity())
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: ``quarantine`` or ``supplier`` ("" when nothing was rejected).
    rejected_to: Mapped[str] = mapped_column(String(12), default="")
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_batch.id"), nullable=True)
    #: Where the accepted goods were put (a bin or the warehouse's stock location).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_location.id"),
                                                    nullable=True)
    accepted_move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rejected_move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PurchaseReturn(Base):
    """Goods sent back to a supplier after receipt (采购退货单)."""

    __tablename__ = "jxc_purchase_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``CT-202611-0001``
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_purchase_order.id"),
                                                 nullable=True, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"))
    return_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PurchaseReturnLine(Base):
    __tablename__ = "jxc_purchase_return_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("jxc_purchase_return.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("jxc_purchase_order_line.id"), nullable=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_batch.id"), nullable=True)
    #: Where the goods leave from (stock, a bin or quarantine).
    from_location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The stock value that left (the cost recorded on the move).
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


MODELS: list[type] = [PurchaseRequisition, PurchaseOrder, PurchaseOrderLine,
                      PurchaseRequisitionLine, PurchaseApproval, PurchaseReceipt,
                      PurchaseReceiptLine, PurchaseReturn, PurchaseReturnLine]
