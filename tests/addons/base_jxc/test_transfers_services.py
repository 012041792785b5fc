"""Transfers told as stories: ship to in-transit, receive, record what was lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.services import (
    ProductInput,
    create_category,
    create_product,
)
from openjxc.addons.base_jxc.stock.models import SerialNumber, StockBalance, StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.addons.base_jxc.transfers.alerts import RULE_KEY, default_receive_hours
from openjxc.addons.base_jxc.transfers.models import StockTransfer, StockTransferLine
from openjxc.addons.base_jxc.transfers.receiving import ReceiptLineInput, receive_transfer
from openjxc.addons.base_jxc.transfers.services import (
    TransferInput,
    TransferLineInput,
    cancel_transfer,
    create_transfer,
    ship_transfer,
)
from openjxc.core.alerts import Alert, evaluate_rules
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database


@dataclass
class Shop:
    motor: int
    grease: int
    wh1: int
    wh2: int


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    yield env
    env.database.dispose()


@pytest.fixture
def shop(env: Environment) -> Shop:
    """Two warehouses; WH1 holds 5 serial motors and 100 kg of grease of batch G1."""
    with env.unit_of_work() as s:
        create_category(s, code="DJ", name="电机")
        motor = create_product(s, ProductInput(code="DJ-YE3-7.5", name="电机 7.5kW",
                                               category_code="DJ", tracking="serial"))
        grease = create_product(s, ProductInput(code="RZ-1", name="润滑脂", category_code="DJ",
                                                tracking="batch"))
        wh1 = create_warehouse(s, code="WH1", name="总仓", bins=["A-01"])
        wh2 = create_warehouse(s, code="WH2", name="分仓", kind="branch", bins=["B-01"])
        supplier = company_location(s, "supplier").id
        stock1 = warehouse_location(s, wh1.id, "internal").id
        post_moves(s, [
            MoveLine(product_id=motor.id, quantity=Decimal(5), from_location_id=supplier,
                     to_location_id=stock1, unit_cost=Decimal("3000"),
                     serials=["M0001..0005"]),
            MoveLine(product_id=grease.id, quantity=Decimal(100), from_location_id=supplier,
                     to_location_id=stock1, unit_cost=Decimal("12.5"), batch_number="G1"),
        ], origin_type="test")
        return Shop(motor.id, grease.id, wh1.id, wh2.id)


def _draft(s: Session, motors: list[str] | None = None, grease: str = "40") -> StockTransfer:
    motors = ["M0001", "M0002", "M0003"] if motors is None else motors
    return create_transfer(s, TransferInput(
        from_warehouse_code="WH1", to_warehouse_code="WH2", note="补货",
        lines=[TransferLineInput(product_code="DJ-YE3-7.5", quantity=Decimal(len(motors)),
                                 serials=motors),
               TransferLineInput(product_code="RZ-1", quantity=Decimal(grease),
                                 batch_number="G1")]), user_id=7)


def _on_hand(s: Session, location_id: int, product_id: int) -> Decimal:
    return s.scalar(select(func.coalesce(func.sum(StockBalance.quantity), 0))
                    .where(StockBalance.location_id == location_id,
                           StockBalance.product_id == product_id)) or Decimal(0)


def _codes(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[tuple[str, ...], str]]:
    return {(e.field, e.code) for e in exc.value.errors}


def test_a_transfer_ships_to_transit_and_is_received_in_full(env: Environment,
                                                             shop: Shop) -> None:
    with env.unit_of_work() as s:
        transfer = _draft(s)
        assert transfer.number.startswith("DB-") and len(transfer.number) == 14
        assert transfer.state == "draft"
        ship_transfer(s, transfer.id, user_id=7)
        transit = warehouse_location(s, shop.wh1, "transit").id
        assert transfer.state == "shipped" and transfer.shipped_by_id == 7
        assert _on_hand(s, transit, shop.motor) == 3
        assert _on_hand(s, transit, shop.grease) == 40
        moves = s.scalars(select(StockMove).where(StockMove.origin_type == "transfer",
                                                  StockMove.origin_id == transfer.id)).all()
        assert len(moves) == 2 and {m.reference for m in moves} == {transfer.number}
        receive_transfer(s, transfer.id, user_id=8)
        assert transfer.state == "received" and transfer.received_by_id == 8
        stock2 = warehouse_location(s, shop.wh2, "internal").id
        assert _on_hand(s, transit, shop.motor) == 0 and _on_hand(s, transit, shop.grease) == 0
        assert _on_hand(s, stock2, shop.motor) == 3 and _on_hand(s, stock2, shop.grease) == 40
        where = dict(s.execute(select(SerialNumber.number, SerialNumber.location_id)
                               .where(SerialNumber.product_id == shop.motor)).all())
        assert [n for n, loc in sorted(where.items()) if loc == stock2] == [
            "M0001", "M0002", "M0003"]


def test_numbers_follow_each_other_within_the_month(env: Environment, shop: Shop) -> None:
    with env.unit_of_work() as s:
        first = _draft(s, ["M0001"])
        second = _draft(s, ["M0002"])
        assert int(second.number[-4:]) == int(first.number[-4:]) + 1
        assert first.number[:10] == second.number[:10]


def test_a_partial_receipt_records_the_loss_with_who_and_why(env: Environment,
                                                             shop: Shop) -> None:
    with env.unit_of_work() as s:
        transfer = _draft(s)
        ship_transfer(s, transfer.id, user_id=7)
        motor_line, grease_line = s.scalars(select(StockTransferLine).where(
            StockTransferLine.transfer_id == transfer.id)
            .order_by(StockTransferLine.position)).all()
        with pytest.raises(ValidationFailed) as refused:
            receive_transfer(s, transfer.id, lines=[
                ReceiptLineInput(motor_line.id, serials=["M0001", "M0003"])], user_id=8)
        assert _codes(refused) == {(("reason",), "REASON_REQUIRED")}
        receive_transfer(s, transfer.id, reason="运输途中损坏", to_location_code="WH2/B-01",
                         lines=[ReceiptLineInput(motor_line.id, serials=["M0001", "M0003"]),
                                ReceiptLineInput(grease_line.id, quantity=Decimal("37.5"))],
                         user_id=8)
        assert transfer.state == "partly_received"
        assert transfer.difference_reason == "运输途中损坏"
        transit = warehouse_location(s, shop.wh1, "transit").id
        loss = company_location(s, "loss").id
        bin_b01 = s.scalar(select(StockTransferLine.to_location_id)
                           .where(StockTransferLine.id == motor_line.id))
        assert bin_b01 is not None
        assert _on_hand(s, transit, shop.motor) == 0 and _on_hand(s, transit, shop.grease) == 0
        assert _on_hand(s, bin_b01, shop.motor) == 2
        assert _on_hand(s, bin_b01, shop.grease) == Decimal("37.5")
        lost = s.scalars(select(StockMove).where(StockMove.to_location_id == loss)
                         .order_by(StockMove.id)).all()
        assert [(m.quantity, m.note, m.created_by_id) for m in lost] == [
            (Decimal(1), "运输途中损坏", 8), (Decimal("2.5"), "运输途中损坏", 8)]
        assert s.scalar(select(SerialNumber.location_id)
                        .where(SerialNumber.number == "M0002")) == loss
        assert lost[0].value == Decimal("3000.00")  # the lost unit leaves at its own cost
        motor_line = s.get_one(StockTransferLine, motor_line.id)
        assert (motor_line.received_quantity, motor_line.lost_quantity) == (2, 1)


def test_only_shipped_serials_can_be_received_and_never_more(env: Environment,
                                                             shop: Shop) -> None:
    with env.unit_of_work() as s:
        transfer = _draft(s)
        ship_transfer(s, transfer.id)
        motor_line, grease_line = s.scalars(select(StockTransferLine).where(
            StockTransferLine.transfer_id == transfer.id)
            .order_by(StockTransferLine.position)).all()
        with pytest.raises(ValidationFailed) as refused:
            receive_transfer(s, transfer.id, reason="x", lines=[
                ReceiptLineInput(motor_line.id, serials=["M0001", "M0004"]),
                ReceiptLineInput(grease_line.id, quantity=Decimal(41))])
        assert _codes(refused) == {(("lines", "0", "serials"), "SERIAL_NOT_SHIPPED"),
                                   (("lines", "1", "quantity"), "OVER_RECEIPT")}
        assert transfer.state == "shipped"


def test_illegal_transitions_are_refused(env: Environment, shop: Shop) -> None:
    with env.unit_of_work() as s:
        transfer = _draft(s)
        with pytest.raises(ValidationFailed) as refused:
            receive_transfer(s, transfer.id)
        assert _codes(refused) == {(("id",), "INVALID_STATE")}
        ship_transfer(s, transfer.id)
        for action in (ship_transfer, cancel_transfer):
            with pytest.raises(ValidationFailed) as refused:
                action(s, transfer.id)
            assert _codes(refused) == {(("id",), "INVALID_STATE")}
        receive_transfer(s, transfer.id)
        with pytest.raises(ValidationFailed):
            receive_transfer(s, transfer.id)
        other = _draft(s, ["M0004"])
        cancel_transfer(s, other.id)
        assert other.state == "cancelled"
        with pytest.raises(ValidationFailed) as refused:
            ship_transfer(s, other.id)
        assert _codes(refused) == {(("id",), "INVALID_STATE")}


def test_a_draft_is_checked_and_the_engine_checks_again_on_ship(env: Environment,
                                                                shop: Shop) -> None:
    with env.unit_of_work() as s:
        with pytest.raises(ValidationFailed) as refused:
            create_transfer(s, TransferInput(
                from_warehouse_code="WH1", to_warehouse_code="WH1", lines=[
                    TransferLineInput(product_code="NOPE", quantity=Decimal(1)),
                    TransferLineInput(product_code="DJ-YE3-7.5", quantity=Decimal(2),
                                      serials=["M0001"]),
                    TransferLineInput(product_code="RZ-1", quantity=Decimal(0)),
                    TransferLineInput(product_code="RZ-1", quantity=Decimal(1),
                                      from_location_code="WH2/B-01", batch_number="G1")]))
        assert _codes(refused) == {
            (("toWarehouseCode",), "SAME_WAREHOUSE"),
            (("lines", "0", "productCode"), "NOT_FOUND"),
            (("lines", "1", "serials"), "SERIAL_COUNT_MISMATCH"),
            (("lines", "2", "quantity"), "INVALID_QUANTITY"),
            (("lines", "2", "batchNumber"), "BATCH_REQUIRED"),
            (("lines", "3", "fromLocationCode"), "INVALID_LOCATION")}
        too_much = _draft(s, ["M0001"], grease="150")
        with pytest.raises(ValidationFailed) as refused:
            ship_transfer(s, too_much.id)
        assert _codes(refused) == {(("lines", "1", "quantity"), "INSUFFICIENT_STOCK")}
        assert too_much.state == "draft"
        first = _draft(s, ["M0005"])
        second = _draft(s, ["M0005"])
        ship_transfer(s, first.id)
        with pytest.raises(ValidationFailed) as refused:
            ship_transfer(s, second.id)
        assert _codes(refused) == {(("lines", "0", "serials"), "SERIAL_NOT_IN_LOCATION")}


def test_the_alert_fires_after_48_hours_and_not_before(env: Environment, shop: Shop) -> None:
    with env.unit_of_work() as s:
        late = _draft(s, ["M0001"])
        ship_transfer(s, late.id)
        slow = _draft(s, ["M0002"])
        slow.receive_within_hours = 96
        ship_transfer(s, slow.id)
        late_id, shipped_at = late.id, late.shipped_at
    assert shipped_at is not None and default_receive_hours({}) == 48
    report = evaluate_rules(env, shipped_at + timedelta(hours=47, minutes=59), [RULE_KEY])
    assert report.opened == [] and report.failed == {}
    report = evaluate_rules(env, shipped_at + timedelta(hours=48, minutes=1), [RULE_KEY])
    assert len(report.opened) == 1
    with env.unit_of_work(readonly=True) as s:
        alert = s.get_one(Alert, report.opened[0])
        assert alert.subject == {"stockTransfer": late_id}
        assert alert.params["hours"] == 48
    with env.unit_of_work() as s:
        receive_transfer(s, late_id)
    report = evaluate_rules(env, shipped_at + timedelta(hours=49), [RULE_KEY])
    assert len(report.resolved) == 1 and report.opened == []
    report = evaluate_rules(env, shipped_at + timedelta(hours=97), [RULE_KEY])
    assert len(report.opened) == 1  # the slow one, on its own 96 hours


def test_the_default_limit_is_configurable() -> None:
    assert default_receive_hours({"OPENJXC_TRANSFER_RECEIVE_HOURS": "72"}) == 72
    assert default_receive_hours({"OPENJXC_TRANSFER_RECEIVE_HOURS": "soon"}) == 48
