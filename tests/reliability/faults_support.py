"""A 5,000-line receipt and the faults the reliability tests throw at its posting.

Run as a script (``python faults_support.py URL MARKER``) it posts the receipt through the
stock engine's service and, as the posting writes its first rows (the balances), writes
``MARKER`` and sleeps: the test kills it there, in the middle of the transaction.

The hook is an engine event of this test code only (``after_cursor_execute``), so the
product code runs unchanged: the pause, the terminated connection and the injected
serialization failures happen at exactly one statement of the posting.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.models import StockMove, Warehouse
from openjxc.addons.base_jxc.stock.posting import MoveLine, PostingResult, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.core.env import Environment

LINES = 5_000
REFERENCE = "RK-FAULT-5000"
PLAIN = [f"F{i:02d}" for i in range(40)]
#: The posting's first write: the balances' upsert (on PostgreSQL, the statement that also
#: locks the valuations).  Paused, failed or cut there, the balances are changed and no
#: move exists yet: committed, that would be a half-posted document.
FIRST_WRITE = re.compile(r"INSERT INTO jxc_stock_balance\b", re.IGNORECASE)


def build_shop(env: Environment) -> None:
    """Products (plain, serial, batch) and a warehouse that forbids negative stock."""
    with env.unit_of_work() as session:
        create_category(session, code="FT", name="故障测试")
        for code in PLAIN:
            create_product(session, ProductInput(code=code, name=f"产品 {code}",
                                                 category_code="FT"))
        create_product(session, ProductInput(code="FSER", name="带序列号", category_code="FT",
                                             tracking="serial"))
        create_product(session, ProductInput(code="FBAT", name="带批次", category_code="FT",
                                             tracking="batch"))
        create_warehouse(session, code="FW", name="总仓")


def receipt_lines(session: Session, count: int = LINES, *, tag: str = "") -> list[MoveLine]:
    """``count`` lines in from the supplier: mostly plain goods, every tenth a serial
    unit, every tenth but five a batch."""
    products = dict(session.execute(select(Product.code, Product.id)).all())
    warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.code == "FW"))
    assert warehouse_id is not None
    source = company_location(session, "supplier").id
    target = warehouse_location(session, warehouse_id, "internal").id
    lines = []
    for i in range(count):
        if i % 10 == 0:
            lines.append(MoveLine(product_id=products["FSER"], quantity=Decimal(1),
                                  from_location_id=source, to_location_id=target,
                                  unit_cost=Decimal("1280.50"), serials=[f"FS{tag}{i:05d}"]))
        elif i % 10 == 5:
            lines.append(MoveLine(product_id=products["FBAT"], quantity=Decimal(3),
                                  from_location_id=source, to_location_id=target,
                                  unit_cost=Decimal("12.345"), batch_number=f"L{i % 7}"))
        else:
            lines.append(MoveLine(product_id=products[PLAIN[i % len(PLAIN)]],
                                  quantity=Decimal("2.5"), from_location_id=source,
                                  to_location_id=target,
                                  unit_cost=Decimal(f"{10 + i % 13}.17")))
    return lines


def post_receipt(session: Session, count: int = LINES, *, tag: str = "",
                 reference: str = REFERENCE) -> PostingResult:
    return post_moves(session, receipt_lines(session, count, tag=tag), reference=reference,
                      origin_type="fault.receipt")


def moves_of(env: Environment, reference: str = REFERENCE) -> int:
    with env.unit_of_work(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(StockMove)
                              .where(StockMove.reference == reference)) or 0


def at_first_write(engine: Engine, action: Callable[[Any, Any], None], *,
                   when: str = "after_cursor_execute") -> Callable[[], None]:
    """Call ``action(connection, cursor)`` at each posting's first write; returns the
    function that removes the hook."""

    def hook(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if FIRST_WRITE.search(statement):
            action(conn, cursor)

    event.listen(engine, when, hook)
    return lambda: event.remove(engine, when, hook)


def main(url: str, marker: str) -> None:
    env = Environment.open(url)

    def pause(_conn: Any, _cursor: Any) -> None:
        Path(marker).write_text("writing")
        time.sleep(120)  # killed long before

    at_first_write(env.database.engine, pause)
    with env.unit_of_work() as session:
        post_receipt(session)
    raise SystemExit("the posting was not paused")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
