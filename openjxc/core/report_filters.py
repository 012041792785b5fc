"""The Jinja2 filters of report templates: amounts, quantities and dates as printed.

    {{ order.total|money }}            ¥12,345.67 (per locale)
    {{ order.total|amount_in_words }}  壹万贰仟叁佰肆拾伍元陆角柒分
    {{ order.date|date }}              2024年5月6日 (per locale)
    {{ line.quantity|qty }}            1,234.5

Filters read the locale from the render context, so one Jinja2 environment per owner serves
every locale.  Each prints None as an empty cell and refuses a float: money and quantities
are Decimal, and a float here is a bug upstream, not a rounding.
:meth:`openjxc.core.reports.ReportRegistry.jinja` installs :data:`FILTERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jinja2


def _decimal(value: object) -> Decimal:
    """Money and quantities are Decimal; a float here is a bug upstream, not a rounding."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected a Decimal amount, got {value!r} ({type(value).__name__})")
    return Decimal(value)


@jinja2.pass_context
def _money_filter(context: jinja2.runtime.Context, value: object) -> str:
    """``{{ order.total|money }}`` → ``¥12,345.67`` (per locale); empty for None."""
    if value is None:
        return ""
    amount = _decimal(value)
    from openjxc.core.i18n import format_money

    return str(format_money(amount, context.get("locale")))


def _amount_in_words_filter(value: object) -> str:
    """``{{ order.total|amount_in_words }}`` → ``壹万贰仟叁佰肆拾伍元陆角柒分``."""
    if value is None:
        return ""
    amount = _decimal(value)
    from openjxc.core.amounts import amount_in_words

    return str(amount_in_words(amount))


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, value: date | datetime | None) -> str:
    """``{{ order.date|date }}`` → ``2024年5月6日`` (per locale); empty for None."""
    if value is None:
        return ""
    from openjxc.core.i18n import format_date

    return str(format_date(value, context.get("locale")))


@jinja2.pass_context
def _qty_filter(context: jinja2.runtime.Context, value: object) -> str:
    """``{{ line.quantity|qty }}`` → ``1,234.5``: grouped, at the stored precision, without
    padding zeros (``2.000`` prints as ``2``); empty for None."""
    if value is None:
        return ""
    quantity = _decimal(value)
    from openjxc.core.i18n import format_quantity

    return str(format_quantity(quantity, context.get("locale")))


#: Name in templates → filter.
FILTERS: Mapping[str, Callable[..., Any]] = {
    "money": _money_filter,
    "amount_in_words": _amount_in_words_filter,
    "date": _date_filter,
    "qty": _qty_filter,
}
