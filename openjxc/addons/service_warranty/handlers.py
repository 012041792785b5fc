"""What a service order means for a warranty, and back (in the order's transaction).

- A **repair** is judged against the device's warranty on the day it was reported: what
  the live warranty covers (parts, labour) is free.  With several devices on one order,
  a cost is free only when every device's warranty covers it.  Installation,
  maintenance and inspection are services of their own, never warranty work.
- A completed **installation** restarts the warranties whose terms start on installation
  (:func:`openjxc.addons.serial_warranty.services.record_installation`).
- A **replaced serial part** is swapped on the device record (fitments).  The service
  order's part line is the record of what happened; the fitment follows it when the
  catalog relates the parts (or the same product replaces itself); otherwise only the
  removal is recorded (the faulty unit is off the host either way), so a technician's
  record is never refused for a missing catalog relation.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from openjxc.addons.serial_warranty.services import (
    coverage_on,
    record_installation,
    swap_fitment,
)
from openjxc.addons.service_orders.events import (
    ServiceOrderCompleted,
    ServiceOrderCreated,
    ServicePartReplaced,
)
from openjxc.addons.service_orders.orders import set_coverage
from openjxc.core.errors import ValidationFailed

log = logging.getLogger(__name__)

#: The order types a warranty may make free.
WARRANTY_WORK = ("repair",)


def on_order_created(event: ServiceOrderCreated, *, session: Session, env: Any) -> None:
    if event.type not in WARRANTY_WORK or not event.serial_ids:
        return
    coverages = [coverage_on(session, serial_id, event.reported_on)
                 for serial_id in event.serial_ids]
    if any(c is None for c in coverages):
        return
    covered = [c for c in coverages if c is not None]
    set_coverage(session, event.order_id,
                 covers_parts=all(c.covers_parts for c in covered),
                 covers_labour=all(c.covers_labour for c in covered),
                 warranty_id=covered[0].warranty_id)


def on_order_completed(event: ServiceOrderCompleted, *, session: Session, env: Any) -> None:
    if event.type == "installation" and event.serial_ids:
        record_installation(session, list(event.serial_ids), event.completed_on)


def on_part_replaced(event: ServicePartReplaced, *, session: Session, env: Any) -> None:
    if event.host_serial_id is None:
        return
    try:
        with session.begin_nested():
            swap_fitment(session, event.host_serial_id, event.removed_serial_id,
                         event.fitted_serial_id, event.replaced_on)
    except ValidationFailed as refused:
        log.info("service order %s: part swap not recorded as a fitment (%s)",
                 event.order_id, "; ".join(e.code for e in refused.errors))
        if event.removed_serial_id is None or event.fitted_serial_id is None:
            return
        try:  # the faulty unit did come off the host, whatever went on in its place
            with session.begin_nested():
                swap_fitment(session, event.host_serial_id, event.removed_serial_id, None,
                             event.replaced_on)
        except ValidationFailed:
            log.info("service order %s: removal not recorded either", event.order_id)
