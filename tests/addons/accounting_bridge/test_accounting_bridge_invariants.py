"""Whatever receipts, deliveries, invoices, credit notes and payments happen, every
voucher balances and the stock account equals the stock ledger's value (hypothesis, on
SQLite and PostgreSQL; one database per backend, the invariants hold cumulatively)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounting_support import World, build_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openjxc.addons.base_jxc.stock.models import StockBalance

D = Decimal

quantities = st.integers(min_value=1, max_value=20).map(D)
prices = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2)
operation = st.one_of(
    st.tuples(st.just("receive"), quantities, prices),
    st.tuples(st.just("deliver"), quantities, prices),
    st.tuples(st.sampled_from(["receivable", "payable"]), quantities, prices),
    st.tuples(st.just("credit"), quantities, prices),
    st.tuples(st.sampled_from(["pay_in", "pay_out"]), quantities, prices),
)


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {}


def on_hand(world: World) -> Decimal:
    from sqlalchemy import func, select

    with world.uow(readonly=True) as s:
        return D(s.scalar(select(func.coalesce(func.sum(StockBalance.quantity), 0)).where(
            StockBalance.location_id == world.ids["WH1/STOCK"])) or 0)


def apply(world: World, op: tuple[str, Decimal, Decimal]) -> None:
    kind, qty, price = op
    if kind == "receive":
        world.run(lambda s: world.receive(s, qty, price))
    elif kind == "deliver":
        qty = min(qty, on_hand(world))
        if qty > 0:
            world.run(lambda s: world.deliver(s, qty))
    elif kind in ("receivable", "payable"):
        world.run(lambda s: world.invoice(s, kind, qty, price))
    elif kind == "credit":
        world.run(lambda s: world.invoice(s, "receivable", qty, price, kind="credit_note"))
    else:
        direction = "receivable" if kind == "pay_in" else "payable"
        world.run(lambda s: world.pay(s, direction, qty * price))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=6))
def test_vouchers_balance_and_stock_agrees(database_url: str, worlds: dict[str, World],
                                           ops: list[tuple[str, Decimal, Decimal]]) -> None:
    world = worlds.get(database_url)
    if world is None:
        world = worlds[database_url] = build_world(database_url)
    for op in ops:
        apply(world, op)
    assert world.unbalanced() == []
    assert world.balance("1405") == world.stock_value()
    trial = sum((world.balance(c) for c in "123456"), D(0))
    assert trial == 0
