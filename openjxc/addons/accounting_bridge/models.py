"""The ledger's tables: the book (which accounting standard), its chart of accounts, the
monthly periods, the vouchers (记账凭证) with their lines and per-month numbers, the
balances kept per account and month, and the mapping rules from documents to accounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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

from openjxc.core.models import Base, Money, UTCDateTime, utcnow

#: 小企业会计准则 (财会〔2011〕17号), the default, and 企业会计准则 (2006 应用指南).
SMALL = "small"
ENTERPRISE = "enterprise"
STANDARDS = (SMALL, ENTERPRISE)
DEBIT = "debit"
CREDIT = "credit"
#: Auxiliary dimensions (辅助核算) a line may carry.
CUSTOMER = "customer"
SUPPLIER = "supplier"
DEPARTMENT = "department"
PROJECT = "project"
AUXILIARIES = (CUSTOMER, SUPPLIER, DEPARTMENT, PROJECT)
#: The voucher word: every voucher is a 记账凭证.
WORD = "记"


class AccountBook(Base):
    """The company's book (账套): one row, the standard chosen at set-up; locked once a
    voucher exists (a company may not mix the two standards)."""

    __tablename__ = "acc_book"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard: Mapped[str] = mapped_column(String(16), default=SMALL)
    #: The first month the book keeps (期初): opening balances are as of its first day.
    opens_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Account(Base):
    """A 会计科目: first-level codes from the standard, sub-accounts add two digits each
    (4-2-2, e.g. ``22210101`` 应交税费—应交增值税—进项税额)."""

    __tablename__ = "acc_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("acc_account.id"), nullable=True,
                                                  index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    #: asset, liability, common, equity, cost or profit_loss (the standard's classes).
    category: Mapped[str] = mapped_column(String(16))
    #: The side its balance normally sits on.
    direction: Mapped[str] = mapped_column(String(8), default=DEBIT)
    #: Comma-separated auxiliary dimensions its lines carry (``customer``, ``supplier`` …).
    auxiliaries: Mapped[str] = mapped_column(String(64), default="")
    #: A leaf (末级科目) takes postings; a parent only sums its children.
    leaf: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AccountingPeriod(Base):
    """A month of the ledger; closing it freezes it (no voucher is posted into it)."""

    __tablename__ = "acc_period"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PeriodReopening(Base):
    """A closed month opened again (反结账): when, by whom and why — kept for the auditor."""

    __tablename__ = "acc_period_reopening"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reopened_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    depreciation_reopened: Mapped[bool] = mapped_column(Boolean, default=False)


class VoucherSequence(Base):
    """The last voucher number of a month, taken in the posting transaction."""

    __tablename__ = "acc_voucher_sequence"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Voucher(Base):
    """A posted 记账凭证 (immutable; corrected by a red reversal)."""

    __tablename__ = "acc_voucher"
    __table_args__ = (UniqueConstraint("period", "number"),
                      Index("ix_acc_voucher_source", "source_type", "source_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[date] = mapped_column(Date)
    #: ``记-0001``: the word and the month's sequence.
    number: Mapped[str] = mapped_column(String(16))
    voucher_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(120), default="")
    #: The document that caused it (``sales.invoice``, ``stock`` …) or ``manual``.
    source_type: Mapped[str] = mapped_column(String(32), default="manual")
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reference: Mapped[str] = mapped_column(String(64), default="")
    total: Mapped[Decimal] = mapped_column(Money())
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("acc_voucher.id"),
                                                       nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VoucherLine(Base):
    """One 分录: exactly one of debit and credit is non-zero (negative on a red voucher)."""

    __tablename__ = "acc_voucher_line"
    __table_args__ = (Index("ix_acc_voucher_line_account", "account_id", "voucher_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("acc_voucher.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("acc_account.id"))
    summary: Mapped[str] = mapped_column(String(120), default="")
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                    nullable=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                    nullable=True)
    department: Mapped[str] = mapped_column(String(64), default="")
    project: Mapped[str] = mapped_column(String(64), default="")
    #: 现金流量项目 of a line on a cash account (库存现金/银行存款/其他货币资金), tagged when
    #: posted (see :mod:`.cash_flow`); empty on every other line.
    cash_flow_item: Mapped[str] = mapped_column(String(8), default="", server_default="")


class AccountBalance(Base):
    """What a month moved on an account (kept in the posting transaction)."""

    __tablename__ = "acc_balance"

    account_id: Mapped[int] = mapped_column(ForeignKey("acc_account.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class MappingRule(Base):
    """Which account a role of a document posts to (``sales.invoice``/``revenue`` →
    ``5001``), optionally only for a product category, a warehouse or a partner (the most
    specific rule wins)."""

    __tablename__ = "acc_mapping_rule"
    __table_args__ = (Index("ix_acc_mapping_rule_key", "document", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(64))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_category.id"),
                                                    nullable=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_warehouse.id"),
                                                     nullable=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                   nullable=True)
    account_code: Mapped[str] = mapped_column(String(32))


class ExportCode(Base):
    """Our account's code in the target software's chart (科目编码), per export format:
    the target's sub-accounts rarely match ours."""

    __tablename__ = "acc_export_code"
    __table_args__ = (UniqueConstraint("format", "account_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[str] = mapped_column(String(16))
    account_code: Mapped[str] = mapped_column(String(32))
    target_code: Mapped[str] = mapped_column(String(32))


MODELS: list[type] = [AccountBook, Account, AccountingPeriod, PeriodReopening, VoucherSequence,
                      Voucher, VoucherLine, AccountBalance, MappingRule, ExportCode]


def all_models() -> list[type]:
    """Every table of the addon: these and the chapters' own (cash flow, export batches and
    targets, opening balances)."""
    from .models_books import MODELS as BOOKS
    from .models_exchange import MODELS as EXCHANGE

    return MODELS + BOOKS + EXCHANGE
