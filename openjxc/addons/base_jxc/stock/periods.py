"""Closing stock months: snapshots freeze quantity and value, later moves cannot be back-dated.

A snapshot row per location × product × batch holds the closing quantity and value of the
month: the previous snapshot plus the month's moves, written by one ``INSERT … SELECT``.
With it, the month's totals per product × warehouse (:mod:`.period_totals`) are written for
every month since the previous close, so reports over closed months read those instead of
the moves.
"""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import Date, func, insert, literal, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import StockPeriod, StockSnapshot
from .period_totals import write_period_totals
from .posting import business_today
from .queries import stock_as_of_statement


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def close_stock_period(session: Session, month: date, *, user_id: int | None = None) -> StockPeriod:
    """Close the stock month containing ``month``; every earlier month is closed with it.

    Refused for a month not yet over (``PERIOD_NOT_OVER``) or already closed
    (``STOCK_PERIOD_CLOSED``).
    """
    end = month_end(month)
    last = session.scalar(select(func.max(StockPeriod.period_end)))
    if last is not None and end <= last:
        raise ValidationFailed(FieldError("STOCK_PERIOD_CLOSED",
                                          _("Stock is already closed up to {date}"),
                                          field="month", date=last.isoformat()))
    if end >= business_today(session):
        raise ValidationFailed(FieldError("PERIOD_NOT_OVER",
                                          _("A month can be closed once it is over"),
                                          field="month"))
    period = StockPeriod(period_end=end, closed_by_id=user_id)
    with session.begin_nested():
        source = stock_as_of_statement(session, end).subquery()
        session.execute(insert(StockSnapshot).from_select(
            ["period_end", "location_id", "product_id", "batch_id", "warehouse_id", "quantity",
             "value"],
            select(literal(end, Date()), source.c.location_id, source.c.product_id,
                   source.c.batch_id, source.c.warehouse_id, source.c.quantity,
                   source.c.value)))
        write_period_totals(session, last, end)
        session.add(period)
        session.flush()
    return period

