"""Random receipts, deliveries, transfers, counts and reversals keep the ledger's promises.

A hypothesis state machine drives the engine on SQLite and on PostgreSQL (one fresh
database per backend; each example starts from empty stock) and checks after every step:

* every balance is the sum of the moves for its location × product × batch (in SQL);
* no balance below zero in WH1 (which forbids it); WH2 allows it;
* each serial unit is where its last move took it, and the balances count those units;
* the valuation's value per product is Σ values of moves into physical locations − out
  of them, and its quantity is Σ of the physical balances;
* a refused posting changes nothing, and a refused delivery is ``INSUFFICIENT_STOCK``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, func, select, update
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock.models import (
    PHYSICAL_KINDS,
    Batch,
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
    StockMoveSerial,
    StockPeriod,
    StockSnapshot,
    StockValuation,
)
from openjxc.addons.base_jxc.stock.posting import MoveLine
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.core.errors import ValidationFailed

PLACES = ["WH1/STOCK", "WH1/A-01", "WH1/TRANSIT", "WH2/STOCK", "WH2/TRANSIT"]
FORBIDS_NEGATIVE = {"WH1/STOCK", "WH1/A-01", "WH1/TRANSIT"}
OUTSIDE = ["customer", "adjustment", "loss"]
BATCHES = ["L1", "L2", "L3"]

quantities = st.one_of(st.integers(1, 12).map(Decimal),
                       st.decimals(min_value=D("0.5"), max_value=D(8), places=1))
costs = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=3)
places = st.sampled_from(PLACES)


def empty_stock(world: StockWorld) -> None:
    with world.uow() as session:
        session.execute(update(StockMove).values(reversal_of_id=None))
        for model in (StockMoveSerial, SerialNumber, StockMove, StockBalance, StockValuation,
                      Batch, StockSnapshot, StockPeriod):
            session.execute(delete(model))


class StockMachine(RuleBasedStateMachine):
    world: StockWorld

    def __init__(self) -> None:
        super().__init__()
        empty_stock(self.world)
        self.next_serial = 0
        self.move_ids: list[int] = []

    # -- helpers -----------------------------------------------------------------------

    def attempt(self, lines: list[MoveLine], **kwargs: object) -> list[str]:
        """Post; on refusal check nothing changed and return the codes."""
        w = self.world
        before = w.counts()
        try:
            self.move_ids.extend(w.post(lines, **kwargs).move_ids)  # type: ignore[arg-type]
            return []
        except ValidationFailed as exc:
            assert w.counts() == before
            return [e.code for e in exc.errors]

    def expect_stock_rule(self, codes: list[str], source: str, product: str, quantity: Decimal,
                          batch_id: int = 0, before: Decimal | None = None) -> None:
        available = before if before is not None else Decimal(0)
        short = source in FORBIDS_NEGATIVE and available < quantity
        if short:
            assert codes == ["INSUFFICIENT_STOCK"], codes
        else:
            assert codes == [], codes

    # -- rules -------------------------------------------------------------------------

    @rule(product=st.sampled_from(["PLAIN", "PLAIN2"]), quantity=quantities, cost=costs,
          dest=places)
    def receive_plain(self, product: str, quantity: Decimal, cost: Decimal, dest: str) -> None:
        w = self.world
        assert self.attempt([w.line(product, quantity, "supplier", dest, unit_cost=cost)]) == []

    @rule(quantity=st.integers(1, 10), cost=costs, dest=places, batch=st.sampled_from(BATCHES))
    def receive_batch(self, quantity: int, cost: Decimal, dest: str, batch: str) -> None:
        w = self.world
        assert self.attempt([w.line("BAT", quantity, "supplier", dest, unit_cost=cost,
                                    batch_number=batch)]) == []

    @rule(count=st.integers(1, 3), cost=costs, dest=places, again=st.booleans())
    def receive_serials(self, count: int, cost: Decimal, dest: str, again: bool) -> None:
        w = self.world
        numbers = [f"S{self.next_serial + i:04d}" for i in range(count)]
        if again and self.next_serial:
            numbers[0] = f"S{self.next_serial - 1:04d}"  # a unit already received
        where = w.serial_location("SER", numbers[0])
        codes = self.attempt([w.line("SER", count, "supplier", dest, unit_cost=cost,
                                     serials=numbers)])
        if where is None or where in (w.locations["supplier"],):
            assert codes == []
            self.next_serial += count
        elif where in (w.locations["customer"], w.locations["adjustment"], w.locations["loss"]):
            assert codes == ["SERIAL_NOT_IN_LOCATION"], codes
        else:
            assert codes == ["SERIAL_ALREADY_EXISTS"], codes

    @rule(product=st.sampled_from(["PLAIN", "PLAIN2"]), quantity=quantities, source=places,
          dest=st.sampled_from(OUTSIDE + PLACES))
    def move_plain(self, product: str, quantity: Decimal, source: str, dest: str) -> None:
        """Deliveries, losses, counts (to adjustment) and transfers."""
        w = self.world
        if source == dest:
            return
        before = w.balance(source, product)
        codes = self.attempt([w.line(product, quantity, source, dest)])
        self.expect_stock_rule(codes, source, product, quantity, before=before)

    @rule(product=st.sampled_from(["PLAIN", "PLAIN2"]), quantity=quantities, dest=places)
    def count_finds_more(self, product: str, quantity: Decimal, dest: str) -> None:
        w = self.world
        assert self.attempt([w.line(product, quantity, "adjustment", dest)]) == []

    @rule(quantity=st.integers(1, 10), source=places, dest=st.sampled_from(OUTSIDE + PLACES),
          batch=st.sampled_from(BATCHES))
    def move_batch(self, quantity: int, source: str, dest: str, batch: str) -> None:
        w = self.world
        if source == dest:
            return
        with w.uow() as session:
            batch_id = session.scalar(select(Batch.id).where(Batch.number == batch))
        if batch_id is None:
            return
        before = w.balance(source, "BAT", batch_id)
        codes = self.attempt([w.line("BAT", quantity, source, dest, batch_id=batch_id)])
        self.expect_stock_rule(codes, source, "BAT", D(quantity), before=before)

    @rule(data=st.data(), dest=st.sampled_from(OUTSIDE + PLACES), guess=places)
    def move_serial(self, data: st.DataObject, dest: str, guess: str) -> None:
        w = self.world
        if not self.next_serial:
            return
        number = f"S{data.draw(st.integers(0, self.next_serial - 1)):04d}"
        where = w.serial_location("SER", number)
        source = data.draw(st.sampled_from([guess] + [c for c in PLACES if
                                                      w.locations[c] == where]))
        if source == dest:
            return
        codes = self.attempt([w.line("SER", 1, source, dest, serials=[number])])
        if w.locations[source] == where:
            assert codes == [], codes
        else:
            assert codes == ["SERIAL_NOT_IN_LOCATION"], codes

    @rule(data=st.data())
    def reverse_a_move(self, data: st.DataObject) -> None:
        w = self.world
        if not self.move_ids:
            return
        move_id = data.draw(st.sampled_from(self.move_ids))
        with w.uow() as session:
            move = session.get(StockMove, move_id)
            assert move is not None
            is_reversal = move.reversal_of_id is not None
            reversed_already = session.scalar(select(func.count()).where(
                StockMove.reversal_of_id == move_id))
        before = w.counts()
        try:
            with w.uow() as session:
                self.move_ids.extend(reverse_moves(session, [move_id], reason="test").move_ids)
            codes: list[str] = []
        except ValidationFailed as exc:
            codes = [e.code for e in exc.errors]
            assert w.counts() == before
        if is_reversal:
            assert codes == ["IS_REVERSAL"]
        elif reversed_already:
            assert codes == ["ALREADY_REVERSED"]
        else:
            # one SERIAL_NOT_IN_LOCATION per unit of the move that has gone elsewhere
            assert codes in ([], ["INSUFFICIENT_STOCK"]) or set(codes) == {
                "SERIAL_NOT_IN_LOCATION"}, codes

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def ledger_promises_hold(self) -> None:
        check_ledger(self.world)


def check_ledger(w: StockWorld) -> None:
    with w.uow(readonly=True) as session:
        kinds = {r.id: r for r in session.execute(select(Location.id, Location.kind,
                                                         Location.code))}
        physical = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
        sums: dict[tuple[int, int, int], Decimal] = {}
        for column, sign in ((StockMove.to_location_id, 1), (StockMove.from_location_id, -1)):
            for row in session.execute(
                    select(column, StockMove.product_id, StockMove.batch_id,
                           func.sum(StockMove.quantity))
                    .where(column.in_(physical))
                    .group_by(column, StockMove.product_id, StockMove.batch_id)):
                key = (row[0], row[1], row[2])
                sums[key] = sums.get(key, Decimal(0)) + sign * Decimal(row[3])
        balances = {
            (r.location_id, r.product_id, r.batch_id): r.quantity
            for r in session.execute(select(StockBalance.location_id, StockBalance.product_id,
                                            StockBalance.batch_id, StockBalance.quantity))}
        nonzero = {k: v for k, v in sums.items() if v != 0}
        assert {k: v for k, v in balances.items() if v != 0} == nonzero
        for (location, _product, _batch), quantity in balances.items():
            if kinds[location].code in FORBIDS_NEGATIVE:
                assert quantity >= 0, (kinds[location].code, quantity)
        # serial units: where their last move took them, and counted by the balances
        last_move = dict(session.execute(
            select(StockMoveSerial.serial_id, func.max(StockMoveSerial.move_id))
            .group_by(StockMoveSerial.serial_id)).all())
        destinations = dict(session.execute(
            select(StockMove.id, StockMove.to_location_id)
            .where(StockMove.id.in_(set(last_move.values())))).all()) if last_move else {}
        per_place: dict[tuple[int, int], int] = {}
        for serial in session.execute(select(SerialNumber.id, SerialNumber.product_id,
                                             SerialNumber.location_id)):
            assert destinations[last_move[serial.id]] == serial.location_id
            if kinds[serial.location_id].kind in PHYSICAL_KINDS:
                place = (serial.location_id, serial.product_id)
                per_place[place] = per_place.get(place, 0) + 1
        serial_product = w.products["SER"]
        assert per_place == {(loc, prod): int(q) for (loc, prod, _b), q in balances.items()
                             if prod == serial_product and q != 0}
        # valuation = Σ costed moves; its quantity = Σ physical balances
        values: dict[int, Decimal] = {}
        for column, sign in ((StockMove.to_location_id, 1), (StockMove.from_location_id, -1)):
            for product_id, total in session.execute(
                    select(StockMove.product_id, func.sum(StockMove.value))
                    .where(column.in_(physical))
                    .group_by(StockMove.product_id)):
                values[product_id] = values.get(product_id, Decimal(0)) + sign * Decimal(total)
        quantities_by_product: dict[int, Decimal] = {}
        for (_loc, product_id, _batch), quantity in balances.items():
            quantities_by_product[product_id] = quantities_by_product.get(
                product_id, Decimal(0)) + quantity
        for valuation in session.execute(select(StockValuation.product_id,
                                                StockValuation.quantity, StockValuation.value)):
            product_id = valuation.product_id
            assert valuation.value == values.get(product_id, Decimal(0)), valuation
            assert valuation.quantity == quantities_by_product.get(product_id, Decimal(0)), (
                valuation)


@pytest.fixture
def machine_world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def test_random_stock_operations_keep_the_ledger_exact(machine_world: StockWorld) -> None:
    StockMachine.world = machine_world
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=20, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
