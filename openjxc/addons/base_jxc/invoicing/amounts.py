"""Line amounts, the one way every trading document prices a line.

Prices are tax-exclusive.  Each line is rounded half-up to the cent on its own, so a
document's totals are plain sums of its lines (what a VAT invoice prints)::

    >>> line_amounts(Decimal(3), Decimal("33.333333"), Decimal("0.13"))
    (Decimal('100.00'), Decimal('13.00'), Decimal('113.00'))

Purchase and sales check their line inputs with :func:`check_line_values` so that the
same input is refused with the same codes and messages everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _
from openjxc.core.validation import LIMITS, check_decimal

CENT = Decimal("0.01")
#: Decimal places the columns keep: quantities 4, unit prices and rates 6.
QUANTITY_PLACES = 4
PRICE_PLACES = 6
RATE_PLACES = 6
#: The VAT rate of a line that names no product and no rate (增值税 13 %).
DEFAULT_TAX_RATE = Decimal("0.13")
#: The largest line total a document may carry (10 trillion yuan): even a document of the
#: most lines allowed then sums to less than an amount column can store on either backend.
MAX_AMOUNT = LIMITS[2] / 1000


def round_cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up to the cent (``Decimal("0.125")`` → ``0.13``)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal,
                 ) -> tuple[Decimal, Decimal, Decimal]:
    """``(amount, tax, total)`` of a line: ``amount = round(quantity × unit_price)``,
    ``tax = round(amount × tax_rate)``, ``total = amount + tax`` (half-up, to the cent).

    Signs follow the quantity: a negative quantity (a credit note's line) gives negative
    amounts of exactly the same size as the positive one.
    """
    amount = _round_away(Decimal(quantity) * Decimal(unit_price))
    tax = _round_away(amount * Decimal(tax_rate))
    return amount, tax, amount + tax


def _round_away(value: Decimal) -> Decimal:
    # Half-up on the magnitude, so that −x rounds to exactly −round(x).
    rounded = round_cents(abs(value))
    return -rounded if value < 0 else rounded


def check_line_values(errors: list[FieldError], at: tuple[str, ...] | str, *,
                      quantity: object, unit_price: object, tax_rate: object,
                      quantity_field: str = "quantity", price_field: str = "unitPrice",
                      rate_field: str = "taxRate",
                      ) -> tuple[Decimal, Decimal, Decimal] | None:
    """Check one line's quantity (> 0, 4 places), unit price (≥ 0, 6 places) and tax rate
    (0 ≤ rate < 1, 6 places); record a :class:`FieldError` at ``(*at, <field>)`` for each
    bad value and return None, else the three values as exact decimals::

        errors: list[FieldError] = []
        values = check_line_values(errors, ("lines", "0"), quantity=line.quantity,
                                   unit_price=line.unit_price, tax_rate=line.tax_rate)
        if errors:
            raise ValidationFailed(errors)

    Codes: ``INVALID_QUANTITY`` for a quantity of zero or less, ``INVALID`` for everything
    else (a negative price, a rate outside 0–1, not an exact number, too many decimals, too
    large, or a line total of ``MAX_AMOUNT`` or more) — so a chapter's error enum needs no
    more than those two.
    """
    prefix = (at,) if isinstance(at, str) else tuple(at)
    before = len(errors)
    where = (*prefix, quantity_field)
    number = check_decimal(errors, quantity, where, places=QUANTITY_PLACES, minimum=None)
    if number is not None and number <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=where))
    where = (*prefix, price_field)
    price = check_decimal(errors, unit_price, where, places=PRICE_PLACES, minimum=None)
    if price is not None and price < 0:
        errors.append(FieldError("INVALID", _("The unit price cannot be negative"),
                                 field=where))
    where = (*prefix, rate_field)
    rate = check_decimal(errors, tax_rate, where, places=RATE_PLACES, minimum=None)
    if rate is not None and not Decimal(0) <= rate < 1:
        errors.append(FieldError("INVALID",
                                 _("The tax rate is a fraction from 0 up to 1 (0.13 for 13%)"),
                                 field=where))
    if len(errors) != before or number is None or price is None or rate is None:
        return None
    if line_amounts(number, price, rate)[2] >= MAX_AMOUNT:
        errors.append(FieldError("INVALID", _("The total must be smaller than {limit}"),
                                 field=(*prefix, quantity_field),
                                 limit=f"{MAX_AMOUNT:,.0f}"))
        return None
    return number, price, rate
