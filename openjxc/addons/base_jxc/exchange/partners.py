"""Importing customers and suppliers: one partner per row, with one contact and address.

Rows go through :func:`~..partners.services.create_partner` (unique codes, 统一社会信用代码
check digit, credit limits only for who may set them); its errors come back at the row
and the column they concern.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openjxc.core.errors import ValidationFailed

from ..partners.services import AddressInput, ContactInput, PartnerInput, create_partner
from .columns import Column, Columns, Row, rows
from .context import ImportContext
from .readers import Sheet

COLUMNS = Columns([
    Column("code", "编码", ("code", "客户编码", "供应商编码", "往来单位编码", "partner code"),
           required=True),
    Column("name", "名称", ("name", "客户名称", "供应商名称", "单位名称", "partner name"),
           required=True),
    Column("kind", "类型", ("kind", "type", "往来类型", "客户/供应商")),
    Column("credit_code", "统一社会信用代码", ("credit code", "信用代码", "税号")),
    Column("tax_bank", "开户行", ("bank", "开户银行", "tax bank")),
    Column("tax_account", "银行账号", ("account", "账号", "tax account")),
    Column("tax_address", "开票地址", ("tax address", "注册地址")),
    Column("tax_phone", "开票电话", ("tax phone", "注册电话")),
    Column("payment_terms_days", "账期", ("payment terms days", "账期天数", "付款天数")),
    Column("payment_terms_note", "付款条件", ("payment terms", "结算方式")),
    Column("credit_limit", "信用额度", ("credit limit",)),
    Column("note", "备注", ("note", "notes")),
    Column("contact", "联系人", ("contact", "contact name")),
    Column("mobile", "手机", ("mobile", "手机号")),
    Column("phone", "电话", ("phone", "联系电话")),
    Column("email", "邮箱", ("email", "e-mail", "电子邮件")),
    Column("address", "地址", ("address", "收货地址", "送货地址")),
    Column("province", "省", ("province", "省份")),
    Column("city", "市", ("city", "城市")),
    Column("district", "区", ("district", "区县")),
])

KINDS = {"客户": "customer", "customer": "customer", "供应商": "supplier",
         "supplier": "supplier", "客户及供应商": "both", "客户和供应商": "both", "两者": "both",
         "both": "both"}
#: Kind → (is_customer, is_supplier).
FLAGS = {"customer": (True, False), "supplier": (False, True), "both": (True, True)}

FIELDS = {"code": "code", "name": "name", "kind": "kind", "creditCode": "credit_code",
          "taxBank": "tax_bank", "taxAccount": "tax_account", "taxAddress": "tax_address",
          "taxPhone": "tax_phone", "paymentTermsDays": "payment_terms_days",
          "paymentTermsNote": "payment_terms_note", "creditLimit": "credit_limit",
          "note": "note", "contacts.0.name": "contact", "contacts.0.mobile": "mobile",
          "contacts.0.phone": "phone", "contacts.0.email": "email",
          "addresses.0.address": "address", "addresses.0.province": "province",
          "addresses.0.city": "city", "addresses.0.district": "district"}


def import_partners(session: Session, sheet: Sheet, context: ImportContext) -> int:
    """Create a partner for every row; the number created."""
    layout = COLUMNS.layout(sheet, context.errors)
    if context.errors:
        return 0
    created = 0
    for row in rows(sheet, layout, COLUMNS, context.errors):
        data = _partner_input(row)
        if data is None:
            continue
        try:
            with session.begin_nested():
                create_partner(session, data, may_manage_credit=context.may_manage_credit)
        except ValidationFailed as exc:
            row.service_errors(exc.errors, FIELDS)
            continue
        created += 1
    return created


def _partner_input(row: Row) -> PartnerInput | None:
    before = len(row.errors)
    kind = row.choice("kind", KINDS, "customer")
    is_customer, is_supplier = FLAGS[kind or "customer"]
    contacts = []
    if any(row.given(k) for k in ("contact", "mobile", "phone", "email")):
        contacts.append(ContactInput(name=row.text("contact"), mobile=row.text("mobile"),
                                     phone=row.text("phone"), email=row.text("email"),
                                     is_primary=True))
    addresses = []
    if any(row.given(k) for k in ("address", "province", "city", "district")):
        addresses.append(AddressInput(kind="shipping", address=row.text("address"),
                                      province=row.text("province"), city=row.text("city"),
                                      district=row.text("district"), is_primary=True))
    data = PartnerInput(
        code=row.text("code"), name=row.text("name"), is_customer=is_customer,
        is_supplier=is_supplier, credit_code=row.text("credit_code") or None,
        tax_bank=row.text("tax_bank"), tax_account=row.text("tax_account"),
        tax_address=row.text("tax_address"), tax_phone=row.text("tax_phone"),
        payment_terms_days=row.integer("payment_terms_days", 0) or 0,
        payment_terms_note=row.text("payment_terms_note"),
        credit_limit=row.decimal("credit_limit"), note=row.text("note"),
        contacts=contacts, addresses=addresses)
    return data if len(row.errors) == before else None
