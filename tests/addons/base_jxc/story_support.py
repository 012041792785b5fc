"""What the dealer's-day story (test_story_dealer_day.py) sends: one GraphQL document per
mutation, asking back what the story checks, and the helpers that run them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openjxc.testing.graphql import GraphQLTester


def ok(api: GraphQLTester, query: str, **input: Any) -> dict[str, Any]:
    """Run a mutation that must succeed; its payload."""
    (payload,) = api.ok(query, {"input": input}).values()
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(field, code) of a payload's errors."""
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["errors"]]


def whole(quantity: str) -> str:
    """``"3.0000"`` → ``"3"``."""
    return str(Decimal(quantity).normalize())


def mutation(name: str, input_type: str, body: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {body} "
            f"errors {{ field code message }} }} }}")


PO = """id number state amountUntaxed amountTax amountTotal approvalsRequired approvalHours
  approvals { approvedBy } lines { id }"""
PO_CREATE = mutation("purchaseOrderCreate", "PurchaseOrderCreateInput",
                      f"purchaseOrder {{ {PO} }}")
PO_APPROVE = mutation("purchaseOrderApprove", "PurchaseOrderApproveInput",
                       f"purchaseOrder {{ {PO} }}")
PO_RECEIVE = mutation("purchaseOrderReceive", "PurchaseOrderReceiveInput",
                       "purchaseOrder { state } purchaseReceipt { number lines { "
                       "acceptedQuantity rejectedQuantity rejectedTo location { code } } }")
PO_CLOSE = mutation("purchaseOrderClose", "PurchaseOrderCloseInput", "purchaseOrder { state }")
PO_INVOICE = mutation("purchaseOrderInvoice", "PurchaseOrderInvoiceInput",
                       "invoice { direction amountUntaxed amountTotal }")
PURCHASE_RETURN = mutation("purchaseReturnCreate", "PurchaseReturnCreateInput",
                            "purchaseReturn { number lines { quantity } }")
QUOTE = "id number state validUntil amountTax amountTotal"
QUOTE_CREATE = mutation("quotationCreate", "QuotationCreateInput", f"quotation {{ {QUOTE} }}")
QUOTE_SEND = mutation("quotationSend", "QuotationInput", "quotation { state }")
QUOTE_CONVERT = mutation("quotationConvert", "QuotationConvertInput",
                          "quotation { state } salesOrder { id number state quotationNumber "
                          "amountTotal }")
SO_CONFIRM = """mutation($id: ID!) { salesOrderConfirm(input: {id: $id}) {
  creditLimitExceeded salesOrder { state } errors { field code message } } }"""
SO_APPROVE = mutation("salesOrderApprove", "SalesOrderApproveInput", """salesOrder { state
  creditApprovals { orderTotal exposure creditLimit reason approvedBy } }""")
SO_DELIVER = mutation("salesOrderDeliver", "SalesOrderDeliverInput",
                       "salesDelivery { number lines { quantity serials } } "
                       "salesOrder { state }")
CREDIT = """query($code: String!) { customerCredit(customerCode: $code) {
  creditLimit openReceivables openOrders exposure available } }"""
ORDER_MARGIN = """query($n: String!) { salesOrder(number: $n) { state revenue deliveredCost
  margin marginRate lines { id deliveredQuantity returnedQuantity invoicedQuantity
  deliveredCost margin } } }"""
INVOICE_CREATE = mutation("invoiceCreate", "InvoiceCreateInput",
                           "invoice { id number dueDate amountUntaxed amountTax amountTotal }")
PAYMENT_CREATE = mutation("paymentCreate", "PaymentCreateInput",
                           "payment { number amountAllocated amountUnallocated }")
RETURN = """id code state amount salesOrderNumber creditNoteNumber lines { id }"""
RETURN_CREATE = mutation("returnCreate", "ReturnCreateInput", f"return {{ {RETURN} }}")
RETURN_RECEIVE = mutation("returnReceive", "ReturnReceiveInput", f"return {{ {RETURN} }}")
RETURN_INSPECT = mutation("returnInspect", "ReturnInspectInput", f"return {{ {RETURN} }}")
RETURN_CLOSE = mutation("returnClose", "ReturnCloseInput", f"return {{ {RETURN} }}")
