"""Document numbers: per prefix and business month, growing past four digits."""

from __future__ import annotations

import threading
import time

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


def test_numbers_continue_after_existing_documents_even_past_9999(env: Environment) -> None:
    with env.unit_of_work() as session:
        stem = f"DB-{business_today(session):%Y%m}-"
        warehouses = {"from_warehouse_id": 1, "to_warehouse_id": 2}
        # documents numbered before the sequence existed (or imported)
        session.execute(insert(StockTransfer), [
            {"number": number, **warehouses}
            for number in (f"{stem}0002", f"{stem}9999", "DB-199901-12345", "XX-1")])
        assert next_document_number(session, StockTransfer.number, "DB") == f"{stem}10000"
        assert next_document_number(session, StockTransfer.number, "DB") == f"{stem}10001"
        assert next_document_number(session, StockTransfer.number, "PD") == (
            f"PD-{business_today(session):%Y%m}-0001")


def test_documents_numbered_at_once_wait_for_each_other(env: Environment) -> None:
    """The first holds its number until it commits; the second, started meanwhile, gets
    the next one — no collision on the unique constraint, on either backend."""
    taken: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with env.unit_of_work() as session:
            taken.append(next_document_number(session, StockTransfer.number, "DB"))
            holding.set()
            time.sleep(0.3)

    def second() -> None:
        holding.wait(5)
        with env.unit_of_work() as session:
            taken.append(next_document_number(session, StockTransfer.number, "DB"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [number[-4:] for number in taken] == ["0001", "0002"]


def test_a_rolled_back_document_gives_its_number_back(env: Environment) -> None:
    with env.unit_of_work() as session:
        first = next_document_number(session, StockTransfer.number, "DB")
        with session.begin_nested() as savepoint:
            taken = next_document_number(session, StockTransfer.number, "DB")
            savepoint.rollback()
        assert next_document_number(session, StockTransfer.number, "DB") == taken != first
