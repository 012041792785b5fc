"""Demo assets of the enterprise edition, on top of base_jxc's demo dealer.

Six cards across the four methods and five departments — a CNC lathe (straight line), a
forklift (double-declining), a delivery truck (units of production, kilometres recorded
each month), a server (sum of the years' digits, one-time deduction in the tax book),
office furniture, and a laptop sold last month at a loss — plus, when the demo stock holds a
serial unit, that unit kept as the showroom's demo machine.  The last six months are run
and all but the last two closed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.models import Location, SerialNumber
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.env import Environment

from . import schedule
from .assets import AssetInput, capitalize_serial, create_asset, record_usage
from .disposal import dispose_asset
from .models import SALE, TAX_ONE_TIME
from .runs import run_depreciation
from .settings import close_period

D = Decimal


def _months_ago(today: date, months: int, day: int = 10) -> date:
    return schedule.add_months(schedule.month_start(today), -months).replace(day=day)


def load(session: Session, env: Environment) -> None:
    today = business_today(session)
    cards = [
        AssetInput(code="GZ-DEMO-01", name="数控车床 CK6150", category_code="MACHINERY",
                   cost=D("186000.00"), acquired_on=_months_ago(today, 14),
                   department="生产部"),
        AssetInput(code="GZ-DEMO-02", name="电动叉车 CPD20", category_code="VEHICLES",
                   cost=D("96000.00"), acquired_on=_months_ago(today, 9),
                   department="仓储部", method=schedule.DOUBLE_DECLINING),
        AssetInput(code="GZ-DEMO-03", name="厢式货车 沪A·D1234", category_code="VEHICLES",
                   cost=D("158000.00"), acquired_on=_months_ago(today, 8),
                   department="销售部", method=schedule.UNITS_OF_PRODUCTION,
                   total_units=D("300000")),
        AssetInput(code="GZ-DEMO-04", name="机架式服务器 R740", category_code="ELECTRONICS",
                   cost=D("42000.00"), acquired_on=_months_ago(today, 7),
                   department="信息部", method=schedule.SUM_OF_YEARS,
                   tax_treatment=TAX_ONE_TIME),
        AssetInput(code="GZ-DEMO-05", name="办公桌椅一批", category_code="TOOLS",
                   cost=D("28600.00"), acquired_on=_months_ago(today, 12),
                   department="行政部"),
        AssetInput(code="GZ-DEMO-06", name="笔记本电脑 ThinkPad", category_code="ELECTRONICS",
                   cost=D("9800.00"), acquired_on=_months_ago(today, 7),
                   department="销售部"),
    ]
    assets = {card.code: create_asset(session, card) for card in cards}
    _keep_a_demo_unit(session, today)
    truck = assets["GZ-DEMO-03"]
    for back in range(6, 0, -1):
        period = schedule.add_months(schedule.month_start(today), -back)
        if period >= truck.starts_on:
            record_usage(session, truck.id, period, D(3200 + 350 * (back % 4)))
        if back == 1:
            dispose_asset(session, assets["GZ-DEMO-06"].id, kind=SALE,
                          disposed_on=period.replace(day=20), proceeds=D("8000.00"),
                          costs=D("50.00"), note="二手转让")
        run_depreciation(session, period)
        if back > 2:
            close_period(session, period)


def _keep_a_demo_unit(session: Session, today: date) -> None:
    unit = session.scalar(select(SerialNumber).join(
        Location, Location.id == SerialNumber.location_id)
        .where(Location.kind == "internal", SerialNumber.unit_cost > 0)
        .order_by(SerialNumber.id).limit(1))
    if unit is None:
        return
    capitalize_serial(session, unit.id, AssetInput(
        code="GZ-DEMO-07", name=f"展厅样机 {unit.number}", category_code="MACHINERY",
        cost=D(0), acquired_on=today, department="销售部"),
        user_id=None)
