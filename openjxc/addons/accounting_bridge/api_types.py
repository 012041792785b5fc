"""accounting_bridge's GraphQL object types; a page of vouchers loads its lines (and their
accounts) in one statement, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.errors import ValidationFailed
from openjxc.graphql import BadUserInput, Node, align, get_session

from . import READ, ledger, models
from .api_cash_flow import CashFlowItem, item_of
from .api_enums import AccountingStandard, BalanceDirection, VoucherExportFormat


def period_argument(text: str) -> date:
    """A query's ``period`` argument (YYYY-MM) as its first day; a bad one is the caller's
    mistake (BAD_USER_INPUT)."""
    try:
        return ledger.parse_period(text)
    except ValidationFailed as exc:
        raise BadUserInput(exc.message) from None



@strawberry.type(description="A 会计科目 of the chart.")
class Account(Node):
    node_permission: ClassVar[str] = READ

    code: str
    name: str
    level: int
    category: str = strawberry.field(
        description="asset, liability, equity, cost or profit_loss.")
    direction: BalanceDirection
    auxiliaries: list[str] = strawberry.field(
        description="The auxiliary dimensions (辅助核算) its lines carry.")
    leaf: bool = strawberry.field(description="Whether it takes postings (末级科目).")
    parent_code: str | None

    @classmethod
    def from_row(cls, row: models.Account, parent_code: str | None = None) -> Account:
        return cls(pk=row.id, code=row.code, name=row.name, level=row.level,
                   category=row.category, direction=BalanceDirection(row.direction),
                   auxiliaries=[a for a in row.auxiliaries.split(",") if a], leaf=row.leaf,
                   parent_code=parent_code if parent_code is not None
                   else (row.code[:-2] if row.level > 1 else None))

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Account | None]:
        rows = get_session(info).scalars(select(models.Account)
                                         .where(models.Account.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda a: a.pk)


@strawberry.type(description="One 分录 of a voucher (negative amounts on a red voucher).")
class VoucherLine:
    sequence: int
    account_code: str
    account_name: str
    summary: str
    debit: Decimal
    credit: Decimal
    customer_id: strawberry.Private[int | None]
    supplier_id: strawberry.Private[int | None]
    department: str
    project: str
    cash_flow_code: strawberry.Private[str] = ""

    @strawberry.field(description="The 现金流量项目 of a line on a cash account (null on other "
                                  "lines and on unclassified cash movements).")
    async def cash_flow_item(self, info: Info[Any, Any]) -> CashFlowItem | None:
        return await item_of(info, self.cash_flow_code)

    @strawberry.field(description="The customer's code (辅助核算).")
    async def customer_code(self, info: Info[Any, Any]) -> str | None:
        if self.customer_id is None:
            return None
        return cast("str | None", await _partners(info).load(self.customer_id))

    @strawberry.field(description="The supplier's code (辅助核算).")
    async def supplier_code(self, info: Info[Any, Any]) -> str | None:
        if self.supplier_id is None:
            return None
        return cast("str | None", await _partners(info).load(self.supplier_id))


def _partners(info: Info[Any, Any]) -> Any:
    from openjxc.addons.base_jxc.partners.models import Partner

    def batch(ids: list[int]) -> list[str | None]:
        found = dict(get_session(info).execute(
            select(Partner.id, Partner.code).where(Partner.id.in_(set(ids)))).all())
        return [found.get(i) for i in ids]

    return info.context.loaders.get("accounting.partner_code", batch)


def _lines(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[VoucherLine]]:
        found: dict[int, list[VoucherLine]] = {i: [] for i in ids}
        for line, code, name in get_session(info).execute(
                select(models.VoucherLine, models.Account.code, models.Account.name)
                .join(models.Account, models.Account.id == models.VoucherLine.account_id)
                .where(models.VoucherLine.voucher_id.in_(set(ids)))
                .order_by(models.VoucherLine.voucher_id, models.VoucherLine.sequence)):
            found[line.voucher_id].append(VoucherLine(
                sequence=line.sequence, account_code=code, account_name=name,
                summary=line.summary, debit=line.debit, credit=line.credit,
                customer_id=line.customer_id, supplier_id=line.supplier_id,
                department=line.department, project=line.project,
                cash_flow_code=line.cash_flow_item))
        return [found[i] for i in ids]

    return info.context.loaders.get("accounting.voucher_lines", batch)


@strawberry.type(description="A posted 记账凭证 (immutable; corrected by a red reversal).")
class Voucher(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="记-0001: numbered within its month.")
    period: str = strawberry.field(description="YYYY-MM.")
    voucher_date: date
    summary: str
    source_type: str = strawberry.field(description="The document that caused it.")
    reference: str
    total: Decimal
    reversal_of_id: strawberry.Private[int | None]

    @strawberry.field(description="Whether it reverses another voucher (红字冲销).")
    def is_reversal(self) -> bool:
        return self.reversal_of_id is not None

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[VoucherLine]:
        return cast("list[VoucherLine]", await _lines(info).load(self.pk))

    @classmethod
    def from_row(cls, row: models.Voucher) -> Voucher:
        return cls(pk=row.id, number=row.number, period=f"{row.period:%Y-%m}",
                   voucher_date=row.voucher_date, summary=row.summary,
                   source_type=row.source_type, reference=row.reference, total=row.total,
                   reversal_of_id=row.reversal_of_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Voucher | None]:
        rows = get_session(info).scalars(select(models.Voucher)
                                         .where(models.Voucher.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda v: v.pk)


@strawberry.type(description="The book (账套): its standard and whether it is locked.")
class AccountingBook:
    standard: AccountingStandard
    locked: bool = strawberry.field(description="True after the first posting.")


@strawberry.type(description="A month of the ledger.")
class AccountingPeriod:
    period: str = strawberry.field(description="YYYY-MM.")
    closed: bool


@strawberry.type(description="Where a role of a document posts.")
class AccountMapping:
    document: str
    role: str
    account_code: str
    category_id: strawberry.Private[int | None]
    warehouse_id: strawberry.Private[int | None]
    partner_id: strawberry.Private[int | None]

    @strawberry.field(description="Only for this partner (the partner's code).")
    async def partner_code(self, info: Info[Any, Any]) -> str | None:
        if self.partner_id is None:
            return None
        return cast("str | None", await _partners(info).load(self.partner_id))

    @classmethod
    def from_row(cls, row: models.MappingRule) -> AccountMapping:
        return cls(document=row.document, role=row.role, account_code=row.account_code,
                   category_id=row.category_id, warehouse_id=row.warehouse_id,
                   partner_id=row.partner_id)


@strawberry.type(description="An account's opening balance, movements and closing balance "
                             "for a month (debit positive).")
class TrialBalanceLine:
    account_code: str
    account_name: str
    level: int
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal


@strawberry.type(description="A line of a financial statement (资产负债表, 利润表, 现金流量表).")
class StatementLine:
    key: str = strawberry.field(description="A stable name of the line.")
    name: str = strawberry.field(description="The line's caption, localised.")
    amount: Decimal = strawberry.field(description="The month, or the balance at its end.")
    year_to_date: Decimal | None = strawberry.field(
        description="From January to the month (income statement).")


@strawberry.type(description="Our account's code in the target software.")
class VoucherExportCode:
    format: VoucherExportFormat
    account_code: str
    target_code: str
