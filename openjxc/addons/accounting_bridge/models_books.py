"""Tables of the book's set-up beyond the chart: opening balances (期初余额) and the rules
that tag cash lines with their 现金流量项目."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money


class OpeningBalance(Base):
    """One account's balance on the first day of ``AccountBook.opens_on`` (per auxiliary
    dimension where the account keeps them); the set is replaced as a whole and must
    balance (Σ debit = Σ credit)."""

    __tablename__ = "acc_opening_balance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("acc_account.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                    nullable=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                    nullable=True)
    department: Mapped[str] = mapped_column(String(64), default="")
    project: Mapped[str] = mapped_column(String(64), default="")
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class CashFlowRule(Base):
    """Which 现金流量项目 the cash lines of a source document type carry (editable)."""

    __tablename__ = "acc_cash_flow_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(32), unique=True)
    item_code: Mapped[str] = mapped_column(String(8))


MODELS: list[type] = [OpeningBalance, CashFlowRule]
