"""Vouchers made from base_jxc's and depreciation's events, in the transaction that
caused them (a refused voucher — a closed month, a missing mapping — refuses the
document).  Which accounts: :mod:`.mapping`.

Every stock move that changes which account holds the goods books its recorded value
(``StockMove.value``), so the stock accounts always equal the stock ledger's value.  A
stock move dated in a closed month (or before the book opens) is refused even when it
carries no value and so makes no voucher (``PERIOD_CLOSED``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.events import InvoicePosted, PaymentPosted
from openjxc.addons.base_jxc.invoicing.models import (
    CREDIT_NOTE,
    RECEIVABLE,
    REFUND,
    Invoice,
    InvoiceLine,
    Payment,
)
from openjxc.addons.base_jxc.stock.events import StockMovesPosted
from openjxc.addons.base_jxc.stock.models import PHYSICAL_KINDS, Location, StockMove
from openjxc.addons.depreciation.events import AssetAcquired, AssetDisposed, DepreciationPosted
from openjxc.core.events import Subscription

from . import mapping
from .ledger import ZERO, Draft, post_voucher, refuse_closed
from .mapping import COUNTERPART, STOCK, Rules, Scope
from .opening import before_opening

#: Documents whose stock moves undo earlier ones: booked as red vouchers.
RED_ORIGINS = ("sales.return", "purchase.return", "reversal")
REVERSAL = "reversal"


def subscriptions() -> list[Subscription]:
    return [Subscription(StockMovesPosted, on_stock_moves, phase="transaction"),
            Subscription(InvoicePosted, on_invoice, phase="transaction"),
            Subscription(PaymentPosted, on_payment, phase="transaction"),
            Subscription(DepreciationPosted, on_depreciation, phase="transaction"),
            Subscription(AssetAcquired, on_asset_acquired, phase="transaction"),
            Subscription(AssetDisposed, on_asset_disposed, phase="transaction")]


def _user(session: Session) -> int | None:
    principal = session.info.get("openjxc.principal")
    return getattr(principal, "user_id", None)


# -- stock ---------------------------------------------------------------------------------

def on_stock_moves(event: StockMovesPosted, *, session: Session, **_: Any) -> None:
    if not event.move_ids:
        return
    rows = session.execute(_moves(), {"ids": list(event.move_ids)}).all()
    origin = event.origin_type or ""
    for day in sorted({r[0] for r in rows}):  # a move of no value makes no voucher that
        refuse_closed(session, day)           # would refuse it: the month is judged here
    rules = Rules(session, {origin} | {r[8] for r in rows if r[8]})
    drafts: dict[date, Draft] = {}
    for day, value, reference, category, skind, swh, dkind, dwh, undone in rows:
        if not value:
            continue
        document = (undone or STOCK) if origin == REVERSAL else origin
        red = origin in RED_ORIGINS
        into = account_of_place(rules, document, dkind, Scope(category, dwh))
        out_of = account_of_place(rules, document, skind, Scope(category, swh))
        if into == out_of:
            continue
        draft = drafts.get(day)
        if draft is None:
            draft = drafts[day] = Draft(voucher_date=day, summary=f"{origin or STOCK} "
                                        f"{reference}".strip(), source_type=STOCK,
                                        source_id=event.origin_id, reference=reference)
        if red:  # the goods go back: the first document's lines, negated
            draft.add(out_of, debit=-value)
            draft.add(into, credit=-value)
        else:
            draft.add(into, debit=value)
            draft.add(out_of, credit=value)
    for draft in drafts.values():
        post_voucher(session, draft, user_id=_user(session), known=rules.known)


@cache
def _moves() -> Any:
    """The moves of ``:ids`` with what decides their accounts, built once (every stock
    posting reads it)."""
    src, dst = aliased(Location), aliased(Location)
    original = aliased(StockMove)
    return (select(StockMove.move_date, StockMove.value, StockMove.reference,
                   Product.category_id, src.kind, src.warehouse_id, dst.kind,
                   dst.warehouse_id, original.origin_type)
            .join(Product, Product.id == StockMove.product_id)
            .join(src, src.id == StockMove.from_location_id)
            .join(dst, dst.id == StockMove.to_location_id)
            .outerjoin(original, original.id == StockMove.reversal_of_id)
            .where(StockMove.id.in_(bindparam("ids", expanding=True))))


def account_of_place(rules: Rules, document: str, kind: str, scope: Scope) -> str:
    if kind in PHYSICAL_KINDS:
        return rules.account(STOCK, kind, scope)
    return rules.account(document or STOCK, COUNTERPART, scope, fallback=(STOCK, COUNTERPART))


# -- invoices and payments -----------------------------------------------------------------

def on_invoice(event: InvoicePosted, *, session: Session, **_: Any) -> None:
    invoice = session.get_one(Invoice, event.invoice_id)
    sales = invoice.direction == RECEIVABLE
    document = mapping.SALES_INVOICE if sales else mapping.PURCHASE_INVOICE
    rules = Rules(session, {document})
    scope = Scope(partner_id=invoice.partner_id)
    kind = "credit note" if invoice.kind == CREDIT_NOTE else "invoice"
    draft = Draft(voucher_date=invoice.invoice_date, summary=f"{kind} {invoice.number}",
                  source_type=document, source_id=invoice.id, reference=invoice.number)
    # Amounts are signed as stored: a credit note is a red voucher of the same shape.
    # Revenue and purchases follow each line's product category (the rules may narrow to
    # one); the header's amounts when the lines do not add up to it.
    lines = session.execute(_invoice_lines(), {"i": invoice.id}).all()
    if (sum((r.amount for r in lines), ZERO) != invoice.amount_untaxed
            or sum((r.tax for r in lines), ZERO) != invoice.amount_tax):
        lines = []
    parts = [(Scope(category, partner_id=invoice.partner_id), amount, tax)
             for amount, tax, category in lines] or [(scope, invoice.amount_untaxed,
                                                      invoice.amount_tax)]
    if sales:
        draft.add(rules.account(document, "receivable", scope), debit=invoice.amount_total,
                  customer_id=invoice.partner_id)
        for where, amount, tax in parts:
            draft.add(rules.account(document, "revenue", where), credit=amount)
            draft.add(rules.account(document, "output_vat", where), credit=tax)
    else:
        for where, amount, tax in parts:
            draft.add(rules.account(document, "purchases", where), debit=amount)
            draft.add(rules.account(document, "input_vat", where), debit=tax)
        draft.add(rules.account(document, "payable", scope), credit=invoice.amount_total,
                  supplier_id=invoice.partner_id)
    if draft.entries:
        post_voucher(session, draft, user_id=_user(session), known=rules.known)


@cache
def _invoice_lines() -> Any:
    return (select(InvoiceLine.amount, InvoiceLine.tax, Product.category_id)
            .outerjoin(Product, Product.id == InvoiceLine.product_id)
            .where(InvoiceLine.invoice_id == bindparam("i"))
            .order_by(InvoiceLine.position))


def on_payment(event: PaymentPosted, *, session: Session, **_: Any) -> None:
    payment = session.get_one(Payment, event.payment_id)
    receivable = payment.direction == RECEIVABLE
    document = mapping.RECEIPT if receivable else mapping.PAYMENT
    rules = Rules(session, {document})
    scope = Scope(partner_id=payment.partner_id)
    money = rules.account(document, payment.method, scope, fallback=(document, "bank"))
    partner = rules.account(document, "partner", scope)
    aux: dict[str, Any] = ({"customer_id": payment.partner_id} if receivable
           else {"supplier_id": payment.partner_id})
    # Money comes in on a customer's payment and on a supplier's refund.
    incoming = receivable != (payment.kind == REFUND)
    draft = Draft(voucher_date=payment.payment_date, summary=f"{payment.kind} "
                  f"{payment.number}", source_type=document, source_id=payment.id,
                  reference=payment.number)
    if incoming:
        draft.add(money, debit=payment.amount)
        draft.add(partner, credit=payment.amount, **aux)
    else:
        draft.add(partner, debit=payment.amount, **aux)
        draft.add(money, credit=payment.amount)
    if payment.amount:
        post_voucher(session, draft, user_id=_user(session), known=rules.known)



# -- fixed assets --------------------------------------------------------------------------

def _month_end(period: date) -> date:
    following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def on_depreciation(event: DepreciationPosted, *, session: Session, **_: Any) -> None:
    if before_opening(session, event.period):
        return  # in the openings' 累计折旧 (the schedule before the book's first month)
    rules = Rules(session, {mapping.DEPRECIATION})
    by_department: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for department, amount in zip(event.departments, event.amounts, strict=True):
        by_department[department] += amount
    draft = Draft(voucher_date=_month_end(event.period),
                  summary=f"depreciation {event.period:%Y-%m}",
                  source_type=mapping.DEPRECIATION, reference=f"{event.period:%Y-%m}")
    for department, amount in sorted(by_department.items()):
        expense = rules.account(mapping.DEPRECIATION, f"expense:{department}",
                                fallback=(mapping.DEPRECIATION, "expense"))
        draft.add(expense, debit=amount, department=department)
    draft.add(rules.account(mapping.DEPRECIATION, "accumulated"), credit=event.total)
    if draft.entries:
        post_voucher(session, draft, user_id=_user(session), known=rules.known)


def on_asset_acquired(event: AssetAcquired, *, session: Session, **_: Any) -> None:
    if before_opening(session, event.acquired_on):
        return  # taken on: its cost is in the opening balances
    rules = Rules(session, {mapping.ASSET_ACQUIRED})
    draft = Draft(voucher_date=event.acquired_on, summary=f"asset {event.code}",
                  source_type=mapping.ASSET_ACQUIRED, source_id=event.asset_id,
                  reference=event.code)
    draft.add(rules.account(mapping.ASSET_ACQUIRED, "asset"), debit=event.cost)
    draft.add(rules.account(mapping.ASSET_ACQUIRED, COUNTERPART), credit=event.cost)
    if draft.entries:
        post_voucher(session, draft, user_id=_user(session), known=rules.known)


def on_asset_disposed(event: AssetDisposed, *, session: Session, **_: Any) -> None:
    """固定资产清理: the card leaves (cost, 累计折旧), proceeds and costs pass through
    清理, and its balance — the gain or loss — goes to income or expense."""
    doc = mapping.ASSET_DISPOSED
    rules = Rules(session, {doc})
    clearing = rules.account(doc, "clearing")
    money = rules.account(doc, "proceeds")
    draft = Draft(voucher_date=event.disposed_on, summary=f"{event.kind} {event.code}",
                  source_type=doc, source_id=event.asset_id, reference=event.code)
    draft.add(rules.account(doc, "accumulated"), debit=event.accumulated_depreciation)
    draft.add(clearing, debit=event.net_book_value)
    draft.add(rules.account(doc, "asset"), credit=event.cost)
    draft.add(money, debit=event.proceeds)
    draft.add(clearing, credit=event.proceeds)
    draft.add(clearing, debit=event.costs)
    draft.add(money, credit=event.costs)
    if event.gain_loss > 0:
        draft.add(clearing, debit=event.gain_loss)
        draft.add(rules.account(doc, "gain"), credit=event.gain_loss)
    elif event.gain_loss < 0:
        draft.add(rules.account(doc, "loss"), debit=-event.gain_loss)
        draft.add(clearing, credit=-event.gain_loss)
    if draft.entries:
        post_voucher(session, draft, user_id=_user(session), known=rules.known)
