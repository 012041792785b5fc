"""Completing an order (and billing what is not covered) and closing it with the
customer's feedback.

Completing bills, as one receivable invoice through base_jxc's ``create_invoice``
(``origin_type="service.order"``): the parts at the list price they had when fitted
unless the order covers parts, and the labour hours at the type's rate (one line without
product per rate) unless it covers labour.  A fully covered order — or one with nothing
to bill — gets no invoice.  :class:`~.events.ServiceOrderCompleted` follows, in the same
transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from .events import ServiceOrderClosed, ServiceOrderCompleted
from .models import CLOSED, DONE, IN_PROGRESS, ServiceLabour, ServiceOrder, ServicePart
from .orders import advance, load_order, order_devices
from .records import is_web_url

ORIGIN = "service.order"
PART_SOURCE = "ServicePart"
#: A signature drawn on the phone, sent inline (PNG, JPEG, GIF or WebP; never SVG, which
#: may carry scripts).
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
MAX_SIGNATURE = 700_000
MAX_URL = 1000


def complete_order(session: Session, order_id: object, *, user_id: int | None = None,
                   ) -> ServiceOrder:
    """in progress → done; bills what is not covered (see the module docstring)."""
    order = load_order(session, order_id)
    with session.begin_nested():  # a refused invoice leaves the order in progress
        advance(session, order, (IN_PROGRESS,), DONE, completed_at=utcnow(),
                completed_on=business_today(session))
        lines = billable_lines(session, order)
        if lines:
            invoice = create_invoice(session, partner_id=order.customer_id,
                                     direction="receivable", lines=lines,
                                     origin_type=ORIGIN, origin_id=order.id,
                                     note=order.number, user_id=user_id)
            order.invoice_id = invoice.id
            session.flush()
        serials = tuple(d.serial_id for d in order_devices(session, [order.id])[order.id]
                        if d.serial_id is not None)
        assert order.completed_on is not None
        publish(session, ServiceOrderCompleted(
            order_id=order.id, number=order.number, type=order.type,
            customer_id=order.customer_id, serial_ids=serials,
            completed_on=order.completed_on))
    return order


def billable_lines(session: Session, order: ServiceOrder) -> list[InvoiceLineInput]:
    """What the customer pays for: uncovered parts, then uncovered labour."""
    lines: list[InvoiceLineInput] = []
    if not order.covers_parts:
        for part, name in session.execute(
                select(ServicePart, Product.name).join(Product,
                                                       Product.id == ServicePart.product_id)
                .where(ServicePart.order_id == order.id).order_by(ServicePart.id)):
            lines.append(InvoiceLineInput(
                product_id=part.product_id, description=name[:200], quantity=part.quantity,
                unit_price=part.unit_price, tax_rate=part.tax_rate,
                source_type=PART_SOURCE, source_id=part.id))
    if not order.covers_labour:
        hours: dict[tuple[Decimal, Decimal], Decimal] = defaultdict(Decimal)
        for rate, tax_rate, worked in session.execute(
                select(ServiceLabour.rate, ServiceLabour.tax_rate, ServiceLabour.hours)
                .where(ServiceLabour.order_id == order.id).order_by(ServiceLabour.id)):
            hours[(rate, tax_rate)] += worked
        for (rate, tax_rate), worked in hours.items():
            lines.append(InvoiceLineInput(
                product_id=None, description=f"{order.number} 人工费 Labour",
                quantity=worked, unit_price=rate, tax_rate=tax_rate))
    return lines


def check_signature(errors: list[FieldError], url: object) -> str:
    """An http(s) URL, or an inline ``data:image/…;base64,`` picture; "" for none."""
    if url is None or url == "":
        return ""
    if not isinstance(url, str):
        errors.append(FieldError("INVALID", _("Must be text"), field="signatureUrl"))
        return ""
    text = url.strip()
    if text.startswith("data:"):
        if len(text) > MAX_SIGNATURE or not DATA_IMAGE.match(text):
            errors.append(FieldError(
                "INVALID_URL", _("A signature is an http(s) URL or a PNG, JPEG, GIF or WebP "
                                 "data: URL"), field="signatureUrl"))
            return ""
        return text
    checked = check_text(errors, text, "signatureUrl", max_length=MAX_URL)
    if checked and not is_web_url(checked):
        errors.append(FieldError(
            "INVALID_URL", _("A signature is an http(s) URL or a PNG, JPEG, GIF or WebP "
                             "data: URL"), field="signatureUrl"))
        return ""
    return checked


def close_order(session: Session, order_id: object, *, rating: int | None = None,
                comment: str = "", signature_url: str = "",
                user_id: int | None = None) -> ServiceOrder:
    """done → closed, with the customer's rating (1–5), comment and signature."""
    errors: list[FieldError] = []
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)
                               or not 1 <= rating <= 5):
        errors.append(FieldError("INVALID", _("The rating is a whole number from 1 to 5"),
                                 field="rating"))
    comment = check_text(errors, comment, "comment", max_length=1000)
    signature = check_signature(errors, signature_url)
    if errors:
        raise ValidationFailed(errors)
    order = load_order(session, order_id)
    advance(session, order, (DONE,), CLOSED, closed_at=utcnow(), rating=rating,
            feedback=comment, signature_url=signature)
    publish(session, ServiceOrderClosed(order_id=order.id, rating=rating))
    return order
