"""Small checks every service uses on its input, collecting :class:`FieldError`\\ s.

They exist so that no input reaches the database unchecked: a value too long for its
column, a NUL character, a float where money is meant, more decimals than the column
keeps, or an amount beyond what both SQLite and PostgreSQL store — each becomes a clear
field error instead of a driver error (or, worse, silent rounding).

    errors: list[FieldError] = []
    name = check_text(errors, data.name, "name", max_length=200, required=True)
    price = check_decimal(errors, data.list_price, "listPrice", places=2)
    if errors:
        raise ValidationFailed(errors)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

#: The largest magnitude stored for each scale: SQLite keeps exact decimals as scaled
#: 64-bit integers, so money (2 places) stays below 10^16, quantities (4) below 10^14.
LIMITS = {2: Decimal(10) ** 16, 4: Decimal(10) ** 14, 6: Decimal(10) ** 12}


def check_text(errors: list[FieldError], value: object, field: str | tuple[str, ...], *,
               max_length: int,
               required: bool = False) -> str:
    """The stripped text, or ``""`` with an error recorded."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError("INVALID", _("Must be text"), field=field))
        return ""
    text = value.strip()
    if "\x00" in text:
        errors.append(FieldError("INVALID", _("Must not contain NUL characters"), field=field))
        return ""
    if required and not text:
        errors.append(FieldError("REQUIRED", _("This field is required"), field=field))
    elif len(text) > max_length:
        errors.append(FieldError("INVALID", _("At most {max} characters"), field=field,
                                 max=max_length))
    return text


def check_decimal(errors: list[FieldError], value: object, field: str | tuple[str, ...], *,
                  places: int,
                  minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None,
                  maximum_exclusive: bool = False) -> Decimal | None:
    """``value`` as an exact Decimal with at most ``places`` decimals, within range."""
    if isinstance(value, float | bool) or value is None:
        errors.append(FieldError("INVALID", _("Must be an exact number"), field=field))
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(FieldError("INVALID", _("Must be an exact number"), field=field))
        return None
    if not number.is_finite():
        errors.append(FieldError("INVALID", _("Must be an exact number"), field=field))
        return None
    limit = LIMITS.get(places, Decimal(10) ** 12)
    if abs(number) >= limit:
        errors.append(FieldError("INVALID", _("Must be smaller than {limit}"),
                                 field=field, limit=f"{limit:,.0f}"))
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        errors.append(FieldError("INVALID", _("At most {places} decimal places"), field=field,
                                 places=places))
        return None
    if minimum is not None and number < minimum:
        errors.append(FieldError("INVALID", _("Must be at least {minimum}"), field=field,
                                 minimum=str(minimum)))
        return None
    if maximum is not None and (number >= maximum if maximum_exclusive else number > maximum):
        errors.append(FieldError("INVALID", _("Must be below {maximum}") if maximum_exclusive
                                 else _("Must be at most {maximum}"), field=field,
                                 maximum=str(maximum)))
        return None
    return number.quantize(Decimal(1).scaleb(-places))
