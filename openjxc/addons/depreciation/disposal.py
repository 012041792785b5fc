"""Disposal (处置): an asset sold or scrapped, with its gain or loss.

当月减少的当月照提，下月起停: the disposal month still depreciates, nothing after it.  The
net book value is the cost less the book depreciation scheduled up to and including the
disposal month that the books hold or will hold: a month's posted amount, the scheduled
one of a month still open (its run is due before it closes), nothing for a month closed
without its run (it can never be run: 1602 holds nothing for it).  So the gain or loss
does not depend on whether the disposal month's run came first, and 累计折旧 leaves the
books whole:  gain/loss = proceeds − net book value − costs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _

from . import schedule
from .assets import asset_schedule, get_asset
from .events import AssetDisposed
from .models import (
    ACTIVE,
    BOOK,
    DISPOSAL_KINDS,
    DISPOSED,
    Asset,
    DepreciationLine,
    DepreciationPeriod,
)
from .settings import refuse_closed


def booked_depreciation(session: Session, asset: Asset, last: date) -> Decimal:
    """The book depreciation of ``asset`` up to ``last`` (its disposal month): posted,
    or scheduled in a month still open (see the module's docstring)."""
    posted: dict[date, Decimal] = {period: amount for period, amount in session.execute(
        select(DepreciationLine.period, DepreciationLine.amount)
        .where(DepreciationLine.asset_id == asset.id, DepreciationLine.book == BOOK))}
    closed = set(session.scalars(select(DepreciationPeriod.period).where(
        DepreciationPeriod.closed.is_(True), DepreciationPeriod.period <= last)))
    total = Decimal("0.00")
    for line in asset_schedule(session, asset, BOOK):
        if line.period in posted:
            total += posted[line.period]
        elif line.period not in closed:
            total += line.amount
    return total


def dispose_asset(session: Session, asset_id: int, *, kind: str, disposed_on: date,
                  proceeds: Decimal = Decimal(0), costs: Decimal = Decimal(0),
                  note: str = "") -> Asset:
    """Sell (``sale``) or scrap (``scrap``) an asset on ``disposed_on``."""
    asset = get_asset(session, asset_id)
    errors: list[FieldError] = []
    if asset.state != ACTIVE:
        errors.append(FieldError("ALREADY_DISPOSED", _("Asset {code} is already disposed of"),
                                 field="assetCode", code=asset.code))
    if kind not in DISPOSAL_KINDS:
        errors.append(FieldError("INVALID", _("Unknown disposal kind {kind}"), field="kind",
                                 kind=kind))
    if disposed_on < asset.acquired_on:
        errors.append(FieldError("INVALID", _("The disposal date is before the acquisition "
                                              "date"), field="disposedOn"))
    for value, at in ((proceeds, "proceeds"), (costs, "costs")):
        if value < 0:
            errors.append(FieldError("INVALID", _("The amount cannot be negative"), field=at))
    if errors:
        raise ValidationFailed(errors)
    refuse_closed(session, disposed_on, at="disposedOn")
    proceeds, costs = schedule.cents(proceeds), schedule.cents(costs)
    period = schedule.month_start(disposed_on)
    if session.scalar(select(DepreciationLine.id).where(
            DepreciationLine.asset_id == asset.id, DepreciationLine.period > period)
            .limit(1)) is not None:
        raise ValidationFailed(FieldError(
            "ALREADY_POSTED", _("Depreciation after {period} is already posted"),
            field="disposedOn", period=f"{period:%Y-%m}"))
    asset.disposed_on = disposed_on
    accumulated = booked_depreciation(session, asset, period)
    net_value = asset.cost - accumulated
    asset.state = DISPOSED
    asset.disposal_kind = kind
    asset.proceeds = proceeds
    asset.disposal_costs = costs
    asset.disposal_depreciation = accumulated
    asset.disposal_net_value = net_value
    asset.gain_loss = schedule.cents(proceeds - net_value - costs)
    if note.strip():
        asset.note = note.strip()[:400]
    session.flush()
    publish(session, AssetDisposed(
        asset_id=asset.id, code=asset.code, disposed_on=disposed_on, kind=kind,
        cost=asset.cost, accumulated_depreciation=accumulated, net_book_value=net_value,
        proceeds=asset.proceeds, costs=asset.disposal_costs, gain_loss=asset.gain_loss))
    return asset
