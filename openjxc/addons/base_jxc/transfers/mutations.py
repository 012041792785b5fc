"""The transfer mutations: ``stockTransferCreate``, ``stockTransferShip``,
``stockTransferReceive`` and ``stockTransferCancel``.

Ship and receive post stock and accept ``idempotencyKey``: a PDA retrying with the same key
and input gets the first answer and nothing moves twice (API.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.graphql import get_session, mutation, pk_of_global_id
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from . import models, services
from .api import StockTransfer, TransferError
from .receiving import ReceiptLineInput, receive_transfer


def _pk(global_id: str | None, type_name: str) -> int | None:
    """The primary key behind a global ID of ``type_name``; None (then ``NOT_FOUND``)
    for anything else."""
    return pk_of_global_id(global_id, type_name)


def _require_side(info: Info[Any, Any], transfer_id: int | None, side: str) -> None:
    """A user limited to some warehouses ships and cancels only transfers leaving them and
    receives only those entering them (``FORBIDDEN``); an unknown transfer is left for the
    service to refuse (``NOT_FOUND``)."""
    if transfer_id is None:
        return
    column = (models.StockTransfer.from_warehouse_id if side == "from"
              else models.StockTransfer.to_warehouse_id)
    warehouse = get_session(info).scalar(select(column).where(
        models.StockTransfer.id == transfer_id))
    if warehouse is not None:
        require_scope(info, "warehouse", warehouse)


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _node(transfer: models.StockTransfer | None) -> StockTransfer | None:
    return StockTransfer.from_row(transfer) if transfer is not None else None


def _encode(transfer: models.StockTransfer | None) -> int | None:
    return transfer.id if transfer is not None else None


def _decode(session: Session, transfer_id: int) -> models.StockTransfer:
    return session.get_one(models.StockTransfer, transfer_id)


@strawberry.input(description="One product to send.")
class StockTransferLineInput:
    product_code: str
    quantity: Decimal
    batch_number: str | None = strawberry.field(
        default=None, description="Required for batch-tracked products.")
    serials: list[str] = strawberry.field(
        default_factory=list,
        description="One per unit of a serial-tracked product; ranges such as "
                    "YE3-2026-0001..0010 expand.")
    from_location_code: str | None = strawberry.field(
        default=None, description="A bin of the source warehouse; empty: its main stock.")


@strawberry.input
class StockTransferCreateInput:
    from_warehouse_code: str
    to_warehouse_code: str
    lines: list[StockTransferLineInput]
    note: str = ""
    receive_within_hours: int | None = strawberry.field(
        default=None, description="Alert when not received this many hours after "
                                  "shipping; empty: the default (48).")


@strawberry.type
class StockTransferCreatePayload:
    stock_transfer: StockTransfer | None
    errors: list[TransferError]  # type: ignore[valid-type]


def stock_transfer_create(info: Info[Any, Any], input: StockTransferCreateInput,
                          ) -> StockTransferCreatePayload:
    data = services.TransferInput(
        from_warehouse_code=input.from_warehouse_code,
        to_warehouse_code=input.to_warehouse_code, note=input.note,
        receive_within_hours=input.receive_within_hours,
        lines=[services.TransferLineInput(product_code=line.product_code,
                                          quantity=line.quantity,
                                          batch_number=line.batch_number,
                                          serials=line.serials,
                                          from_location_code=line.from_location_code)
               for line in input.lines])

    def create(session: Session) -> models.StockTransfer:
        transfer = services.create_transfer(session, data, user_id=_user_id(info))
        # Only from one's own warehouses (the draft is undone otherwise).
        require_scope(info, "warehouse", transfer.from_warehouse_id)
        return transfer

    transfer, errors = run_service(info, create, TransferError)
    return StockTransferCreatePayload(stock_transfer=_node(transfer), errors=errors)


@strawberry.input
class StockTransferShipInput:
    id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class StockTransferShipPayload:
    stock_transfer: StockTransfer | None
    errors: list[TransferError]  # type: ignore[valid-type]


def stock_transfer_ship(info: Info[Any, Any], input: StockTransferShipInput,
                        ) -> StockTransferShipPayload:
    transfer_id = _pk(input.id, "StockTransfer")
    _require_side(info, transfer_id, "from")
    transfer, errors = run_posting(
        info, lambda s: services.ship_transfer(s, transfer_id, user_id=_user_id(info)),
        TransferError, scope="stockTransferShip", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return StockTransferShipPayload(stock_transfer=_node(transfer), errors=errors)


@strawberry.input(description="What arrived of one line; a line not listed arrived in full.")
class StockTransferReceiveLineInput:
    line_id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="Quantity arrived; empty: the serials given, or all.")
    serials: list[str] | None = strawberry.field(
        default=None, description="The serial units that arrived (scanned); the others "
                                  "of the line are lost.")
    to_location_code: str | None = strawberry.field(
        default=None, description="A bin of the receiving warehouse.")


@strawberry.input
class StockTransferReceiveInput:
    id: strawberry.ID
    lines: list[StockTransferReceiveLineInput] = strawberry.field(default_factory=list)
    reason: str = strawberry.field(
        default="", description="Why what arrived differs (required when it does).")
    to_location_code: str | None = strawberry.field(
        default=None, description="Where the goods go; empty: the warehouse's main stock.")
    idempotency_key: str | None = None


@strawberry.type
class StockTransferReceivePayload:
    stock_transfer: StockTransfer | None
    errors: list[TransferError]  # type: ignore[valid-type]


def stock_transfer_receive(info: Info[Any, Any], input: StockTransferReceiveInput,
                           ) -> StockTransferReceivePayload:
    transfer_id = _pk(input.id, "StockTransfer")
    _require_side(info, transfer_id, "to")
    lines = [ReceiptLineInput(line_id=_pk(line.line_id, "StockTransferLine"),
                              quantity=line.quantity, serials=line.serials,
                              to_location_code=line.to_location_code)
             for line in input.lines]
    transfer, errors = run_posting(
        info, lambda s: receive_transfer(s, transfer_id, lines=lines, reason=input.reason,
                                         to_location_code=input.to_location_code,
                                         user_id=_user_id(info)),
        TransferError, scope="stockTransferReceive", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return StockTransferReceivePayload(stock_transfer=_node(transfer), errors=errors)


@strawberry.input
class StockTransferCancelInput:
    id: strawberry.ID


@strawberry.type
class StockTransferCancelPayload:
    stock_transfer: StockTransfer | None
    errors: list[TransferError]  # type: ignore[valid-type]


def stock_transfer_cancel(info: Info[Any, Any], input: StockTransferCancelInput,
                          ) -> StockTransferCancelPayload:
    transfer_id = _pk(input.id, "StockTransfer")
    _require_side(info, transfer_id, "from")
    transfer, errors = run_service(
        info, lambda s: services.cancel_transfer(s, transfer_id, user_id=_user_id(info)),
        TransferError)
    return StockTransferCancelPayload(stock_transfer=_node(transfer), errors=errors)


def types() -> list[type]:
    return [StockTransferLineInput, StockTransferCreateInput, StockTransferCreatePayload,
            StockTransferShipInput, StockTransferShipPayload, StockTransferReceiveLineInput,
            StockTransferReceiveInput, StockTransferReceivePayload, StockTransferCancelInput,
            StockTransferCancelPayload]


def mutations() -> list[Any]:
    return [
        mutation(stock_transfer_create, permission="stock.transfer.create",
                 name="stockTransferCreate",
                 description="Prepare a transfer (a draft; nothing moves yet)."),
        mutation(stock_transfer_ship, permission="stock.transfer.ship",
                 name="stockTransferShip",
                 description="Ship a draft: its goods go to in-transit."),
        mutation(stock_transfer_receive, permission="stock.transfer.receive",
                 name="stockTransferReceive",
                 description="Receive a shipped transfer; what did not arrive is a loss."),
        mutation(stock_transfer_cancel, permission="stock.transfer.create",
                 name="stockTransferCancel", description="Cancel a draft transfer."),
    ]
