"""Vouchers for the business the ledger did not see: documents dated in the book's first
month or later that were made before accounting_bridge was installed (an upgrade in the
middle of a month; depreciation installed before the ledger) — stock moves, invoices,
payments, assets bought or disposed of, depreciation runs.  The openings hold what came
before the first month; these documents post their vouchers when the book is opened,
through the same handlers as live events, so the ledger misses nothing and counts nothing
twice.

Only the months not caught up before are read: from the new first month up to the
previous one (all later months when the book opens for the first time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.invoicing.events import InvoicePosted, PaymentPosted
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.addons.base_jxc.stock.events import StockMovesPosted
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.depreciation.events import AssetAcquired, AssetDisposed, DepreciationPosted
from openjxc.addons.depreciation.models import BOOK, DISPOSED, Asset, AssetCategory
from openjxc.addons.depreciation.models import DepreciationLine as Line
from openjxc.addons.depreciation.schedule import add_months
from openjxc.core.models import InstalledAddon

from . import mapping, postings
from .models import Voucher

ADDON = "accounting_bridge"


def post_uncovered(session: Session, first_month: date, until: date | None) -> int:
    """Post the vouchers of documents dated from ``first_month`` (to before ``until``)
    made before the install; returns how many documents were posted."""
    installed = session.get(InstalledAddon, ADDON)
    if installed is None:
        return 0
    since: datetime = installed.installed_at
    work: list[tuple[date, int, int, Callable[[], None]]] = []

    def dated(column: Any) -> list[Any]:
        conditions = [column >= first_month]
        if until is not None:
            conditions.append(column < until)
        return conditions

    def handler(call: Callable[..., None], event: Any) -> Callable[[], None]:
        return lambda: call(event, session=session)

    documents: dict[tuple[str, int | None, date], list[int]] = {}
    for move_id, day, origin_type, origin_id in session.execute(
            select(StockMove.id, StockMove.move_date, StockMove.origin_type,
                   StockMove.origin_id)
            .where(StockMove.created_at < since, *dated(StockMove.move_date))
            .order_by(StockMove.id)):
        documents.setdefault((origin_type, origin_id, day), []).append(move_id)
    for (origin_type, origin_id, day), ids in documents.items():
        work.append((day, 0, ids[0], handler(postings.on_stock_moves, StockMovesPosted(
            move_ids=tuple(ids), origin_type=origin_type, origin_id=origin_id))))
    # Held until the vouchers are posted: the handlers read them back from the session's
    # identity map (a dropped reference would cost a SELECT per document).
    invoices = list(session.scalars(select(Invoice).where(
        Invoice.created_at < since, *dated(Invoice.invoice_date))))
    payments = list(session.scalars(select(Payment).where(
        Payment.created_at < since, *dated(Payment.payment_date))))
    for invoice in invoices:
        work.append((invoice.invoice_date, 1, invoice.id, handler(
            postings.on_invoice, InvoicePosted(
                invoice_id=invoice.id, number=invoice.number, direction=invoice.direction,
                kind=invoice.kind, partner_id=invoice.partner_id,
                amount_total=invoice.amount_total, lines=()))))
    for payment in payments:
        work.append((payment.payment_date, 2, payment.id, handler(
            postings.on_payment, PaymentPosted(
                payment_id=payment.id, number=payment.number, direction=payment.direction,
                kind=payment.kind, partner_id=payment.partner_id,
                amount=Decimal(payment.amount)))))
    work += _assets(session, since, dated, handler, reopening=until is not None)
    for *_key, post in sorted(work, key=lambda w: w[:3]):
        post()
    return len(work)


Work = list[tuple[date, int, int, Callable[[], None]]]


def _assets(session: Session, since: datetime, dated: Callable[[Any], list[Any]],
            handler: Callable[[Callable[..., None], Any], Callable[[], None]], *,
            reopening: bool) -> Work:
    """Assets bought (not capitalised from stock: those are stock moves) and disposed of
    without their voucher, and book depreciation posted before the install — or, when the
    book moves to an earlier month, any time: a run of a month before the book posted no
    voucher."""
    work: Work = []

    def no_voucher(source_type: str) -> Any:
        return ~exists().where(and_(Voucher.source_type == source_type,
                                    Voucher.source_id == Asset.id))

    for asset, category in session.execute(
            select(Asset, AssetCategory.code)
            .join(AssetCategory, AssetCategory.id == Asset.category_id)
            .where(Asset.serial_id.is_(None), no_voucher(mapping.ASSET_ACQUIRED),
                   *dated(Asset.acquired_on))):
        work.append((asset.acquired_on, 3, asset.id, handler(
            postings.on_asset_acquired, AssetAcquired(
                asset_id=asset.id, code=asset.code, category_code=category,
                department=asset.department, acquired_on=asset.acquired_on,
                cost=asset.cost))))
    periods: dict[date, list[tuple[Asset, Decimal]]] = {}
    for line, asset in session.execute(
            select(Line, Asset).join(Asset, Asset.id == Line.asset_id)
            .where(Line.book == BOOK, *dated(Line.period),
                   *(() if reopening else (Line.posted_at < since,)))
            .order_by(Line.period, Asset.id)):
        periods.setdefault(line.period, []).append((asset, line.amount))
    for period, posted in periods.items():
        work.append((add_months(period, 1) - timedelta(days=1), 4, 0, handler(
            postings.on_depreciation, DepreciationPosted(
            period=period, asset_ids=tuple(a.id for a, _x in posted),
            departments=tuple(a.department for a, _x in posted),
            amounts=tuple(x for _a, x in posted),
            total=sum((x for _a, x in posted), Decimal("0.00"))))))
    for asset in session.scalars(select(Asset).where(
            Asset.state == DISPOSED, Asset.disposed_on.is_not(None),
            no_voucher(mapping.ASSET_DISPOSED), *dated(Asset.disposed_on))):
        assert asset.disposed_on is not None
        work.append((asset.disposed_on, 5, asset.id, handler(
            postings.on_asset_disposed, AssetDisposed(
                asset_id=asset.id, code=asset.code, disposed_on=asset.disposed_on,
                kind=asset.disposal_kind, cost=asset.cost,
                accumulated_depreciation=asset.disposal_depreciation or Decimal(0),
                net_book_value=asset.disposal_net_value or Decimal(0),
                proceeds=asset.proceeds or Decimal(0),
                costs=asset.disposal_costs or Decimal(0),
                gain_loss=asset.gain_loss or Decimal(0)))))
    return work
