"""The service report (服务报告) PDF, zh_CN and en: ``/reports/service_report/{id}.pdf``.

The customer's signature is printed as an image only when it is an inline ``data:image``
URL (the kernel's PDF writer reads nothing else but the templates' own files); an
http(s) signature URL is printed as text and never fetched — a URL from the database must
not make the server call another host while printing (SSRF).  Costs are not printed: the
report goes to the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.documents import blocks
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.env import Environment
from openjxc.core.i18n import LazyString, Translator, _
from openjxc.core.reports import Report
from openjxc.core.security import Principal
from openjxc.core.security.models import User

from . import models
from .completion import DATA_IMAGE
from .orders import STATE_LABELS

READ = "service.order.read"

TYPE_LABELS = {"installation": _("Installation"), "repair": _("Repair"),
               "maintenance": _("Maintenance"), "inspection": _("Inspection")}
PRIORITY_LABELS = {"low": _("Low"), "normal": _("Normal"), "high": _("High"),
                   "urgent": _("Urgent")}
#: The fixed words of the report (the comment: the wording of Chinese service reports).
LABELS: dict[str, LazyString] = {
    "title": _("Service Report"),  # 服务报告
    "number": _("Service order No."),  # 工单号
    "type": _("Type"),  # 服务类型
    "priority": _("Priority"),  # 优先级
    "state": _("Status"),  # 状态
    "reported_at": _("Reported"),  # 报修时间
    "completed_at": _("Completed"),  # 完成时间
    "customer": _("Customer"),  # 客户
    "site": _("Site"),  # 服务地点
    "technician": _("Technician"),  # 服务工程师
    "description": _("Problem reported"),  # 故障描述
    "devices": _("Devices"),  # 设备
    "product": _("Product"),  # 产品
    "serial": _("Serial No."),  # 序列号
    "quantity": _("Quantity"),  # 数量
    "work": _("Work done"),  # 服务记录
    "minutes": _("Minutes"),  # 用时（分钟）
    "parts": _("Parts replaced"),  # 更换备件
    "removed": _("Removed unit"),  # 拆下件
    "labour": _("Labour hours"),  # 工时
    "coverage": _("Coverage"),  # 保修范围
    "covered_parts": _("Parts under warranty"),  # 备件保修
    "covered_labour": _("Labour under warranty"),  # 人工保修
    "billable": _("Billable"),  # 收费
    "rating": _("Customer rating"),  # 客户评分
    "feedback": _("Customer comment"),  # 客户意见
    "signature": _("Customer signature"),  # 客户签字
    "signature_link": _("Signature on file"),  # 签字文件
}


def reports() -> list[Report]:
    return [Report("service_report", "service_orders/service_report.html", READ,
                   load=load_service_report, title="Service Report")]


def load_service_report(session: Session, id: int, env: Environment, *,
                        principal: Principal | None = None) -> dict[str, Any] | None:
    """服务报告: the order, its devices, records, parts and labour, the customer's sign-off."""
    order = session.get(models.ServiceOrder, id)
    if order is None or not blocks.visible(principal, READ, None):
        return None
    devices = session.execute(
        select(Product.code, Product.name, SerialNumber.number, models.ServiceOrderDevice.quantity)
        .join(Product, Product.id == models.ServiceOrderDevice.product_id)
        .outerjoin(SerialNumber, SerialNumber.id == models.ServiceOrderDevice.serial_id)
        .where(models.ServiceOrderDevice.order_id == id)
        .order_by(models.ServiceOrderDevice.position)).all()
    records = list(session.scalars(select(models.ServiceRecord)
                                   .where(models.ServiceRecord.order_id == id)
                                   .order_by(models.ServiceRecord.id)))
    fitted = SerialNumber.__table__.alias("fitted")
    removed = SerialNumber.__table__.alias("removed")
    parts = session.execute(
        select(Product.code, Product.name, models.ServicePart.quantity,
               fitted.c.number.label("fitted"), removed.c.number.label("removed"))
        .join(Product, Product.id == models.ServicePart.product_id)
        .outerjoin(fitted, fitted.c.id == models.ServicePart.fitted_serial_id)
        .outerjoin(removed, removed.c.id == models.ServicePart.removed_serial_id)
        .where(models.ServicePart.order_id == id).order_by(models.ServicePart.id)).all()
    labour = session.execute(
        select(User.full_name, User.username, models.ServiceLabour.hours)
        .join(User, User.id == models.ServiceLabour.technician_id)
        .where(models.ServiceLabour.order_id == id).order_by(models.ServiceLabour.id)).all()
    signature = order.signature_url
    return {
        "company": blocks.company(session),
        "customer": blocks.party(session, order.customer_id, order.address_id),
        "order": order, "type": TYPE_LABELS[order.type],
        "priority": PRIORITY_LABELS[order.priority], "state": STATE_LABELS[order.state],
        "technician": blocks.user_name(session, order.assignee_id),
        "devices": devices, "records": records, "parts": parts,
        "labour": [(r.full_name or r.username, r.hours) for r in labour],
        "signature_image": signature if DATA_IMAGE.match(signature or "") else "",
        "signature_link": signature if signature and not DATA_IMAGE.match(signature) else "",
        **_helpers(env),
    }


def _helpers(env: Environment) -> dict[str, Callable[..., str]]:
    translator = Translator.for_environment(env)

    @jinja2.pass_context
    def t(context: jinja2.runtime.Context, text: str | LazyString) -> str:
        message = text if isinstance(text, LazyString) else LABELS[text]
        return message.resolve(context.get("locale"), translator)

    return {"t": t}
