"""The demo dealer loads and tells a consistent story: catalog, partners, stock, history,
and the last weeks' trading — orders in every state, money owed both ways, and figures
the analysis and planning queries can show.

The basic demo (``openjxc demo --edition basic``) is copied from the test run's template
once per backend (loading it takes a while) and read by both tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import BomLine, KitComponent, Product, ProductRelation
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.addons.base_jxc.partners.credit_code import is_valid
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.purchase.models import (
    PurchaseApproval,
    PurchaseOrder,
    PurchaseReceiptLine,
    PurchaseRequisition,
    PurchaseReturn,
)
from openjxc.addons.base_jxc.returns.models import ReturnRequest
from openjxc.addons.base_jxc.sales.models import Quotation, SalesCreditApproval, SalesOrder
from openjxc.addons.base_jxc.stock.models import (
    Batch,
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
    StockPeriod,
    StockValuation,
    Warehouse,
)
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.env import Environment
from openjxc.graphql import to_global_id
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory, create_test_demo
from openjxc.testing.graphql import GraphQLTester


@dataclass
class Demo:
    env: Environment
    api: GraphQLTester


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    databases = DatabaseFactory(request.param, tmp_path_factory.mktemp("demo"))
    url = databases.new()
    create_test_demo(url, "basic")
    env = Environment.for_edition("basic", database_url=url)
    try:
        yield Demo(env, GraphQLTester(env, locale="en"))
    finally:
        env.database.dispose()
        databases.cleanup()


def _ledger_balances(session: Session) -> dict[tuple[int, int, int], Decimal]:
    """Σ moves per location × product × batch, over physical locations."""
    ins = select(StockMove.to_location_id.label("location"), StockMove.product_id.label("p"),
                 StockMove.batch_id.label("b"), StockMove.quantity.label("q"))
    outs = select(StockMove.from_location_id, StockMove.product_id, StockMove.batch_id,
                  -StockMove.quantity)
    moves = union_all(ins, outs).subquery()
    physical = select(Location.id).where(Location.warehouse_id.is_not(None))
    rows = session.execute(
        select(moves.c.location, moves.c.p, moves.c.b, func.sum(moves.c.q))
        .where(moves.c.location.in_(physical))
        .group_by(moves.c.location, moves.c.p, moves.c.b))
    return {(r[0], r[1], r[2]): Decimal(r[3]) for r in rows if Decimal(r[3]) != 0}


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _states(session: Session, model: Any) -> dict[str, int]:
    return dict(session.execute(select(model.state, func.count()).group_by(model.state))
                .all())


def test_the_demo_dealer_loads_with_a_consistent_history(demo: Demo) -> None:
    with demo.env.unit_of_work(readonly=True) as session:
        assert _count(session, Product) >= 200
        motors = session.scalars(select(Product.code).where(
            Product.code.like("DJ-YE3-%"))).all()
        assert "DJ-YE3-132S-4-5.5-4" in motors and "DJ-YE3-315L1-4-160-4" in motors
        assert _count(session, Warehouse) == 3
        bins = session.scalar(select(func.count()).select_from(Location)
                              .where(Location.parent_id.is_not(None)))
        assert bins is not None and bins >= 3
        partners = session.execute(select(Partner.credit_code, Partner.is_customer,
                                          Partner.is_supplier)).all()
        assert any(p.is_supplier for p in partners) and any(p.is_customer for p in partners)
        assert all(p.credit_code and is_valid(p.credit_code) for p in partners)
        assert _count(session, SerialNumber) > 100
        assert _count(session, Batch) > 10
        assert _count(session, StockMove) > 500
        assert _count(session, StockPeriod) >= 3
        assert _count(session, ProductRelation) > 20
        assert _count(session, KitComponent) > 0
        assert _count(session, BomLine) > 0
        kinds = set(session.scalars(select(StockMove.origin_type).distinct()))
        assert {"purchase.receipt", "purchase.return", "sales.delivery", "sales.return",
                "sales.return.inspection", "transfer"} <= kinds

        balances = {(b.location_id, b.product_id, b.batch_id): b.quantity
                    for b in session.scalars(select(StockBalance))
                    if b.quantity != 0}
        assert balances == _ledger_balances(session)
        assert all(q > 0 for q in balances.values())
        # every serial unit in stock is where the balances say it is
        in_stock = session.execute(
            select(SerialNumber.location_id, SerialNumber.product_id, func.count())
            .join(Location, Location.id == SerialNumber.location_id)
            .where(Location.warehouse_id.is_not(None))
            .group_by(SerialNumber.location_id, SerialNumber.product_id)).all()
        assert in_stock
        for location_id, product_id, count in in_stock:
            assert balances[(location_id, product_id, 0)] == count
        # nothing reserved that is not there, and something is reserved (confirmed orders)
        reserved = session.execute(select(StockBalance.quantity, StockBalance.reserved)
                                   .where(StockBalance.reserved != 0)).all()
        assert reserved and all(0 < r <= q for q, r in reserved)
        # stock value = Σ costed moves in and out of the company
        valued = session.scalar(select(func.sum(StockValuation.value)))
        assert valued is not None and Decimal(valued) > 0


def test_the_demo_trades_in_every_state(demo: Demo) -> None:
    with demo.env.unit_of_work(readonly=True) as session:
        today = business_today(session)
        assert set(_states(session, PurchaseRequisition)) >= {"submitted", "ordered",
                                                              "rejected"}
        orders = _states(session, PurchaseOrder)
        assert set(orders) == {"draft", "approved", "partly_received", "received", "closed",
                               "cancelled"}
        # a draft above the threshold with one of its two approvals
        assert session.scalar(select(func.count()).select_from(PurchaseOrder).where(
            PurchaseOrder.state == "draft", PurchaseOrder.approvals_required == 2,
            PurchaseOrder.id.in_(select(PurchaseApproval.order_id)))) == 1
        # inspection rejected goods into quarantine and at the door; one unit went back
        rejected = dict(session.execute(
            select(PurchaseReceiptLine.rejected_to,
                   func.sum(PurchaseReceiptLine.rejected_quantity))
            .where(PurchaseReceiptLine.rejected_quantity > 0)
            .group_by(PurchaseReceiptLine.rejected_to)).all())
        assert set(rejected) == {"quarantine", "supplier"}
        assert _count(session, PurchaseReturn) == 1
        assert set(_states(session, SalesOrder)) == {
            "draft", "awaiting_approval", "confirmed", "partly_delivered", "delivered",
            "closed", "cancelled"}
        assert _count(session, SalesCreditApproval) >= 1
        assert set(_states(session, Quotation)) >= {"draft", "sent", "accepted", "rejected"}
        assert set(_states(session, ReturnRequest)) == {"requested", "inspected", "closed"}
        invoices = {(d, k, s) for d, k, s in session.execute(
            select(Invoice.direction, Invoice.kind, Invoice.state).distinct())}
        assert {("receivable", "invoice", s) for s in ("open", "partly_settled", "settled")} \
            <= invoices
        assert {("payable", "invoice", s) for s in ("open", "partly_settled", "settled")} \
            <= invoices
        assert ("receivable", "credit_note", "open") in invoices
        paid_out = session.scalar(select(func.count()).select_from(Payment)
                                  .where(Payment.direction == "payable"))
        assert paid_out is not None and paid_out >= 3
        hq = session.scalars(select(Warehouse.id).where(Warehouse.code == "HQ")).one()
        partners = dict(session.execute(select(Partner.code, Partner.id)).all())
    api = demo.api
    expired = api.ok("{ quotations(filter: {state: EXPIRED}) { totalCount } }")
    assert expired["quotations"]["totalCount"] == 1
    owed = api.ok("""{ receivablesAging { totals { notDue overdue balance } rows { partnerCode } }
                       payablesAging { totals { balance } } }""")
    receivables = owed["receivablesAging"]["totals"]
    assert Decimal(receivables["overdue"]) > 0 and Decimal(receivables["notDue"]) > 0
    assert len(owed["receivablesAging"]["rows"]) >= 3
    assert Decimal(owed["payablesAging"]["totals"]["balance"]) > 0

    period = {"from": str(today - timedelta(days=70)), "to": str(today - timedelta(days=1))}
    kpis = api.ok("""query($from: Date!, $to: Date!) { kpis(from: $from, to: $to) {
        inventoryTurnover { turnover costOfGoodsSold averageValue }
        onTimeDelivery { dueCount onTimeCount } purchaseApprovalTime { orderCount averageHours }
        salesTrend { revenue months { month revenue } } } }""", period)["kpis"]
    (turnover,) = kpis["inventoryTurnover"]
    assert Decimal(turnover["turnover"]) > 0 and Decimal(turnover["costOfGoodsSold"]) > 0
    (approvals,) = kpis["purchaseApprovalTime"]
    assert approvals["orderCount"] >= 8 and Decimal(approvals["averageHours"]) >= 1
    assert kpis["onTimeDelivery"][0]["dueCount"] > 0
    assert Decimal(kpis["salesTrend"][0]["revenue"]) > 0
    dead = api.ok("{ deadStock(first: 5) { totalCount edges { node { status value } } } }")
    assert dead["deadStock"]["totalCount"] > 0
    assert all(Decimal(e["node"]["value"]) > 0 for e in dead["deadStock"]["edges"])
    suggested = [e["node"] for e in api.ok("""query($w: ID!) {
        purchaseSuggestions(warehouseId: $w) { edges { node {
        quantity supplier { code } product { code } } } } }""",
                       {"w": to_global_id("Warehouse", hq)})["purchaseSuggestions"]["edges"]]
    assert suggested and all(Decimal(s["quantity"]) > 0 for s in suggested)
    assert any(s["supplier"] for s in suggested)
    scores = [e["node"] for e in api.ok("""query($from: Date!, $to: Date!) {
        supplierScores(from: $from, to: $to, first: 100) { edges { node {
        score grade service supplier { code } } } } }""", period)["supplierScores"]["edges"]]
    graded = {s["supplier"]["code"]: s for s in scores if s["grade"]}
    assert {"S001", "S002", "S003"} <= set(graded)
    assert graded["S002"]["service"] is not None
    assert set(partners) >= set(graded)
