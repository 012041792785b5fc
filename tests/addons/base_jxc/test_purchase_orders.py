"""Purchase orders and requisitions through the services: pricing, approval by amount (who and
when, never twice by one user), requisitions turned into order lines, cancel and close."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from test_purchase_support import (
    BUYER,
    DIRECTOR,
    MANAGER,
    approve,
    approved_order,
    arrival,
    capture_events,
    codes,
    create_order,
    line,
    order_lines,
    order_state,
    purchase_templates,
    receive,
    refused,
    run,
    set_policies,
    world,
)
from trading_support import TradingWorld

from openjxc.addons.base_jxc.purchase import orders, services
from openjxc.addons.base_jxc.purchase.events import PurchaseOrderApproved
from openjxc.addons.base_jxc.purchase.models import (
    PurchaseApproval,
    PurchaseOrder,
    PurchaseRequisition,
    PurchaseRequisitionLine,
)

__all__ = ["purchase_templates", "world"]


def test_lines_are_priced_rounded_and_summed(world: TradingWorld) -> None:
    first = create_order(world, line(world, "PLAIN", 3, "55.5"),
                         line(world, "PLAIN2", 3, "33.333333", tax_rate=Decimal("0.09")),
                         line(world, "BAT", 2))
    order = order_state(world, first)
    assert order.number.startswith("CG-") and order.state == "draft"
    assert order.supplier_id == world.partners["S1"] and order.created_by_id == BUYER
    priced = [(x.unit_price, x.tax_rate, x.amount, x.tax, x.total)
              for x in order_lines(world, first)]
    assert priced == [
        (Decimal("55.5"), Decimal("0.13"), Decimal("166.50"), Decimal("21.65"),
         Decimal("188.15")),
        (Decimal("33.333333"), Decimal("0.09"), Decimal("100.00"), Decimal("9.00"),
         Decimal("109.00")),
        # No price given, none paid before: the product's standard price.
        (Decimal("40"), Decimal("0.13"), Decimal("80.00"), Decimal("10.40"), Decimal("90.40"))]
    assert (order.amount_untaxed, order.amount_tax, order.amount_total) == (
        Decimal("346.50"), Decimal("41.05"), Decimal("387.55"))
    assert order.approvals_required == 1
    # A cancelled order's price is not "the last price paid".
    cancelled = create_order(world, line(world, "PLAIN", 1, "70"))
    run(world, lambda s: services.cancel_purchase_order(s, cancelled, user_id=BUYER))
    again = create_order(world, line(world, "PLAIN", 1), line(world, "PLAIN2", 1))
    assert [x.unit_price for x in order_lines(world, again)] == [Decimal("55.5"),
                                                                 Decimal("33.333333")]
    # Another supplier has not sold it to us: the standard price.
    other = create_order(world, line(world, "PLAIN", 1), supplier="S2")
    assert order_lines(world, other)[0].unit_price == Decimal("60")


def test_bad_orders_are_refused_and_nothing_is_created(world: TradingWorld) -> None:
    def create(supplier: int | None, lines: list[services.PurchaseLineInput]) -> Any:
        return lambda s: services.create_purchase_order(
            s, supplier_id=supplier, warehouse_id=world.warehouses["WH1"], lines=lines)

    assert refused(world, create(999, [line(world, "PLAIN", 1)])) == [
        ("NOT_FOUND", ("supplierCode",))]
    assert refused(world, create(world.partners["C1"], [line(world, "PLAIN", 1)])) == [
        ("NOT_SUPPLIER", ("supplierCode",))]
    assert refused(world, create(world.partners["S1"], [])) == [("REQUIRED", ("lines",))]
    bad = [line(world, "PLAIN", 0), line(world, "PLAIN", 1, "-1"),
           line(world, "PLAIN", 1, tax_rate=Decimal("1.5")),
           services.PurchaseLineInput(product_id=None, quantity=Decimal(1)),
           services.PurchaseLineInput(product_id=999, quantity=Decimal(1)),
           line(world, "PLAIN", "0.00001")]
    assert refused(world, create(world.partners["S1"], bad)) == [
        ("INVALID_QUANTITY", ("lines", "0", "quantity")),
        ("INVALID", ("lines", "1", "unitPrice")),
        ("INVALID", ("lines", "2", "taxRate")),
        ("REQUIRED", ("lines", "3", "productCode")),
        ("NOT_FOUND", ("lines", "4", "productCode")),
        ("INVALID", ("lines", "5", "quantity"))]
    assert refused(world, lambda s: services.create_purchase_order(
        s, supplier_id=world.partners["S1"], warehouse_id=None,
        lines=[line(world, "PLAIN", 1)])) == [("NOT_FOUND", ("warehouseCode",))]
    # Amounts beyond what the money columns hold are refused, not a database error.
    assert refused(world, create(world.partners["S1"], [
        line(world, "PLAIN", "99999999999", "99999999999")])) == [
        ("INVALID", ("lines", "0", "quantity"))]
    assert refused(world, create(world.partners["S1"], [
        line(world, "PLAIN", "1000000000", "5300000"),
        line(world, "PLAIN2", "1000000000", "5300000")])) == [
        ("INVALID", ("lines", "0", "quantity")), ("INVALID", ("lines", "1", "quantity"))]
    with world.uow(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_approval_by_amount_two_different_users_above_the_threshold(
        world: TradingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    published = capture_events(monkeypatch, orders)
    # 4424.78 + 13 % = 5,000.00: at the threshold one approval is enough.
    at = create_order(world, line(world, "PLAIN", 1, "4424.78"))
    assert order_state(world, at).amount_total == Decimal("5000.00")
    assert order_state(world, at).approvals_required == 1
    approve(world, at, MANAGER)
    assert order_state(world, at).state == "approved"
    assert published == [PurchaseOrderApproved(order_id=at, number=order_state(world, at).number)]
    # A cent above it: two different users.
    above = create_order(world, line(world, "PLAIN", 1, "4424.79"))
    assert order_state(world, above).approvals_required == 2
    approve(world, above, MANAGER)
    assert order_state(world, above).state == "draft"
    assert order_state(world, above).approved_at is None
    assert refused(world, lambda s: services.approve_purchase_order(s, above, user_id=MANAGER)
                   ) == [("SAME_APPROVER", ("id",))]
    assert refused(world, lambda s: services.approve_purchase_order(s, above, user_id=None)
                   ) == [("REQUIRED", ("id",))]
    approve(world, above, DIRECTOR)
    order = order_state(world, above)
    assert order.state == "approved" and order.approved_at is not None
    assert order.approved_at >= order.created_at
    assert len(published) == 2
    with world.uow(readonly=True) as session:
        given = session.execute(select(PurchaseApproval.user_id, PurchaseApproval.approved_at)
                                .where(PurchaseApproval.order_id == above)
                                .order_by(PurchaseApproval.id)).all()
    assert [u for u, _when in given] == [MANAGER, DIRECTOR]
    assert given[1][1] == order.approved_at
    assert refused(world, lambda s: services.approve_purchase_order(s, above, user_id=7)) == [
        ("ALREADY_APPROVED", ("id",))]
    # The policy decides: the threshold and how many approvals, fixed when ordered.
    set_policies(world, purchase__approval_threshold="1000",
                 purchase__approvals_above_threshold="3")
    assert order_state(world, above).approvals_required == 2
    bigger = create_order(world, line(world, "PLAIN", 10, "100"))
    assert order_state(world, bigger).approvals_required == 3
    approve(world, bigger, MANAGER, DIRECTOR)
    assert order_state(world, bigger).state == "draft"
    approve(world, bigger, 7)
    assert order_state(world, bigger).state == "approved"
    cancelled = create_order(world, line(world, "PLAIN", 1, "1"))
    run(world, lambda s: services.cancel_purchase_order(s, cancelled))
    assert refused(world, lambda s: services.approve_purchase_order(s, cancelled, user_id=2)
                   ) == [("INVALID_STATE", ("id",))]
    assert codes(refused(world, lambda s: services.approve_purchase_order(s, 999, user_id=2))
                 ) == ["NOT_FOUND"]


def test_requisitions_become_order_lines(world: TradingWorld) -> None:
    def requisition(*lines: services.RequisitionLineInput, warehouse: str = "WH1") -> int:
        return run(world, lambda s: services.create_requisition(
            s, warehouse_id=world.warehouses[warehouse], lines=list(lines), department="维修部",
            user_id=BUYER).id)

    def wanted(product: str, quantity: str, **kw: Any) -> services.RequisitionLineInput:
        return services.RequisitionLineInput(product_id=world.products[product],
                                             quantity=Decimal(quantity), **kw)

    assert refused(world, lambda s: services.create_requisition(
        s, warehouse_id=None, lines=[wanted("PLAIN", "0"),
                                     wanted("SER", "1", suggested_supplier_id=world.partners["C1"]),
                                     services.RequisitionLineInput(None, Decimal(1))])) == [
        ("NOT_FOUND", ("warehouseCode",)), ("INVALID_QUANTITY", ("lines", "0", "quantity")),
        ("NOT_SUPPLIER", ("lines", "1", "suggestedSupplierCode")),
        ("NOT_FOUND", ("lines", "2", "productCode"))]
    req = requisition(wanted("PLAIN", "5"), wanted("SER", "2",
                                                   suggested_supplier_id=world.partners["S1"]))
    with world.uow(readonly=True) as session:
        first, second = [x.id for x in services.requisition_lines(session, [req])[req]]
        assert session.get_one(PurchaseRequisition, req).number.startswith("QG-")

    def order_from(*ids: int, **kw: Any) -> Any:
        return lambda s: services.create_purchase_order(
            s, supplier_id=world.partners["S1"], warehouse_id=world.warehouses[
                kw.pop("warehouse", "WH1")],
            lines=[services.PurchaseLineInput(product_id=kw.get("product"), quantity=None,
                                              requisition_line_id=i) for i in ids])

    assert refused(world, order_from(first)) == [
        ("REQUISITION_NOT_APPROVED", ("lines", "0", "requisitionLineId"))]
    run(world, lambda s: services.approve_requisition(s, req, user_id=MANAGER))
    assert codes(refused(world, lambda s: services.approve_requisition(s, req, user_id=2))
                 ) == ["INVALID_STATE"]
    assert refused(world, order_from(first, warehouse="WH2")) == [
        ("INVALID", ("lines", "0", "requisitionLineId"))]
    assert refused(world, order_from(first, product=world.products["SER"])) == [
        ("INVALID", ("lines", "0", "productCode"))]
    assert refused(world, order_from(first, first)) == [
        ("INVALID", ("lines", "1", "requisitionLineId"))]
    assert refused(world, order_from(12345)) == [
        ("NOT_FOUND", ("lines", "0", "requisitionLineId"))]
    one = run(world, lambda s: order_from(first)(s).id)
    assert [(x.product_id, x.quantity) for x in order_lines(world, one)] == [
        (world.products["PLAIN"], Decimal(5))]
    with world.uow(readonly=True) as session:
        assert session.get_one(PurchaseRequisition, req).state == "approved"
    assert refused(world, order_from(first)) == [
        ("ALREADY_ORDERED", ("lines", "0", "requisitionLineId"))]
    two = run(world, lambda s: order_from(second)(s).id)
    with world.uow(readonly=True) as session:
        assert session.get_one(PurchaseRequisition, req).state == "ordered"
        assert session.get_one(PurchaseRequisitionLine, second).order_line_id == order_lines(
            world, two)[0].id
    assert codes(refused(world, lambda s: services.cancel_requisition(s, req))) == [
        "INVALID_STATE"]
    # Cancelling the order frees its requisition line again.
    run(world, lambda s: services.cancel_purchase_order(s, two, reason="换供应商"))
    with world.uow(readonly=True) as session:
        assert session.get_one(PurchaseRequisition, req).state == "approved"
        assert session.get_one(PurchaseRequisitionLine, second).order_line_id is None
    run(world, lambda s: order_from(second)(s))
    # Rejected (with the reason) and withdrawn requisitions.
    no = requisition(wanted("PLAIN2", "1"))
    run(world, lambda s: services.reject_requisition(s, no, user_id=MANAGER, reason="预算不足"))
    withdrawn = requisition(wanted("PLAIN2", "1"))
    run(world, lambda s: services.cancel_requisition(s, withdrawn, user_id=BUYER))
    with world.uow(readonly=True) as session:
        rejected = session.get_one(PurchaseRequisition, no)
        assert (rejected.state, rejected.note, rejected.decided_by_id) == (
            "rejected", "预算不足", MANAGER)
        assert session.get_one(PurchaseRequisition, withdrawn).state == "cancelled"


def test_cancel_before_anything_arrives_close_after(world: TradingWorld) -> None:
    draft = create_order(world, line(world, "PLAIN", 5))
    run(world, lambda s: services.cancel_purchase_order(s, draft, reason="重复", user_id=BUYER))
    cancelled = order_state(world, draft)
    assert (cancelled.state, cancelled.cancel_reason, cancelled.cancelled_by_id) == (
        "cancelled", "重复", BUYER)
    assert cancelled.cancelled_at is not None
    assert codes(refused(world, lambda s: services.cancel_purchase_order(s, draft))) == [
        "INVALID_STATE"]
    approved = approved_order(world, line(world, "PLAIN", 5))
    assert codes(refused(world, lambda s: services.close_purchase_order(s, approved))) == [
        "INVALID_STATE"]
    run(world, lambda s: services.cancel_purchase_order(s, approved))
    assert order_state(world, approved).state == "cancelled"
    partly = approved_order(world, line(world, "PLAIN", 5), line(world, "PLAIN2", 2))
    first = order_lines(world, partly)[0].id
    receive(world, partly, arrival(first, 2))
    assert order_state(world, partly).state == "partly_received"
    assert refused(world, lambda s: services.cancel_purchase_order(s, partly)) == [
        ("INVALID_STATE", ("id",))]
    run(world, lambda s: services.close_purchase_order(s, partly, user_id=MANAGER))
    closed = order_state(world, partly)
    assert (closed.state, closed.closed_by_id) == ("closed", MANAGER)
    assert closed.closed_at is not None
    assert refused(world, lambda s: services.receive_purchase_order(
        s, partly, lines=[arrival(first, 1)])) == [("INVALID_STATE", ("id",))]
    assert codes(refused(world, lambda s: services.close_purchase_order(s, partly))) == [
        "INVALID_STATE"]
    # Refused even when only goods refused at the door arrived: a receipt exists.
    refused_at_door = approved_order(world, line(world, "PLAIN", 5))
    receive(world, refused_at_door, arrival(order_lines(world, refused_at_door)[0].id, 5,
                                            rejected_quantity=5, rejected_to="supplier",
                                            reject_reason="包装破损"))
    assert codes(refused(world, lambda s: services.cancel_purchase_order(s, refused_at_door))
                 ) == ["INVALID_STATE"]


def test_a_refused_state_change_names_the_state_in_the_readers_words(
        world: TradingWorld) -> None:
    from openjxc.core.errors import ValidationFailed
    from openjxc.core.i18n import translate

    cancelled = create_order(world, line(world, "PLAIN", 1, "1"))
    run(world, lambda s: services.cancel_purchase_order(s, cancelled))
    with world.uow() as session, pytest.raises(ValidationFailed) as caught:
        services.approve_purchase_order(session, cancelled, user_id=2)
    error = caught.value.errors[0]
    assert translate(error.message, "en", **error.params).endswith(
        "is cancelled: only a draft can be approved")  # not the code CANCELLED
