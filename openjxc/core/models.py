"""The declarative base, the shared column types and the kernel's own tables.

Money and quantities are :class:`~decimal.Decimal` end to end.  PostgreSQL stores them as
``NUMERIC``; SQLite has no exact decimal type, so there they are stored as scaled integers
(fen for money, ten-thousandths for quantities): exact, and ``SUM()`` in SQL stays exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every mapped class, kernel's and addons'.

    Table *definitions* are shared (like code); which of them exist in a database is the
    edition's business: each environment knows the tables its addons own.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal with a fixed scale: NUMERIC on PostgreSQL, scaled BIGINT on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int, precision: int = 20) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._quantum = Decimal(1).scaleb(-scale)
        self._factor = 10**scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def _quantize(self, value: Any) -> Decimal:
        if isinstance(value, float):
            raise TypeError("floats are not accepted for exact decimals; pass a Decimal")
        return Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        quantized = self._quantize(value)
        if dialect.name == "sqlite":
            return int(quantized.scaleb(self.scale))
        return quantized

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Money(ScaledDecimal):
    """CNY amounts, 2 decimals."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(2)


class Quantity(ScaledDecimal):
    """Quantities, up to 4 decimals."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(4)


class Rate(ScaledDecimal):
    """Rates and percentages as fractions (0.13 for 13% VAT), 6 decimals."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(6)


class UnitCost(ScaledDecimal):
    """Unit costs and unit prices, 6 decimals: averages of cheap parts stay exact enough."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(6)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always stored and returned as timezone-aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def __repr__(self) -> str:
        return "UTCDateTime()"


def utcnow() -> datetime:
    return datetime.now(UTC)


class InstalledAddon(Base):
    """The addons installed in this database, with the version installed."""

    __tablename__ = "core_addon"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
