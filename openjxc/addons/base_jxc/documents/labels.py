"""The fixed words of the printed documents, by key (``{{ t("unit_price") }}`` in a template).

Messages are English in the code and translated in base_jxc's catalogues like every other
text; the comment beside each is the wording Chinese documents use (for the translator).
"""

from __future__ import annotations

from openjxc.core.i18n import LazyString, _

LABELS: dict[str, LazyString] = {
    # titles
    "quotation": _("Quotation"),  # 报价单
    "sales_order": _("Sales Contract"),  # 销售合同
    "delivery_note": _("Delivery Note"),  # 送货单
    "purchase_order": _("Purchase Order"),  # 采购订单
    # document data
    "quotation_number": _("Quotation No."),  # 报价单号
    "contract_number": _("Contract No."),  # 合同编号
    "delivery_number": _("Delivery Note No."),  # 送货单号
    "purchase_number": _("Purchase Order No."),  # 采购订单号
    "quote_date": _("Quotation date"),  # 报价日期
    "valid_until": _("Valid until"),  # 有效期至
    "contract_date": _("Contract date"),  # 签订日期
    "order_date": _("Order date"),  # 订单日期
    "promised_date": _("Delivery date"),  # 交货日期
    "delivery_date": _("Shipping date"),  # 发货日期
    "expected_date": _("Required delivery date"),  # 要求到货日期
    "customer_reference": _("Customer reference"),  # 客户合同号
    "sales_order_number": _("Sales order"),  # 销售订单号
    "ship_from": _("Ship from"),  # 发货仓库
    "deliver_to": _("Deliver to"),  # 收货地址
    "payment_terms": _("Payment terms"),  # 付款方式
    "prepared_by": _("Prepared by"),  # 制单人
    "notes": _("Notes"),  # 备注
    # parties
    "customer": _("Customer"),  # 客户
    "supplier": _("Supplier"),  # 供应商
    "seller": _("Seller"),  # 卖方
    "buyer": _("Buyer"),  # 买方
    "credit_code": _("Unified social credit code"),  # 统一社会信用代码
    "tax_id": _("Taxpayer ID"),  # 纳税人识别号
    "address": _("Address"),  # 地址
    "phone": _("Phone"),  # 电话
    "contact": _("Contact"),  # 联系人
    "bank": _("Bank"),  # 开户银行
    "bank_account": _("Account No."),  # 账号
    # lines
    "line_no": _("No."),  # 序号
    "product_code": _("Product code"),  # 商品编码
    "product_name": _("Product name"),  # 商品名称
    "model_spec": _("Model / Specification"),  # 型号规格
    "unit": _("Unit"),  # 单位
    "quantity": _("Quantity"),  # 数量
    "unit_price": _("Unit price (excl. tax)"),  # 单价（不含税）
    "tax_rate": _("Tax rate"),  # 税率
    "amount": _("Amount (excl. tax)"),  # 金额（不含税）
    "tax": _("Tax"),  # 税额
    "line_total": _("Total incl. tax"),  # 价税合计
    "batch": _("Batch"),  # 批号
    "expires_on": _("Expires"),  # 有效期
    "serial_numbers": _("Serial numbers"),  # 序列号
    "location": _("Location"),  # 库位
    # totals
    "total_untaxed": _("Total excluding tax"),  # 不含税合计
    "total_tax": _("Total tax"),  # 税额合计
    "total": _("Total including tax"),  # 价税合计
    "amount_in_words": _("Total in words (RMB)"),  # 合计人民币（大写）
    # signatures
    "seal": _("Seal"),  # 盖章
    "signature": _("Signature"),  # 签字
    "date": _("Date"),  # 日期
    # 客户确认（签字盖章） / 供应商确认（签字盖章）
    "customer_confirmation": _("Customer confirmation (signature and seal)"),
    "supplier_confirmation": _("Supplier confirmation (signature and seal)"),
    "shipped_by": _("Shipped by"),  # 发货人
    "carrier": _("Carrier"),  # 承运人
    "received_by": _("Goods received in good order by"),  # 收货人签收
    # closing sentences
    # 单价不含税，税额按所列税率计算；本报价在上述有效期内有效。
    "quotation_terms": _("Prices exclude tax; tax is charged at the rate shown. This quotation "
                         "is valid until the date above."),
    # 上述货物、数量及价格经双方确认。本合同自双方签字盖章之日起生效。
    "contract_terms": _("The goods, quantities and prices above are agreed by both parties. "
                        "This contract takes effect when signed and sealed by both parties."),
    # 请当面验收；签收即确认所收数量及序列号无误。
    "delivery_terms": _("Please check the goods on receipt; the signed note confirms the "
                        "quantities and serial numbers received."),
    # 请确认本订单，按要求日期交货，并在送货单和发票上注明本订单号。
    "purchase_terms": _("Please confirm this order, deliver by the required date and quote "
                        "our order number on the delivery note and the invoice."),
}

#: What a document in a state other than its printable one says about itself (a stamp).
STATE_STAMPS: dict[str, LazyString] = {
    "draft": _("Draft"),  # 草稿
    "awaiting_approval": _("Awaiting approval"),  # 待审批
    "cancelled": _("Cancelled"),  # 已作废
    "rejected": _("Rejected"),  # 已拒绝
    "expired": _("Expired"),  # 已过期
}


def payment_terms(days: int, note: str) -> LazyString | str:
    """A partner's payment terms as printed: its own wording, else the days of credit."""
    if note:
        return note
    if days <= 0:
        return _("Cash on delivery")  # 款到发货/货到付款
    return _("{days} days after invoice", days=days)  # 发票后{days}天付款
