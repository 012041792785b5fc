"""Facts service_orders publishes, in the transaction that caused them, for extenders
(the bridge ``service_warranty`` sets coverage on :class:`ServiceOrderCreated`, restarts
warranties on :class:`ServiceOrderCompleted`, swaps fitments on
:class:`ServicePartReplaced`) — see docs/pro.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class ServiceOrderCreated(Event):
    """Fires when a work order is created (``serviceOrderCreate``); ``serial_ids`` are
    its serial devices, ``reported_on`` the business day it was reported (the day
    coverage is asked for)."""

    name: ClassVar[str] = "service.order.created"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    number: str
    type: str
    customer_id: int
    serial_ids: tuple[int, ...]
    reported_on: date


@dataclass(frozen=True)
class ServicePartReplaced(Event):
    """Fires when a serial part is swapped on a device while recording work
    (``serviceOrderRecord``): ``removed_serial_id`` came out (into quarantine),
    ``fitted_serial_id`` went in.  ``host_serial_id`` is the device (None when the order
    has no serial device)."""

    name: ClassVar[str] = "service.part.replaced"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    host_serial_id: int | None
    removed_serial_id: int | None
    fitted_serial_id: int | None
    replaced_on: date


@dataclass(frozen=True)
class ServiceOrderCompleted(Event):
    """Fires when the work is done (``serviceOrderComplete``), and billed when anything
    was not covered."""

    name: ClassVar[str] = "service.order.completed"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    number: str
    type: str
    customer_id: int
    serial_ids: tuple[int, ...]
    completed_on: date


@dataclass(frozen=True)
class ServiceOrderClosed(Event):
    """Fires when the customer signs off (``serviceOrderClose``), with a rating 1–5 (None
    when they gave none)."""

    name: ClassVar[str] = "service.order.closed"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    rating: int | None


@dataclass(frozen=True)
class ServiceOrderCancelled(Event):
    """Fires when a work order is cancelled (``serviceOrderCancel``) before its work is
    done."""

    name: ClassVar[str] = "service.order.cancelled"
    added_in: ClassVar[str] = "0.1"
    order_id: int
