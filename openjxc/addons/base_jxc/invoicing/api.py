"""Receivables and payables through GraphQL: ``invoices``, ``payments``,
``receivablesAging``, ``payablesAging`` and ``partnerBalances``.

The types live in :mod:`.api_types`, the mutations (``invoiceCreate``, ``paymentCreate``,
``paymentAllocate``) in :mod:`.mutations`.  Lists are connections whose nested fields
resolve through DataLoaders; the ageing and the balances are one statement each.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import pairwise
from typing import Any

import strawberry
from sqlalchemy import and_, or_, select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import (
    BadUserInput,
    Connection,
    Contribution,
    apply_filter_extensions,
    field,
    get_session,
    paginate,
)

from ..partners.api import Partner
from ..partners.models import Partner as PartnerRow
from ..stock.posting import business_today
from . import aging as ageing
from . import balances, models
from .api_types import (
    INVOICE_READ,
    PAYMENT_READ,
    Invoice,
    InvoiceDirection,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    InvoicingError,
    InvoicingErrorCode,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    partner_of,
)

AGING_READ = "invoicing.aging.read"
MAX_SEARCH = 64
MAX_CODES = 1000


@strawberry.enum(description="Orders of the invoice list.")
class InvoiceSort(Enum):
    NEWEST = "newest"
    NUMBER = "number"
    INVOICE_DATE = "invoice_date"
    DUE_DATE = "due_date"

    __labels__ = {"NEWEST": _("Newest first"), "NUMBER": _("By number"),
                  "INVOICE_DATE": _("By invoice date"), "DUE_DATE": _("By due date")}


@strawberry.enum(description="Orders of the payment list.")
class PaymentSort(Enum):
    NEWEST = "newest"
    NUMBER = "number"
    PAYMENT_DATE = "payment_date"

    __labels__ = {"NEWEST": _("Newest first"), "NUMBER": _("By number"),
                  "PAYMENT_DATE": _("By payment date")}


def _partner_id(code: str) -> Any:
    return select(PartnerRow.id).where(PartnerRow.code == code.strip()[:MAX_SEARCH]) \
        .scalar_subquery()


@strawberry.input(description="Narrow the invoice list; all given conditions must hold.")
class InvoiceFilter:
    direction: InvoiceDirection | None = None
    kind: InvoiceKind | None = None
    states: list[InvoiceState] | None = strawberry.field(
        default=None, description="Any of these states.")
    partner_code: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of our number or of the official invoice number.")
    invoice_date_from: date | None = None
    invoice_date_to: date | None = None
    overdue: bool | None = strawberry.field(
        default=None, description="true: invoices still open after their due date; false: "
                                  "the others.")
    origin_type: str | None = None


def invoices(info: Info[Any, Any], filter: InvoiceFilter | None = None,
             sort: InvoiceSort = InvoiceSort.NEWEST, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[Invoice]:
    row = models.Invoice
    stmt = select(row)
    if filter is not None:
        if filter.direction is not None:
            stmt = stmt.where(row.direction == filter.direction.value)
        if filter.kind is not None:
            stmt = stmt.where(row.kind == filter.kind.value)
        if filter.states:
            stmt = stmt.where(row.state.in_([s.value for s in filter.states]))
        if filter.partner_code:
            stmt = stmt.where(row.partner_id == _partner_id(filter.partner_code))
        if filter.search:
            term = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(or_(row.number.icontains(term, autoescape=True),
                                  row.external_number.icontains(term, autoescape=True)))
        if filter.invoice_date_from is not None:
            stmt = stmt.where(row.invoice_date >= filter.invoice_date_from)
        if filter.invoice_date_to is not None:
            stmt = stmt.where(row.invoice_date <= filter.invoice_date_to)
        if filter.overdue is not None:
            overdue = and_(row.kind == models.INVOICE, row.state != models.SETTLED,
                           row.due_date < business_today(get_session(info)))
            stmt = stmt.where(overdue if filter.overdue else ~overdue)
        if filter.origin_type:
            stmt = stmt.where(row.origin_type == filter.origin_type[:MAX_SEARCH])
    stmt = apply_filter_extensions(info, "InvoiceFilter", stmt, filter)
    keys: dict[InvoiceSort, list[Any]] = {
        InvoiceSort.NEWEST: [row.id.desc()], InvoiceSort.NUMBER: [row.number],
        InvoiceSort.INVOICE_DATE: [row.invoice_date], InvoiceSort.DUE_DATE: [row.due_date]}
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys[sort], to_node=Invoice.from_row, info=info)


@strawberry.input(description="Narrow the payment list; all given conditions must hold.")
class PaymentFilter:
    direction: InvoiceDirection | None = None
    kind: PaymentKind | None = None
    partner_code: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the number or of the reference.")
    payment_date_from: date | None = None
    payment_date_to: date | None = None
    unallocated: bool | None = strawberry.field(
        default=None, description="true: payments with something left to allocate.")


def payments(info: Info[Any, Any], filter: PaymentFilter | None = None,
             sort: PaymentSort = PaymentSort.NEWEST, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[Payment]:
    row = models.Payment
    stmt = select(row)
    if filter is not None:
        if filter.direction is not None:
            stmt = stmt.where(row.direction == filter.direction.value)
        if filter.kind is not None:
            stmt = stmt.where(row.kind == filter.kind.value)
        if filter.partner_code:
            stmt = stmt.where(row.partner_id == _partner_id(filter.partner_code))
        if filter.search:
            term = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(or_(row.number.icontains(term, autoescape=True),
                                  row.reference.icontains(term, autoescape=True)))
        if filter.payment_date_from is not None:
            stmt = stmt.where(row.payment_date >= filter.payment_date_from)
        if filter.payment_date_to is not None:
            stmt = stmt.where(row.payment_date <= filter.payment_date_to)
        if filter.unallocated is not None:
            left = row.amount != row.amount_allocated
            stmt = stmt.where(left if filter.unallocated else ~left)
    stmt = apply_filter_extensions(info, "PaymentFilter", stmt, filter)
    keys: dict[PaymentSort, list[Any]] = {
        PaymentSort.NEWEST: [row.id.desc()], PaymentSort.NUMBER: [row.number],
        PaymentSort.PAYMENT_DATE: [row.payment_date]}
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys[sort], to_node=Payment.from_row, info=info)


# -- ageing ----------------------------------------------------------------------------------

@strawberry.type(description="A column of the ageing: days past due from … to ….")
class AgingBucket:
    from_days: int
    to_days: int | None = strawberry.field(description="Null for the last, open-ended one.")

    @strawberry.field(description="The column's heading, e.g. “31–60 days” or “> 90 days”.")
    def label(self) -> str:
        if self.to_days is None:
            return str(_("> {days} days", days=self.from_days - 1))
        return str(_("{start}–{end} days", start=self.from_days, end=self.to_days))


@strawberry.type(description="One partner's line of the ageing (or the totals).")
class AgingRow:
    partner_code: str = strawberry.field(description="Empty on the totals line.")
    partner_name: str
    not_due: Decimal = strawberry.field(description="Open, not yet due.")
    buckets: list[Decimal] = strawberry.field(
        description="Open and past due, one amount per column of the report, in order.")
    overdue: Decimal = strawberry.field(description="The sum of the buckets.")
    open: Decimal = strawberry.field(description="Not due plus overdue.")
    unallocated: Decimal = strawberry.field(
        description="Money on account not yet allocated to invoices.")
    balance: Decimal = strawberry.field(description="Open less unallocated.")
    partner_id: strawberry.Private[int | None]

    @strawberry.field(description="Null on the totals line.")
    async def partner(self, info: Info[Any, Any]) -> Partner | None:
        return None if self.partner_id is None else await partner_of(info, self.partner_id)

    @classmethod
    def of(cls, row: ageing.AgingRow) -> AgingRow:
        return cls(partner_code=row.partner_code, partner_name=row.partner_name,
                   not_due=row.not_due, buckets=list(row.buckets), overdue=row.overdue,
                   open=row.open, unallocated=row.unallocated, balance=row.balance,
                   partner_id=row.partner_id)


@strawberry.type(description="Ageing (账龄) by due date, per partner, as of a day.")
class AgingReport:
    direction: InvoiceDirection
    as_of: date
    buckets: list[AgingBucket]
    rows: list[AgingRow] = strawberry.field(description="Partners in code order.")
    totals: AgingRow


def _aging(info: Info[Any, Any], direction: str, as_of: date | None,
           buckets: list[int] | None, partner_codes: list[str] | None) -> AgingReport:
    if buckets is not None and (not buckets or len(buckets) > 12 or buckets[0] < 1 or any(
            b <= a for a, b in pairwise(buckets)) or buckets[-1] > 36600):
        raise BadUserInput("buckets must be 1 to 12 increasing numbers of days, the first "
                           "at least 1")
    session = get_session(info)
    partner_ids = None
    if partner_codes is not None:
        if len(partner_codes) > MAX_CODES:
            raise BadUserInput(f"At most {MAX_CODES} partner codes")
        partner_ids = list(session.scalars(select(PartnerRow.id).where(
            PartnerRow.code.in_([c.strip()[:MAX_SEARCH] for c in partner_codes]))))
    report = ageing.aging(session, direction, as_of, buckets, partner_ids=partner_ids)
    return AgingReport(direction=InvoiceDirection(direction), as_of=report.as_of,
                       buckets=[AgingBucket(from_days=b.from_days, to_days=b.to_days)
                                for b in report.buckets],
                       rows=[AgingRow.of(r) for r in report.rows],
                       totals=AgingRow.of(report.totals))


def receivables_aging(info: Info[Any, Any], as_of: date | None = None,
                      buckets: list[int] | None = None,
                      partner_codes: list[str] | None = None) -> AgingReport:
    return _aging(info, models.RECEIVABLE, as_of, buckets, partner_codes)


def payables_aging(info: Info[Any, Any], as_of: date | None = None,
                   buckets: list[int] | None = None,
                   partner_codes: list[str] | None = None) -> AgingReport:
    return _aging(info, models.PAYABLE, as_of, buckets, partner_codes)


# -- balances --------------------------------------------------------------------------------

@strawberry.type(description="One side (receivable or payable) of a partner's account.")
class PartnerBalanceSide:
    invoiced: Decimal
    credited: Decimal = strawberry.field(description="Credit notes (negative).")
    paid: Decimal
    refunded: Decimal
    open: Decimal = strawberry.field(description="What invoices and credit notes have open.")
    overdue: Decimal = strawberry.field(description="The part of open that is past due.")
    unallocated: Decimal = strawberry.field(description="Money not yet allocated.")
    balance: Decimal = strawberry.field(
        description="invoiced + credited − paid + refunded (= open − unallocated).")

    @classmethod
    def of(cls, side: balances.SideBalance) -> PartnerBalanceSide:
        return cls(invoiced=side.invoiced, credited=side.credited, paid=side.paid,
                   refunded=side.refunded, open=side.open, overdue=side.overdue,
                   unallocated=side.unallocated, balance=side.balance)


@strawberry.type(description="What a partner owes us and we owe it.")
class PartnerBalance:
    receivable: PartnerBalanceSide = strawberry.field(description="As a customer.")
    payable: PartnerBalanceSide = strawberry.field(description="As a supplier.")
    net: Decimal = strawberry.field(
        description="Receivable less payable balance: what it owes us on the whole.")
    partner_id: strawberry.Private[int]

    @strawberry.field
    async def partner(self, info: Info[Any, Any]) -> Partner | None:
        return await partner_of(info, self.partner_id)

    @classmethod
    def of(cls, row: Any) -> PartnerBalance:
        found = balances.balance_of(row)
        return cls(receivable=PartnerBalanceSide.of(found.receivable),
                   payable=PartnerBalanceSide.of(found.payable), net=found.net,
                   partner_id=found.partner_id)


@strawberry.input(description="Narrow the balance list; all given conditions must hold.")
class PartnerBalanceFilter:
    partner_codes: list[str] | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the partner's code or name.")
    non_zero: bool | None = strawberry.field(
        default=None, description="true: only partners with a balance on either side.")


def partner_balances(info: Info[Any, Any], filter: PartnerBalanceFilter | None = None,
                     as_of: date | None = None, first: int | None = None,
                     after: str | None = None, last: int | None = None,
                     before: str | None = None) -> Connection[PartnerBalance]:
    session = get_session(info)
    stmt = balances.balances_statement(as_of or business_today(session))
    if filter is not None:
        if filter.partner_codes is not None:
            if len(filter.partner_codes) > MAX_CODES:
                raise BadUserInput(f"At most {MAX_CODES} partner codes")
            stmt = stmt.where(PartnerRow.code.in_([c.strip()[:MAX_SEARCH]
                                                   for c in filter.partner_codes]))
        if filter.search:
            term = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(or_(PartnerRow.code.icontains(term, autoescape=True),
                                  PartnerRow.name.icontains(term, autoescape=True)))
        if filter.non_zero is not None:
            columns = stmt.selected_columns
            sides = [columns[f"{d[0]}_{figure}"] for d in models.DIRECTIONS
                     for figure in ("invoiced", "credited", "paid", "refunded")]
            receivable = sides[0] + sides[1] - sides[2] + sides[3]
            payable = sides[4] + sides[5] - sides[6] + sides[7]
            zero = and_(receivable == 0, payable == 0)
            stmt = stmt.where(~zero if filter.non_zero else zero)
    stmt = apply_filter_extensions(info, "PartnerBalanceFilter", stmt, filter)
    return paginate(session, stmt, first=first, after=after, last=last, before=before,
                    sort_keys=[PartnerRow.code], to_node=PartnerBalance.of, info=info)


def contribution() -> Contribution:
    from .mutations import mutations, types

    return Contribution(
        types=[Invoice, InvoiceLine, Payment, PaymentAllocation, InvoiceDirection,
               InvoiceKind, InvoiceState, PaymentKind, PaymentMethod, InvoiceSort,
               PaymentSort, InvoiceFilter, PaymentFilter, AgingBucket, AgingRow,
               AgingReport, PartnerBalanceSide, PartnerBalance, PartnerBalanceFilter,
               InvoicingError, InvoicingErrorCode, *types()],
        queries=[
            field(invoices, permission=INVOICE_READ,
                  description="Invoices and credit notes, filtered and sorted."),
            field(payments, permission=PAYMENT_READ,
                  description="Payments and refunds, filtered and sorted."),
            field(receivables_aging, permission=AGING_READ, name="receivablesAging",
                  description="Ageing of what customers owe, by due date, as of a day "
                              "(default today); buckets default to the company's policy."),
            field(payables_aging, permission=AGING_READ, name="payablesAging",
                  description="Ageing of what we owe suppliers, by due date, as of a day."),
            field(partner_balances, permission=AGING_READ, name="partnerBalances",
                  description="Partners' receivable and payable balances, in code order."),
        ],
        mutations=mutations(),
    )
