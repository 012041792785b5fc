"""The bridge between serial_warranty and service_orders (see docs/pro.md).

Neither addon imports the other; this one depends on both and the kernel installs it
with them (``auto_install = true``): a repair is free when the unit's warranty covers it,
an installation restarts the warranty, a swapped part is swapped on the device record,
and the device archive lists the service orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openjxc.core.hookspecs import hookimpl


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    from openjxc.addons.service_orders.events import (
        ServiceOrderCompleted,
        ServiceOrderCreated,
        ServicePartReplaced,
    )
    from openjxc.core.events import Subscription

    from .handlers import on_order_completed, on_order_created, on_part_replaced

    return [Subscription(ServiceOrderCreated, on_order_created, phase="transaction"),
            Subscription(ServiceOrderCompleted, on_order_completed, phase="transaction"),
            Subscription(ServicePartReplaced, on_part_replaced, phase="transaction")]


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()
