"""Random trading across addons keeps every promise of the ledger, the documents, credit
control, warranties and idempotency keys.

A hypothesis state machine drives a Pro database (base_jxc + serial_warranty) through the
services and, where idempotency keys live, through GraphQL: purchase receipts (plain and
by serial), sales orders for customers with credit limits (confirmed, or waiting for an
approval that only a manager may give), deliveries (everything, part, by serial, more than
is there), transfers, counts, reversals, customer returns into quarantine and their
inspection, invoices and payments, warranty extensions, and requests repeated with the
same idempotency key.  After every step (:meth:`TradeMachine.promises_hold`):

* each balance is the sum of its moves (location × product × batch), and the serial units
  in a place are as many as its balance says; no balance below zero in ``WH1``;
* each serial unit is where its last move took it;
* a unit has as many warranties as sales deliveries took it to a customer, and one live
  warranty exactly when its last move is such a delivery (a return, or the reversal of the
  delivery, voids it; sold again it gets a new one);
* nothing posted changed: moves, receipt and delivery lines, invoices, payments,
  approvals and the issue of warranties are as first seen;
* an order over its customer's limit (+ tolerance) — by the exposure docs/trading.md
  defines, computed here from the documents — waits, and is let through only by a
  manager's approval, recorded with that exposure; within the limit nothing is recorded;
  an order waiting for an approval has nothing reserved or delivered;
* one effect per idempotency key: a retry gets the first answer and changes nothing; the
  key with other input is ``IDEMPOTENCY_KEY_REUSED``; a refused request keeps no key;

and at the end of each example ``openjxc check`` (every registered audit) finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from invariants_trade_checks import check_ledger, check_warranties
from invariants_trade_rules import APPROVE, DELIVER, STOCK_CODES, TradeRules
from invariants_trade_support import (
    D,
    TradeWorld,
    build_trade_world,
    ceiling,
    credit_exposure,
    order_own_total,
    serial_rows,
    snapshot,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.sales.confirmation import confirm_sales_order
from openjxc.addons.base_jxc.sales.lines import SalesLineInput
from openjxc.addons.base_jxc.sales.models import (
    AWAITING_APPROVAL,
    CONFIRMED,
    SalesCreditApproval,
    SalesOrder,
    SalesOrderLine,
    SalesReservation,
)
from openjxc.addons.base_jxc.sales.orders import create_sales_order
from openjxc.addons.base_jxc.stock.models import (
    Location,
)
from openjxc.core.checks import report, run_checks
from openjxc.core.idempotency import IdempotencyKey
from openjxc.graphql.relay import to_global_id as gid
from openjxc.testing.fixtures import DatabaseFactory


class TradeMachine(TradeRules):
    # -- selling -----------------------------------------------------------------------

    @rule(data=st.data(), customer=st.sampled_from(["C1", "C2", "C3"]),
          plain=st.integers(0, 8), units=st.integers(0, 2),
          price=st.sampled_from(["90", "100", "250"]),
          then=st.sampled_from(["", "all", "part", "over", "serial"]), key=st.booleans())
    def take_order(self, data: st.DataObject, customer: str, plain: int, units: int,
                   price: str, then: str, key: bool) -> None:
        """Take an order and confirm it; deliver it at once (``then``) if it may go."""
        w = self.world
        lines = [SalesLineInput(product_id=w.ids["PLAIN"], quantity=D(plain),
                                unit_price=D(price))] if plain else []
        lines += [SalesLineInput(product_id=w.ids["SER"], quantity=D(units))] if units else []
        if not lines:
            return
        with w.uow() as session:
            order = create_sales_order(session, customer_id=w.ids[customer],
                                       warehouse_id=w.ids["WH1"], lines=lines,
                                       user_id=w.ids["clerk"])
            session.flush()
            expected = (credit_exposure(session, w.ids[customer], excluding=order.id)
                        + order_own_total(session, order.id))
            limit = ceiling(session, w.ids[customer])
            confirmed, check = confirm_sales_order(session, order.id, user_id=w.ids["clerk"])
            over = limit is not None and expected > limit
            assert check.exposure == expected or limit is None, (check, expected)
            assert confirmed.state == (AWAITING_APPROVAL if over else CONFIRMED), (
                confirmed.state, expected, limit)
            event(f"order {'waits' if over else 'confirmed'}")
            if not over:
                self.over_limit[order.id] = False
            order_id = order.id
        if then:
            self.deliver_one(data, then, key, order_id)

    @precondition(lambda self: self.work["approve"])
    @rule(data=st.data(), as_clerk=st.booleans())
    def approve(self, data: st.DataObject, as_clerk: bool) -> None:
        w = self.world
        with w.uow(readonly=True) as session:
            waiting = list(session.scalars(select(SalesOrder).where(
                SalesOrder.state == AWAITING_APPROVAL).order_by(SalesOrder.id)))
            if not waiting:
                return
            order = data.draw(st.sampled_from(waiting))
            expected = (credit_exposure(session, order.customer_id, excluding=order.id)
                        + order_own_total(session, order.id))
            limit = ceiling(session, order.customer_id)
        assert limit is not None
        if as_clerk:
            before = self.counts()
            refused = w.gql("clerk", APPROVE, {"id": gid("SalesOrder", order.id)})
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
            assert self.counts() == before
            return
        done = w.gql("manager", APPROVE, {"id": gid("SalesOrder", order.id)})
        assert done["data"]["salesOrderApprove"] == {"salesOrder": {"state": "CONFIRMED"},
                                                     "errors": []}, done
        self.over_limit[order.id] = expected > limit
        event(f"approved {'over' if expected > limit else 'within'} the limit")
        with w.uow(readonly=True) as session:
            approvals = list(session.scalars(select(SalesCreditApproval).where(
                SalesCreditApproval.order_id == order.id)))
            assert [(a.user_id, a.exposure, a.credit_limit) for a in approvals] == (
                [(w.ids["manager"], expected, session.get_one(
                    Partner, order.customer_id).credit_limit)] if expected > limit else [])

    @precondition(lambda self: self.work["deliver"])
    @rule(data=st.data(), mode=st.sampled_from(["all", "part", "over", "serial"]),
          key=st.booleans())
    def deliver(self, data: st.DataObject, mode: str, key: bool) -> None:
        self.deliver_one(data, mode, key)

    def deliver_one(self, data: st.DataObject, mode: str, key: bool,
                    order_id: int | None = None) -> None:
        w = self.world
        with w.uow(readonly=True) as session:
            orders = [o for o in self.open_orders(session) if order_id in (None, o.id)]
            if not orders:
                return
            order = data.draw(st.sampled_from(orders))
            lines = [line for line in session.scalars(select(SalesOrderLine).where(
                SalesOrderLine.order_id == order.id).order_by(SalesOrderLine.position))
                if line.quantity > line.delivered_quantity]
            if not lines:
                return
            line = data.draw(st.sampled_from(lines))
            left = line.quantity - line.delivered_quantity
            can = self.available(session, line)
            entry: dict[str, Any] = {"orderLineId": gid("SalesOrderLine", line.id)}
            if mode == "all":
                entries = None
                ok = all(x.quantity - x.delivered_quantity <= self.available(session, x)
                         for x in lines)
                allowed = STOCK_CODES
            elif mode == "serial" and line.product_id == w.ids["SER"]:
                units = serial_rows(session)
                if not units:
                    return
                _id, _product, number, place = data.draw(st.sampled_from(
                    [u for u in units if u[1] == line.product_id]))
                entries = [entry | {"serials": [number]}]
                in_wh1 = session.scalar(select(Location.warehouse_id).where(
                    Location.id == place, Location.kind == "internal")) == w.ids["WH1"]
                ok = in_wh1 and self.available(session, line, place) >= 1
                allowed = STOCK_CODES if in_wh1 else {"SERIAL_NOT_IN_LOCATION"}
            else:
                low = int(can) + 1 if mode == "over" else 1
                if low > left:
                    return
                quantity = data.draw(st.integers(low, int(left)))
                entries = [entry | {"quantity": str(quantity)}]
                ok = quantity <= can
                allowed = STOCK_CODES
        before = self.counts()
        variables: dict[str, Any] = {"input": {"id": gid("SalesOrder", order.id)}}
        if entries is not None:
            variables["input"]["lines"] = entries
        payload = self.keyed("boss", DELIVER, "salesOrderDeliver", variables, self.key(key))
        codes = {e["code"] for e in payload["errors"]}
        event(f"deliver {mode}: {'ok' if ok else 'refused'}")
        if ok:
            assert codes == set(), (payload, mode)
            self.remember_moves("sales.delivery")
        else:
            assert codes and codes <= allowed, (payload, mode)
            assert self.counts() == before

    # -- the promises ------------------------------------------------------------------

    @invariant()
    def promises_hold(self) -> None:
        with self.world.uow(readonly=True) as session:
            check_ledger(self.world, session)
            check_warranties(session)
            self.check_posted(session)
            self.check_credit(session)
            keys = session.scalars(select(IdempotencyKey.response)).all()
            assert len(keys) == self.stored_keys and None not in keys
            self.look_for_work(session)

    def check_posted(self, session: Session) -> None:
        now = snapshot(session)
        for table, rows in self.first_seen.items():
            changed = {k: (v, now[table].get(k)) for k, v in rows.items()
                       if now[table].get(k) != v}
            assert not changed, (table, changed)
        self.first_seen = now

    def check_credit(self, session: Session) -> None:
        approvals: dict[int, list[SalesCreditApproval]] = {}
        for approval in session.scalars(select(SalesCreditApproval)):
            approvals.setdefault(approval.order_id, []).append(approval)
        for order in session.scalars(select(SalesOrder)):
            if order.state in ("draft", "cancelled"):
                continue
            if order.state == AWAITING_APPROVAL:
                assert order.id not in approvals and order.confirmed_at is None
                assert not session.scalar(select(func.count()).select_from(SalesReservation)
                                          .join(SalesOrderLine).where(
                                              SalesOrderLine.order_id == order.id))
                continue
            over = self.over_limit[order.id]
            assert len(approvals.get(order.id, [])) == (1 if over else 0), order.number
            assert (order.approved_total == order.amount_total) if over else (
                order.approved_total is None)
            if over:
                assert approvals[order.id][0].user_id == self.world.ids["manager"]
                assert approvals[order.id][0].order_total == order.amount_total

    def teardown(self) -> None:
        results = run_checks(self.world.env)
        assert all(r.ok for r in results), report(results)
        self.world.env.database.dispose()


@pytest.fixture
def trade_world(databases: DatabaseFactory) -> Iterator[TradeWorld]:
    world = build_trade_world(databases.new())
    yield world
    world.env.database.dispose()


@pytest.mark.slow
def test_random_trading_keeps_every_promise(trade_world: TradeWorld) -> None:
    TradeMachine.world = trade_world
    run_state_machine_as_test(TradeMachine, settings=settings(
        max_examples=12, stateful_step_count=25, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
