"""What the document templates call besides the kernel's filters: the fixed words, unit
prices, plain amounts and tax rates, all in the report's locale.

The kernel renders a report in the locale it is asked for (the ``locale`` of the template
context), whether or not a translator is active for the thread (a CLI may print without
one), so these helpers read the context's locale and translate through the environment's
own catalogues::

    {{ t("unit_price") }}         单价（不含税） / Unit price (excl. tax)
    {{ t(order.payment_terms) }}  any LazyString the loader prepared
    {{ price(line.unit_price) }}  12.3456 (2 to 6 decimals, as entered)
    {{ amount(line.amount) }}     1,280.00 (no currency sign: the column says it)
    {{ percent(line.tax_rate) }}  13%
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import jinja2

from openjxc.core.env import Environment
from openjxc.core.i18n import LazyString, Translator, format_decimal

from .labels import LABELS

#: Unit prices are stored with 6 decimals; they print with at least 2.
PRICE_PLACES = (2, 6)


def template_helpers(env: Environment) -> dict[str, Callable[..., str]]:
    """The helpers for one environment (its catalogues), to merge into a report context."""
    translator = Translator.for_environment(env)

    @jinja2.pass_context
    def t(context: jinja2.runtime.Context, text: str | LazyString) -> str:
        """A label by key (an unknown key is an error), or a prepared lazy string."""
        message = text if isinstance(text, LazyString) else LABELS[text]
        return message.resolve(context.get("locale"), translator)

    @jinja2.pass_context
    def price(context: jinja2.runtime.Context, value: Decimal | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, context.get("locale"), places=price_places(value))

    @jinja2.pass_context
    def amount(context: jinja2.runtime.Context, value: Decimal | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, context.get("locale"), places=2)

    def percent(rate: Decimal | None) -> str:
        if rate is None:
            return ""
        return f"{_plain(Decimal(rate) * 100)}%"

    return {"t": t, "price": price, "amount": amount, "percent": percent}


def price_places(value: Decimal) -> int:
    """Decimals a unit price needs: 2, or more when it has significant digits beyond the
    cent (``12.345600`` → 4), never more than 6."""
    low, high = PRICE_PLACES
    exponent = Decimal(value).normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else low
    return max(low, min(high, places))


def _plain(value: Decimal) -> str:
    """``13.000000`` → ``13``, ``6.5`` → ``6.5`` (never ``1.3E+1``)."""
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
