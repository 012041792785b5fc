"""Transfers between warehouses: a document shipped to in-transit, then received.

* :class:`StockTransfer` is the document (``DB-202611-0001``): from and to warehouse, its
  state and who shipped and received it when;
* :class:`StockTransferLine` is what was sent (product, quantity, batch, source bin) and,
  once received, what arrived, where it was put and what was lost on the way;
* :class:`StockTransferSerial` names each serial unit a line carries and what became of
  it (shipped, received or lost).

The stock itself only ever moves through the ledger (``stock.posting.post_moves``) with
``origin_type="transfer"``; these tables are the document around those moves.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Quantity, UTCDateTime, utcnow

DRAFT = "draft"
SHIPPED = "shipped"
RECEIVED = "received"
PARTLY_RECEIVED = "partly_received"
CANCELLED = "cancelled"
STATES = (DRAFT, SHIPPED, RECEIVED, PARTLY_RECEIVED, CANCELLED)

#: What became of one serial unit of a transfer line.
SERIAL_SHIPPED = "shipped"
SERIAL_RECEIVED = "received"
SERIAL_LOST = "lost"


class StockTransfer(Base):
    """A transfer between two warehouses: draft → shipped → received / partly received,
    or a draft cancelled."""

    __tablename__ = "jxc_stock_transfer"
    __table_args__ = (Index("ix_jxc_stock_transfer_state_shipped", "state", "shipped_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``DB-YYYYMM-NNNN`` (调拨单), numbered per month of creation.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    note: Mapped[str] = mapped_column(String(400), default="")
    #: Hours the goods may be on the road before an alert; NULL: the configured default.
    receive_within_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shipped_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Why what arrived differs from what was shipped (required when it does).
    difference_reason: Mapped[str] = mapped_column(String(400), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StockTransferLine(Base):
    """One product sent; after receipt, how much arrived and how much was lost."""

    __tablename__ = "jxc_stock_transfer_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_transfer.id"), index=True)
    #: 1, 2, 3 … in the order given.
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_batch.id"), nullable=True)
    #: The bin the goods leave from; NULL: the source warehouse's main stock.
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_location.id"),
                                                         nullable=True)
    #: Where what arrived was put (set on receipt).
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_location.id"),
                                                       nullable=True)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    lost_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class StockTransferSerial(Base):
    """A serial unit carried by a transfer line, and what became of it."""

    __tablename__ = "jxc_stock_transfer_serial"

    line_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_transfer_line.id"),
                                         primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), primary_key=True,
                                           index=True)
    #: shipped (also while a draft) / received / lost
    state: Mapped[str] = mapped_column(String(16), default=SERIAL_SHIPPED)


MODELS: list[type] = [StockTransfer, StockTransferLine, StockTransferSerial]
