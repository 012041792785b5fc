"""Warranty extensions (续保): sold for a unit, billed through base_jxc's invoicing.

    extension = extend_warranty(session, serial_id, 12, Decimal("800.00"),
                                Decimal("0.13"), user_id)

The end moves by the months sold from the current end, or — when the warranty had
already expired on the sale day — a fresh term runs from the sale day
(:func:`~.months.extended_end`).  The extension is billed on one receivable invoice
line for the customer of the warranty: no product, described "续保 N 个月 — <serial>",
``source_type="WarrantyExtension"``.  A void warranty cannot be extended.

Error codes: ``INVALID``, ``NOT_FOUND``, ``WARRANTY_VOID`` and whatever
``create_invoice`` raises (``REQUIRED``, ``INVALID_QUANTITY`` …).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.amounts import check_line_values
from openjxc.addons.base_jxc.invoicing.models import RECEIVABLE
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from .events import WarrantyExtended
from .models import Warranty, WarrantyExtension
from .months import add_months, expiring_from, extended_end, months_left
from .policies import MAX_MONTHS

SOURCE_TYPE = "WarrantyExtension"
ORIGIN_TYPE = "warranty.extension"
CENT = Decimal("0.01")
#: The last sale day a fresh term of the longest extension still ends within the calendar.
LAST_SALE_DAY = add_months(date.max, -MAX_MONTHS)


def extend_warranty(session: Session, serial_id: int | None, months: int,
                    price: Decimal, tax_rate: Decimal | None = None,
                    user_id: int | None = None, *, on: date | None = None,
                    ) -> WarrantyExtension:
    """Sell ``months`` more of the unit's live warranty at ``price`` (tax excluded;
    ``tax_rate`` defaults to the product's), on ``on`` (default: today); the extension,
    with the invoice that bills it."""
    errors: list[FieldError] = []
    if isinstance(months, bool) or not isinstance(months, int) or not 0 < months <= MAX_MONTHS:
        errors.append(FieldError("INVALID", _("Months must be between 1 and {max}"),
                                 field="months", max=MAX_MONTHS))
    day = business_today(session) if on is None else on
    if not isinstance(day, date):
        errors.append(FieldError("INVALID", _("Give the sale date"), field="soldOn"))
    found = session.execute(
        select(SerialNumber.number, Product.tax_rate)
        .join(Product, Product.id == SerialNumber.product_id)
        .where(SerialNumber.id == serial_id)).first() if serial_id else None
    warranty: Warranty | None = None
    if found is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number"), field="serialId"))
    else:
        warranty = session.scalars(
            select(Warranty).where(Warranty.serial_id == serial_id)
            .order_by(Warranty.voided_on.is_(None).desc(), Warranty.id.desc())
            .limit(1).with_for_update()).first()  # two sales at once both count
        if warranty is None:
            errors.append(FieldError("NOT_FOUND", _("Serial number {number} has no warranty"),
                                     field="serialId", number=found.number))
        elif warranty.voided_on is not None:
            errors.append(FieldError("WARRANTY_VOID",
                                     _("The warranty of {number} is void and cannot be "
                                       "extended"), field="serialId", number=found.number))
        elif isinstance(day, date):
            _check_dates(errors, warranty, months, day)
    default_rate = found.tax_rate if found is not None else Decimal(0)
    rate = default_rate if tax_rate is None else tax_rate
    money = check_decimal(errors, price, "price", places=2)  # billed as it is stored
    values = check_line_values(errors, (), quantity=Decimal(1),
                               unit_price=money if money is not None else Decimal(0),
                               tax_rate=rate, price_field="price")
    if errors:
        raise ValidationFailed(errors)
    assert warranty is not None and found is not None and values is not None
    assert isinstance(day, date)
    assert money is not None
    unit_price, checked_rate = money.quantize(CENT), values[2]
    with session.begin_nested():  # an invoice refused leaves the warranty as it was
        previous = warranty.end_date
        extension = WarrantyExtension(
            warranty_id=warranty.id, months=months, price=unit_price, sold_on=day,
            previous_end_date=previous, new_end_date=extended_end(previous, months, day),
            created_by_id=user_id)
        session.add(extension)
        session.flush()
        invoice = create_invoice(
            session, partner_id=warranty.customer_id, direction=RECEIVABLE,
            invoice_date=day, origin_type=ORIGIN_TYPE, origin_id=extension.id,
            user_id=user_id, field="price",
            lines=[InvoiceLineInput(
                product_id=None, description=f"续保 {months} 个月 — {found.number}",
                quantity=Decimal(1), unit_price=unit_price, tax_rate=checked_rate,
                source_type=SOURCE_TYPE, source_id=extension.id)])
        extension.invoice_id = invoice.id
        warranty.end_date = extension.new_end_date
        warranty.expiring_from = expiring_from(warranty.end_date, warranty.alert_days)
        session.flush()
        publish(session, WarrantyExtended(
            warranty_id=warranty.id, serial_id=warranty.serial_id, extension_id=extension.id,
            invoice_id=invoice.id, end_date=warranty.end_date))
    return extension


def _check_dates(errors: list[FieldError], warranty: Warranty, months: object,
                 day: date) -> None:
    """An extension is sold from the unit's delivery on (not before there was a warranty,
    nor so late that its end falls off the calendar — year 9999 — which would fail)."""
    if not warranty.delivered_on <= day <= LAST_SALE_DAY:
        errors.append(FieldError("INVALID", _("The sale date must lie between the delivery "
                                               "on {delivered} and {last}"), field="soldOn",
                                 delivered=warranty.delivered_on, last=LAST_SALE_DAY))
    elif (isinstance(months, int) and 0 < months <= MAX_MONTHS
          and day <= warranty.end_date and months > months_left(warranty.end_date)):
        errors.append(FieldError("INVALID", _("Months must be between 1 and {max}"),
                                 field="months", max=months_left(warranty.end_date)))
