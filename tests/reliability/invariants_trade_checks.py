"""The promises the cross-addon invariant machine checks after every step (see
test_invariants_trade.py).  No test is collected from this module."""

from __future__ import annotations

from decimal import Decimal

from invariants_trade_support import (
    TradeWorld,
    physical_location_ids,
    serial_histories,
    serial_rows,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.models import (
    Location,
    StockBalance,
    StockMove,
)
from openjxc.addons.serial_warranty.models import Warranty


def check_ledger(world: TradeWorld, session: Session) -> None:
    physical = physical_location_ids(session)
    sums: dict[tuple[int, int, int], Decimal] = {}
    for column, sign in ((StockMove.to_location_id, 1), (StockMove.from_location_id, -1)):
        for place, product, batch, total in session.execute(
                select(column, StockMove.product_id, StockMove.batch_id,
                       func.sum(StockMove.quantity))
                .where(column.in_(physical))
                .group_by(column, StockMove.product_id, StockMove.batch_id)):
            key = (place, product, batch)
            sums[key] = sums.get(key, Decimal(0)) + sign * Decimal(total)
    balances = {(b.location_id, b.product_id, b.batch_id): b.quantity
                for b in session.scalars(select(StockBalance))}
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in sums.items() if v}
    wh1 = set(session.scalars(select(Location.id).where(
        Location.warehouse_id == world.ids["WH1"])))
    assert all(q >= 0 for (place, _p, _b), q in balances.items() if place in wh1), balances
    histories = serial_histories(session)
    per_place: dict[tuple[int, int], int] = {}
    numbers = set()
    for serial_id, product_id, number, place in serial_rows(session):
        assert (product_id, number) not in numbers
        numbers.add((product_id, number))
        assert histories[serial_id][-1][3] == place, (number, histories[serial_id])
        if place in physical:
            per_place[(place, product_id)] = per_place.get((place, product_id), 0) + 1
    ser = world.ids["SER"]
    assert per_place == {(place, product): int(q) for (place, product, _b), q
                         in balances.items() if product == ser and q}


def check_warranties(session: Session) -> None:
    """A warranty per sales delivery of the unit; live exactly when its last move is one."""
    histories = serial_histories(session)
    warranties: dict[int, list[Warranty]] = {}
    for warranty in session.scalars(select(Warranty).order_by(Warranty.id)):
        warranties.setdefault(warranty.serial_id, []).append(warranty)
    for serial_id, moves in histories.items():
        mine = warranties.get(serial_id, [])
        deliveries = [origin_id for _m, origin, origin_id, _to in moves
                      if origin == "sales.delivery"]
        assert [w.delivery_id for w in mine] == deliveries, (serial_id, moves)
        live = [w for w in mine if w.voided_on is None]
        last = moves[-1]
        assert [w.delivery_id for w in live] == (
            [last[2]] if last[1] == "sales.delivery" else []), (serial_id, moves)
