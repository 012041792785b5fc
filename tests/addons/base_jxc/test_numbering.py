"""Document numbers: per prefix and business month, growing past four digits."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from stock_support import build_world

from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.addons.base_jxc.transfers.models import StockTransfer
from openjxc.core.env import Environment


@pytest.fixture
def env(database_url: str) -> Environment:
    return build_world(database_url).env


def test_numbers_follow_the_highest_even_past_9999(env: Environment) -> None:
    with env.unit_of_work() as session:
        stem = f"DB-{business_today(session):%Y%m}-"
        assert next_document_number(session, StockTransfer.number, "DB") == f"{stem}0001"
        warehouses = {"from_warehouse_id": 1, "to_warehouse_id": 2}
        session.execute(insert(StockTransfer), [
            {"number": number, **warehouses}
            for number in (f"{stem}0002", f"{stem}9999", "DB-199901-12345", "XX-1")])
        assert next_document_number(session, StockTransfer.number, "DB") == f"{stem}10000"
        session.execute(insert(StockTransfer), [{"number": f"{stem}10000", **warehouses}])
        assert next_document_number(session, StockTransfer.number, "DB") == f"{stem}10001"
        assert next_document_number(session, StockTransfer.number, "PD") == (
            f"PD-{business_today(session):%Y%m}-0001")
