"""Shared set-up of the stock API tests: a shop with two warehouses and three products.

* ``DJ-YE3-7.5`` motor, serial-tracked; ``YY-46`` hydraulic oil, batch-tracked;
  ``LS-M8`` bolts, untracked (barcode ``6901234567892``).
* ``WH1`` (bins ``A-01``, ``A-02``) and ``WH2``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.warehouses import create_warehouse
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

MOVE = """
mutation($input: StockMoveCreateInput!) {
  stockMoveCreate(input: $input) {
    stockMoves { id quantity unitCost value product { code } fromLocation { code }
                 toLocation { code } batch { number } serials { number } }
    errors { field code message }
  }
}
"""


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
        for code, name, tracking, barcode, safety in (
                ("DJ-YE3-7.5", "YE3 电机 7.5kW", "serial", None, Decimal(0)),
                ("YY-46", "液压油 46#", "batch", None, Decimal(0)),
                ("LS-M8", "螺栓 M8", "none", "6901234567892", Decimal(100))):
            create_product(session, ProductInput(code=code, name=name, category_code="DJ",
                                                 tracking=tracking, barcode=barcode,
                                                 safety_stock=safety))
        create_warehouse(session, code="WH1", name="总仓", bins=["A-01", "A-02"])
        create_warehouse(session, code="WH2", name="分仓", kind="branch")
    yield env
    env.database.dispose()


@pytest.fixture
def api(env: Environment) -> GraphQLTester:
    return GraphQLTester(env)


def line(product: str, quantity: str, source: str, target: str, **extra: Any) -> dict[str, Any]:
    return {"productCode": product, "quantity": quantity, "fromLocationCode": source,
            "toLocationCode": target, **extra}


def post(api: GraphQLTester, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Post a document; the payload (moves and errors)."""
    return api.ok(MOVE, {"input": {"lines": list(lines), **extra}})[  # type: ignore[no-any-return]
        "stockMoveCreate"]


def posted(api: GraphQLTester, *lines: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    """Post a document that must go through; its moves."""
    payload = post(api, *lines, **extra)
    assert payload["errors"] == [], payload["errors"]
    return payload["stockMoves"]  # type: ignore[no-any-return]


def receive_basics(api: GraphQLTester) -> None:
    """Motors YE3-0001..0003 and 50 bolts into WH1/A-01, a batch of oil into WH1/STOCK."""
    posted(api,
           line("DJ-YE3-7.5", "3", "PARTNER/SUPPLIER", "WH1/A-01", unitCost="3100",
                serials=["YE3-0001..0003"]),
           line("LS-M8", "50", "PARTNER/SUPPLIER", "WH1/A-01", unitCost="0.5"),
           line("YY-46", "20", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                batchNumber="B2401", manufacturedOn="2024-01-01", expiresOn="2030-01-01"))


class SelectCounter:
    """Counts the SELECT statements an engine runs while active."""

    def __init__(self, env: Environment) -> None:
        self.engine = env.database.engine
        self.count = 0

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.count += 1

    def __enter__(self) -> SelectCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
