"""The API's scalars: ``Decimal`` as a JSON string, ``Date``, ``DateTime`` in UTC.

Money and quantities are exact (ARCHITECTURE rule 6), and JSON numbers are read as
binary floats by nearly every client: ``"1280.10"`` survives the trip, ``1280.10`` may
not.  So ``Decimal`` goes out as a string, and comes in as a string or an integer;
floats and non-finite values are refused with a message that says why.

``DateTime`` goes out in ISO 8601 in UTC.  Incoming values must carry an offset
(``2024-05-01T08:00:00Z`` or ``…+08:00``): a shop in Shanghai sending ``09:00`` without
one means local time, a server would read UTC, and the eight hours in between would be
lost silently — so naive input is *rejected*.  Naive values going *out* are read as UTC,
since the kernel stores UTC and SQLite returns datetimes without a zone.

Addons annotate with the plain Python types (``Decimal``, ``date``, ``datetime``); the
kernel maps them through :data:`SCALAR_MAP`.

A value refused raises :class:`ScalarInputError`, which carries its message for
translation: :class:`~openjxc.graphql.masking.ErrorMasking` words it in the reader's
language (a form may show it as it is).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from strawberry.types.scalar import ScalarDefinition

from openjxc.core.i18n import LazyString, _

#: Values beyond these are refused: no amount needs them, and ``1E+999999`` written out
#: in full would be a megabyte-long string.
MAX_INTEGER_DIGITS = 28
MAX_FRACTION_DIGITS = 12


class ScalarInputError(ValueError):
    """An input value a scalar refuses; ``message`` is translated for the reader, the
    exception's own text (graphql-core's, the log's) is English."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(message.resolve("en"))
        self.message = message


def _shown(value: str) -> str:
    return repr(value[:40] + "…" if len(value) > 40 else value)


def serialize_decimal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"Decimal field returned {type(value).__name__} {value!r}; "
                        f"return a Decimal (floats are not exact)")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"cannot serialise non-finite Decimal {value}")
    # "f" never switches to exponent notation ("1E+3" would surprise every client).
    return format(value, "f")


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ScalarInputError(_("A number is expected as a string such as \"1280.00\", "
                                 "not true or false"))
    if isinstance(value, float):
        raise ScalarInputError(_("Send the number {value} as a string (\"{value}\"): "
                                 "a floating-point number is not exact", value=value))
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if not value.isascii():
            # Python reads "１２" (full-width) or "١٢" as 12: a client sending them has a
            # bug or an input method in the way, and should hear so.
            raise ScalarInputError(_("{value} is not a number: use the digits 0-9",
                                     value=_shown(value)))
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ScalarInputError(_("{value} is not a number",
                                     value=_shown(value))) from None
    else:
        raise ScalarInputError(_("A number is expected as a string such as \"1280.00\""))
    if not result.is_finite():
        raise ScalarInputError(_("{value} is not a finite number", value=_shown(str(value))))
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, so never 'n'/'N'/'F'
    if result.adjusted() >= MAX_INTEGER_DIGITS or -exponent > MAX_FRACTION_DIGITS:
        raise ScalarInputError(_("{value} has more than {integer} digits before or {fraction} "
                                 "after the decimal point", value=_shown(str(value)),
                                 integer=MAX_INTEGER_DIGITS, fraction=MAX_FRACTION_DIGITS))
    return result


def serialize_datetime(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"DateTime field returned {type(value).__name__} {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ScalarInputError(_("A date and time is expected as a string such as "
                                 "\"2024-05-01T08:00:00+08:00\""))
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ScalarInputError(_("{value} is not a date and time such as "
                                 "\"2024-05-01T08:00:00+08:00\"", value=_shown(value))) from None
    if parsed.tzinfo is None:
        raise ScalarInputError(_("{value} has no UTC offset: send \"{raw}+08:00\" for China "
                                 "time or \"{raw}Z\" for UTC", value=_shown(value),
                                 raw=value[:40]))
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ScalarInputError(_("{value} is out of the supported range",
                                 value=_shown(value))) from None


def serialize_date(value: Any) -> str:
    # A datetime is a date too; refusing it keeps a time of day from being dropped.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"Date field returned {type(value).__name__} {value!r}")
    return value.isoformat()


def parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ScalarInputError(_("A date is expected as a string such as \"2024-05-01\""))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ScalarInputError(_("{value} is not a date such as \"2024-05-01\"",
                                 value=_shown(value))) from None


DecimalScalar: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number, written as a string: \"1280.00\".  Inputs accept "
                "a string or an integer, never a float.",
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)
DateTimeScalar: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="An instant in ISO 8601, in UTC on output (\"2024-05-01T08:00:00+00:00\"). "
                "Inputs must carry an offset (Z or +08:00).",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
DateScalar: ScalarDefinition = strawberry.scalar(
    name="Date",
    description="A calendar date in ISO 8601: \"2024-05-01\".",
    serialize=serialize_date,
    parse_value=parse_date,
)

#: The kernel's scalar map; addons' ``Contribution.scalars`` are added to it per edition.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    Decimal: DecimalScalar,
    dt.datetime: DateTimeScalar,
    dt.date: DateScalar,
}
