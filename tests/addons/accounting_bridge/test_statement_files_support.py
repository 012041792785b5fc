"""A ledger with a year-start, two months of sales and a company name, for the tests of
the statement files (no test is collected from this module); and how a test reads an
.xlsx and a PDF.

December 2025: 100 units received at 85.00 and the supplier's invoice (so the year starts
with stock, input VAT and a payable); February 2026: 10 sold at 200.00 and delivered;
March 2026: 20 sold and delivered, February's invoice paid.  Nothing was paid to the
supplier and the goods in transit are cleared, so 应交税费 has a debit (negative) balance
at the start of the year.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from accounting_support import World, build_world
from openpyxl import load_workbook

from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.testing.fixtures import DatabaseFactory
from openjxc.testing.pdf import pdf_text as pdf_text

D = Decimal
COMPANY = "杭州恒达机电设备有限公司"
DECEMBER, FEBRUARY, MARCH = date(2025, 12, 10), date(2026, 2, 10), date(2026, 3, 10)


def build_statement_world(database_url: str) -> World:
    world = build_world(database_url)
    world.run(lambda s: set_policy(s, "company.name", COMPANY))
    world.run(lambda s: world.receive(s, D(100), D("85.00"), DECEMBER))
    world.run(lambda s: world.invoice(s, "payable", D(100), D("85.00"), day=DECEMBER))
    for qty, day in ((D(10), FEBRUARY), (D(20), MARCH)):
        world.run(lambda s, q=qty, d=day: world.invoice(s, "receivable", q, D("200.00"),
                                                        day=d))
        world.run(lambda s, q=qty, d=day: world.deliver(s, q, d))
    world.run(lambda s: world.pay(s, "receivable", D("2260.00"), MARCH))
    return world


def statement_world_on(backend: str, tmp_path: Path) -> Iterator[World]:
    """A world on a database of its own, dropped afterwards (module-scoped fixtures)."""
    factory = DatabaseFactory(backend, tmp_path)
    try:
        world = build_statement_world(factory.new())
        yield world
        world.env.database.dispose()
    finally:
        factory.cleanup()


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def row_of(rows: list[tuple[Any, ...]], first: str, column: int = 0) -> tuple[Any, ...]:
    found = [r for r in rows if r[column] == first]
    assert len(found) == 1, (first, rows)
    return found[0]


def money(value: Any) -> Decimal:
    """A number read from a cell, as the API writes it (``"1130.00"``)."""
    return D(str(value or 0)).quantize(D("0.01"))




