"""Supplier invoices for purchase orders: what was received and kept is billed once, through
invoicing, whoever posts the invoice; credit notes give it back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from test_purchase_support import (
    approved_order,
    arrival,
    codes,
    create_order,
    line,
    order_lines,
    purchase_templates,
    receive,
    refused,
    run,
    world,
)
from trading_support import TradingWorld

from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.purchase import services

__all__ = ["purchase_templates", "world"]


def _bill(world: TradingWorld, order_id: int, *lines: tuple[int, str | None],
          **kwargs: Any) -> Any:
    return lambda s: services.invoice_purchase_order(
        s, order_id, lines=[services.InvoiceQuantity(i, None if q is None else Decimal(q))
                            for i, q in lines] or None, **kwargs)


def test_the_supplier_bills_what_was_received_and_kept(world: TradingWorld) -> None:
    order = approved_order(world, line(world, "PLAIN", 10, "60"), line(world, "PLAIN2", 4, "150"))
    plain, plain2 = (x.id for x in order_lines(world, order))
    assert refused(world, _bill(world, order)) == [("NOTHING_TO_INVOICE", ("id",))]
    receive(world, order, arrival(plain, 7, rejected_quantity=1, reject_reason="锈蚀"))
    first = run(world, lambda s: _bill(world, order, external_number="04512345",
                                       user_id=3)(s).id)
    with world.uow(readonly=True) as session:
        invoice = session.get_one(Invoice, first)
        (billed,) = session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == first))
        assert (invoice.direction, invoice.kind, invoice.partner_id, invoice.origin_type,
                invoice.origin_id, invoice.external_number) == (
            "payable", "invoice", world.partners["S1"], "purchase.order", order, "04512345")
        assert invoice.number.startswith("CGFP-")
        assert invoice.due_date == invoice.invoice_date + timedelta(days=30)
        assert (billed.source_type, billed.source_id, billed.quantity, billed.unit_price,
                billed.amount, billed.tax, billed.total) == (
            "PurchaseOrderLine", plain, Decimal(6), Decimal(60), Decimal("360.00"),
            Decimal("46.80"), Decimal("406.80"))
        assert invoice.amount_total == Decimal("406.80")
    assert order_lines(world, order)[0].invoiced_quantity == 6
    assert refused(world, _bill(world, order)) == [("NOTHING_TO_INVOICE", ("id",))]
    # Four more arrive, one goes back: three are left to bill.
    receive(world, order, arrival(plain, 4), arrival(plain2, 4))
    run(world, lambda s: services.create_purchase_return(s, lines=[
        services.PurchaseReturnLineInput(quantity=Decimal(1), order_line_id=plain)]))
    assert refused(world, _bill(world, order, (plain, "4"), (plain2, "0"), (plain, "1"),
                                (999, None))) == [
        ("OVER_INVOICED", ("lines", "0", "quantity")),
        ("INVALID_QUANTITY", ("lines", "1", "quantity")),
        ("INVALID", ("lines", "2", "orderLineId")),
        ("NOT_FOUND", ("lines", "3", "orderLineId"))]
    run(world, _bill(world, order, (plain, "2"), (plain2, None)))
    assert [(x.invoiced_quantity) for x in order_lines(world, order)] == [8, 4]
    # A closed order can still be billed for what it received.
    run(world, lambda s: services.close_purchase_order(s, order))
    run(world, _bill(world, order))
    assert order_lines(world, order)[0].invoiced_quantity == 9
    draft = create_order(world, line(world, "PLAIN", 1))
    assert refused(world, _bill(world, draft)) == [("INVALID_STATE", ("id",))]


def test_invoices_posted_elsewhere_keep_the_count_and_are_refused_beyond_it(
        world: TradingWorld) -> None:
    order = approved_order(world, line(world, "PLAIN", 10, "60"), supplier="CS")
    plain = order_lines(world, order)[0].id
    receive(world, order, arrival(plain, 5))

    def post(quantity: str, *, partner: str = "CS", direction: str = "payable",
             kind: str = "invoice") -> Any:
        return lambda s: create_invoice(s, partner_id=world.partners[partner],
                                        direction=direction, kind=kind, lines=[
            InvoiceLineInput(product_id=world.products["PLAIN"], description="",
                             quantity=Decimal(quantity), unit_price=Decimal(60),
                             tax_rate=Decimal("0.13"), source_type="PurchaseOrderLine",
                             source_id=plain)])

    assert refused(world, post("6")) == [("OVER_INVOICED", ("lines", "0", "quantity"))]
    assert refused(world, post("1", partner="S1")) == [("INVALID", ("lines", "0",
                                                                    "sourceLineId"))]
    assert refused(world, post("1", direction="receivable")) == [
        ("INVALID", ("lines", "0", "sourceLineId"))]
    run(world, post("5"))
    assert order_lines(world, order)[0].invoiced_quantity == 5
    assert refused(world, post("6", kind="credit_note")) == [
        ("OVER_INVOICED", ("lines", "0", "quantity"))]
    run(world, post("2", kind="credit_note"))
    assert order_lines(world, order)[0].invoiced_quantity == 3
    assert codes(refused(world, lambda s: create_invoice(
        s, partner_id=world.partners["CS"], direction="payable", lines=[
            InvoiceLineInput(product_id=None, description="运费", quantity=Decimal(1),
                             unit_price=Decimal(1), tax_rate=Decimal(0),
                             source_type="PurchaseOrderLine", source_id=424242)]))) == [
        "NOT_FOUND"]
