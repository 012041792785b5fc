"""Per-request DataLoaders of the sales API: one statement per kind of thing, whatever the
number of orders, lines or deliveries on the page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.security.models import User
from openjxc.graphql import get_session
from openjxc.graphql.scoping import restrict

from ..partners.api import Partner, PartnerAddress
from ..stock.api_types import warehouse_scope
from ..stock.models import Batch, Location, SerialNumber, StockMoveSerial, table_of
from . import models


def in_scope(info: Info[Any, Any], stmt: Any, document: Any) -> Any:
    """``stmt`` narrowed to the rows of ``document`` (a model with ``warehouse_id``, in the
    statement) of the caller's warehouses: all when unrestricted."""
    return restrict(info, stmt, "warehouse", table_of(document).c.warehouse_id)


def quotations_in_scope(info: Info[Any, Any], stmt: Any) -> Any:
    """``stmt`` (of quotations) narrowed to those of the caller's warehouses and those
    that name no warehouse (visible to every reader): all when unrestricted."""
    allowed = warehouse_scope(info)
    if allowed is None:
        return stmt
    column = table_of(models.Quotation).c.warehouse_id
    return stmt.where(column.is_(None) | column.in_(allowed))


def _loader(info: Info[Any, Any], name: str, batch: Callable[[list[Any]], Any]) -> Any:
    return info.context.loaders.get(f"sales.{name}", batch)


def load_partners(info: Info[Any, Any]) -> Any:
    return _loader(info, "partner", lambda ids: Partner.get_nodes(info, ids))


def load_addresses(info: Info[Any, Any]) -> Any:
    return _loader(info, "address", lambda ids: PartnerAddress.get_nodes(info, ids))


def load_orders(info: Info[Any, Any], node_type: Any) -> Any:
    return _loader(info, "order", lambda ids: node_type.get_nodes(info, ids))


async def username_of(info: Info[Any, Any], user_id: int | None) -> str | None:
    if user_id is None:
        return None

    def batch(ids: list[int]) -> list[str | None]:
        names = dict(get_session(info).execute(
            select(User.id, User.username).where(User.id.in_(set(ids)))).all())
        return [names.get(i) for i in ids]

    return await _loader(info, "username", batch).load(user_id)  # type: ignore[no-any-return]


def _grouped(info: Info[Any, Any], name: str, stmt: Callable[[list[int]], Any],
             key: Callable[[Any], int]) -> Any:
    def batch(ids: list[int]) -> list[list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        for row in get_session(info).execute(stmt(ids)):
            found[key(row)].append(row)
        return [found[i] for i in ids]

    return _loader(info, name, batch)


async def lines_of(info: Info[Any, Any], order_id: int) -> list[models.SalesOrderLine]:
    line = models.SalesOrderLine
    rows = await _grouped(info, "lines", lambda ids: select(line).where(
        line.order_id.in_(ids)).order_by(line.order_id, line.position),
        lambda row: row[0].order_id).load(order_id)
    return [row[0] for row in rows]


@dataclass(frozen=True)
class ReservationRow:
    location_code: str
    batch_number: str | None
    quantity: Decimal


async def reservations_of(info: Info[Any, Any], line_id: int) -> list[ReservationRow]:
    res = models.SalesReservation
    rows = await _grouped(info, "reservations", lambda ids: select(
        res.order_line_id, Location.code, Batch.number, res.quantity)
        .join(Location, Location.id == res.location_id)
        .outerjoin(Batch, Batch.id == res.batch_id)
        .where(res.order_line_id.in_(ids)).order_by(res.id),
        lambda row: row.order_line_id).load(line_id)
    return [ReservationRow(r.code, r.number, r.quantity) for r in rows]


async def deliveries_of(info: Info[Any, Any], order_id: int) -> list[models.SalesDelivery]:
    delivery = models.SalesDelivery
    rows = await _grouped(info, "deliveries", lambda ids: select(delivery).where(
        delivery.order_id.in_(ids)).order_by(delivery.id),
        lambda row: row[0].order_id).load(order_id)
    return [row[0] for row in rows]


@dataclass(frozen=True)
class DeliveryLineRow:
    order_line_id: int
    product_id: int
    quantity: Decimal
    location_code: str
    batch_number: str | None
    cost: Decimal
    serials: list[str]


async def delivery_lines_of(info: Info[Any, Any], delivery_id: int) -> list[DeliveryLineRow]:
    def batch(ids: list[int]) -> list[list[DeliveryLineRow]]:
        session = get_session(info)
        line = models.SalesDeliveryLine
        rows = session.execute(
            select(line, Location.code, Batch.number)
            .join(Location, Location.id == line.location_id)
            .outerjoin(Batch, Batch.id == line.batch_id)
            .where(line.delivery_id.in_(ids)).order_by(line.id)).all()
        numbers: dict[int, list[str]] = defaultdict(list)
        moves = [r[0].move_id for r in rows]
        if moves:
            for move_id, number in session.execute(
                    select(StockMoveSerial.move_id, SerialNumber.number)
                    .join(SerialNumber, SerialNumber.id == StockMoveSerial.serial_id)
                    .where(StockMoveSerial.move_id.in_(moves))
                    .order_by(SerialNumber.number)):
                numbers[move_id].append(number)
        found: dict[int, list[DeliveryLineRow]] = defaultdict(list)
        for row, code, batch_number in rows:
            found[row.delivery_id].append(DeliveryLineRow(
                row.order_line_id, row.product_id, row.quantity, code, batch_number, row.cost,
                numbers.get(row.move_id, [])))
        return [found[i] for i in ids]

    return await _loader(info, "delivery_lines", batch).load(  # type: ignore[no-any-return]
        delivery_id)


async def approvals_of(info: Info[Any, Any], order_id: int,
                       ) -> list[models.SalesCreditApproval]:
    approval = models.SalesCreditApproval
    rows = await _grouped(info, "approvals", lambda ids: select(approval).where(
        approval.order_id.in_(ids)).order_by(approval.id),
        lambda row: row[0].order_id).load(order_id)
    return [row[0] for row in rows]


async def quotation_number_of(info: Info[Any, Any], quotation_id: int | None) -> str | None:
    if quotation_id is None:
        return None

    def batch(ids: list[int]) -> list[str | None]:
        numbers = dict(get_session(info).execute(
            select(models.Quotation.id, models.Quotation.number)
            .where(models.Quotation.id.in_(set(ids)))).all())
        return [numbers.get(i) for i in ids]

    return await _loader(info, "quotation_number", batch).load(  # type: ignore[no-any-return]
        quotation_id)
