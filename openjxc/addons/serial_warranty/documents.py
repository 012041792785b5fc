"""The warranty card (保修卡), served at ``/reports/warranty_card/{warranty id}.pdf``; the
template is ``templates/warranty/warranty_card.html`` in this addon, on base_jxc's
letterhead helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.documents import blocks
from openjxc.addons.base_jxc.documents.printing import template_helpers
from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.env import Environment
from openjxc.core.i18n import LazyString, _
from openjxc.core.reports import Report

from .api_common import READ
from .models import Warranty, WarrantyExtension
from .warranties import warranty_status

#: The card's fixed words (the Chinese a card uses beside each, for the translator).
LABELS: dict[str, LazyString] = {
    "warranty_card": _("Warranty Card"),  # 保修卡
    "serial_number": _("Serial number"),  # 序列号
    "product": _("Product"),  # 产品
    "model": _("Model"),  # 型号
    "customer": _("Customer"),  # 客户
    "sales_order": _("Sales order"),  # 销售订单
    "delivered_on": _("Delivered on"),  # 交货日期
    "installed_on": _("Installed on"),  # 安装日期
    "start_date": _("Warranty from"),  # 保修起始
    "end_date": _("Warranty until"),  # 保修截止
    "months": _("Term (months)"),  # 保修期（月）
    "covers": _("Covers"),  # 保修范围
    "parts": _("Parts"),  # 配件
    "labour": _("Labour"),  # 人工
    "extensions": _("Extensions"),  # 续保记录
    "sold_on": _("Sold on"),  # 续保日期
    "status": _("Status"),  # 状态
    "terms": _("Keep this card: show it with the serial number when you ask for service "
               "under warranty."),  # 请妥善保管本卡……
}
STATUS_LABELS: dict[str, LazyString] = {
    "void": _("Void"), "expired": _("Expired"), "expiring": _("Expiring"),
    "extended": _("Extended"), "active": _("Active"),
}


def load_warranty_card(session: Session, id: int, env: Environment,
                       ) -> Mapping[str, Any] | None:
    """保修卡: the unit, its customer, the warranty's terms, dates and extensions."""
    warranty = session.get(Warranty, id)
    if warranty is None:
        return None
    unit = session.execute(
        select(SerialNumber.number, Product.code, Product.name, Product.model)
        .join(Product, Product.id == SerialNumber.product_id)
        .where(SerialNumber.id == warranty.serial_id)).one()
    order_number = session.scalar(select(SalesOrder.number)
                                  .join(SalesDelivery, SalesDelivery.order_id == SalesOrder.id)
                                  .where(SalesDelivery.id == warranty.delivery_id))
    extensions = list(session.scalars(select(WarrantyExtension)
                                      .where(WarrantyExtension.warranty_id == id)
                                      .order_by(WarrantyExtension.id)))
    return {
        "labels": LABELS,
        "status": STATUS_LABELS[warranty_status(warranty, business_today(session))],
        "company": blocks.company(session),
        "customer": blocks.party(session, warranty.customer_id),
        "unit": {"number": unit.number, "code": unit.code, "name": unit.name,
                 "model": unit.model},
        "order_number": order_number or "",
        "warranty": warranty, "extensions": extensions, **template_helpers(env),
        "title": LABELS["warranty_card"],
    }


def reports() -> list[Report]:
    return [Report("warranty_card", "warranty/warranty_card.html", READ,
                   load=load_warranty_card, title="Warranty Card")]
