"""The purchase chapter's services, in one place for the API, the CLI, tests and the later
chapters (planning turns suggestions into orders with :func:`create_purchase_order`).

The work is done in modules along the business's own steps: :mod:`.requisitions`
(请购), :mod:`.orders` (create, approve, cancel, close), :mod:`.receiving` (receipts with
inspection), :mod:`.returns` (purchase returns) and :mod:`.billing` (supplier invoices)::

    order = create_purchase_order(session, supplier_id=s1, warehouse_id=wh1, lines=[
        PurchaseLineInput(product_id=motor, quantity=Decimal(3))], user_id=buyer)
    approve_purchase_order(session, order.id, user_id=manager)
    receive_purchase_order(session, order.id, user_id=clerk, lines=[
        ReceiptLineInput(order_line_id=line_id, quantity=Decimal(3),
                         serials=["YE3-0001..0003"])])
    invoice_purchase_order(session, order.id, user_id=accountant)
"""

from __future__ import annotations

from .billing import InvoiceQuantity, billable, invoice_purchase_order, on_invoice_posted
from .orders import (
    PurchaseLineInput,
    approve_purchase_order,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    last_prices,
    lock_order,
    order_lines,
)
from .receiving import ReceiptLineInput, receive_purchase_order
from .requisitions import (
    RequisitionLineInput,
    approve_requisition,
    cancel_requisition,
    create_requisition,
    reject_requisition,
    requisition_lines,
)
from .returns import PurchaseReturnLineInput, create_purchase_return

__all__ = [
    "InvoiceQuantity",
    "PurchaseLineInput",
    "PurchaseReturnLineInput",
    "ReceiptLineInput",
    "RequisitionLineInput",
    "approve_purchase_order",
    "approve_requisition",
    "billable",
    "cancel_purchase_order",
    "cancel_requisition",
    "close_purchase_order",
    "create_purchase_order",
    "create_purchase_return",
    "create_requisition",
    "invoice_purchase_order",
    "last_prices",
    "lock_order",
    "on_invoice_posted",
    "order_lines",
    "receive_purchase_order",
    "reject_requisition",
    "requisition_lines",
]
