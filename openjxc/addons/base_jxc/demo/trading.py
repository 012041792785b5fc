"""The demo dealer's last weeks of trading, made through the trading chapters' services.

After the stock history (:mod:`.history`) the staff below buy, sell, bill and collect
over the weeks the stock ledger still has open (the month before this one, and this one
up to yesterday), so that every list of the trading chapters has something in every state:

* purchase (:mod:`.buying`): requisitions submitted, ordered and rejected; orders draft,
  waiting for a second approval, approved, partly received, received, closed and
  cancelled; receipts with inspection (units rejected into quarantine, goods refused at
  the door), one rejected unit sent back to the factory; the factories' invoices, paid in
  full, in part or not yet; service ratings of suppliers;
* sales (:mod:`.selling`): quotations draft, sent, accepted, rejected and expired; orders
  draft, waiting for a credit approval, confirmed with reservations, partly delivered,
  delivered, closed and cancelled — delivered by serial number and by batch; invoices
  paid in full, in part (one payment settling two invoices) and not at all, one of them
  overdue; customer returns requested, inspected, and closed with a credit note.

The staff are real users (password ``demo1234``, like the demo user): sign in as the
salesperson or the accountant to see what their role sees.  The documents carry the
dates the services accept (receipts, deliveries, invoices, payments, sales orders,
quotations); a purchase order takes today's date in :func:`create_purchase_order`, so its
order date, creation and approval times are set back afterwards to the day it was made —
the approval-time figures then show hours, not the seconds the demo took.  Customer
returns are received and inspected today (their services take no date).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.demo import DEMO_PASSWORD
from openjxc.core.events import ENV_KEY
from openjxc.core.security import create_user

from ..catalog.models import Product
from ..invoicing.models import Invoice, Payment
from ..invoicing.services import create_payment
from ..partners.models import Partner
from ..stock.models import Location, Warehouse
from ..stock.posting import business_today

#: username, full name, roles.  The key before them is how the demo refers to each.
STAFF = {
    "purchaser": ("li.caigou", "李采购", ("purchaser",)),
    "purchase_manager": ("qian.jingli", "钱经理", ("purchase_manager",)),
    "general_manager": ("zhao.zongjian", "赵总监", ("purchase_manager", "sales_manager")),
    "clerk": ("chen.cangguan", "陈仓管", ("warehouse_clerk", "return_clerk")),
    "salesperson": ("zhou.xiaoshou", "周销售", ("salesperson",)),
    "sales_manager": ("wang.jingli", "王经理", ("sales_manager", "return_manager")),
    "accountant": ("sun.caiwu", "孙财务", ("accountant",)),
}
#: Serial numbers of what the demo buys: ``YE3-2611-C001`` — the history's read
#: ``YE3-2611-00001``, so the two never meet.
SERIAL_PREFIX = {"DJ": "YE3", "SB": "HL", "BPQ": "MD290", "JSJ": "GS"}


@dataclass
class Desk:
    """What the demo's trading works with: the open weeks, the staff, the head warehouse,
    products and partners by code, and what it received and may sell by serial or batch."""

    session: Session
    rng: random.Random
    today: date
    start: date
    end: date
    staff: dict[str, int]
    warehouse_id: int
    locations: dict[str, int]
    products: dict[str, Product]
    partners: dict[str, Partner]
    #: Serial units received into stock by the demo and not yet sold, per product code.
    serials: dict[str, list[str]] = field(default_factory=dict)
    #: Batches received by the demo, per product code.
    batches: dict[str, str] = field(default_factory=dict)
    _numbers: dict[str, int] = field(default_factory=dict)

    def day(self, share: float) -> date:
        """The day ``share`` of the way through the open weeks (0: the first, 1: yesterday)."""
        return self.start + timedelta(days=round(share * (self.end - self.start).days))

    def after(self, day: date, days: int) -> date:
        """``days`` after ``day``, but never later than yesterday."""
        return min(day + timedelta(days=days), self.end)

    def at(self, day: date, hour: float) -> datetime:
        """A moment of a business day (company time), in UTC."""
        local = datetime.combine(day, time(0), tzinfo=ZoneInfo("Asia/Shanghai"))
        return (local + timedelta(hours=hour)).astimezone(UTC)

    def product(self, code: str) -> int:
        return self.products[code].id

    def partner(self, code: str) -> int:
        return self.partners[code].id

    def bin(self, code: str) -> int:
        return self.locations[f"HQ/{code}"]

    def new_serials(self, code: str, count: int, day: date) -> list[str]:
        """``count`` fresh serial numbers for a unit of ``code`` arriving on ``day``."""
        prefix = SERIAL_PREFIX[self.products[code].code.split("-")[0]]
        first = self._numbers.get(prefix, 0) + 1
        self._numbers[prefix] = first + count - 1
        return [f"{prefix}-{day:%y%m}-C{n:03d}" for n in range(first, first + count)]

    def take(self, code: str, count: int) -> list[str]:
        """``count`` of the demo's own units of ``code`` in stock, oldest first."""
        units, self.serials[code] = self.serials[code][:count], self.serials[code][count:]
        assert len(units) == count, f"the demo has too few {code} to sell"
        return units

    def pay(self, partner: str, direction: str, share: float,
            allocations: list[tuple[Invoice, Decimal]], *, amount: Decimal | None = None,
            reference: str = "") -> Payment:
        """Money in (``receivable``) or out (``payable``), set against invoices."""
        return create_payment(
            self.session, partner_id=self.partner(partner), direction=direction,
            amount=amount if amount is not None else sum((a for _i, a in allocations),
                                                         Decimal(0)),
            payment_date=self.day(share), reference=reference,
            allocations=[(invoice.id, part) for invoice, part in allocations],
            user_id=self.staff["accountant"])


def load_trading(session: Session, rng: random.Random) -> None:
    """The weeks of trading described in this module's docstring."""
    from .buying import load_buying
    from .selling import load_selling

    desk = _desk(session, rng)
    load_buying(desk)
    load_selling(desk)


def _desk(session: Session, rng: random.Random) -> Desk:
    today = business_today(session)
    # The first day the stock ledger leaves open: the history closes the months before.
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    hq = session.scalars(select(Warehouse).where(Warehouse.code == "HQ")).one()
    locations = dict(session.execute(select(Location.code, Location.id)
                                     .where(Location.warehouse_id == hq.id)).all())
    products = {p.code: p for p in session.scalars(select(Product))}
    partners = {p.code: p for p in session.scalars(select(Partner))}
    return Desk(session=session, rng=rng, today=today, start=start,
                end=today - timedelta(days=1), staff=_hire(session),
                warehouse_id=hq.id, locations=locations, products=products,
                partners=partners)


def _hire(session: Session) -> dict[str, int]:
    env = session.info[ENV_KEY]
    staff = {}
    for key, (username, full_name, roles) in STAFF.items():
        staff[key] = create_user(session, env, username, DEMO_PASSWORD, roles=roles,
                                 full_name=full_name, locale="zh_CN").id
    return staff
