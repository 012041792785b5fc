"""Stock count mutations: ``stockCountStart``, ``stockCountRecord``, ``stockCountPost``,
``stockCountCancel``.  Record and post accept ``idempotencyKey`` (a PDA retrying a scan
batch must not count it twice)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from ..stock.models import Warehouse
from . import services
from .api import CountError, StockCount, StockCountScope
from .models import StockCount as CountRow


def _user(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _in_scope(info: Info[Any, Any], session: Session, *, warehouse_code: str | None = None,
              number: str | None = None) -> None:
    """A user limited to some warehouses counts only there (``FORBIDDEN`` before anything
    about another warehouse's counts is said); an unknown warehouse or count is left for
    the service to refuse."""
    if warehouse_code is not None:
        warehouse = session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code))
    else:
        warehouse = session.scalar(select(CountRow.warehouse_id).where(CountRow.number == number))
    if warehouse is not None:
        require_scope(info, "warehouse", warehouse)


def _encode(row: CountRow | None) -> int | None:
    return row.id if row is not None else None


def _decode(session: Session, stored: Any) -> CountRow:
    row = session.get(CountRow, int(stored))
    assert row is not None
    return row


@strawberry.input(description="Open a count; a cycle count names locations, categories "
                              "or products (categories and products add up).")
class StockCountStartInput:
    warehouse_code: str
    scope: StockCountScope = StockCountScope.FULL
    location_codes: list[str] = strawberry.field(default_factory=list)
    category_codes: list[str] = strawberry.field(default_factory=list)
    product_codes: list[str] = strawberry.field(default_factory=list)
    note: str = ""


@strawberry.type
class StockCountStartPayload:
    stock_count: StockCount | None
    errors: list[CountError]


def stock_count_start(info: Info[Any, Any], input: StockCountStartInput,
                      ) -> StockCountStartPayload:
    def start(s: Session) -> CountRow:
        _in_scope(info, s, warehouse_code=input.warehouse_code)
        return services.start_count(
            s, warehouse_code=input.warehouse_code, scope=input.scope.value,
            location_codes=input.location_codes, category_codes=input.category_codes,
            product_codes=input.product_codes, note=input.note, user_id=_user(info))

    row, errors = run_service(info, start, CountError)
    return StockCountStartPayload(stock_count=StockCount.from_row(row) if row else None,
                                  errors=errors)


@strawberry.enum(description="Whether scanned quantities add to what was counted or "
                             "replace it.")
class StockCountRecordMode(Enum):
    ADD = "add"
    SET = "set"

    __labels__ = {"ADD": _("Add to the counted quantity"),
                  "SET": _("Replace the counted quantity")}


@strawberry.input(description="One scan: a location, and a product code, barcode or serial "
                              "number found there.")
class StockCountEntryInput:
    location_code: str
    code: str
    batch_number: str | None = None
    quantity: Decimal | None = strawberry.field(
        default=None, description="1 when not given; a serial number is always one unit.")


@strawberry.input
class StockCountRecordInput:
    number: str
    entries: list[StockCountEntryInput]
    mode: StockCountRecordMode = StockCountRecordMode.ADD
    idempotency_key: str | None = None


@strawberry.type
class StockCountRecordPayload:
    stock_count: StockCount | None
    errors: list[CountError]


def stock_count_record(info: Info[Any, Any], input: StockCountRecordInput,
                       ) -> StockCountRecordPayload:
    entries = [services.CountEntry(location_code=e.location_code, code=e.code,
                                   batch_number=e.batch_number, quantity=e.quantity)
               for e in input.entries]
    def record(s: Session) -> CountRow:
        _in_scope(info, s, number=input.number)
        return services.record_count(s, number=input.number, entries=entries,
                                     mode=input.mode.value)

    row, errors = run_posting(
        info, record,
        CountError, scope="stockCountRecord", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return StockCountRecordPayload(stock_count=StockCount.from_row(row) if row else None,
                                   errors=errors)


@strawberry.input
class StockCountPostInput:
    number: str
    zero_uncounted: bool | None = strawberry.field(
        default=None,
        description="Take lines nobody counted as zero (the default).  A cycle count may "
                    "pass false to leave them untouched; a full count always zeroes them.")
    idempotency_key: str | None = None


@strawberry.type
class StockCountPostPayload:
    stock_count: StockCount | None
    errors: list[CountError]


def stock_count_post(info: Info[Any, Any], input: StockCountPostInput) -> StockCountPostPayload:
    def post(s: Session) -> CountRow:
        _in_scope(info, s, number=input.number)
        return services.post_count(s, number=input.number,
                                   zero_uncounted=input.zero_uncounted, user_id=_user(info))

    row, errors = run_posting(
        info, post,
        CountError, scope="stockCountPost", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return StockCountPostPayload(stock_count=StockCount.from_row(row) if row else None,
                                 errors=errors)


@strawberry.input
class StockCountCancelInput:
    number: str


@strawberry.type
class StockCountCancelPayload:
    stock_count: StockCount | None
    errors: list[CountError]


def stock_count_cancel(info: Info[Any, Any], input: StockCountCancelInput,
                       ) -> StockCountCancelPayload:
    def cancel(s: Session) -> CountRow:
        _in_scope(info, s, number=input.number)
        return services.cancel_count(s, number=input.number, user_id=_user(info))

    row, errors = run_service(info, cancel, CountError)
    return StockCountCancelPayload(stock_count=StockCount.from_row(row) if row else None,
                                   errors=errors)


def mutations() -> list[Any]:
    return [
        mutation(stock_count_start, permission="stock.count.start", name="stockCountStart"),
        mutation(stock_count_record, permission="stock.count.record",
                 name="stockCountRecord"),
        mutation(stock_count_post, permission="stock.count.post", name="stockCountPost"),
        mutation(stock_count_cancel, permission="stock.count.post", name="stockCountCancel",
                 description="Abandon a count in progress; nothing is adjusted."),
    ]
