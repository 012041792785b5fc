"""Invoicing what was delivered (and never more, whoever creates the invoice), credit notes
on order lines, returns recorded for the returns chapter, and the margins they leave."""

from __future__ import annotations

from sqlalchemy import select
from stock_support import D
from test_sales_support import SalesWorld, sales

from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.sales import services
from openjxc.addons.base_jxc.sales.api_common import rate_of, revenue_of

__all__ = ["sales"]


def source_line(sales: SalesWorld, line_id: int, quantity: str, customer: str = "C1",
                kind: str = "invoice") -> list[tuple[str, tuple[str, ...]]] | int:
    """Invoice one order line directly through invoicing; the invoice id or the errors."""
    def action(session: object) -> int:
        return create_invoice(session, partner_id=sales.world.partners[customer],  # type: ignore[arg-type]
                              direction="receivable", kind=kind,
                              lines=[InvoiceLineInput(
                                  product_id=None, description="货款", quantity=D(quantity),
                                  unit_price=D(100), tax_rate=D("0.13"),
                                  source_type="SalesOrderLine", source_id=line_id)]).id
    try:
        return sales.call(action)  # type: ignore[no-any-return]
    except Exception as exc:
        return [(e.code, e.field) for e in getattr(exc, "errors", [])]


def test_invoicing_follows_deliveries(sales: SalesWorld) -> None:
    order_id = sales.order(("PLAIN", 10, "100"), ("SER", 2, "3000"))
    assert sales.refused(services.invoice_sales_order, order_id) == [
        ("INVALID_STATE", ("id",))]
    sales.confirm(order_id)
    assert sales.refused(services.invoice_sales_order, order_id) == [
        ("NOTHING_TO_INVOICE", ("lines",))]
    plain, ser = sales.line_ids(order_id)
    sales.call(services.deliver_sales_order, order_id,
               lines=[services.DeliveryLineInput(plain, D(6)),
                      services.DeliveryLineInput(ser, D(1))])
    invoice = sales.call(services.invoice_sales_order, order_id, external_number="0001234")
    with sales.uow() as session:
        row = session.get(Invoice, invoice.id)
        assert row is not None
        assert (row.partner_id, row.direction, row.origin_type, row.origin_id,
                row.amount_total, row.external_number) == (
            sales.world.partners["C1"], "receivable", "sales.order", order_id,
            D("4068.00"), "0001234")  # (600 + 3000) × 1.13
        assert [(r.source_type, r.source_id, r.quantity, r.unit_price) for r in session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position))] == [
            ("SalesOrderLine", plain, D(6), D(100)), ("SalesOrderLine", ser, D(1), D(3000))]
    assert [r.invoiced_quantity for r in sales.line_rows(order_id)] == [D(6), D(1)]
    assert sales.refused(services.invoice_sales_order, order_id) == [
        ("NOTHING_TO_INVOICE", ("lines",))]
    sales.call(services.deliver_sales_order, order_id)
    assert sales.refused(services.invoice_sales_order, order_id, lines=[
        services.InvoiceQuantityInput(plain, D(5)), services.InvoiceQuantityInput(plain, D(1)),
        services.InvoiceQuantityInput(ser, D(0)),
        services.InvoiceQuantityInput(999_999)]) == [
        ("OVER_INVOICED", ("lines", "0", "quantity")), ("INVALID", ("lines", "1", "orderLine")),
        ("INVALID_QUANTITY", ("lines", "2", "quantity")),
        ("NOT_FOUND", ("lines", "3", "orderLine"))]
    sales.call(services.invoice_sales_order, order_id,
               lines=[services.InvoiceQuantityInput(plain, D(3))])
    assert [r.invoiced_quantity for r in sales.line_rows(order_id)] == [D(9), D(1)]
    # invoiceCreate naming an order line is held to the same rule, and to the customer.
    assert source_line(sales, plain, "2") == [("OVER_INVOICED", ("lines", "0", "quantity"))]
    assert source_line(sales, plain, "1", customer="C2") == [
        ("INVALID", ("lines", "0", "sourceLine"))]
    assert source_line(sales, 999_999, "1") == [("NOT_FOUND", ("lines", "0", "sourceLine"))]
    assert isinstance(source_line(sales, plain, "1"), int)
    # A credit note on an order line gives the quantity back, never below zero.
    assert isinstance(source_line(sales, ser, "1", kind="credit_note"), int)
    assert [r.invoiced_quantity for r in sales.line_rows(order_id)] == [D(10), D(0)]
    assert source_line(sales, ser, "1", kind="credit_note") == [
        ("OVER_INVOICED", ("lines", "0", "quantity"))]
    assert sales.call(services.invoice_sales_order, order_id).amount_total == D("6780.00")


def test_returns_lower_the_cost_and_the_margin(sales: SalesWorld) -> None:
    order_id = sales.order(("PLAIN", 10, "100"), ("SER", 1, "3000"))
    sales.confirm(order_id)
    sales.call(services.deliver_sales_order, order_id)
    plain, ser = sales.line_rows(order_id)
    assert (plain.delivered_cost, ser.delivered_cost) == (D("600.00"), D("2000.00"))
    margin = revenue_of(plain.delivered_quantity, plain.unit_price) - plain.delivered_cost
    assert (margin, rate_of(margin, D("1000.00"))) == (D("400.00"), D("0.4000"))
    line = sales.call(services.record_return, plain.id, D(2), D("120.00"))
    assert (line.returned_quantity, line.delivered_cost) == (D(2), D("480.00"))
    assert revenue_of(line.delivered_quantity - line.returned_quantity,
                      line.unit_price) - line.delivered_cost == D("320.00")
    assert sales.refused(services.record_return, plain.id, D(9), D(0),
                         field=("lines", "0")) == [
        ("OVER_RETURN", ("lines", "0", "quantity"))]
    assert sales.refused(services.record_return, None, D(0), D(-1)) == [
        ("INVALID", ("value",)), ("INVALID_QUANTITY", ("quantity",)),
        ("NOT_FOUND", ("orderLine",))]
    assert sales.line_rows(order_id)[0].returned_quantity == D(2)
    # What came back is not invoiced.
    invoice = sales.call(services.invoice_sales_order, order_id)
    assert invoice.amount_total == D("4294.00")  # (800 + 3000) × 1.13
    # Back at more than it left at: the cost kept is zero, never below.
    assert sales.call(services.record_return, ser.id, D(1), D("2100.00")).delivered_cost == 0
