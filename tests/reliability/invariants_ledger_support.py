"""The shop and the auditor of the ledger invariant machine (test_invariants_ledger.py).

No test is collected from this module.

:class:`Shop` is an Enterprise-edition company (every addon) with a book opened on the
machine's first month, two products, two warehouses, a customer, a supplier and the people
who sign (buyer, manager, chief accountant), and a clock that the machine walks through
the business days.  Its verbs drive base_jxc's, depreciation's and accounting_bridge's
services, each in its own unit of work.

:class:`Auditor` reads the books after every step and says what is wrong: unbalanced
vouchers, a posted voucher changed, month balances that are not the vouchers', stock
accounts that are not the stock engine's value, 在途物资 that is not received less
invoiced, accumulated depreciation beyond cost less residual.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from argon2 import PasswordHasher, Type
from psycopg import sql
from sqlalchemy import case, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import checks as ledger_checks
from openjxc.addons.accounting_bridge import ledger
from openjxc.addons.accounting_bridge.models import (
    Account,
    AccountBalance,
    AccountBook,
    AccountingPeriod,
    Voucher,
    VoucherLine,
)
from openjxc.addons.accounting_bridge.models_books import OpeningBalance
from openjxc.addons.accounting_bridge.opening import OpeningLine, set_opening_balances
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.stock import posting
from openjxc.addons.base_jxc.stock.models import (
    Location,
    StockBalance,
    StockMove,
    StockValuation,
)
from openjxc.addons.base_jxc.stock.warehouses import create_warehouse
from openjxc.addons.depreciation.models import BOOK, TAX, Asset, DepreciationLine
from openjxc.core import formatting
from openjxc.core import models as core_models
from openjxc.core.checks import run_checks
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.core.formatting import company_date
from openjxc.core.security import create_user, passwords
from openjxc.testing.fixtures import (
    PG_ADMIN_URL,
    create_pg_database,
    create_test_database,
    drop_pg_database,
    pg_url,
)

D = Decimal
T = TypeVar("T")
CENT = D("0.01")
FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 9, 30)
OPENING_CASH = D("500000.00")
PRODUCTS = ("P1", "P2")
#: What the stock accounts hold: goods in internal, transit and quarantine locations.
HELD = ledger_checks.HELD


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def month_end(period: date) -> date:
    return next_month(period) - timedelta(days=1)


# -- the shop's clock -----------------------------------------------------------------------

class _AnyDatetime(type):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, datetime)


class Clock:
    """Every "today" the services read (``business_today``, ``company_date``, ``utcnow``)
    follows :meth:`move_to`."""

    def __init__(self, patches: pytest.MonkeyPatch, timezone: str) -> None:
        self.offset = timedelta(0)
        self.timezone = timezone
        clock = self

        class Moved(datetime, metaclass=_AnyDatetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + clock.offset

        for module in (posting, formatting, core_models):
            patches.setattr(module, "datetime", Moved)

    def move_to(self, day: date) -> None:
        self.offset = timedelta(0)
        self.offset = day - company_date(self.timezone)
        assert company_date(self.timezone) == day


# -- the shop -------------------------------------------------------------------------------

@dataclass
class Shop:
    env: Environment
    clock: Clock
    ids: dict[str, int] = field(default_factory=dict)
    today: date = FIRST_DAY

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def run(self, action: Callable[[Session], T]) -> T:
        with self.uow() as session:
            return action(session)

    def attempt(self, action: Callable[[Session], Any]) -> list[str]:
        """Run ``action`` in its own unit of work: the error codes of a refusal (the unit of
        work rolled back), ``[]`` when it was accepted and committed."""
        try:
            with self.uow() as session:
                action(session)
        except ValidationFailed as exc:
            return [e.code for e in exc.errors]
        return []

    def read(self, action: Callable[[Session], T]) -> T:
        with self.uow(readonly=True) as session:
            return action(session)

    def move_to(self, day: date) -> None:
        self.clock.move_to(day)
        self.today = day

    def on_hand(self, location: str, product: str) -> Decimal:
        return self.read(lambda s: D(s.scalar(select(func.coalesce(func.sum(
            StockBalance.quantity), 0)).where(StockBalance.location_id == self.ids[location],
                                             StockBalance.product_id == self.ids[product]))
            or 0))


def _build(database_url: str) -> dict[str, int]:
    """A fresh Enterprise-edition database with the shop's master data, its book opened on
    :data:`FIRST_DAY`; the ids by code."""
    ids: dict[str, int] = {}
    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(passwords, "HASHER", PasswordHasher(
            time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))
        env = Environment.for_edition("enterprise", database_url=database_url)
        create_test_database(env)
        Clock(patches, env.settings.timezone).move_to(FIRST_DAY)
        with env.unit_of_work() as session:
            for name, roles in (("buyer", ["admin"]), ("manager", ["admin"]),
                                ("chief", ["chief_accountant"])):
                ids[name] = create_user(session, env, name, "ledger-pass-2026",
                                        roles=roles).id
            set_policy(session, "purchase.approval_threshold", "100000000")
            create_category(session, code="GOODS", name="商品")
            for code in PRODUCTS:
                ids[code] = create_product(session, ProductInput(
                    code=code, name=f"商品 {code}", category_code="GOODS")).id
            for code in ("WH1", "WH2"):
                ids[code] = create_warehouse(session, code=code, name=f"仓库 {code}").id
            for location in session.scalars(select(Location).where(
                    Location.warehouse_id.is_not(None))):
                ids[location.code] = location.id
            ids["C1"] = create_partner(session, PartnerInput(code="C1", name="客户")).id
            ids["S1"] = create_partner(session, PartnerInput(
                code="S1", name="供应商", is_customer=False, is_supplier=True)).id
            set_opening_balances(session, FIRST_DAY, [
                OpeningLine("1002", debit=OPENING_CASH),
                OpeningLine("3001", credit=OPENING_CASH)])
        env.database.dispose()
    return ids


class Shops:
    """Copies of one freshly built shop per backend: a file copy on SQLite, ``CREATE
    DATABASE … TEMPLATE`` on PostgreSQL (the next one made and the used ones dropped in the
    background), so an example costs a copy instead of a migration and the master data."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend, self.directory = backend, directory
        self.template = self._new_url()
        self.ids = _build(self.template)
        self.creating = ThreadPoolExecutor(max_workers=1)
        self.dropping = ThreadPoolExecutor(max_workers=3)  # a drop waits for a checkpoint
        self.pending: list[Future[None]] = []
        self.next: Future[str] | None = None
        if backend == "postgresql":
            self.next = self.creating.submit(self._copy)

    def _new_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.directory / f'shop_{uuid.uuid4().hex[:8]}.sqlite'}"
        return pg_url(create_pg_database())

    def _copy(self) -> str:
        name = f"openjxc_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(str(make_url(self.template).database))))
        return pg_url(name)

    def open(self, patches: pytest.MonkeyPatch) -> Shop:
        """A new copy of the shop, its clock on :data:`FIRST_DAY`."""
        if self.next is None:
            url = self._new_url()
            shutil.copyfile(str(make_url(self.template).database), str(make_url(url).database))
        else:
            url = self.next.result()
            self.next = self.creating.submit(self._copy)
        env = Environment.for_edition("enterprise", database_url=url)
        shop = Shop(env, Clock(patches, env.settings.timezone), dict(self.ids))
        shop.move_to(FIRST_DAY)
        return shop

    def close(self, shop: Shop) -> None:
        shop.env.database.dispose()
        name = str(make_url(shop.env.database.url).database)
        if self.backend == "postgresql":
            self.pending.append(self.dropping.submit(drop_pg_database, name))
        else:
            Path(name).unlink(missing_ok=True)

    def finish(self) -> None:
        if self.next is not None:
            for url in (self.next.result(), self.template):
                self.pending.append(self.dropping.submit(
                    drop_pg_database, str(make_url(url).database)))
        self.creating.shutdown(wait=True)
        self.dropping.shutdown(wait=True)
        for done in self.pending:
            done.result()


# -- the auditor ----------------------------------------------------------------------------

VoucherImage = tuple[Any, ...]


def voucher_images(session: Session) -> dict[int, VoucherImage]:
    """Every voucher as posted: its header and lines."""
    lines: dict[int, list[tuple[Any, ...]]] = {}
    for r in session.execute(select(
            VoucherLine.voucher_id, VoucherLine.sequence, VoucherLine.account_id,
            VoucherLine.debit, VoucherLine.credit, VoucherLine.customer_id,
            VoucherLine.supplier_id, VoucherLine.department, VoucherLine.project,
            VoucherLine.summary, VoucherLine.cash_flow_item).order_by(VoucherLine.id)):
        lines.setdefault(r[0], []).append(tuple(r[1:]))
    return {v.id: (v.number, v.period, v.voucher_date, v.summary, v.source_type, v.source_id,
                   v.reference, v.total, v.reversal_of_id, tuple(lines.get(v.id, ())))
            for v in session.scalars(select(Voucher))}


def _signed_value(session: Session, kinds: tuple[str, ...], since: date | None = None,
                  ) -> Decimal:
    """Σ value of the moves into locations of ``kinds`` less out of them."""
    places = select(Location.id).where(Location.kind.in_(kinds))
    stmt = select(func.coalesce(func.sum(
        case((StockMove.to_location_id.in_(places), StockMove.value), else_=0)
        - case((StockMove.from_location_id.in_(places), StockMove.value), else_=0)), 0))
    if since is not None:
        stmt = stmt.where(StockMove.move_date >= since)
    return D(session.scalar(stmt) or 0).quantize(CENT)


@dataclass
class Books:
    """What the auditor read in one snapshot."""

    vouchers: dict[int, VoucherImage]
    closed: set[date]
    problems: list[str]


class Auditor:
    """Reads the books and lists what breaks an invariant (``[]``: all hold)."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.posted: dict[int, VoucherImage] = {}
        self.balances: dict[str, Decimal] = {}

    def audit(self) -> list[str]:
        books = self.shop.read(self._read)
        problems = books.problems
        for voucher_id, image in self.posted.items():
            if books.vouchers.get(voucher_id) != image:
                problems.append(f"posted voucher {image[0]} {image[1]} changed: "
                                f"{books.vouchers.get(voucher_id)}")
        self.posted = books.vouchers
        return problems

    def fingerprint(self) -> tuple[Any, ...]:
        """What a refused document would have changed."""
        def read(s: Session) -> tuple[Any, ...]:
            counts = [s.scalar(select(func.count()).select_from(t)) for t in (
                Voucher, VoucherLine, StockMove, Invoice, Payment, Asset, DepreciationLine)]
            return (*counts, s.scalar(select(func.sum(AccountBalance.debit))),
                    tuple(s.execute(select(Asset.id, Asset.state, Asset.disposed_on)
                                    .order_by(Asset.id))))
        return self.shop.read(read)

    def _read(self, s: Session) -> Books:
        problems: list[str] = []
        by_code: dict[str, Decimal] = {code: D(value) for code, value in s.execute(
            select(Account.code, func.sum(AccountBalance.debit - AccountBalance.credit))
            .join(AccountBalance, AccountBalance.account_id == Account.id)
            .group_by(Account.code))}
        self.balances = {code: sum((D(v) for c, v in by_code.items() if c.startswith(code)),
                                   D(0)).quantize(CENT)
                         for code in ("1402", "1405", "1601", "1602")}
        vouchers = voucher_images(s)
        # Every voucher balances: Σ debit = Σ credit = its total; each line one-sided.
        grand_debit = grand_credit = D(0)
        for image in vouchers.values():
            number, period, _day, *_rest, total, _rev, lines = image
            debit = sum((line[2] for line in lines), D(0))
            credit = sum((line[3] for line in lines), D(0))
            grand_debit += debit
            grand_credit += credit
            if not lines or debit != credit or debit != total:
                problems.append(f"voucher {period:%Y-%m} {number} unbalanced: "
                                f"{debit} / {credit} / {total}")
            if any((d != 0) == (c != 0) for _q, _a, d, c, *_x in lines):
                problems.append(f"voucher {number} has a two-sided or empty line")
        if grand_debit != grand_credit:
            problems.append(f"all vouchers: debits {grand_debit} ≠ credits {grand_credit}")
        problems += self._month_balances(s)
        problems += self._stock(s)
        problems += self._assets(s)
        closed = {p for p, in s.execute(select(AccountingPeriod.period).where(
            AccountingPeriod.closed.is_(True)))}
        return Books(vouchers, closed, problems)

    def _month_balances(self, s: Session) -> list[str]:
        """The balances kept per account and month are the vouchers' (the month before the
        book opens: the openings), and every month's trial balance balances."""
        problems = []
        opens = s.scalar(select(AccountBook.opens_on).where(AccountBook.id == 1))
        assert opens is not None
        kept = {(r.account_id, r.period): (r.debit, r.credit)
                for r in s.scalars(select(AccountBalance))}
        posted = {(a, p): (D(d), D(c)) for a, p, d, c in s.execute(
            select(VoucherLine.account_id, Voucher.period, func.sum(VoucherLine.debit),
                   func.sum(VoucherLine.credit))
            .join(Voucher, Voucher.id == VoucherLine.voucher_id)
            .group_by(VoucherLine.account_id, Voucher.period))}
        for a, d, c in s.execute(select(OpeningBalance.account_id,
                                        func.sum(OpeningBalance.debit),
                                        func.sum(OpeningBalance.credit))
                                 .group_by(OpeningBalance.account_id)):
            posted[(a, ledger.month_before(opens))] = (D(d), D(c))
        zero = (D(0), D(0))
        for key in set(kept) | set(posted):
            if kept.get(key, zero) != posted.get(key, zero):
                problems.append(f"balance of account {key[0]} in {key[1]:%Y-%m}: kept "
                                f"{kept.get(key)} but the vouchers say {posted.get(key)}")
        months: dict[date, list[Decimal]] = {}
        for (_a, period), (d, c) in kept.items():
            months.setdefault(period, [D(0), D(0)])
            months[period][0] += d
            months[period][1] += c
        problems += [f"trial balance of {p:%Y-%m}: debits {d} ≠ credits {c}"
                     for p, (d, c) in months.items() if d != c]
        return problems

    def _stock(self, s: Session) -> list[str]:
        """1405 = the stock engine's value (internal, transit and quarantine; nothing is
        scrapped here) = the moves' value into held places since the book opened (what
        ``openjxc check`` compares); 1402 = goods received less goods invoiced."""
        problems = []
        stock_account = self.balances["1405"]
        engine = D(s.scalar(select(func.coalesce(func.sum(StockValuation.value), 0))) or 0
                   ).quantize(CENT)
        held = _signed_value(s, HELD)
        scrap = _signed_value(s, ("scrap",))
        if not stock_account == engine - scrap == held:
            problems.append(f"stock: 1405 {stock_account}, stock engine {engine} (scrap "
                            f"{scrap}), moves into held places {held}")
        if (accounts := ledger_checks.stock_accounts(s)) != ["1405"]:
            problems.append(f"the stock accounts are {accounts}")
        supplier = select(Location.id).where(Location.kind == "supplier")
        received = D(s.scalar(select(func.coalesce(func.sum(
            case((StockMove.from_location_id.in_(supplier), StockMove.value), else_=0)
            - case((StockMove.to_location_id.in_(supplier), StockMove.value), else_=0)), 0)))
            or 0)
        invoiced = D(s.scalar(select(func.coalesce(func.sum(Invoice.amount_untaxed), 0))
                              .where(Invoice.direction == "payable")) or 0)
        in_transit = self.balances["1402"]
        if in_transit != (invoiced - received).quantize(CENT):
            problems.append(f"1402 {in_transit} ≠ invoiced {invoiced} − received {received}")
        return problems

    def _assets(self, s: Session) -> list[str]:
        """Per asset and book: 0 ≤ accumulated ≤ cost − residual (tax book: ≤ cost), so the
        book value never falls below the residual; 1601 and 1602 are the cards'."""
        problems = []
        done = {(a, b): D(x) for a, b, x in s.execute(
            select(DepreciationLine.asset_id, DepreciationLine.book,
                   func.sum(DepreciationLine.amount))
            .group_by(DepreciationLine.asset_id, DepreciationLine.book))}
        if any(x <= 0 for x, in s.execute(select(DepreciationLine.amount))):
            problems.append("a depreciation line of zero or less")
        cost_held = accumulated_held = D(0)
        for asset in s.scalars(select(Asset)):
            booked = done.get((asset.id, BOOK), D(0))
            if booked > asset.cost - asset.residual_value:
                problems.append(f"asset {asset.code}: accumulated {booked} beyond cost "
                                f"{asset.cost} − residual {asset.residual_value}")
            if asset.cost - booked < asset.residual_value:
                problems.append(f"asset {asset.code}: book value below the residual")
            if done.get((asset.id, TAX), D(0)) > asset.cost:
                problems.append(f"asset {asset.code}: tax depreciation beyond cost")
            if asset.state == "active":
                cost_held += asset.cost
                accumulated_held += booked
            else:
                # the card left with the schedule's accumulated depreciation of its last
                # month: what the runs posted for it, once its last month is run
                accumulated_held += booked - (asset.disposal_depreciation or D(0))
        if self.balances["1601"] != cost_held:
            problems.append(f"1601 {self.balances['1601']} ≠ cost of the assets held "
                            f"{cost_held}")
        if self.balances["1602"] != -accumulated_held:
            problems.append(f"1602 {self.balances['1602']} ≠ −accumulated {accumulated_held}")
        return problems


def audit_checks(shop: Shop) -> list[str]:
    """What the registered audit checks (``openjxc check``) report."""
    return [f"{r.check.key}: {v.subject} {v.message}"
            for r in run_checks(shop.env) for v in r.violations]
