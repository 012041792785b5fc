"""The ledger's invariants across every Enterprise addon, whatever the business does (a
hypothesis state machine, on SQLite and PostgreSQL).

Walking through June to September 2026 day by day, the machine buys (with and without
the supplier's invoice, some goods rejected to quarantine), sells and invoices, pays and
is paid, transfers between warehouses (goods in transit), counts, reverses stock
documents and (red vouchers) payments and sales invoices, acquires assets (every method,
residual rate and tax treatment), records usage, runs depreciation, disposes of assets,
closes months, reopens the latest closed one (the chief accountant, with a reason), posts
into it and closes it again — and tries to post into closed months, which must be
refused with ``PERIOD_CLOSED`` and change nothing.

After every step (:class:`~invariants_ledger_support.Auditor`): every voucher balances,
and all of them together; no posted voucher changed (corrections are red vouchers); the
balances kept per account and month are the vouchers' and every month's trial balance
balances; 库存商品 (goods in stock, in transit and in quarantine, as the mapping books
them) is the stock engine's value and the moves' value since the book opened; 在途物资 is
what was invoiced less what was received; no asset depreciates beyond cost less residual;
固定资产 and 累计折旧 are the cards'.  At the end of each run the registered audit checks
(``openjxc check``) report nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from invariants_ledger_support import (
    FIRST_DAY,
    LAST_DAY,
    PRODUCTS,
    Auditor,
    Shop,
    Shops,
    audit_checks,
    month_end,
    month_start,
    next_month,
    voucher_images,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger, periods
from openjxc.addons.accounting_bridge.models import AccountingPeriod, Voucher
from openjxc.addons.base_jxc.counts.posting import post_count
from openjxc.addons.base_jxc.counts.recording import CountEntry, record_count
from openjxc.addons.base_jxc.counts.services import start_count
from openjxc.addons.base_jxc.invoicing.payments import create_payment
from openjxc.addons.base_jxc.purchase import services as purchase
from openjxc.addons.base_jxc.sales import services as sales
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.addons.base_jxc.transfers.receiving import receive_transfer
from openjxc.addons.base_jxc.transfers.services import (
    TransferInput,
    TransferLineInput,
    create_transfer,
    ship_transfer,
)
from openjxc.addons.depreciation import schedule
from openjxc.addons.depreciation.assets import AssetInput, create_asset, record_usage
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.models import TAX_ONE_TIME, TAX_SAME, TAX_STRAIGHT_LINE
from openjxc.addons.depreciation.runs import run_depreciation

D = Decimal
VAT = D("0.13")
quantities = st.integers(min_value=1, max_value=30).map(D)
prices = st.decimals(min_value=D("0.01"), max_value=D("800.00"), places=2)
money = st.decimals(min_value=D("0.01"), max_value=D("20000.00"), places=2)
#: (method, useful life in months): short lives, so assets run out within the months.
METHODS = st.sampled_from([(schedule.STRAIGHT_LINE, 1), (schedule.STRAIGHT_LINE, 3),
                           (schedule.STRAIGHT_LINE, 7), (schedule.UNITS_OF_PRODUCTION, 4),
                           (schedule.DOUBLE_DECLINING, 12), (schedule.SUM_OF_YEARS, 12),
                           (schedule.DOUBLE_DECLINING, 24)])
CLOSED_ATTEMPTS = ("receipt", "payment", "invoice", "asset", "depreciation", "disposal",
                   "reversal", "red voucher")
#: Vouchers corrected in the ledger (a red voucher); a stock, depreciation or asset voucher
#: is corrected through its document (else the sub-ledger and its account drift apart),
#: and so is a supplier's invoice here (在途物资 is checked against the invoices).
DOCUMENTS = ("sales.invoice", "payment.receipt", "payment.payment")


class LedgerMachine(RuleBasedStateMachine):
    shops: Shops

    def __init__(self) -> None:
        super().__init__()
        self.patches = pytest.MonkeyPatch()
        self.shop: Shop = self.shops.open(self.patches)
        self.auditor = Auditor(self.shop)
        self.to_bill: list[int] = []        # purchase orders received, not invoiced
        self.to_invoice: list[int] = []     # sales orders delivered, not invoiced
        self.shipped: list[int] = []        # transfers in transit
        self.documents: list[str] = []      # stock documents' references (to reverse)
        self.assets: dict[int, date] = {}   # active asset → acquired on
        self.usage_assets: set[int] = set()
        self.closed: list[date] = []        # ledger months closed, oldest first

    def teardown(self) -> None:
        try:
            assert audit_checks(self.shop) == []
        finally:
            self.shops.close(self.shop)
            self.patches.undo()

    # -- the calendar ------------------------------------------------------------------------

    @property
    def month(self) -> date:
        return month_start(self.shop.today)

    def open_months(self) -> list[date]:
        found, month = [], FIRST_DAY
        while month <= self.month:
            if month not in self.closed:
                found.append(month)
            month = next_month(month)
        return found

    @rule(days=st.integers(min_value=1, max_value=35))
    def advance(self, days: int) -> None:
        self.shop.move_to(min(self.shop.today + timedelta(days=days), LAST_DAY))

    # -- buying and selling ------------------------------------------------------------------

    def _buy(self, s: Session, product: str, quantity: Decimal, price: Decimal,
             rejected: Decimal, day: date) -> Any:
        ids = self.shop.ids
        order = purchase.create_purchase_order(
            s, supplier_id=ids["S1"], warehouse_id=ids["WH1"], user_id=ids["buyer"],
            lines=[purchase.PurchaseLineInput(product_id=ids[product], quantity=quantity,
                                              unit_price=price, tax_rate=VAT)])
        purchase.approve_purchase_order(s, order.id, user_id=ids["manager"])
        line = purchase.order_lines(s, [order.id])[order.id][0]
        receipt = purchase.receive_purchase_order(
            s, order.id, receipt_date=day, user_id=ids["buyer"],
            lines=[purchase.ReceiptLineInput(order_line_id=line.id, quantity=quantity,
                                             rejected_quantity=rejected,
                                             reject_reason="外箱破损" if rejected else "")])
        return order.id, receipt.number

    @rule(product=st.sampled_from(PRODUCTS), quantity=quantities, price=prices,
          rejected=st.integers(min_value=0, max_value=2).map(D), invoiced=st.booleans(),
          back=st.integers(min_value=0, max_value=40))
    def buy(self, product: str, quantity: Decimal, price: Decimal, rejected: Decimal,
            invoiced: bool, back: int) -> None:
        """A purchase received (some rejected to quarantine), dated today or back in an
        open month (a reopened one too); invoiced at once or later."""
        day = max(self.shop.today - timedelta(days=back), FIRST_DAY)
        if month_start(day) in self.closed:
            day = self.shop.today
        rejected = min(rejected, quantity - 1)

        def act(s: Session) -> tuple[int, str]:
            order_id, number = self._buy(s, product, quantity, price, rejected, day)
            if invoiced:
                purchase.invoice_purchase_order(s, order_id, invoice_date=day)
            return order_id, number

        order_id, number = self.shop.run(act)
        self.documents.append(number)
        if not invoiced:
            self.to_bill.append(order_id)

    @precondition(lambda self: self.to_bill)
    @rule(data=st.data())
    def bill_purchase(self, data: st.DataObject) -> None:
        order_id = self.to_bill.pop(data.draw(st.integers(0, len(self.to_bill) - 1)))
        self.shop.run(lambda s: purchase.invoice_purchase_order(s, order_id))

    @rule(product=st.sampled_from(PRODUCTS), quantity=quantities, price=prices,
          cost=prices, invoiced=st.booleans())
    def sell(self, product: str, quantity: Decimal, price: Decimal, cost: Decimal,
             invoiced: bool) -> None:
        """A sale delivered from WH1 (what is missing bought first, at ``cost``), invoiced
        at once or later."""
        missing = quantity - self.shop.on_hand("WH1/STOCK", product)
        ids = self.shop.ids

        def act(s: Session) -> tuple[int, str]:
            if missing > 0:
                self.documents.append(self._buy(s, product, missing, cost, D(0),
                                                self.shop.today)[1])
            order = sales.create_sales_order(
                s, customer_id=ids["C1"], warehouse_id=ids["WH1"], user_id=ids["buyer"],
                lines=[sales.SalesLineInput(product_id=ids[product], quantity=quantity,
                                            unit_price=price, tax_rate=VAT)])
            sales.confirm_sales_order(s, order.id, user_id=ids["buyer"])
            delivery = sales.deliver_sales_order(s, order.id, user_id=ids["buyer"])
            if invoiced:
                sales.invoice_sales_order(s, order.id)
            return order.id, delivery.number

        order_id, number = self.shop.run(act)
        self.documents.append(number)
        if not invoiced:
            self.to_invoice.append(order_id)

    @precondition(lambda self: self.to_invoice)
    @rule(data=st.data())
    def bill_sale(self, data: st.DataObject) -> None:
        order_id = self.to_invoice.pop(data.draw(st.integers(0, len(self.to_invoice) - 1)))
        self.shop.run(lambda s: sales.invoice_sales_order(s, order_id))

    @rule(receivable=st.booleans(), amount=money,
          method=st.sampled_from(["bank", "cash", "acceptance_bill"]),
          back=st.integers(min_value=0, max_value=40))
    def pay(self, receivable: bool, amount: Decimal, method: str, back: int) -> None:
        day = max(self.shop.today - timedelta(days=back), FIRST_DAY)
        if month_start(day) in self.closed:
            day = self.shop.today
        partner = self.shop.ids["C1" if receivable else "S1"]
        self.shop.run(lambda s: create_payment(
            s, partner_id=partner, direction="receivable" if receivable else "payable",
            amount=amount, method=method, payment_date=day))

    # -- stock -------------------------------------------------------------------------------

    @rule(product=st.sampled_from(PRODUCTS), quantity=quantities, back=st.booleans(),
          cost=prices)
    def transfer(self, product: str, quantity: Decimal, back: bool, cost: Decimal) -> None:
        """Goods shipped to the other warehouse (in transit until received); WH1 buys
        what it lacks first, WH2 sends what it has."""
        source, target = ("WH2", "WH1") if back else ("WH1", "WH2")
        on_hand = self.shop.on_hand(f"{source}/STOCK", product)
        if back:
            quantity = min(quantity, on_hand)
            if quantity <= 0:
                return

        def act(s: Session) -> int:
            if quantity > on_hand:
                self.documents.append(self._buy(s, product, quantity - on_hand, cost, D(0),
                                                self.shop.today)[1])
            moving = create_transfer(s, TransferInput(
                from_warehouse_code=source, to_warehouse_code=target,
                lines=[TransferLineInput(product_code=product, quantity=quantity)]))
            ship_transfer(s, moving.id)
            return moving.id

        self.shipped.append(self.shop.run(act))

    @precondition(lambda self: self.shipped)
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        moving = self.shipped.pop(data.draw(st.integers(0, len(self.shipped) - 1)))
        self.shop.run(lambda s: receive_transfer(s, moving))

    @rule(product=st.sampled_from(PRODUCTS), delta=st.integers(min_value=-3, max_value=3))
    def count(self, product: str, delta: int) -> None:
        counted = max(self.shop.on_hand("WH1/STOCK", product) + delta, D(0))

        def act(s: Session) -> None:
            found = start_count(s, warehouse_code="WH1", scope="cycle",
                                location_codes=["WH1/STOCK"], product_codes=[product])
            record_count(s, number=found.number, mode="set", entries=[
                CountEntry(location_code="WH1/STOCK", code=product, quantity=counted)])
            post_count(s, number=found.number)

        self.shop.run(act)

    def _moves_of(self, s: Session, reference: str) -> list[int]:
        return list(s.scalars(select(StockMove.id).where(
            StockMove.reference == reference, StockMove.reversal_of_id.is_(None))))

    @precondition(lambda self: self.documents)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        """A stock document undone by the stock engine (a red voucher); refused when its
        goods are gone or it was reversed already."""
        reference = data.draw(st.sampled_from(self.documents))
        before = self.auditor.fingerprint()
        refused = self.shop.attempt(lambda s: reverse_moves(
            s, self._moves_of(s, reference), reason="单据录错，冲回"))
        assert set(refused) <= {"INSUFFICIENT_STOCK"}, refused
        if refused:
            assert self.auditor.fingerprint() == before
        else:
            self.documents.remove(reference)

    # -- fixed assets ------------------------------------------------------------------------

    def _asset(self, s: Session, day: date, method: tuple[str, int], cost: Decimal,
               rate: Decimal, tax: str, department: str) -> int:
        kind, life = method
        return create_asset(s, AssetInput(
            name="检测设备", category_code="MACHINERY", cost=cost, acquired_on=day,
            department=department, residual_rate=rate, life_months=life, method=kind,
            total_units=D(100) if kind == schedule.UNITS_OF_PRODUCTION else None,
            tax_treatment=tax, tax_life_months=life if tax == TAX_STRAIGHT_LINE else None)).id

    @rule(method=METHODS, cost=money, rate=st.sampled_from([D(0), D("0.05"), D("0.1")]),
          tax=st.sampled_from([TAX_SAME, TAX_STRAIGHT_LINE, TAX_ONE_TIME]),
          department=st.sampled_from(["", "销售部", "管理部"]))
    def acquire(self, method: tuple[str, int], cost: Decimal, rate: Decimal, tax: str,
                department: str) -> None:
        day = self.shop.today
        asset_id = self.shop.run(lambda s: self._asset(s, day, method, cost, rate, tax,
                                                       department))
        self.assets[asset_id] = day
        if method[0] == schedule.UNITS_OF_PRODUCTION:
            self.usage_assets.add(asset_id)

    @precondition(lambda self: self.usage_assets & set(self.assets))
    @rule(data=st.data(), units=st.integers(min_value=0, max_value=70).map(D))
    def use(self, data: st.DataObject, units: Decimal) -> None:
        """Usage of the month (the total may pass the asset's units: it stops at cost less
        residual); refused before it starts and once the month is run."""
        asset_id = data.draw(st.sampled_from(sorted(self.usage_assets & set(self.assets))))
        refused = self.shop.attempt(lambda s: record_usage(s, asset_id, self.month, units))
        assert set(refused) <= {"INVALID", "ALREADY_POSTED"}, refused

    @rule(data=st.data())
    def depreciate(self, data: st.DataObject) -> None:
        month = data.draw(st.sampled_from(self.open_months()))
        self.shop.run(lambda s: run_depreciation(s, month))

    @precondition(lambda self: self.assets)
    @rule(data=st.data(), sold=st.booleans(), proceeds=money, costs=money)
    def dispose(self, data: st.DataObject, sold: bool, proceeds: Decimal,
                costs: Decimal) -> None:
        asset_id = data.draw(st.sampled_from(sorted(self.assets)))
        self.shop.run(lambda s: dispose_asset(
            s, asset_id, kind="sale" if sold else "scrap", disposed_on=self.shop.today,
            proceeds=proceeds if sold else D(0), costs=costs))
        del self.assets[asset_id]

    # -- the ledger's own corrections ---------------------------------------------------------

    def _correctable(self) -> list[int]:
        """Vouchers of :data:`DOCUMENTS` not reversed yet."""
        def read(s: Session) -> list[int]:
            red = select(Voucher.reversal_of_id).where(Voucher.reversal_of_id.is_not(None))
            return list(s.scalars(select(Voucher.id).where(
                Voucher.source_type.in_(DOCUMENTS), Voucher.reversal_of_id.is_(None),
                Voucher.id.not_in(red)).order_by(Voucher.id)))
        return self.shop.read(read)

    @rule(data=st.data())
    def reverse_voucher(self, data: st.DataObject) -> None:
        """A red voucher (红字冲销): the original's lines negated, dated like it when its
        month is open, else today; the original stays as it was (checked after the step)."""
        found = self._correctable()
        if not found:
            return
        original = data.draw(st.sampled_from(found))
        day = self.shop.read(lambda s: s.get_one(Voucher, original).voucher_date)
        on = day if month_start(day) not in self.closed else self.shop.today
        red = self.shop.run(lambda s: ledger.reverse_voucher(s, original, on=on).id)
        first, second = self.shop.read(lambda s: [
            [(line[1], line[2], line[3]) for line in voucher_images(s)[v][-1]]
            for v in (original, red)])
        assert second == [(account, -debit, -credit) for account, debit, credit in first]

    # -- month end ---------------------------------------------------------------------------

    def _close(self, month: date) -> None:
        """Depreciation of ``month`` is run (计提折旧), then the month closes (结账)."""
        def act(s: Session) -> None:
            run_depreciation(s, month)
            ledger.close_period(s, month, user_id=self.shop.ids["chief"])

        self.shop.run(act)
        self.closed = sorted([*self.closed, month])

    @precondition(lambda self: self.month < month_start(LAST_DAY)
                  or self.open_months()[0] < self.month)
    @rule(data=st.data(), day=st.integers(min_value=1, max_value=6),
          what=st.sampled_from(CLOSED_ATTEMPTS))
    def month_end(self, data: st.DataObject, day: int, what: str) -> None:
        """Into the next month's first days; the months before it close, oldest first;
        then something tries to post into a closed one."""
        if self.month < month_start(LAST_DAY):
            self.shop.move_to(next_month(self.month).replace(day=day))
        for month in [m for m in self.open_months() if m < self.month]:
            self._close(month)
        self.post_into_closed_month(data, what)

    @precondition(lambda self: self.closed)
    @rule(data=st.data(), reason=st.sampled_from(["补记运费发票", " 供应商发票 晚到 ", "x" * 200]),
          late=st.sampled_from(["payment", "receipt", "nothing"]), close_again=st.booleans())
    def reopen(self, data: st.DataObject, reason: str, late: str, close_again: bool) -> None:
        """The latest closed month reopens (反结账, by the chief accountant, with a reason);
        something late may be posted into it, and it may close again at once."""
        month = self.closed[-1]
        self.shop.run(lambda s: periods.reopen_period(s, month, reason,
                                                      user_id=self.shop.ids["chief"]))
        self.closed.pop()
        day = data.draw(st.dates(min_value=month, max_value=month_end(month)))
        if late == "payment":
            self.pay(data.draw(st.booleans()), data.draw(money), "bank",
                     (self.shop.today - day).days)
        elif late == "receipt":
            self.buy("P2", D(3), D("12.50"), D(0), data.draw(st.booleans()),
                     (self.shop.today - day).days)
        if close_again:
            self._close(month)

    @precondition(lambda self: self.closed)
    @rule(data=st.data(), what=st.sampled_from(CLOSED_ATTEMPTS))
    def post_into_closed_month(self, data: st.DataObject, what: str) -> None:
        """Whatever would post into a closed month is refused, and nothing changes."""
        if not self.closed:
            return
        month = data.draw(st.sampled_from(self.closed))
        day = data.draw(st.dates(min_value=month, max_value=month_end(month)))
        attempt = self._closed_attempt(data, what, day)
        if attempt is None:
            return
        before = self.auditor.fingerprint()
        refused = set(self.shop.attempt(attempt))
        # A reversal's goods may be gone already: refused before its voucher is made.
        assert refused == {"PERIOD_CLOSED"} or (
            what == "reversal" and refused == {"INSUFFICIENT_STOCK"}), (what, day, refused)
        assert self.auditor.fingerprint() == before

    def _closed_attempt(self, data: st.DataObject, what: str, day: date) -> Any:
        ids = self.shop.ids
        if what == "receipt":
            return lambda s: self._buy(s, "P1", D(2), D("10.00"), D(0), day)
        if what == "payment":
            return lambda s: create_payment(s, partner_id=ids["S1"], direction="payable",
                                            amount=D("10.00"), payment_date=day)
        if what == "invoice":
            if not self.to_invoice:
                return None
            order_id = data.draw(st.sampled_from(self.to_invoice))
            return lambda s: sales.invoice_sales_order(s, order_id, invoice_date=day)
        if what == "asset":
            return lambda s: self._asset(s, day, (schedule.STRAIGHT_LINE, 3), D("900.00"),
                                         D("0.05"), TAX_SAME, "")
        if what == "depreciation":
            return lambda s: run_depreciation(s, day)
        if what == "disposal":
            held = sorted(a for a, acquired in self.assets.items() if acquired <= day)
            if not held:
                return None
            asset_id = data.draw(st.sampled_from(held))
            return lambda s: dispose_asset(s, asset_id, kind="scrap", disposed_on=day)
        if what == "red voucher":
            found = self._correctable()
            if not found:
                return None
            original = data.draw(st.sampled_from(found))
            return lambda s: ledger.reverse_voucher(s, original, on=day)
        # Goods that carried no value (bought at no cost) make no voucher: nothing to refuse.
        def worth(s: Session) -> dict[str, Decimal]:
            return {reference: total for reference, total in s.execute(
                select(StockMove.reference, func.sum(StockMove.value))
                .group_by(StockMove.reference))}
        value = self.shop.read(worth)
        valued = [r for r in self.documents if value.get(r)]
        if not valued:
            return None
        reference = data.draw(st.sampled_from(valued))
        return lambda s: reverse_moves(s, self._moves_of(s, reference), reason="冲回",
                                       move_date=day)

    # -- after every step --------------------------------------------------------------------

    @invariant()
    def the_books_hold(self) -> None:
        assert self.auditor.audit() == []

    @invariant()
    def the_closed_months_are_the_ones_closed(self) -> None:
        def read(s: Session) -> list[date]:
            return sorted(s.scalars(select(AccountingPeriod.period).where(
                AccountingPeriod.closed.is_(True))))
        assert self.shop.read(read) == self.closed


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Shops]]:
    found: dict[str, Shops] = {}
    yield found
    for copies in found.values():
        copies.finish()


@pytest.mark.slow
def test_the_ledger_invariants_hold(backend: str, shops: dict[str, Shops],
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    if backend not in shops:
        shops[backend] = Shops(backend, tmp_path_factory.mktemp("ledger"))
    machine = type("Machine", (LedgerMachine,), {"shops": shops[backend]})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=12, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
