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
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from strawberry.types.scalar import ScalarDefinition

#: Values beyond these are refused: no amount needs them, and ``1E+999999`` written out
#: in full would be a megabyte-long string.
MAX_INTEGER_DIGITS = 28
MAX_FRACTION_DIGITS = 12


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
        raise ValueError("Decimal expects a string such as \"1280.00\", not a boolean")
    if isinstance(value, float):
        raise ValueError(f"Decimal expects a string such as \"{value}\" or an integer, "
                         f"not a float: floats lose precision")
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if not value.isascii():
            # Python reads "１２" (full-width) or "١٢" as 12: a client sending them has a
            # bug or an input method in the way, and should hear so.
            raise ValueError(f"{value[:40]!r} is not a decimal number: use the digits 0-9")
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError(f"Decimal expects a string or an integer, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, so never 'n'/'N'/'F'
    if result.adjusted() >= MAX_INTEGER_DIGITS or -exponent > MAX_FRACTION_DIGITS:
        raise ValueError(f"{value!r} has more than {MAX_INTEGER_DIGITS} integer or "
                         f"{MAX_FRACTION_DIGITS} fraction digits")
    return result


def serialize_datetime(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"DateTime field returned {type(value).__name__} {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime expects an ISO 8601 string such as "
                         "\"2024-05-01T08:00:00Z\"")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset; send \"{value}Z\" for UTC or "
                         f"\"{value}+08:00\" for China time")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{value!r} is out of the supported range") from None


def serialize_date(value: Any) -> str:
    # A datetime is a date too; refusing it keeps a time of day from being dropped.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"Date field returned {type(value).__name__} {value!r}")
    return value.isoformat()


def parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("Date expects an ISO 8601 string such as \"2024-05-01\"")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


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
