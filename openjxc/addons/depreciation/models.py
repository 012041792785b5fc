"""Fixed assets (固定资产卡片), their categories, monthly usage, posted depreciation, the
depreciation periods and the tax policy behind the second (tax) book."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UTCDateTime, utcnow

ACTIVE = "active"
DISPOSED = "disposed"
STATES = (ACTIVE, DISPOSED)
SALE = "sale"
SCRAP = "scrap"
DISPOSAL_KINDS = (SALE, SCRAP)
#: The two books of an asset: the accounts, and the enterprise income tax return.
BOOK = "book"
TAX = "tax"
BOOKS = (BOOK, TAX)
#: How the tax book depreciates: like the accounts, straight line over the tax life, or
#: the one-time deduction (设备器具一次性税前扣除).
TAX_SAME = "same"
TAX_STRAIGHT_LINE = "straight_line"
TAX_ONE_TIME = "one_time"
TAX_TREATMENTS = (TAX_SAME, TAX_STRAIGHT_LINE, TAX_ONE_TIME)


class AssetCategory(Base):
    """A kind of asset with its defaults (tax minimum lives: 企业所得税法实施条例 第六十条)."""

    __tablename__ = "dep_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    life_months: Mapped[int] = mapped_column(Integer)
    #: The shortest life the tax law allows (the tax book's default).
    tax_life_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(24), default="straight_line")
    residual_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0.05"))
    #: Whether the one-time deduction may apply (not to buildings).
    one_time_eligible: Mapped[bool] = mapped_column(Boolean, default=True)


class Asset(Base):
    """A fixed-asset card: what it cost, how and how long it depreciates, where it is."""

    __tablename__ = "dep_asset"
    __table_args__ = (Index("ix_dep_asset_state_starts", "state", "starts_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    category_id: Mapped[int] = mapped_column(ForeignKey("dep_category.id"), index=True)
    department: Mapped[str] = mapped_column(String(64), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_product.id"), nullable=True)
    #: The serial unit capitalised from stock (one asset per unit).
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_serial.id"), nullable=True,
                                                  unique=True)
    acquired_on: Mapped[date] = mapped_column(Date)
    #: The first month of depreciation: the month after acquisition.
    starts_on: Mapped[date] = mapped_column(Date)
    cost: Mapped[Decimal] = mapped_column(Money())
    residual_rate: Mapped[Decimal] = mapped_column(Rate())
    #: 预计净残值, fixed when the card is made (实施条例 第五十九条: 不得变更).
    residual_value: Mapped[Decimal] = mapped_column(Money())
    life_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(24))
    #: 预计总工作量 (units of production only).
    total_units: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    tax_treatment: Mapped[str] = mapped_column(String(16), default=TAX_SAME)
    tax_life_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    disposed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    disposal_kind: Mapped[str] = mapped_column(String(8), default="")
    proceeds: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    disposal_costs: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    #: Accumulated depreciation and net book value at disposal (disposal month included).
    disposal_depreciation: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    disposal_net_value: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    #: proceeds − net book value − costs (清理净收益; negative: 清理净损失).
    gain_loss: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AssetUsage(Base):
    """The units an asset depreciated by units of production worked in a month."""

    __tablename__ = "dep_usage"

    asset_id: Mapped[int] = mapped_column(ForeignKey("dep_asset.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[Decimal] = mapped_column(Quantity())


class DepreciationLine(Base):
    """Depreciation posted for an asset, a book and a month (immutable)."""

    __tablename__ = "dep_line"
    __table_args__ = (UniqueConstraint("asset_id", "book", "period"),
                      Index("ix_dep_line_period_book", "period", "book"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("dep_asset.id"))
    book: Mapped[str] = mapped_column(String(8))
    period: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DepreciationPeriod(Base):
    """A month of depreciation: when it was last run, whether it is closed."""

    __tablename__ = "dep_period"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TaxPolicy(Base):
    """The one-time deduction's window and ceiling (财税〔2018〕54号, 公告2023年第37号);
    one row, editable because the state extends or changes it."""

    __tablename__ = "dep_tax_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    one_time_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    one_time_from: Mapped[date] = mapped_column(Date)
    one_time_to: Mapped[date] = mapped_column(Date)
    one_time_limit: Mapped[Decimal] = mapped_column(Money())


MODELS: list[type] = [AssetCategory, Asset, AssetUsage, DepreciationLine, DepreciationPeriod,
                      TaxPolicy]
