"""What the business data says the opening balances are, on the first day of a month.

* stock: base_jxc's stock valuation at the end of the day before, each location's value on
  the account the stock postings use for it (:mod:`.mapping`: 库存商品, scrap on 待处理财产损溢);
* what each customer owes and each supplier is owed: invoices (credit notes negative) less
  payments plus refunds dated before the month, on the accounts the invoice and payment
  vouchers use, with the partner as auxiliary;
* goods received and not yet invoiced (or invoiced and not yet received): what the
  receipt vouchers (借 库存商品 贷 在途物资) and the purchase invoices' 在途物资 lines would
  have left on the receipts' counterpart account, so an invoice of an earlier receipt
  clears it after the opening instead of leaving 在途物资 in debit;
* fixed assets acquired before the month and not disposed of before it: cost on 固定资产,
  and on 累计折旧 the depreciation depreciation's schedule ran before the month (whether
  or not those months were run) — the same schedule the later runs continue.

The rest — cash, bank, equity, taxes, the year's profit … — the user places:
``difference`` (Σ debit − Σ credit) says how much.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.models import PAYMENT as MONEY_OUT_OR_IN
from openjxc.addons.base_jxc.invoicing.models import RECEIVABLE, Invoice, InvoiceLine, Payment
from openjxc.addons.base_jxc.stock.models import PHYSICAL_KINDS, Location, StockMove
from openjxc.addons.base_jxc.stock.queries import stock_as_of
from openjxc.addons.depreciation.assets import asset_schedule, usage_of
from openjxc.addons.depreciation.models import Asset
from openjxc.addons.depreciation.schedule import UNITS_OF_PRODUCTION

from . import mapping
from .ledger import ZERO, month_start
from .mapping import STOCK, Rules, Scope
from .models import Account
from .postings import REVERSAL, account_of_place

#: Where a suggestion comes from.
STOCK_VALUE = "stock"
RECEIVABLES = "receivables"
PAYABLES = "payables"
IN_TRANSIT = "in_transit"
FIXED_ASSETS = "fixed_assets"
DEPRECIATION = "depreciation"
SOURCES = (STOCK_VALUE, RECEIVABLES, PAYABLES, IN_TRANSIT, FIXED_ASSETS, DEPRECIATION)
#: The stock documents of a purchase (and the reversal of one of them).
PURCHASE_ORIGINS = ("purchase.receipt", "purchase.return")


@dataclass
class Suggestion:
    account_code: str
    account_name: str
    source: str
    debit: Decimal
    credit: Decimal
    customer_id: int | None = None
    supplier_id: int | None = None


@dataclass
class Suggestions:
    opens_on: date
    lines: list[Suggestion]

    @property
    def total_debit(self) -> Decimal:
        return sum((s.debit for s in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((s.credit for s in self.lines), ZERO)

    @property
    def difference(self) -> Decimal:
        """Σ debit − Σ credit: what the user still places (positive: credits are
        missing, e.g. 实收资本; negative: debits, e.g. 银行存款)."""
        return self.total_debit - self.total_credit


Key = tuple[str, str, int | None, int | None]


def suggestions(session: Session, first_month: date) -> Suggestions:
    """The suggested openings of a book opening on ``first_month`` (see the module)."""
    first_month = month_start(first_month)
    amounts: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    _stock(session, first_month, amounts)
    _partners(session, first_month, amounts)
    _in_transit(session, first_month, amounts)
    _assets(session, first_month, amounts)
    names = dict(session.execute(select(Account.code, Account.name).where(
        Account.code.in_({k[1] for k in amounts}))).all())
    lines = [Suggestion(code, names.get(code, ""), source, max(amount, ZERO),
                        max(-amount, ZERO), customer, supplier)
             for (source, code, customer, supplier), amount in sorted(
                 amounts.items(), key=lambda kv: (SOURCES.index(kv[0][0]), kv[0][1],
                                                  kv[0][2] or 0, kv[0][3] or 0))
             if amount]
    return Suggestions(first_month, lines)


def _stock(session: Session, first_month: date, amounts: dict[Key, Decimal]) -> None:
    rows = stock_as_of(session, first_month - timedelta(days=1))
    if not rows:
        return
    kinds = dict(session.execute(select(Location.id, Location.kind).where(
        Location.id.in_({r.location_id for r in rows}))).all())
    categories = dict(session.execute(select(Product.id, Product.category_id).where(
        Product.id.in_({r.product_id for r in rows}))).all())
    rules = Rules(session, {STOCK})
    for r in rows:
        code = rules.account(STOCK, kinds[r.location_id],
                             Scope(categories.get(r.product_id), r.warehouse_id))
        amounts[(STOCK_VALUE, code, None, None)] += r.value


def _partners(session: Session, first_month: date, amounts: dict[Key, Decimal]) -> None:
    """Each voucher the invoices and payments would have posted, summed per partner."""
    rules = Rules(session, {mapping.SALES_INVOICE, mapping.PURCHASE_INVOICE,
                            mapping.RECEIPT, mapping.PAYMENT})
    invoiced = session.execute(
        select(Invoice.partner_id, Invoice.direction, func.sum(Invoice.amount_total))
        .where(Invoice.invoice_date < first_month)
        .group_by(Invoice.partner_id, Invoice.direction)).all()
    # Money received (or paid) lowers the balance; a refund raises it again.
    paid = session.execute(
        select(Payment.partner_id, Payment.direction,
               func.sum(case((Payment.kind == MONEY_OUT_OR_IN, Payment.amount),
                             else_=-Payment.amount)))
        .where(Payment.payment_date < first_month)
        .group_by(Payment.partner_id, Payment.direction)).all()
    for partner_id, direction, total in invoiced:
        scope = Scope(partner_id=partner_id)
        if direction == RECEIVABLE:
            code = rules.account(mapping.SALES_INVOICE, "receivable", scope)
            amounts[(RECEIVABLES, code, partner_id, None)] += Decimal(total or 0)
        else:
            code = rules.account(mapping.PURCHASE_INVOICE, "payable", scope)
            amounts[(PAYABLES, code, None, partner_id)] -= Decimal(total or 0)
    for partner_id, direction, total in paid:
        scope = Scope(partner_id=partner_id)
        if direction == RECEIVABLE:
            code = rules.account(mapping.RECEIPT, "partner", scope)
            amounts[(RECEIVABLES, code, partner_id, None)] -= Decimal(total or 0)
        else:
            code = rules.account(mapping.PAYMENT, "partner", scope)
            amounts[(PAYABLES, code, None, partner_id)] += Decimal(total or 0)


def _in_transit(session: Session, first_month: date, amounts: dict[Key, Decimal]) -> None:
    """The receipt vouchers' counterpart side (their stock side is in ``_stock``) and the
    purchase invoices' purchases lines, as :mod:`.postings` would have posted them."""
    src, dst, original = aliased(Location), aliased(Location), aliased(StockMove)
    undone = original.origin_type
    moves = session.execute(
        select(StockMove.origin_type, StockMove.value, Product.category_id, src.kind,
               src.warehouse_id, dst.kind, dst.warehouse_id, undone)
        .join(Product, Product.id == StockMove.product_id)
        .join(src, src.id == StockMove.from_location_id)
        .join(dst, dst.id == StockMove.to_location_id)
        .outerjoin(original, original.id == StockMove.reversal_of_id)
        .where(StockMove.move_date < first_month, StockMove.value != 0,
               or_(StockMove.origin_type.in_(PURCHASE_ORIGINS),
                   and_(StockMove.origin_type == REVERSAL,
                        undone.in_(PURCHASE_ORIGINS))))).all()
    invoices = session.execute(
        select(Invoice.id, Invoice.partner_id, Invoice.amount_untaxed, Invoice.amount_tax,
               InvoiceLine.amount, InvoiceLine.tax, Product.category_id)
        .outerjoin(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .outerjoin(Product, Product.id == InvoiceLine.product_id)
        .where(Invoice.invoice_date < first_month, Invoice.direction != RECEIVABLE)
        .order_by(Invoice.id)).all()
    rules = Rules(session, {*PURCHASE_ORIGINS, mapping.PURCHASE_INVOICE})
    for origin, value, category, skind, swh, dkind, dwh, was in moves:
        document = was if origin == REVERSAL else origin
        sides = [(kind, account_of_place(rules, document, kind, Scope(category, warehouse)),
                  sign) for kind, warehouse, sign in ((dkind, dwh, 1), (skind, swh, -1))]
        if sides[0][1] == sides[1][1]:
            continue  # no voucher: both sides on one account
        # Signed (debit − credit), a return's red voucher moves the same way.
        for kind, code, sign in sides:
            if kind not in PHYSICAL_KINDS:
                amounts[(IN_TRANSIT, code, None, None)] += sign * value
    by_invoice: dict[int, list[Any]] = defaultdict(list)
    for row in invoices:
        by_invoice[row.id].append(row)
    for rows in by_invoice.values():
        head = rows[0]
        parts = [(Scope(r.category_id, partner_id=head.partner_id), r.amount)
                 for r in rows if r.amount is not None]
        if (sum((r.amount or ZERO for r in rows), ZERO) != head.amount_untaxed
                or sum((r.tax or ZERO for r in rows), ZERO) != head.amount_tax):
            parts = [(Scope(partner_id=head.partner_id), head.amount_untaxed)]
        for scope, amount in parts:
            code = rules.account(mapping.PURCHASE_INVOICE, "purchases", scope)
            amounts[(IN_TRANSIT, code, None, None)] += amount


def _assets(session: Session, first_month: date, amounts: dict[Key, Decimal]) -> None:
    rules = Rules(session, {mapping.ASSET_ACQUIRED, mapping.DEPRECIATION})
    held = list(session.scalars(select(Asset).where(
        Asset.acquired_on < first_month,
        or_(Asset.disposed_on.is_(None), Asset.disposed_on >= first_month))
        .order_by(Asset.id)))
    if not held:
        return
    cost_code = rules.account(mapping.ASSET_ACQUIRED, "asset")
    accumulated_code = rules.account(mapping.DEPRECIATION, "accumulated")
    # Units of production read their usage: once for all of them, not once an asset.
    usage = usage_of(session, [a.id for a in held if a.method == UNITS_OF_PRODUCTION])
    for asset in held:
        amounts[(FIXED_ASSETS, cost_code, None, None)] += asset.cost
        ran = sum((line.amount for line in asset_schedule(
            session, asset, usage=usage.get(asset.id, {})) if line.period < first_month),
                  ZERO)
        amounts[(DEPRECIATION, accumulated_code, None, None)] -= ran
