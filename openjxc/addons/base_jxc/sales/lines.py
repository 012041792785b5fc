"""Priced lines of quotations and orders: checked, defaulted and totalled the same way.

A line names a product and a quantity; the tax-exclusive ``unit_price`` defaults to the
product's list price and ``tax_rate`` to the product's (13 % VAT unless the product says
otherwise).  ``amount = round(q × p)``, ``tax = round(amount × rate)``, ``total = amount +
tax`` per line (``invoicing.amounts.line_amounts``); a document's totals are the sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from ..catalog.models import Product
from ..invoicing.amounts import DEFAULT_TAX_RATE, check_line_values, line_amounts

MAX_LINES = 500


@dataclass
class SalesLineInput:
    """One product to quote or sell.  Empty ``unit_price``: the product's list price;
    empty ``tax_rate``: the product's rate; empty ``description``: the product's name."""

    product_id: int | None
    quantity: Decimal
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    description: str = ""


@dataclass
class PricedLine:
    """A checked line with its amounts, ready to be stored on a document."""

    product_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    total: Decimal

    def columns(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "description": self.description,
                "quantity": self.quantity, "unit_price": self.unit_price,
                "tax_rate": self.tax_rate, "amount": self.amount, "tax": self.tax,
                "total": self.total}


def check_lines(session: Session, errors: list[FieldError], lines: Sequence[SalesLineInput],
                field: str = "lines") -> list[PricedLine]:
    """The lines, priced; each problem is recorded in ``errors`` at ``lines.<i>.<attr>``
    (one statement for all the products)."""
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field=field))
        return []
    if len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field=field,
                                 max=MAX_LINES))
        return []
    wanted = {line.product_id for line in lines if isinstance(line.product_id, int)}
    products = {p.id: p for p in session.execute(
        select(Product.id, Product.code, Product.name, Product.list_price, Product.tax_rate)
        .where(Product.id.in_(wanted)))} if wanted else {}
    priced = []
    for i, line in enumerate(lines):
        at = (field, str(i))
        before = len(errors)
        product = products.get(line.product_id) if line.product_id is not None else None
        if line.product_id is None:
            errors.append(FieldError("REQUIRED", _("Choose a product"), field=(*at, "product")))
        elif product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"), field=(*at, "product")))
        price = line.unit_price
        if price is None:
            price = product.list_price if product is not None else Decimal(0)
        rate = line.tax_rate
        if rate is None:
            rate = product.tax_rate if product is not None else DEFAULT_TAX_RATE
        values = check_line_values(errors, at, quantity=line.quantity, unit_price=price,
                                   tax_rate=rate)
        description = check_text(errors, line.description, (*at, "description"),
                                 max_length=200)
        if len(errors) > before or product is None or values is None:
            continue
        quantity, price, rate = values
        amount, tax, total = line_amounts(quantity, price, rate)
        priced.append(PricedLine(product_id=product.id, description=description or product.name,
                                 quantity=quantity, unit_price=price, tax_rate=rate,
                                 amount=amount, tax=tax, total=total))
    return priced


def totals(lines: Sequence[PricedLine] | Sequence[Any]) -> tuple[Decimal, Decimal, Decimal]:
    """``(untaxed, tax, total)`` of a document: the sums of its lines."""
    return (sum((line.amount for line in lines), Decimal(0)),
            sum((line.tax for line in lines), Decimal(0)),
            sum((line.total for line in lines), Decimal(0)))


def open_total(quantity: Decimal, done: Decimal, unit_price: Decimal, tax_rate: Decimal,
               total: Decimal) -> Decimal:
    """The total (with tax) of what is left of a line once ``done`` of it happened —
    the line's own total while nothing happened, so nothing is rounded twice."""
    if done <= 0:
        return total
    left = quantity - done
    if left <= 0:
        return Decimal(0)
    return line_amounts(left, unit_price, tax_rate)[2]
