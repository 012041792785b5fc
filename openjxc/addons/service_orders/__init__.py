"""Installation, repair, maintenance and inspection work orders (pro edition).

See docs/pro.md for the contract.  The chapters of this addon:

* :mod:`.models` — orders, devices, records, labour, parts and the settings tables;
* :mod:`.settings` — SLA hours (seeded defaults: repair urgent 4 h, high 24 h, normal 48 h,
  low 120 h; installation 24/48/72/168 h; maintenance 8/48/120/240 h; inspection
  8/24/72/168 h), labour rates per type (billed / internal per hour, VAT: installation
  200/120 at 9 %, repair 150/90 at 13 %, maintenance 120/80 at 6 %, inspection 100/70 at
  6 %), teams, technicians' vans, products that need installation;
* :mod:`.orders` — create, assign, start, cancel, ``set_coverage`` and the state machine;
* :mod:`.records` — notes, attachments, minutes, labour and parts out of the van;
* :mod:`.completion` — complete (and bill what is not covered), close with feedback;
* :mod:`.installation` — installation orders from ``SalesDelivered``;
* :mod:`.metrics` — warranty cost and first-time-fix rate;
* :mod:`.alerts`, :mod:`.report` (service report PDF), :mod:`.api`, :mod:`.demo`.

service_orders does not need serial_warranty: without an extender calling
``set_coverage`` nothing is covered and everything is billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate

READ = "service.order.read"

_TECHNICIAN = ("service.order.read", "service.order.work", "service.order.complete",
               "catalog.product.read", "partner.partner.read", "stock.level.read",
               "stock.warehouse.read")


@hookimpl
def register_models() -> Sequence[type]:
    from .models import MODELS

    return MODELS


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission("service.order.read", "See service orders, their records and reports"),
        Permission("service.order.create", "Create service orders"),
        Permission("service.order.assign", "Assign service orders to technicians and teams"),
        Permission("service.order.work",
                   "Start service orders and record work, labour and parts on them"),
        Permission("service.order.complete", "Complete service orders (bills what is not "
                                             "covered)"),
        Permission("service.order.close", "Close service orders with the customer's "
                                          "feedback"),
        Permission("service.order.cancel", "Cancel service orders"),
        Permission("service.settings.manage",
                   "Change SLA hours, labour rates, teams, vans and installation flags"),
    ]


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [
        RoleTemplate("technician", _TECHNICIAN,
                     "Work the service orders given to them or their team (技术员)"),
        RoleTemplate("service_manager",
                     (*_TECHNICIAN, "service.order.create", "service.order.assign",
                      "service.order.close", "service.order.cancel",
                      "service.settings.manage", "stock.cost.read"),
                     "Take requests, dispatch, follow SLAs and warranty cost (售后经理)"),
    ]


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    from openjxc.addons.base_jxc.sales.events import SalesDelivered
    from openjxc.core.events import Subscription

    from .installation import on_sales_delivered

    return [Subscription(SalesDelivered, on_sales_delivered, phase="transaction")]


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()


@hookimpl
def register_alert_rules() -> Sequence[Any]:
    from .alerts import order_overdue_rule

    return [order_overdue_rule()]


@hookimpl
def register_reports() -> Sequence[Any]:
    from .report import reports

    return reports()


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    from .settings import seed_defaults

    seed_defaults(session)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load

    load(session, env)
