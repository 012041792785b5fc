"""Changing stock through GraphQL: warehouses and bins, posting and reversing moves, closing
months.  Posting mutations take ``idempotencyKey`` (a retry gets the first answer and posts
nothing); a caller limited to some warehouses may only post moves touching those."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog import models as catalog
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text
from openjxc.graphql import Forbidden, from_global_id, get_session, mutation
from openjxc.graphql.errors import BadUserInput
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from . import models
from .api_types import (
    Location,
    StockError,
    StockMove,
    Warehouse,
    WarehouseKind,
    warehouse_scope,
)
from .periods import close_stock_period
from .posting import MoveLine, PostingResult, post_moves
from .reversals import reverse_moves
from .warehouses import create_bin, create_warehouse

#: The ``originType`` of moves posted directly through ``stockMoveCreate``.
MANUAL_ORIGIN = "manual"


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


# -- warehouses and bins -------------------------------------------------------------------

@strawberry.input
class WarehouseCreateInput:
    code: str = strawberry.field(description="Short, without '/': WH1.  Its locations are "
                                             "named after it (WH1/STOCK, WH1/A-01 …).")
    name: str
    kind: WarehouseKind = WarehouseKind.HQ
    allow_negative: bool = False
    address: str = ""
    bins: list[str] = strawberry.field(default_factory=list,
                                       description="Codes of bins in its main stock: A-01.")


@strawberry.type
class WarehouseCreatePayload:
    warehouse: Warehouse | None
    errors: list[StockError]  # type: ignore[valid-type]


def warehouse_create(info: Info[Any, Any], input: WarehouseCreateInput,
                     ) -> WarehouseCreatePayload:
    row, errors = run_service(info, lambda s: create_warehouse(
        s, code=input.code, name=input.name, kind=input.kind.value,
        allow_negative=input.allow_negative, address=input.address, bins=list(input.bins)),
        StockError)
    return WarehouseCreatePayload(warehouse=Warehouse.from_row(row) if row else None,
                                  errors=errors)


@strawberry.input
class BinCreateInput:
    warehouse_code: str
    code: str = strawberry.field(description="The bin's code inside the warehouse: A-01-02.")
    name: str = ""


@strawberry.type
class BinCreatePayload:
    bin: Location | None
    errors: list[StockError]  # type: ignore[valid-type]


def bin_create(info: Info[Any, Any], input: BinCreateInput) -> BinCreatePayload:
    warehouse_id = get_session(info).scalar(select(models.Warehouse.id).where(
        models.Warehouse.code == input.warehouse_code))
    if warehouse_id is not None:
        require_scope(info, "warehouse", warehouse_id)
    row, errors = run_service(info, lambda s: create_bin(
        s, warehouse_code=input.warehouse_code, code=input.code, name=input.name), StockError)
    return BinCreatePayload(bin=Location.from_row(row) if row else None, errors=errors)


# -- posting moves -------------------------------------------------------------------------

@strawberry.input(description="One line of a stock document.  Receipts come from the "
                              "supplier location (PARTNER/SUPPLIER), deliveries go to "
                              "PARTNER/CUSTOMER, scrap to a warehouse's /SCRAP, adjustments "
                              "to or from VIRTUAL/ADJUSTMENT.")
class StockMoveLineInput:
    product_code: str
    quantity: Decimal
    from_location_code: str
    to_location_code: str
    unit_cost: Decimal | None = strawberry.field(
        default=None, description="Cost of goods coming in from outside; default: the "
                                  "current average.")
    batch_number: str | None = None
    manufactured_on: date | None = strawberry.field(
        default=None, description="For a batch received for the first time.")
    expires_on: date | None = strawberry.field(
        default=None, description="For a batch received for the first time.")
    serials: list[str] = strawberry.field(
        default_factory=list, description="Serial numbers; ranges like YE3-2026-0001..0100.")
    note: str = ""


@strawberry.input(description="A stock document: its lines are posted together or not at "
                              "all.")
class StockMoveCreateInput:
    lines: list[StockMoveLineInput]
    move_date: date | None = strawberry.field(
        default=None, description="Default: today in the company's time zone.")
    reference: str = ""
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first answer.")


@strawberry.type
class StockMoveCreatePayload:
    stock_moves: list[StockMove] | None
    errors: list[StockError]  # type: ignore[valid-type]


def _ids_by_code(session: Session, column: Any, key: Any, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(session.execute(select(column, key).where(column.in_(codes))).all())  # type: ignore[arg-type]


def _resolve_lines(info: Info[Any, Any], lines: Sequence[StockMoveLineInput],
                   ) -> tuple[list[MoveLine], list[FieldError]]:
    """Codes to ids (``NOT_FOUND`` per line); refuses (``FORBIDDEN``) a line touching a
    warehouse outside the caller's scope."""
    session = get_session(info)
    products = _ids_by_code(session, catalog.Product.code, catalog.Product.id,
                            {line.product_code for line in lines})
    codes = {c for line in lines for c in (line.from_location_code, line.to_location_code)}
    places = {r.code: r for r in session.execute(
        select(models.Location.code, models.Location.id, models.Location.warehouse_id)
        .where(models.Location.code.in_(codes)))} if codes else {}
    errors: list[FieldError] = []
    out: list[MoveLine] = []
    for i, line in enumerate(lines):
        at = ("lines", str(i))
        product_id = products.get(line.product_code)
        if product_id is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                     field=(*at, "productCode"), code=line.product_code[:64]))
        ends = []
        for code, name in ((line.from_location_code, "fromLocationCode"),
                           (line.to_location_code, "toLocationCode")):
            place = places.get(code)
            if place is None:
                errors.append(FieldError("NOT_FOUND", _("Unknown location {code}"),
                                         field=(*at, name), code=code[:64]))
                continue
            if place.warehouse_id is not None:
                require_scope(info, "warehouse", place.warehouse_id)
            ends.append(place.id)
        if product_id is None or len(ends) != 2:
            continue
        out.append(MoveLine(product_id=product_id, quantity=line.quantity,
                            from_location_id=ends[0], to_location_id=ends[1],
                            unit_cost=line.unit_cost, batch_number=line.batch_number or None,
                            manufactured_on=line.manufactured_on, expires_on=line.expires_on,
                            serials=list(line.serials), note=line.note))
    return out, errors


def _moves(session: Session, move_ids: Sequence[int]) -> list[StockMove]:
    rows = {r.id: r for r in session.scalars(select(models.StockMove)
                                             .where(models.StockMove.id.in_(move_ids)))}
    return [StockMove.from_row(rows[i]) for i in move_ids if i in rows]


def _encode(result: PostingResult | None) -> list[int]:
    return list(result.move_ids) if result is not None else []


def _decode(session: Session, stored: Any) -> PostingResult:
    return PostingResult(move_ids=[int(i) for i in stored])


def stock_move_create(info: Info[Any, Any], input: StockMoveCreateInput,
                      ) -> StockMoveCreatePayload:
    lines, problems = _resolve_lines(info, input.lines)
    principal = getattr(info.context, "principal", None)
    allow_expired = bool(principal is not None
                         and principal.has("stock.batch.deliver_expired"))

    def post(session: Session) -> PostingResult:
        errors = list(problems)
        reference = check_text(errors, input.reference, "reference", max_length=64)
        if not input.lines:
            errors.append(FieldError("REQUIRED", _("At least one line is required"),
                                     field="lines"))
        if errors:
            raise ValidationFailed(errors)
        return post_moves(session, lines, move_date=input.move_date,
                          origin_type=MANUAL_ORIGIN, reference=reference,
                          user_id=_user_id(info), allow_expired=allow_expired)

    result, errors = run_posting(info, post, StockError, scope="stockMoveCreate",
                                 idempotency_key=input.idempotency_key, request=input,
                                 encode=_encode, decode=_decode)
    moves = _moves(get_session(info), result.move_ids) if result is not None else None
    return StockMoveCreatePayload(stock_moves=moves, errors=errors)


@strawberry.input(description="Reverse posted moves: their mirror images are posted.")
class StockMoveReverseInput:
    move_ids: list[strawberry.ID]
    reason: str
    move_date: date | None = None
    idempotency_key: str | None = None


@strawberry.type
class StockMoveReversePayload:
    stock_moves: list[StockMove] | None = strawberry.field(description="The reversing moves.")
    errors: list[StockError]  # type: ignore[valid-type]


def _move_pks(info: Info[Any, Any], ids: Sequence[str]) -> list[int]:
    """Global IDs of moves to keys; another type's ID or a garbage one is refused clearly,
    and moves touching a warehouse outside the caller's scope are ``FORBIDDEN``."""
    pks = []
    for global_id in ids:
        type_name, raw = from_global_id(global_id)
        try:
            pk = StockMove.parse_pk(raw)
        except ValueError:
            raise BadUserInput(f"{global_id!r} is not a valid ID") from None
        if type_name != "StockMove":
            raise BadUserInput(f"{global_id!r} is not the ID of a stock move")
        pks.append(pk)
    if warehouse_scope(info) is not None and pks:
        source = models.Location.__table__.alias("source")
        target = models.Location.__table__.alias("target")
        for from_wh, to_wh in get_session(info).execute(
                select(source.c.warehouse_id, target.c.warehouse_id)
                .select_from(models.StockMove)
                .join(source, source.c.id == models.StockMove.from_location_id)
                .join(target, target.c.id == models.StockMove.to_location_id)
                .where(models.StockMove.id.in_(pks))):
            for warehouse_id in (from_wh, to_wh):
                if warehouse_id is not None:
                    require_scope(info, "warehouse", warehouse_id)
    return pks


def stock_move_reverse(info: Info[Any, Any], input: StockMoveReverseInput,
                       ) -> StockMoveReversePayload:
    pks = _move_pks(info, input.move_ids)
    result, errors = run_posting(
        info, lambda s: reverse_moves(s, pks, reason=input.reason, user_id=_user_id(info),
                                      move_date=input.move_date),
        StockError, scope="stockMoveReverse", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    moves = _moves(get_session(info), result.move_ids) if result is not None else None
    return StockMoveReversePayload(stock_moves=moves, errors=errors)


# -- closing a month -----------------------------------------------------------------------

@strawberry.type(description="A closed stock month: no move may be dated into it.")
class StockPeriod:
    period_end: date = strawberry.field(description="The last day of the closed month.")
    closed_at: datetime


@strawberry.input
class StockPeriodCloseInput:
    month: date = strawberry.field(description="Any day of the month to close; earlier "
                                               "months are closed with it.")


@strawberry.type
class StockPeriodClosePayload:
    stock_period: StockPeriod | None
    errors: list[StockError]  # type: ignore[valid-type]


def stock_period_close(info: Info[Any, Any], input: StockPeriodCloseInput,
                       ) -> StockPeriodClosePayload:
    if warehouse_scope(info) is not None:
        # Closing freezes every warehouse's stock: not for someone who sees only some.
        raise Forbidden("Closing a stock month needs access to every warehouse.",
                        extensions={"scope": "warehouse"})
    row, errors = run_service(info, lambda s: close_stock_period(s, input.month,
                                                                 user_id=_user_id(info)),
                              StockError)
    period = (StockPeriod(period_end=row.period_end, closed_at=row.closed_at)
              if row is not None else None)
    return StockPeriodClosePayload(stock_period=period, errors=errors)


TYPES = [WarehouseCreateInput, BinCreateInput, StockMoveLineInput, StockMoveCreateInput,
         StockMoveReverseInput, StockPeriod, StockPeriodCloseInput]


def mutation_fields() -> list[Any]:
    return [
        mutation(warehouse_create, permission="stock.warehouse.create", name="warehouseCreate"),
        mutation(bin_create, permission="stock.warehouse.create", name="binCreate"),
        mutation(stock_move_create, permission="stock.move.create", name="stockMoveCreate",
                 description="Post a stock document (receipt, issue, internal move, "
                             "adjustment); all lines or none."),
        mutation(stock_move_reverse, permission="stock.move.reverse", name="stockMoveReverse"),
        mutation(stock_period_close, permission="stock.period.close", name="stockPeriodClose"),
    ]
