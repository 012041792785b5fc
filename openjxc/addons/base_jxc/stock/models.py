"""The stock ledger and what is derived from it.

* :class:`StockMove` rows are the ledger: immutable, dated, each with the value it carried.
* :class:`StockBalance` is on hand (and reserved) per location × product × batch, changed
  only by atomic increments in the transaction that posts the moves.
* :class:`SerialNumber` is the per-unit balance of serial-tracked products: where the unit is
  now (at most one place) and what it cost (个别计价法).
* :class:`StockValuation` is the company-wide quantity and value per product (移动加权平均).
* :class:`StockSnapshot` freezes quantity and value per location × product × batch at the end
  of a closed month, so "stock as of a date" reads one snapshot plus the moves after it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from openjxc.core.models import Base, Money, Quantity, UnitCost, UTCDateTime, utcnow

#: Locations whose contents the company holds and counts (balances are kept there).
PHYSICAL_KINDS = ("internal", "transit", "quarantine", "scrap")
#: Locations that stand for the outside world; stock moves in and out of them freely.
VIRTUAL_KINDS = ("supplier", "customer", "adjustment", "loss")
#: Special locations every warehouse gets when it is created.
WAREHOUSE_KINDS = ("internal", "transit", "quarantine", "scrap")
#: Company-wide locations created when base_jxc is installed, by code.
COMPANY_LOCATIONS = {
    "supplier": "PARTNER/SUPPLIER",
    "customer": "PARTNER/CUSTOMER",
    "adjustment": "VIRTUAL/ADJUSTMENT",
    "loss": "VIRTUAL/LOSS",
}


class Warehouse(Base):
    """A warehouse, branch store or technician's van."""

    __tablename__ = "jxc_warehouse"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    #: hq / branch / store / van
    kind: Mapped[str] = mapped_column(String(16), default="hq")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Location(Base):
    """A place stock can be: a warehouse's main stock or a bin, or a special location."""

    __tablename__ = "jxc_location"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Globally unique and scannable, e.g. ``WH1/A-01-02``.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_warehouse.id"),
                                                     index=True, nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_location.id"),
                                                  nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Batch(Base):
    """A production lot of a batch-tracked product."""

    __tablename__ = "jxc_batch"
    __table_args__ = (UniqueConstraint("product_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    number: Mapped[str] = mapped_column(String(64), index=True)
    manufactured_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SerialNumber(Base):
    """One unit of a serial-tracked product: where it is and what it cost."""

    __tablename__ = "jxc_serial"
    __table_args__ = (UniqueConstraint("product_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    number: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"), index=True)
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    received_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockMove(Base):
    """One line of the ledger: a quantity of a product from one location to another."""

    __tablename__ = "jxc_stock_move"
    __table_args__ = (
        Index("ix_jxc_stock_move_product_date", "product_id", "move_date"),
        Index("ix_jxc_stock_move_date", "move_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    move_date: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"), index=True)
    #: 0 when the product is not batch-tracked (no FK: 0 is "no batch").
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost())
    #: The value the move carried (quantity × cost, rounded; the exact remainder on the
    #: move that empties the stock), so stock value = Σ values of moves.
    value: Mapped[Decimal] = mapped_column(Money())
    #: What caused it, e.g. ``transfer`` / ``count`` / ``purchase.receipt``.
    origin_type: Mapped[str] = mapped_column(String(32), default="")
    origin_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(400), default="")
    reversal_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("jxc_stock_move.id"), unique=True, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockMoveSerial(Base):
    """Which serial units a move carried."""

    __tablename__ = "jxc_stock_move_serial"

    move_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_move.id"), primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("jxc_serial.id"), primary_key=True,
                                           index=True)


class StockBalance(Base):
    """On hand and reserved per location × product × batch; always Σ of the moves."""

    __tablename__ = "jxc_stock_balance"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", "batch_id"),
        Index("ix_jxc_stock_balance_product", "product_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    #: Denormalised from the location so per-warehouse sums need no join.
    warehouse_id: Mapped[int] = mapped_column(Integer, index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class StockValuation(Base):
    """Company-wide quantity and value per product: the moving weighted average."""

    __tablename__ = "jxc_stock_valuation"

    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: The cost used when no stock is left to average over (negative stock allowed).
    last_unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))


class StockPeriod(Base):
    """A closed stock month: snapshots exist for it and no move may be dated into it."""

    __tablename__ = "jxc_stock_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The last day of the closed month.
    period_end: Mapped[date] = mapped_column(Date, unique=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StockSnapshot(Base):
    """Quantity and value per location × product × batch at the end of a closed month."""

    __tablename__ = "jxc_stock_snapshot"
    __table_args__ = (
        UniqueConstraint("period_end", "location_id", "product_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    warehouse_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    value: Mapped[Decimal] = mapped_column(Money())


MODELS: list[type] = [Warehouse, Location, Batch, SerialNumber, StockMove, StockMoveSerial,
                      StockBalance, StockValuation, StockPeriod, StockSnapshot]


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for set-based statements."""
    return cast(Table, model.__table__)
