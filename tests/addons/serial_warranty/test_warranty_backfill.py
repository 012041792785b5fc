"""Back-fill: a basic database full of demo data gets serial_warranty; units a sales
delivery left at a customer get a warranty from that delivery's date under the policy
that applies now (once policies exist), and nothing else changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Category, Product
from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.sales.models import SalesDelivery
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber, StockMove, StockMoveSerial
from openjxc.addons.serial_warranty import load_demo_data
from openjxc.addons.serial_warranty.models import Warranty
from openjxc.addons.serial_warranty.services import backfill_warranties
from openjxc.core.env import Environment
from openjxc.core.migrate import install_addons
from openjxc.testing.fixtures import create_test_demo


def _expected(session: Session, categories: dict[str, int]) -> dict[int, tuple[date, int]]:
    """serial id → (delivery date, months), worked out independently: units at a customer
    location whose last move (by date, then posting order) is a sales delivery document's
    (the demo's older history posts bare ledger moves: no document, no customer, no
    warranty)."""
    at_customer = select(SerialNumber.id, SerialNumber.product_id).join(
        Location, Location.id == SerialNumber.location_id).where(Location.kind == "customer")
    units = dict(session.execute(at_customer).all())
    # A category's policy reaches the categories below it (the demo's motors sit in
    # DJ-YE3 and DJ-Y2 under DJ): the nearest category up the tree with a policy decides.
    tree = {c.id: (c.code, c.parent_id) for c in session.execute(
        select(Category.id, Category.code, Category.parent_id))}

    def policy_months(category_id: int | None) -> int | None:
        while category_id is not None:
            code, parent = tree[category_id]
            if code in categories:
                return categories[code]
            category_id = parent
        return None

    months = {pid: m for pid, cid in session.execute(select(Product.id, Product.category_id))
              if (m := policy_months(cid)) is not None}
    expected: dict[int, tuple[date, int]] = {}
    for serial_id, product_id in units.items():
        last = session.execute(
            select(StockMove.origin_type, StockMove.origin_id)
            .join(StockMoveSerial, StockMoveSerial.move_id == StockMove.id)
            .where(StockMoveSerial.serial_id == serial_id)
            .order_by(StockMove.move_date.desc(), StockMove.id.desc()).limit(1)).one()
        if last.origin_type == "sales.delivery" and product_id in months:
            day = session.scalar(select(SalesDelivery.delivery_date)
                                 .where(SalesDelivery.id == last.origin_id))
            if day is not None:
                expected[serial_id] = (day, months[product_id])
    return expected


def _ledger(session: Session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(StockMove)) or 0,
            session.scalar(select(func.count()).select_from(Invoice)) or 0,
            hash(tuple(session.execute(select(SerialNumber.id, SerialNumber.location_id)
                                       .order_by(SerialNumber.id)).all())))


def test_a_basic_demo_database_upgraded_gets_warranties_for_what_it_sold(
        database_url: str) -> None:
    create_test_demo(database_url, "basic")  # what `openjxc demo --edition basic` makes
    basic = Environment.for_edition("basic", database_url=database_url)
    try:
        with basic.unit_of_work() as session:
            before = _ledger(session)

        pro = install_addons(basic, ["serial_warranty"])
        with pro.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Warranty)) == 0  # no policy
            load_demo_data(session=session, env=pro)  # the demo's policies, then back-fill
        with pro.unit_of_work() as session:
            expected = _expected(session, {"DJ": 18, "SB": 12})
            assert expected, "the demo sells serial units of both categories"
            issued = {w.serial_id: (w.start_date, w.months, w.delivered_on, w.voided_on)
                      for w in session.scalars(select(Warranty))}
            assert issued == {s: (day, months, day, None)
                              for s, (day, months) in expected.items()}
            assert backfill_warranties(session) == 0  # once only
            assert _ledger(session) == before  # nothing else changed
    finally:
        basic.database.dispose()
