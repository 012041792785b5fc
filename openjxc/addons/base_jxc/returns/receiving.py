"""Receiving a return: the goods come back into the warehouse's quarantine location.

Never into sellable stock: only inspection (:mod:`.inspection`) moves them on.  Each unit
comes back at the cost it left at, so stock value and the margin of the sale stay exact:

* a serial unit at its own cost (个别计价法) — the same ``SerialNumber`` row comes back, its
  history shows the return;
* goods sold on a named order line at that line's delivery cost per unit still out
  (``delivered_cost ÷ (delivered − returned)``; the last units take what is left, so the
  line's cost ends at exactly zero when everything came back);
* anything else at the current average cost.

The sales chapter takes the returned quantity and value off the order line
(``sales.services.record_return``), so its margin counts only what the customer kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from ..sales.models import SalesOrder, SalesOrderLine
from ..stock.posting import MoveLine, post_moves
from ..stock.warehouses import company_location, warehouse_location
from .delivered import returnable
from .events import ReturnReceived
from .models import RECEIVED, REQUESTED, ReturnLine, ReturnRequest
from .services import advance, invalid_state, line_serials, lock_return, return_lines

ORIGIN = "sales.return"
CENT = Decimal("0.01")
COST_PLACES = Decimal("0.000001")


@dataclass
class _OrderLineCost:
    """What of an order line is still out with the customer, and at what cost."""

    number: str
    position: int
    quantity: Decimal
    cost: Decimal

    def take(self, quantity: Decimal) -> Decimal:
        """The cost of ``quantity`` units coming back (all that is left for the last)."""
        if quantity >= self.quantity:
            value = self.cost
        else:
            value = (self.cost * quantity / self.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        self.quantity -= quantity
        self.cost -= value
        return value


def receive_return(session: Session, return_id: int | None, *,
                   user_id: int | None = None) -> ReturnRequest:
    """Receive a requested return in full into its warehouse's quarantine location.

    Refused: a return already received or cancelled (``INVALID_STATE``); an order line that
    meanwhile got back more than it delivered (``OVER_RETURN``); a serial unit no longer
    with the customer (``SERIAL_NOT_IN_LOCATION`` from the stock engine).
    """
    request = lock_return(session, return_id)
    if request.state != REQUESTED:
        raise invalid_state(request, "receive")
    lines = return_lines(session, [request.id])[request.id]
    serials = line_serials(session, [line.id for line in lines])
    costs = _lock_order_lines(session, lines)
    customer = company_location(session, "customer").id
    quarantine = warehouse_location(session, request.warehouse_id, "quarantine").id
    moves = []
    order_values: list[Decimal | None] = []
    for line in lines:
        numbers = [number for _id, number, _d in serials[line.id]]
        value = None
        if not numbers and line.sales_order_line_id is not None:
            value = costs[line.sales_order_line_id].take(line.quantity)
        order_values.append(value)
        moves.append(MoveLine(product_id=line.product_id, quantity=line.quantity,
                              from_location_id=customer, to_location_id=quarantine,
                              batch_id=line.batch_id, serials=numbers, value=value,
                              note=line.reason))
    posted = post_moves(session, moves, origin_type=ORIGIN, origin_id=request.id,
                        reference=request.code, user_id=user_id, field="lines")
    event_lines = []
    for line, move_id, value in zip(lines, posted.move_ids, posted.values, strict=True):
        line.received_quantity = line.quantity
        line.receive_move_id = move_id
        line.unit_cost = (value / line.quantity).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        event_lines.append((line.sales_order_line_id, line.quantity, value))
    session.flush()
    _record_on_order_lines(session, lines, posted.values)
    advance(session, request, REQUESTED, "receive", state=RECEIVED, received_at=utcnow(),
            received_by_id=user_id)
    publish(session, ReturnReceived(
        return_id=request.id, code=request.code, customer_id=request.customer_id,
        sales_order_id=request.sales_order_id, move_ids=tuple(posted.move_ids),
        serial_ids=tuple(s for line in lines for s, _n, _d in serials[line.id]),
        lines=tuple(event_lines)))
    return request


def _lock_order_lines(session: Session, lines: list[ReturnLine]) -> dict[int, _OrderLineCost]:
    """The named order lines, locked (a delivery or another return of the same line waits),
    checked again: what was received meanwhile on other returns may leave too little."""
    wanted: dict[int, Decimal] = {}
    first: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.sales_order_line_id is not None:
            wanted[line.sales_order_line_id] = (wanted.get(line.sales_order_line_id, Decimal(0))
                                                + line.quantity)
            first.setdefault(line.sales_order_line_id, i)
    if not wanted:
        return {}
    rows = session.execute(
        select(SalesOrderLine.id, SalesOrderLine.position, SalesOrderLine.delivered_quantity,
               SalesOrderLine.returned_quantity, SalesOrderLine.delivered_cost,
               SalesOrder.number)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrderLine.id.in_(sorted(wanted)))
        .order_by(SalesOrderLine.id)
        .with_for_update(of=SalesOrderLine)
        .execution_options(populate_existing=True))
    costs: dict[int, _OrderLineCost] = {}
    errors = []
    for row in rows:
        left = returnable(row)
        if wanted[row.id] > left:
            errors.append(FieldError(
                "OVER_RETURN",
                _("{wanted} to return but only {left} of sales order line {number}/{position} "
                  "was delivered and not yet returned"),
                field=("lines", str(first[row.id]), "quantity"),
                wanted=f"{wanted[row.id].normalize():f}",
                left=f"{max(left, Decimal(0)).normalize():f}", number=row.number,
                position=row.position))
        costs[row.id] = _OrderLineCost(row.number, row.position, left, row.delivered_cost)
    if errors:
        raise ValidationFailed(errors)
    return costs


def _record_on_order_lines(session: Session, lines: list[ReturnLine],
                           values: list[Decimal]) -> None:
    """Tell the sales chapter what came back of each order line, and at what cost."""
    from ..sales.services import record_return

    returned: dict[int, tuple[Decimal, Decimal]] = {}
    for line, value in zip(lines, values, strict=True):
        if line.sales_order_line_id is not None:
            quantity, total = returned.get(line.sales_order_line_id, (Decimal(0), Decimal(0)))
            returned[line.sales_order_line_id] = (quantity + line.quantity, total + value)
    for order_line_id, (quantity, value) in sorted(returned.items()):
        record_return(session, order_line_id, quantity, value)
