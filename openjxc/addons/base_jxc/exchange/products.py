"""Importing the product master: one product per row through the catalog's own service.

Every row goes through :func:`~..catalog.services.create_product`, so an imported product
obeys exactly the rules of one typed into the form (code templates, unique codes and
barcodes, attribute types); the service's errors come back at the row and column.
Attribute values come from ``属性:key`` (or ``attr:key``) columns.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import ValidationFailed

from ..catalog.models import Category
from ..catalog.services import ProductInput, create_product
from .columns import Column, Columns, Row, rows
from .context import ImportContext
from .readers import Sheet

COLUMNS = Columns([
    Column("code", "编码", ("code", "产品编码", "商品编码", "物料编码", "product code")),
    Column("name", "名称", ("name", "品名", "产品名称", "商品名称", "product name"),
           required=True),
    Column("category", "分类", ("category", "分类编码", "类别", "category code"),
           required=True),
    Column("model", "型号", ("model",)),
    Column("spec", "规格", ("spec", "specification", "规格型号说明")),
    Column("brand", "品牌", ("brand",)),
    Column("unit", "单位", ("unit", "计量单位")),
    Column("barcode", "条码", ("barcode", "条形码")),
    Column("tracking", "跟踪方式", ("tracking", "管理方式")),
    Column("tax_rate", "税率", ("tax rate", "增值税率")),
    Column("list_price", "售价", ("list price", "销售价", "零售价", "标价", "price")),
    Column("standard_price", "标准价", ("standard price", "标准进价", "参考进价")),
    Column("safety_stock", "安全库存", ("safety stock",)),
    Column("shelf_life_days", "保质期", ("shelf life", "shelf life days", "保质期天数")),
    Column("default_supplier", "默认供应商", ("default supplier", "供应商编码")),
    Column("lead_time_days", "采购提前期", ("lead time", "lead time days", "提前期")),
    Column("description", "描述", ("description", "说明", "备注", "note")),
], attributes=True)

TRACKING = {"无": "none", "none": "none", "不跟踪": "none", "批次": "batch", "batch": "batch",
            "批号": "batch", "序列号": "serial", "serial": "serial", "sn": "serial",
            "序列": "serial"}

#: The service's field names → this file's column keys.
FIELDS = {"code": "code", "name": "name", "categoryCode": "category", "model": "model",
          "spec": "spec", "brand": "brand", "unit": "unit", "barcode": "barcode",
          "tracking": "tracking", "taxRate": "tax_rate", "listPrice": "list_price",
          "standardPrice": "standard_price", "safetyStock": "safety_stock",
          "shelfLifeDays": "shelf_life_days", "defaultSupplierCode": "default_supplier",
          "leadTimeDays": "lead_time_days", "description": "description"}


def import_products(session: Session, sheet: Sheet, context: ImportContext) -> int:
    """Create a product for every row; the number created (all rows, or errors)."""
    layout = COLUMNS.layout(sheet, context.errors)
    if context.errors:
        return 0
    categories = _category_codes(session)
    created = 0
    for row in rows(sheet, layout, COLUMNS, context.errors):
        data = _product_input(row, categories)
        if data is None:
            continue
        try:
            with session.begin_nested():
                create_product(session, data)
        except ValidationFailed as exc:
            row.service_errors(exc.errors, FIELDS)
            continue
        created += 1
    return created


def _category_codes(session: Session) -> dict[str, str]:
    """Category code or (unambiguous) name → code, as people write either."""
    found: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    for code, name in session.execute(select(Category.code, Category.name)):
        found[code] = code
        names.setdefault(name, []).append(code)
    for name, codes in names.items():
        if len(codes) == 1:
            found.setdefault(name, codes[0])
    return found


def _product_input(row: Row, categories: dict[str, str]) -> ProductInput | None:
    before = len(row.errors)
    category = row.text("category")
    tracking = row.choice("tracking", TRACKING, "none")
    data = ProductInput(
        code=row.text("code") or None, name=row.text("name"),
        category_code=categories.get(category, category),
        model=row.text("model"), spec=row.text("spec"), brand=row.text("brand"),
        unit=row.text("unit", "台"), barcode=row.text("barcode") or None,
        tracking=tracking or "none",
        tax_rate=_or(row.decimal("tax_rate", percent=True), Decimal("0.13")),
        list_price=_or(row.decimal("list_price"), Decimal(0)),
        standard_price=_or(row.decimal("standard_price"), Decimal(0)),
        safety_stock=_or(row.decimal("safety_stock"), Decimal(0)),
        shelf_life_days=row.integer("shelf_life_days"),
        default_supplier_code=row.text("default_supplier") or None,
        lead_time_days=row.integer("lead_time_days", 0) or 0,
        description=row.text("description"), attributes=row.attributes())
    return data if len(row.errors) == before else None


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value
