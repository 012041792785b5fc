"""A world for the service order tests (no test is collected from this module).

``build_service_world(database_url)`` creates a database with base_jxc and service_orders
only (no serial_warranty: nothing is covered unless a test calls ``set_coverage``):

* products ``MOTOR`` (serial, list price 3,000.00), ``DRIVE`` (serial spare part, 800.00),
  ``FILTER`` (plain, 50.00, VAT 13 %);
* warehouses ``WH1`` and the vans ``VAN1`` (technician ``tech1``) and ``VAN2`` (``tech2``,
  empty); ``tech3`` has no van; team ``T1`` = tech1 + tech2;
* in ``VAN1``: drives ``D-101``, ``D-102`` (cost 500 each) and 20 filters (cost 20);
* at the customer: motor ``M-001`` (delivered to ``C1``, whose site is address ``site``)
  and the drive ``D-001`` fitted in it; motors ``M-002``/``M-003`` still in ``WH1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.partners.models import PartnerAddress
from openjxc.addons.base_jxc.partners.services import AddressInput, PartnerInput, create_partner
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber, StockBalance
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.settings import save_team, set_technician
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.core.security import create_user
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

D = Decimal
ADDONS = ["base_jxc", "service_orders"]
PASSWORD = "service-test-1"


@dataclass
class ServiceWorld:
    env: Environment
    ids: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.env.unit_of_work(readonly=readonly) as session:
            yield session

    def run(self, action: Any) -> Any:
        """``action(session)`` in its own unit of work; ORM results are detached."""
        with self.uow() as session:
            result = action(session)
            session.flush()
            if isinstance(result, models.Base):
                session.refresh(result)
                session.expunge(result)
            return result

    def refusal(self, action: Any) -> list[tuple[str, tuple[str, ...]]]:
        """``(code, field)`` of each error of an action that must be refused; the unit of
        work then commits, so whatever the refusal left behind would be kept."""
        with self.uow() as session:
            try:
                with session.begin_nested():
                    action(session)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the action was accepted")

    def order(self, order_id: int) -> models.ServiceOrder:
        with self.uow(readonly=True) as session:
            row = session.get(models.ServiceOrder, order_id)
            assert row is not None
            session.expunge(row)
            return row

    def serial_place(self, number: str) -> str:
        with self.uow(readonly=True) as session:
            return session.scalar(select(Location.code).join(
                SerialNumber, SerialNumber.location_id == Location.id)
                .where(SerialNumber.number == number)) or ""

    def serial_id(self, number: str) -> int:
        with self.uow(readonly=True) as session:
            found = session.scalar(select(SerialNumber.id).where(SerialNumber.number == number))
            assert found is not None
            return found

    def on_hand(self, location: str, product: str) -> Decimal:
        with self.uow(readonly=True) as session:
            return session.scalar(select(StockBalance.quantity).join(
                Location, Location.id == StockBalance.location_id)
                .where(Location.code == location,
                       StockBalance.product_id == self.ids[product])) or D(0)

    def api(self, user: str | None = None, **kwargs: Any) -> GraphQLTester:
        """A GraphQL caller, as ``user`` (their id) when given, holding ``permissions``
        (all by default)."""
        tester = GraphQLTester(self.env, **kwargs)
        if user is not None and tester.principal is not None:
            tester.principal = replace(tester.principal, user_id=self.ids[user],
                                       username=user)
        return tester


def build_service_world(database_url: str, addons: list[str] | None = None) -> ServiceWorld:
    env = Environment.for_addons(addons or ADDONS, database_url=database_url)
    create_test_database(env)
    world = ServiceWorld(env)
    ids = world.ids
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
        for code, tracking, price in (("MOTOR", "serial", "3000.00"),
                                      ("DRIVE", "serial", "800.00"),
                                      ("FILTER", "none", "50.00")):
            product = create_product(session, ProductInput(
                code=code, name=f"产品 {code}", category_code="DJ", tracking=tracking))
            product.list_price = D(price)
            ids[code] = product.id
        for code, kind in (("WH1", "hq"), ("VAN1", "van"), ("VAN2", "van")):
            ids[code] = create_warehouse(session, code=code, name=code, kind=kind).id
        for code in ("C1", "C2"):
            partner = create_partner(session, PartnerInput(
                code=code, name=f"客户 {code}", addresses=[AddressInput(
                    kind="shipping", address=f"{code} 工地 1 号", is_primary=True)]))
            ids[code] = partner.id
        ids["site"] = session.scalar(select(PartnerAddress.id).where(
            PartnerAddress.partner_id == ids["C1"])) or 0
        for name in ("tech1", "tech2", "tech3"):
            ids[name] = create_user(session, env, name, PASSWORD, roles=["technician"]).id
        ids["manager"] = create_user(session, env, "manager", PASSWORD,
                                     roles=["service_manager"]).id
        set_technician(session, user_id=ids["tech1"], warehouse_id=ids["VAN1"])
        set_technician(session, user_id=ids["tech2"], warehouse_id=ids["VAN2"])
        ids["T1"] = save_team(session, code="T1", name="一组",
                              member_ids=[ids["tech1"], ids["tech2"]]).id
        places = {loc.code: loc.id for loc in session.scalars(select(Location))}
        supplier = company_location(session, "supplier").id
        customer = company_location(session, "customer").id
        post_moves(session, [
            MoveLine(product_id=ids["MOTOR"], quantity=D(3), from_location_id=supplier,
                     to_location_id=places["WH1/STOCK"], unit_cost=D("2000"),
                     serials=["M-001", "M-002", "M-003"]),
            MoveLine(product_id=ids["DRIVE"], quantity=D(1), from_location_id=supplier,
                     to_location_id=places["WH1/STOCK"], unit_cost=D("500"),
                     serials=["D-001"]),
            MoveLine(product_id=ids["DRIVE"], quantity=D(2), from_location_id=supplier,
                     to_location_id=places["VAN1/STOCK"], unit_cost=D("500"),
                     serials=["D-101", "D-102"]),
            MoveLine(product_id=ids["FILTER"], quantity=D(20), from_location_id=supplier,
                     to_location_id=places["VAN1/STOCK"], unit_cost=D("20"))],
            origin_type="test.receipt")
        post_moves(session, [
            MoveLine(product_id=ids["MOTOR"], quantity=D(1),
                     from_location_id=places["WH1/STOCK"], to_location_id=customer,
                     serials=["M-001"]),
            MoveLine(product_id=ids["DRIVE"], quantity=D(1),
                     from_location_id=places["WH1/STOCK"], to_location_id=customer,
                     serials=["D-001"])], origin_type="sales.delivery")
        ids.update({code: loc for code, loc in places.items()})
        ids["customer"] = customer
    return world


class StatementCounter:
    """Counts the SQL statements an engine sends (transaction control excluded)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK",
                                                     "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.statements)
