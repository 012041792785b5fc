"""Money, quantities, numbers and dates as the reader of a locale writes them (Babel, CLDR).

Every formatter takes an optional ``locale`` (default: the current one, see
:func:`openjxc.core.locales.use_locale`).  Money and quantities are ``Decimal``: a float is
refused, because it has already lost digits.  Rounding is half-up, as on an invoice, not
Babel's half-even.  Timestamps are stored in UTC and shown in the company's time zone (the
active translator's, else ``Settings.timezone``).

These are re-exported by :mod:`openjxc.core.i18n`, where most callers import them from.

Example::

    format_money(Decimal("1280"), "zh_CN")     # "¥1,280.00"
    format_quantity(Decimal("2.000"))           # "2"
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers

from openjxc.core.locales import DEFAULT_TIMEZONE, _require_locale, _translator_var, current_locale


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def _locale_of(locale: str | None) -> Locale:
    return _babel_locale(_require_locale(locale) if locale else current_locale())


def _number(value: Decimal | int) -> Decimal:
    """Money and quantities are Decimal; a float has already lost digits, so it is refused."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, not {type(value).__name__} ({value!r})")
    return Decimal(value)


def _exact(value: Decimal | int, places: int) -> Decimal:
    """Round half-up ourselves: Babel would round half-even (0.125 → 0.12)."""
    return _number(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int, locale: str | None = None, *, currency: str = "CNY",
                 ) -> str:
    """``¥1,280.00`` in zh_CN, ``CN¥1,280.00`` in en."""
    places = numbers.get_currency_precision(currency)
    return numbers.format_currency(_exact(amount, places), currency, locale=_locale_of(locale))


def format_quantity(quantity: Decimal | int, locale: str | None = None, *, places: int = 4,
                    ) -> str:
    """Up to ``places`` decimals (the stored precision), trailing zeros dropped: ``1,234.5``."""
    pattern = "#,##0." + "#" * places if places else "#,##0"
    return numbers.format_decimal(_exact(quantity, places), pattern, locale=_locale_of(locale))


def format_decimal(value: Decimal | int, locale: str | None = None, *,
                   places: int | None = None) -> str:
    """Exactly ``places`` decimals when given; otherwise every digit the value has."""
    if places is None:
        return numbers.format_decimal(_number(value), locale=_locale_of(locale),
                                      decimal_quantization=False)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return numbers.format_decimal(_exact(value, places), pattern, locale=_locale_of(locale))


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    if tz:
        return ZoneInfo(tz)
    translator = _translator_var.get()
    return translator.timezone if translator else ZoneInfo(DEFAULT_TIMEZONE)


def _company_time(value: datetime, tz: str | tzinfo | None) -> datetime:
    """Timestamps are stored in UTC; a naive one is read as UTC, never as local time."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(_zone(tz))


def company_date(tz: str | tzinfo | None = None, at: datetime | None = None) -> date:
    """The business date in the company's time zone ``tz`` (default: the current
    translator's, else Asia/Shanghai) at ``at`` (default: now).  Business dates are local:
    a receipt at 01:00 Beijing time on the 1st belongs to the 1st, not the UTC 31st."""
    return _company_time(at or datetime.now(UTC), tz).date()


def format_date(value: date, locale: str | None = None, *, style: str = "medium",
                tz: str | tzinfo | None = None) -> str:
    """A date (``2024年3月5日`` / ``Mar 5, 2024``); a datetime gives its company-time date."""
    if isinstance(value, datetime):
        value = _company_time(value, tz).date()
    return dates.format_date(value, style, locale=_locale_of(locale))


def format_datetime(value: datetime, locale: str | None = None, *, style: str = "medium",
                    tz: str | tzinfo | None = None) -> str:
    """A UTC timestamp shown in the company's time zone (Asia/Shanghai by default)."""
    local = _company_time(value, tz)
    return dates.format_datetime(local, style, tzinfo=local.tzinfo, locale=_locale_of(locale))
