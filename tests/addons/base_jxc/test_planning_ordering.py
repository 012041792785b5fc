"""Purchase suggestions become draft purchase orders, one per supplier, in one mutation;
a line without a supplier refuses the whole request and nothing is made."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from test_planning_support import AS_OF, build_shop, gid, world
from trading_support import TradingWorld

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.planning.ordering import SuggestedLine, order_suggestions
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder, PurchaseOrderLine
from openjxc.addons.base_jxc.purchase.services import order_lines
from openjxc.core.errors import ValidationFailed
from openjxc.testing.graphql import GraphQLTester

__all__ = ["world"]


def order_count(world: TradingWorld) -> tuple[int, int]:
    with world.uow(readonly=True) as session:
        return (session.scalar(select(func.count()).select_from(PurchaseOrder)) or 0,
                session.scalar(select(func.count()).select_from(PurchaseOrderLine)) or 0)


def test_suggestions_ordered_per_supplier_or_refused(world: TradingWorld) -> None:
    build_shop(world)
    wh1 = world.warehouses["WH1"]
    before = order_count(world)
    # Given lines are checked all together; nothing is ordered when one is refused.
    p, s = world.products, world.partners
    bad = [SuggestedLine(999999, Decimal(1)),
           SuggestedLine(p["PLAIN"], Decimal(0), s["S1"]),
           SuggestedLine(p["PLAIN"], Decimal(1), s["C1"]),
           SuggestedLine(p["BAT"], Decimal(2)),
           SuggestedLine(p["PLAIN"], Decimal(1), s["S2"]),
           SuggestedLine(p["PLAIN"], Decimal(2), s["S2"]),
           SuggestedLine(p["PLAIN"], Decimal("0.00001"), 999999)]
    with world.uow() as session, pytest.raises(ValidationFailed) as refused:
        order_suggestions(session, wh1, bad, user_id=7, as_of=AS_OF)
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("NOT_FOUND", ("lines", "0", "productId")),
        ("INVALID_QUANTITY", ("lines", "1", "quantity")),
        ("NOT_SUPPLIER", ("lines", "2", "supplierId")),
        ("REQUIRED", ("lines", "3", "supplierId")),
        ("INVALID", ("lines", "5", "productId")),
        ("INVALID", ("lines", "6", "quantity")),
        ("NOT_FOUND", ("lines", "6", "supplierId"))]
    for warehouse, code, at in ((wh1, "REQUIRED", ("lines",)),
                                (999999, "NOT_FOUND", ("warehouseId",))):
        with world.uow() as session, pytest.raises(ValidationFailed) as refused:
            order_suggestions(session, warehouse, [], user_id=7)
        assert [(e.code, e.field) for e in refused.value.errors] == [(code, at)]
    assert order_count(world) == before
    # Without lines: SER has no (active) supplier, so nothing is ordered.
    with world.uow() as session, pytest.raises(ValidationFailed) as refused:
        order_suggestions(session, wh1, None, user_id=7, as_of=AS_OF)
    assert [(e.code, e.field, e.params) for e in refused.value.errors] == [
        ("REQUIRED", ("lines",), {"product": "SER"})]
    assert order_count(world) == before
    with world.uow() as session:
        ser = session.get_one(Product, world.products["SER"])
        ser.default_supplier_id = world.partners["S2"]
    with world.uow() as session:
        orders = order_suggestions(session, wh1, None, user_id=7, as_of=AS_OF)
        made = [(o.supplier_id, o.warehouse_id, o.state, o.expected_date, o.created_by_id,
                 o.note) for o in orders]
        placed = order_lines(session, [o.id for o in orders])
        bought = [[(line.product_id, line.quantity, line.unit_price, line.expected_date)
                   for line in placed[o.id]] for o in orders]
    s1, s2 = world.partners["S1"], world.partners["S2"]
    assert made == [
        (s1, wh1, "draft", AS_OF + timedelta(days=30), 7, "Purchase suggestions"),
        (s2, wh1, "draft", AS_OF + timedelta(days=10), 7, "Purchase suggestions")]
    assert bought == [
        [(p["PLAIN"], 21, Decimal("58.5"), AS_OF + timedelta(days=30))],
        [(p["PLAIN2"], 5, Decimal("140"), AS_OF + timedelta(days=10)),
         (p["SER"], 2, Decimal("2000"), AS_OF)]]


MUTATION = """mutation($input: PurchaseSuggestionsOrderInput!) {
  purchaseSuggestionsOrder(input: $input) {
    purchaseOrders { number state supplier { code } warehouse { code }
                     lines { product { code } quantity unitPrice } }
    errors { field code message } } }"""


def test_purchase_suggestions_order_mutation(world: TradingWorld) -> None:
    build_shop(world)
    api = GraphQLTester(world.env, permissions=[
        "purchase.suggestion.order", "purchase.order.read", "catalog.product.read",
        "partner.partner.read", "stock.warehouse.read"], locale="en")

    def line(product: str, quantity: str, supplier: str | None = None) -> dict[str, Any]:
        given: dict[str, Any] = {"productId": gid("Product", world.products[product]),
                                 "quantity": quantity}
        if supplier is not None:
            given["supplierId"] = gid("Partner", world.partners[supplier])
        return given

    wh1 = gid("Warehouse", world.warehouses["WH1"])
    before = order_count(world)
    refused = api.ok(MUTATION, {"input": {"warehouseId": wh1, "lines": [
        line("PLAIN", "3", "S2"), line("BAT", "2"),
        {**line("PLAIN2", "1"), "supplierId": "not-an-id"}]}})["purchaseSuggestionsOrder"]
    assert refused["purchaseOrders"] == []
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["lines", "1", "supplierId"], "REQUIRED"), (["lines", "2", "supplierId"], "NOT_FOUND")]
    assert refused["errors"][0]["message"] == "BAT has no supplier: give one for this line"
    assert order_count(world) == before
    done = api.ok(MUTATION, {"input": {"warehouseId": wh1, "lines": [
        line("PLAIN", "3", "S2"), line("PLAIN2", "4"), line("BAT", "2", "S1")]}})[
        "purchaseSuggestionsOrder"]
    assert done["errors"] == []
    assert [(o["state"], o["supplier"]["code"], o["warehouse"]["code"],
             [(x["product"]["code"], x["quantity"], x["unitPrice"]) for x in o["lines"]])
            for o in done["purchaseOrders"]] == [
        ("DRAFT", "S1", "WH1", [("BAT", "2.0000", "40.000000")]),
        ("DRAFT", "S2", "WH1", [("PLAIN", "3.0000", "55.000000"),
                                ("PLAIN2", "4.0000", "140.000000")])]
    assert all(o["number"].startswith("CG-") for o in done["purchaseOrders"])
    # Without lines: every suggestion as of today (SER has no supplier: refused).
    everything = api.ok(MUTATION, {"input": {"warehouseId": wh1}})["purchaseSuggestionsOrder"]
    assert [e["code"] for e in everything["errors"]] == ["REQUIRED"]
    unknown = api.ok(MUTATION, {"input": {"warehouseId": gid("Warehouse", 999999)}})
    assert unknown["purchaseSuggestionsOrder"]["errors"][0]["field"] == ["warehouseId"]
    # Scope and permission.
    GraphQLTester(world.env, permissions=["purchase.suggestion.order"],
                  scopes={"warehouse": [str(world.warehouses["WH2"])]}).refused(
        MUTATION, {"input": {"warehouseId": wh1}}, code="FORBIDDEN")
    GraphQLTester(world.env, permissions=["purchase.suggestion.read"]).refused(
        MUTATION, {"input": {"warehouseId": wh1}}, code="FORBIDDEN")
