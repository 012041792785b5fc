"""The Pro edition's demo service desk loads on SQLite and PostgreSQL: orders in every
state on units the demo delivered, each with the customer who holds the unit (a copy of
the run's Pro demo, made by ``create_demo``: the ``demo_database`` fixture)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.checks import serial_holders
from openjxc.core.demo import DEMO_USER
from openjxc.core.env import Environment
from openjxc.core.security import find_user


def test_the_pro_demo_has_orders_in_every_state_for_the_units_holders(
        demo_database: Callable[..., str]) -> None:
    env = Environment.for_edition("pro", database_url=demo_database("pro"))
    with env.unit_of_work(readonly=True) as session:
        assert find_user(session, DEMO_USER) is not None
        states = dict(session.execute(select(models.ServiceOrder.state, func.count())
                                      .group_by(models.ServiceOrder.state)).all())
        assert set(states) == set(models.STATES)
        devices = session.execute(
            select(models.ServiceOrderDevice.serial_id, models.ServiceOrder.customer_id)
            .join(models.ServiceOrder,
                  models.ServiceOrder.id == models.ServiceOrderDevice.order_id)
            .where(models.ServiceOrderDevice.serial_id.is_not(None))).all()
        serials = [(s, c) for s, c in devices if s is not None]
        holders = serial_holders(session, [s for s, _c in serials])
        assert serials and all(holders.get(s) == c for s, c in serials)
        billed = session.scalar(select(func.count()).select_from(models.ServiceOrder)
                                .where(models.ServiceOrder.invoice_id.is_not(None)))
        assert billed == 1
