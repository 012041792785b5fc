"""What ``openjxc check`` audits in the stock ledger (see :mod:`openjxc.core.checks`).

Each audit compares two sides in one ``UNION ALL … GROUP BY … HAVING`` statement — the
ledger (the moves) against what is kept from it (balances, serial units, valuations) —
so it reads the ledger once whatever its size, and only the rows that disagree come back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.checks import REPORT_LIMIT, Check, Violation, limited
from openjxc.core.models import Money, Quantity

from .models import (
    PHYSICAL_KINDS,
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
    StockMoveSerial,
    StockValuation,
    Warehouse,
)


def _zero(kind: type[Quantity] | type[Money]) -> ColumnElement[Any]:
    """A typed constant for one side of a union (scaled on SQLite like the columns)."""
    return cast(literal(Decimal(0), kind()), kind())


def _one() -> ColumnElement[Any]:
    return cast(literal(Decimal(1), Quantity()), Quantity())


def _physical() -> Select[Any]:
    return select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))


def codes(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    """``id → code`` of the few rows a report names."""
    ids.discard(0)
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.code).where(model.id.in_(ids))).all())


def _place(places: dict[int, str], products: dict[int, str], location: int, product: int,
           batch: int = 0) -> str:
    where = f"{places.get(location, location)} × {products.get(product, product)}"
    return f"{where} (batch {batch})" if batch else where


def balance_drifts(session: Session) -> list[Violation]:
    """Each balance (location × product × batch) = Σ moves in − Σ moves out."""
    zero = _zero(Quantity)
    physical = _physical()
    both = union_all(
        select(StockMove.to_location_id.label("location_id"), StockMove.product_id,
               StockMove.batch_id, StockMove.quantity.label("ledger"), zero.label("kept"))
        .where(StockMove.to_location_id.in_(physical)),
        select(StockMove.from_location_id, StockMove.product_id, StockMove.batch_id,
               -StockMove.quantity, zero).where(StockMove.from_location_id.in_(physical)),
        select(StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id, zero,
               StockBalance.quantity),
    ).subquery()
    ledger, kept = func.sum(both.c.ledger), func.sum(both.c.kept)
    rows = session.execute(
        select(both.c.location_id, both.c.product_id, both.c.batch_id, ledger.label("ledger"),
               kept.label("kept"))
        .group_by(both.c.location_id, both.c.product_id, both.c.batch_id)
        .having(ledger != kept).limit(REPORT_LIMIT + 1)).all()
    places = codes(session, Location, {r.location_id for r in rows})
    products = codes(session, Product, {r.product_id for r in rows})
    return limited([Violation(
        f"the balance holds {r.kept} but the moves add up to {r.ledger}",
        subject=_place(places, products, r.location_id, r.product_id, r.batch_id),
        details={"ledger": r.ledger, "balance": r.kept}) for r in rows], "balances")


def forbidden_negatives(session: Session) -> list[Violation]:
    """No balance below zero in a warehouse that does not allow negative stock."""
    rows = session.execute(
        select(StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id,
               StockBalance.quantity)
        .join(Location, Location.id == StockBalance.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(StockBalance.quantity < 0, Warehouse.allow_negative.is_(False),
               Location.kind.in_(PHYSICAL_KINDS))
        .limit(REPORT_LIMIT + 1)).all()
    places = codes(session, Location, {r.location_id for r in rows})
    products = codes(session, Product, {r.product_id for r in rows})
    return limited([Violation(
        f"{r.quantity} on hand in a warehouse that forbids negative stock",
        subject=_place(places, products, r.location_id, r.product_id, r.batch_id),
        details={"quantity": r.quantity}) for r in rows], "negative balances")


def misplaced_serials(session: Session) -> list[Violation]:
    """Each serial unit is in one place: where its last move took it."""
    last = (select(StockMoveSerial.serial_id, func.max(StockMoveSerial.move_id).label("move_id"))
            .group_by(StockMoveSerial.serial_id).subquery())
    rows = session.execute(
        select(SerialNumber.number, SerialNumber.product_id, SerialNumber.location_id,
               StockMove.to_location_id)
        .join(last, last.c.serial_id == SerialNumber.id)
        .join(StockMove, StockMove.id == last.c.move_id)
        .where(StockMove.to_location_id != SerialNumber.location_id)
        .limit(REPORT_LIMIT + 1)).all()
    places = codes(session, Location, {r.location_id for r in rows}
                   | {r.to_location_id for r in rows})
    products = codes(session, Product, {r.product_id for r in rows})
    return limited([Violation(
        f"recorded at {places.get(r.location_id)} but its last move took it to "
        f"{places.get(r.to_location_id)}",
        subject=f"{products.get(r.product_id)} {r.number}") for r in rows], "serial units")


def serial_counts(session: Session) -> list[Violation]:
    """The units of a serial-tracked product in a place are what its balances count."""
    zero = _zero(Quantity)
    physical = _physical()
    serial = select(Product.id).where(Product.tracking == "serial")
    both = union_all(
        select(SerialNumber.location_id, SerialNumber.product_id, _one().label("units"),
               zero.label("kept"))
        .where(SerialNumber.product_id.in_(serial), SerialNumber.location_id.in_(physical)),
        select(StockBalance.location_id, StockBalance.product_id, zero, StockBalance.quantity)
        .where(StockBalance.product_id.in_(serial)),
    ).subquery()
    units, kept = func.sum(both.c.units), func.sum(both.c.kept)
    rows = session.execute(
        select(both.c.location_id, both.c.product_id, units.label("units"),
               kept.label("kept"))
        .group_by(both.c.location_id, both.c.product_id)
        .having(units != kept).limit(REPORT_LIMIT + 1)).all()
    places = codes(session, Location, {r.location_id for r in rows})
    products = codes(session, Product, {r.product_id for r in rows})
    return limited([Violation(
        f"{r.units} serial units are here but the balances hold {r.kept}",
        subject=_place(places, products, r.location_id, r.product_id),
        details={"units": r.units, "balance": r.kept}) for r in rows], "places")


def valuation_drifts(session: Session) -> list[Violation]:
    """Per product, the valuation's quantity and value = Σ of the moves into the company's
    physical locations less those out of them (each move carries its costed value)."""
    no_quantity, no_value = _zero(Quantity), _zero(Money)
    physical = _physical()
    both = union_all(
        select(StockMove.product_id, StockMove.quantity.label("ledger_quantity"),
               StockMove.value.label("ledger_value"), no_quantity.label("kept_quantity"),
               no_value.label("kept_value"))
        .where(StockMove.to_location_id.in_(physical)),
        select(StockMove.product_id, -StockMove.quantity, -StockMove.value, no_quantity,
               no_value).where(StockMove.from_location_id.in_(physical)),
        select(StockValuation.product_id, no_quantity, no_value, StockValuation.quantity,
               StockValuation.value),
    ).subquery()
    sums = [func.sum(both.c[name]).label(name) for name in (
        "ledger_quantity", "ledger_value", "kept_quantity", "kept_value")]
    rows = session.execute(
        select(both.c.product_id, *sums).group_by(both.c.product_id)
        .having((sums[0] != sums[2]) | (sums[1] != sums[3])).limit(REPORT_LIMIT + 1)).all()
    products = codes(session, Product, {r.product_id for r in rows})
    return limited([Violation(
        f"valued at {r.kept_quantity} / {r.kept_value} but the moves add up to "
        f"{r.ledger_quantity} / {r.ledger_value}",
        subject=products.get(r.product_id, str(r.product_id)),
        details={"ledger_quantity": r.ledger_quantity, "ledger_value": r.ledger_value,
                 "quantity": r.kept_quantity, "value": r.kept_value})
        for r in rows], "products")


CHECKS = (
    Check("stock.balances", "Each stock balance is the sum of its moves", balance_drifts),
    Check("stock.negative", "No negative stock where the warehouse forbids it",
          forbidden_negatives),
    Check("stock.serial_places", "Each serial unit is where its last move took it",
          misplaced_serials),
    Check("stock.serial_counts", "The balances of serial-tracked products count their units",
          serial_counts),
    Check("stock.valuation", "Stock quantity and value per product are the sums of the "
          "costed moves", valuation_drifts),
)
