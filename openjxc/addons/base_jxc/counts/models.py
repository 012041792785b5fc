"""Stock counts (盘点): what the system expected, what was found, what was posted.

* :class:`StockCount` is one count of a warehouse: full, or a cycle count of some locations,
  categories or products (its :class:`StockCountScope` rows).  ``start_move_id`` is the
  highest ledger move at start: moves above it happened *during* the count.
* :class:`StockCountLine` is one location × product × batch: the quantity frozen at start,
  the quantity counted, and, once posted, the moves made meanwhile and the variance.
* :class:`StockCountSerial` is one serial unit: where it was expected and where it was
  found.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, UnitCost, UTCDateTime, utcnow

SCOPES = ("full", "cycle")
STATES = ("in_progress", "posted", "cancelled")
#: What a cycle count may be limited to.
SCOPE_KINDS = ("location", "category", "product")
#: Location kinds a count covers (goods in transit are counted by the transfer, not here).
COUNTED_KINDS = ("internal", "quarantine", "scrap")


class StockCount(Base):
    """One count of a warehouse (``PD-202611-0001``)."""

    __tablename__ = "jxc_stock_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("jxc_warehouse.id"), index=True)
    #: full / cycle
    scope: Mapped[str] = mapped_column(String(8))
    #: in_progress / posted / cancelled
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    note: Mapped[str] = mapped_column(String(400), default="")
    #: The highest stock move id when the count started.
    start_move_id: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The business date of the posting (the adjustment moves' date).
    posted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    posted_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Whether lines nobody counted were taken as zero when posting.
    zero_uncounted: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Accuracy, kept when posting: lines judged, lines without variance, values.
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    accurate_line_count: Mapped[int] = mapped_column(Integer, default=0)
    expected_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    variance_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class StockCountScope(Base):
    """One location, category or product a cycle count is limited to."""

    __tablename__ = "jxc_stock_count_scope"
    __table_args__ = (UniqueConstraint("count_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_count.id"))
    #: location / category / product
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)


class StockCountLine(Base):
    """Expected and counted quantity of one location × product × batch."""

    __tablename__ = "jxc_stock_count_line"
    __table_args__ = (
        UniqueConstraint("count_id", "location_id", "product_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_count.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    #: On hand when the count started.
    expected_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    #: NULL until something is counted here.
    counted_quantity: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    #: The highest move id when the line was last counted: moves after it happened after
    #: the shelf was counted, so they are not part of what the counter saw.
    counted_move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Net moves into the place between the start and the counting (set when posting).
    moved_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    variance_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    variance_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class StockCountSerial(Base):
    """A serial unit of a count: expected at start somewhere, and/or found somewhere."""

    __tablename__ = "jxc_stock_count_serial"
    __table_args__ = (
        UniqueConstraint("count_id", "serial_id"),
        Index("ix_jxc_stock_count_serial_found", "count_id", "found_location_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_count.id"))
    serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"))
    product_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    expected_location_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    found_location_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Where the ledger had the unit when it was scanned; if it has moved since, the
    #: move happened after the scan and the ledger wins.
    seen_location_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


MODELS: list[type] = [StockCount, StockCountScope, StockCountLine, StockCountSerial]
