"""Demo rows of the Pro edition's service desk, on top of base_jxc's demo dealer.

Two technicians (刘技术 ``liu.jishu`` and 马师傅 ``ma.shifu``, role ``technician``) in team
``WX1`` with a van each (warehouses ``VAN1``/``VAN2``, stocked from the head warehouse
with spare parts), a service manager (何售后 ``he.shouhou``), pumps (category ``SB``)
flagged "needs installation" — so the next delivery of one creates an installation
order — and orders in every state on units the demo delivered: new (one of them past
its SLA), assigned, in progress, done (parts and labour invoiced), closed with the
customer's rating, cancelled.  Passwords: ``demo1234``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Category, Product
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.stock.models import (
    SerialNumber,
    StockBalance,
    Warehouse,
)
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.core.demo import DEMO_PASSWORD
from openjxc.core.env import Environment
from openjxc.core.models import utcnow
from openjxc.core.security import create_user

from .checks import serial_holders
from .completion import close_order, complete_order
from .orders import DeviceInput, assign_order, cancel_order, create_order, start_order
from .records import LabourInput, PartInput, record_work
from .settings import save_team, set_product_setting, set_technician

STAFF = {"liu": ("liu.jishu", "刘技术", "technician"), "ma": ("ma.shifu", "马师傅", "technician"),
         "he": ("he.shouhou", "何售后", "service_manager")}


def load(session: Session, env: Environment) -> None:
    staff = {key: create_user(session, env, name, DEMO_PASSWORD, roles=[role],
                              full_name=full, locale="zh_CN").id
             for key, (name, full, role) in STAFF.items()}
    spares = _stock_vans(session, staff)
    save_team(session, code="WX1", name="维修一组", member_ids=[staff["liu"], staff["ma"]])
    for product_id in session.scalars(select(Product.id).join(
            Category, Category.id == Product.category_id).where(Category.code == "SB")
            .order_by(Product.id).limit(3)):
        set_product_setting(session, product_id=product_id, needs_installation=True)
    units = _delivered_units(session)
    customers = list(session.scalars(select(Partner.id).where(Partner.is_customer)
                                     .order_by(Partner.id).limit(6)))
    if not customers:
        return
    now = utcnow()

    def device(i: int) -> tuple[int, list[DeviceInput]]:
        if i < len(units):
            serial_id, customer_id = units[i]
            return customer_id, [DeviceInput(serial_id=serial_id)]
        return customers[i % len(customers)], []

    def order(i: int, type: str, priority: str, text: str, hours_ago: float,
              source: str = "customer") -> int:
        customer_id, devices = device(i)
        return create_order(session, type=type, customer_id=customer_id, devices=devices,
                            priority=priority, source=source, description=text,
                            reported_at=now - timedelta(hours=hours_ago),
                            user_id=staff["he"]).id

    order(0, "repair", "urgent", "电机运行异响，振动大", 2)
    order(1, "repair", "normal", "变频器报过流故障 E-OC1", 72)  # past its 48 h SLA
    assigned = order(2, "maintenance", "normal", "年度保养：轴承加脂、绝缘测试", 20, "staff")
    assign_order(session, assigned, team_id=None, assignee_id=staff["ma"],
                 planned_date=(now + timedelta(days=2)).date())
    working = order(3, "repair", "high", "水泵密封泄漏", 6)
    assign_order(session, working, assignee_id=staff["liu"])
    start_order(session, working, user_id=staff["liu"])
    record_work(session, working, note="到场检查，机械密封磨损，待更换", minutes=45,
                user_id=staff["liu"])
    done = order(4, "repair", "normal", "电机过热停机", 30)
    assign_order(session, done, assignee_id=staff["liu"])
    start_order(session, done, user_id=staff["liu"])
    record_work(session, done, note="清理风道，更换易损件，试运行正常", minutes=120,
                labour=[LabourInput(technician_id=staff["liu"], hours=Decimal(2))],
                parts=[PartInput(product_id=p, quantity=Decimal(1)) for p in spares[:2]],
                user_id=staff["liu"])
    complete_order(session, done, user_id=staff["liu"])
    closed = order(5, "installation", "normal", "新设备安装调试", 50, "staff")
    assign_order(session, closed, assignee_id=staff["ma"])
    start_order(session, closed, user_id=staff["ma"])
    record_work(session, closed, note="安装就位，接线，调试完成", minutes=180,
                labour=[LabourInput(technician_id=staff["ma"], hours=Decimal(3))],
                user_id=staff["ma"])
    complete_order(session, closed, user_id=staff["ma"])
    close_order(session, closed, rating=5, comment="师傅很专业，准时到场",
                user_id=staff["he"])
    cancelled = order(6, "inspection", "low", "客户要求巡检", 10)
    cancel_order(session, cancelled, reason="客户自行处理", user_id=staff["he"])


def _stock_vans(session: Session, staff: dict[str, int]) -> list[int]:
    """Two vans, each with 5 of three spare parts (plain products) from the head
    warehouse; the spare parts' ids."""
    hq = session.scalar(select(Warehouse.id).where(Warehouse.code == "HQ"))
    vans = {key: create_warehouse(session, code=code, name=f"{STAFF[key][1]}服务车",
                                  kind="van").id
            for key, code in (("liu", "VAN1"), ("ma", "VAN2"))}
    for key, van in vans.items():
        set_technician(session, user_id=staff[key], warehouse_id=van)
    if hq is None:
        return []
    found = session.execute(
        select(Product.id, StockBalance.location_id)
        .join(StockBalance, StockBalance.product_id == Product.id)
        .where(StockBalance.warehouse_id == hq, StockBalance.quantity >= 10,
               Product.tracking == "none").order_by(Product.code, StockBalance.location_id)
    ).all()
    sources: dict[int, int] = {}
    for product_id, location_id in found:
        if len(sources) < 3:
            sources.setdefault(product_id, location_id)
    spares = list(sources)
    if spares:
        post_moves(session, [
            MoveLine(product_id=p, quantity=Decimal(5), from_location_id=sources[p],
                     to_location_id=warehouse_location(session, van, "internal").id)
            for van in vans.values() for p in spares], origin_type="transfer",
            reference="VAN-STOCK")
    return spares


def _delivered_units(session: Session) -> list[tuple[int, int]]:
    """``(serial id, customer id)`` of units the demo delivered and still with the
    customer who holds them now (a unit returned and sold again counts for its last
    buyer), one per customer first."""
    customer = company_location(session, "customer").id
    at_customers = list(session.scalars(select(SerialNumber.id).where(
        SerialNumber.location_id == customer).order_by(SerialNumber.id)))
    holders = serial_holders(session, at_customers)
    first: list[tuple[int, int]] = []
    rest: list[tuple[int, int]] = []
    for serial_id in at_customers:
        if serial_id not in holders:
            continue
        customer_id = holders[serial_id]
        (rest if customer_id in {c for _s, c in first} else first).append(
            (serial_id, customer_id))
    return first + rest
