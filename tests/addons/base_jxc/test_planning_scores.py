"""Supplier evaluation: each component against hand-computed figures, weights re-normalised
when a component has no data, months without transactions left out, grades, monthly
ratings (one per user, updatable) and the ``supplierScores`` / ``supplierRate`` API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from test_planning_support import gid, order, receive_order, world
from test_stock_api_support import SelectCounter
from trading_support import TradingWorld

from openjxc.addons.base_jxc.planning.models import SupplierServiceRating
from openjxc.addons.base_jxc.planning.ratings import rate_supplier
from openjxc.addons.base_jxc.planning.scores import (
    PeriodScore,
    _overall,
    grade,
    supplier_scores,
    weighted,
)
from openjxc.addons.base_jxc.purchase.services import (
    PurchaseReturnLineInput,
    create_purchase_return,
    order_lines,
)
from openjxc.core.errors import ValidationFailed
from openjxc.testing.graphql import GraphQLTester

__all__ = ["world"]

FROM, TO = date(2026, 1, 1), date(2026, 4, 30)


def send_back(world: TradingWorld, order_id: int, quantity: int, day: date,
              from_location: str | None = None) -> None:
    with world.uow() as session:
        line = order_lines(session, [order_id])[order_id][0]
        create_purchase_return(session, order_id=order_id, return_date=day, user_id=1,
                               reason="defects", lines=[PurchaseReturnLineInput(
                                   quantity=Decimal(quantity), order_line_id=line.id,
                                   from_location_id=world.locations[from_location]
                                   if from_location else None)])


def rate(world: TradingWorld, supplier: str, score: int, period: str, user: int) -> None:
    with world.uow() as session:
        rate_supplier(session, supplier_id=world.partners[supplier], score=score,
                      period=period, user_id=user)


def build_history(world: TradingWorld) -> None:
    """S1: January on time, 10 of 100 rejected (and sent back from quarantine); nothing in
    February; March late (by the line's date) with 5 of 50 returned, rated 4 and 5.
    S2: January late and dearer, 20 returned in February (a month with no receipt), rated 3
    in February."""
    a = order(world, "S1", [("PLAIN", 100, "10")], order_date=date(2026, 1, 5),
              expected=date(2026, 1, 20))
    receive_order(world, a, [(1, 100, 10)], date(2026, 1, 18))
    # The rejected ten go back out of quarantine: counted once, as not accepted.
    send_back(world, a, 10, date(2026, 1, 25), from_location="WH1/QUARANTINE")
    b = order(world, "S1", [("PLAIN2", 50, "20")], order_date=date(2026, 3, 2),
              expected=date(2026, 3, 31), line_expected=date(2026, 3, 10))
    receive_order(world, b, [(1, 50, 0)], date(2026, 3, 15))
    send_back(world, b, 5, date(2026, 3, 20))
    c = order(world, "S2", [("PLAIN", 100, "12")], order_date=date(2026, 1, 10),
              expected=date(2026, 1, 12))
    receive_order(world, c, [(1, 100, 0)], date(2026, 1, 15))
    send_back(world, c, 20, date(2026, 2, 3))
    # Not counted: a draft at a silly price, an order after the period.
    order(world, "S2", [("PLAIN", 100, "1")], order_date=date(2026, 1, 20), approve=False)
    order(world, "S1", [("PLAIN", 1, "1")], order_date=date(2026, 5, 2))
    rate(world, "S1", 4, "2026-03", user=1)
    rate(world, "S1", 2, "2026-03", user=2)
    rate(world, "S1", 5, "2026-03", user=2)          # user 2 changes their mind
    rate(world, "S1", 1, "2026-02", user=1)          # no transactions in February
    rate(world, "S2", 3, "2026-02", user=1)


def test_components_scores_and_grades_by_hand(world: TradingWorld) -> None:
    build_history(world)
    with world.uow(readonly=True) as session, SelectCounter(world.env) as counter:
        s1, s2 = supplier_scores(session, FROM, TO)
    assert counter.count == 4
    assert (s1.supplier_id, s2.supplier_id) == (world.partners["S1"], world.partners["S2"])
    # Market prices over the period: PLAIN (1000 + 1200) / 200 = 11, PLAIN2 20.
    jan, mar = s1.periods
    assert (jan.label, mar.label) == ("2026-01", "2026-03")            # no February
    assert [jan.rounded(k) for k in ("quality", "price", "on_time", "service")] == [
        Decimal("90.00"), Decimal("100.00"), Decimal("100.00"), None]
    # (35×90 + 25×100 + 20×100) / 80 = 95.625
    assert (jan.score, jan.grade, jan.returned_quantity) == (Decimal("95.63"), "A", 0)
    # Quality (50 − 5) / 50; on time 0 of 1 (the line's date wins); service 20 × 4.5.
    assert [mar.rounded(k) for k in ("quality", "price", "on_time", "service")] == [
        Decimal("90.00"), Decimal("100.00"), Decimal("0.00"), Decimal("90.00")]
    assert (mar.score, mar.grade, mar.ratings) == (Decimal("74.50"), "B", 2)
    assert (mar.returned_quantity, mar.receipt_lines_on_time, mar.receipt_lines_due) == (
        5, 0, 1)
    # Overall: quality 90, price 100, on time (100 + 0) / 2, service 90 → 84.50.
    assert [s1.rounded(k) for k in ("quality", "price", "on_time", "service")] == [
        Decimal("90.00"), Decimal("100.00"), Decimal("50.00"), Decimal("90.00")]
    assert (s1.score, s1.grade) == (Decimal("84.50"), "B")
    jan2, feb2 = s2.periods
    # February's return is charged to January: (100 − 20) / 100; price 100 × 1100 / 1200.
    assert (jan2.returned_quantity, feb2.returned_quantity) == (20, 0)
    assert [jan2.rounded(k) for k in ("quality", "price", "on_time", "service")] == [
        Decimal("80.00"), Decimal("91.67"), Decimal("0.00"), None]
    assert (jan2.score, jan2.grade) == (Decimal("63.65"), "C")
    assert (feb2.score, feb2.service, feb2.quality) == (Decimal("60.00"), Decimal(60), None)
    # (35×80 + 25×91.666… + 20×0 + 20×60) / 100
    assert (s2.score, s2.grade) == (Decimal("62.92"), "C")
    with world.uow(readonly=True) as session:
        only = supplier_scores(session, FROM, TO, supplier_ids=[world.partners["S2"]])
        march = supplier_scores(session, date(2026, 3, 1), date(2026, 3, 31))
        ratings = session.scalar(select(func.count()).select_from(SupplierServiceRating))
    assert [s.score for s in only] == [Decimal("62.92")]
    assert [(s.supplier_id, s.score) for s in march] == [
        (world.partners["S1"], Decimal("74.50"))]
    assert ratings == 4


def test_rules_without_a_database() -> None:
    # (35×100 + 20×50) / 55: the parts without data do not count.
    partial = weighted({"quality": Decimal(100), "price": None, "on_time": Decimal(50),
                        "service": None})
    assert partial is not None and partial.quantize(Decimal("0.0001")) == Decimal("81.8182")
    assert weighted({"quality": None, "price": None, "on_time": None, "service": None}) is None
    assert [grade(Decimal(v)) for v in ("85", "84.99", "70", "69.99")] == ["A", "B", "B", "C"]
    assert grade(None) is None
    # Returns before any receipt of the period are not counted; quality never below 0.
    early = PeriodScore(month=1, returned_quantity=Decimal(3))
    bad = PeriodScore(month=2, received_quantity=Decimal(10), accepted_quantity=Decimal(4),
                      returned_quantity=Decimal(6))
    later = PeriodScore(month=3, returned_quantity=Decimal(1))
    overall = _overall(1, {1: early, 2: bad, 3: later})
    assert overall.periods == [bad] and bad.returned_quantity == 7 and bad.quality == 0


SCORES = """query($from: Date!, $to: Date!, $ids: [ID!]) {
  supplierScores(from: $from, to: $to, supplierIds: $ids) { edges { node {
    score grade quality price onTime service supplier { code }
    periods { month score grade quality price onTime service receivedQuantity
              acceptedQuantity returnedQuantity receiptLinesOnTime receiptLinesDue
              ratings } } } } }"""

RATE = """mutation($input: SupplierRateInput!) { supplierRate(input: $input) {
  rating { period score comment supplier { code } } errors { field code message } } }"""


def test_supplier_scores_and_ratings_api(world: TradingWorld) -> None:
    build_history(world)
    api = GraphQLTester(world.env, permissions=[
        "purchase.supplier_score.read", "purchase.supplier.rate", "partner.partner.read"],
        locale="en")
    rated = api.ok(RATE, {"input": {"supplierId": gid("Partner", world.partners["S2"]),
                                    "score": 5, "period": "2026-01", "comment": "快"}})
    assert rated["supplierRate"] == {"rating": {"period": "2026-01", "score": 5,
                                                "comment": "快", "supplier": {"code": "S2"}},
                                     "errors": []}
    refused = api.ok(RATE, {"input": {"supplierId": "junk", "score": 9}})["supplierRate"]
    assert refused["rating"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["supplierId"], "NOT_FOUND"), (["score"], "INVALID")]
    assert refused["errors"][1]["message"] == "A rating is from 1 to 5"
    data = [e["node"] for e in api.ok(SCORES, {"from": "2026-01-01", "to": "2026-04-30"})[
        "supplierScores"]["edges"]]
    assert [(s["supplier"]["code"], s["score"], s["grade"]) for s in data] == [
        ("S1", "84.50", "B"), ("S2", "66.92", "C")]
    jan2 = data[1]["periods"][0]
    # January of S2 now has a service of 100: (35×80 + 25×91.67 + 0 + 20×100) / 100.
    assert (jan2["month"], jan2["score"], jan2["service"], jan2["ratings"]) == (
        "2026-01", "70.92", "100.00", 1)
    assert (jan2["receivedQuantity"], jan2["acceptedQuantity"],
            jan2["returnedQuantity"]) == ("100.0000", "100.0000", "20.0000")
    assert data[0]["periods"][0]["service"] is None
    one = api.ok(SCORES, {"from": "2026-01-01", "to": "2026-04-30",
                          "ids": [gid("Partner", world.partners["S1"])]})
    assert [e["node"]["supplier"]["code"] for e in one["supplierScores"]["edges"]] == ["S1"]
    # Paged best first, like every list.
    page = """query($after: String) { supplierScores(from: "2026-01-01", to: "2026-04-30",
      first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { supplier { code } } } } }"""
    top = api.ok(page)["supplierScores"]
    assert top["totalCount"] == 2 and top["pageInfo"]["hasNextPage"]
    assert top["edges"][0]["node"]["supplier"]["code"] == "S1"
    rest = api.ok(page, {"after": top["pageInfo"]["endCursor"]})["supplierScores"]
    assert [e["node"]["supplier"]["code"] for e in rest["edges"]] == ["S2"]
    api.refused(page, {"after": "forged"}, code="BAD_USER_INPUT")
    api.refused(SCORES, {"from": "2026-04-30", "to": "2026-01-01"}, code="BAD_USER_INPUT")
    api.refused(SCORES, {"from": "2010-01-01", "to": "2026-01-01"}, code="BAD_USER_INPUT")
    GraphQLTester(world.env, permissions=["purchase.supplier.rate"]).refused(
        SCORES, {"from": "2026-01-01", "to": "2026-04-30"}, code="FORBIDDEN")
    GraphQLTester(world.env, permissions=["purchase.supplier_score.read"]).refused(
        RATE, {"input": {"supplierId": gid("Partner", 1), "score": 3}}, code="FORBIDDEN")
    # The rating service: one rating per user, supplier and month, updatable.
    with world.uow() as session:
        first = rate_supplier(session, supplier_id=world.partners["S1"], score=2,
                              period="2026-10", comment="slow", user_id=5,
                              today=date(2026, 11, 3))
        again = rate_supplier(session, supplier_id=world.partners["S1"], score=4,
                              period=" 2026-10 ", user_id=5, today=date(2026, 11, 3))
        assert again.id == first.id and (again.score, again.comment) == (4, "")
        this_month = rate_supplier(session, supplier_id=world.partners["S1"], score=5,
                                   user_id=5, today=date(2026, 11, 3))
        assert this_month.period == "2026-11" and this_month.id != first.id
    for kwargs, code, at in (
            ({"supplier_id": 999999}, "NOT_FOUND", "supplierId"),
            ({"supplier_id": world.partners["C1"]}, "INVALID", "supplierId"),
            ({"score": 0}, "INVALID", "score"),
            ({"score": 6}, "INVALID", "score"),
            ({"period": "2026-13"}, "INVALID", "period"),
            ({"period": "2026-12"}, "INVALID", "period"),
            ({"comment": "x" * 401}, "INVALID", "comment"),
            ({"user_id": None}, "REQUIRED", "supplierId")):
        arguments = {"supplier_id": world.partners["S1"], "score": 3, "period": "2026-11",
                     "user_id": 5, "today": date(2026, 11, 3), **kwargs}
        with world.uow() as session, pytest.raises(ValidationFailed) as refused:
            rate_supplier(session, **arguments)  # type: ignore[arg-type]
        assert [(e.code, e.field) for e in refused.value.errors] == [(code, (at,))]
