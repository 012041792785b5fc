"""A small world for the serial_warranty tests: base_jxc + serial_warranty, goods bought
with real purchase services and sold with real sales services (so the warranties come
from base_jxc's own ``SalesDelivered`` and ``ReturnReceived``).

* categories ``DJ`` (motors) and ``PJ`` (parts); products ``MOTOR`` (serial, DJ),
  ``DRIVE`` (serial, PJ, spare part of ``MOTOR``), ``FAN`` (serial, PJ, unrelated) and
  ``PLAIN`` (no tracking, DJ);
* warehouse ``WH1``; customers ``C1``/``C2``; supplier ``S1``.

No policy exists until a test creates one.  No test is collected from this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.relations import create_relation
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.purchase.services import (
    PurchaseLineInput,
    ReceiptLineInput,
    approve_purchase_order,
    create_purchase_order,
    order_lines,
    receive_purchase_order,
)
from openjxc.addons.base_jxc.returns.inspection import InspectionLineInput, inspect_return
from openjxc.addons.base_jxc.returns.receiving import receive_return
from openjxc.addons.base_jxc.returns.services import ReturnLineInput, create_return, return_lines
from openjxc.addons.base_jxc.sales.confirmation import confirm_sales_order
from openjxc.addons.base_jxc.sales.delivery import DeliveryLineInput, deliver_sales_order
from openjxc.addons.base_jxc.sales.lines import SalesLineInput
from openjxc.addons.base_jxc.sales.models import SalesOrderLine
from openjxc.addons.base_jxc.sales.orders import create_sales_order
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.addons.base_jxc.stock.warehouses import create_warehouse
from openjxc.addons.serial_warranty.models import Warranty
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database

D = Decimal


@dataclass
class WarrantyWorld:
    env: Environment
    ids: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with self.env.unit_of_work() as session:
            yield session

    def call(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        with self.uow() as session:
            result = action(session, *args, **kwargs)
            session.flush()
            session.expunge_all()
            return result

    def refused(self, action: Any, *args: Any, **kwargs: Any) -> list[str]:
        """The error codes of a service that must refuse (its unit of work commits after
        the refusal, so anything it left behind would be kept)."""
        with self.uow() as session:
            try:
                action(session, *args, **kwargs)
            except ValidationFailed as exc:
                return [e.code for e in exc.errors]
        raise AssertionError("the service was expected to refuse")

    def buy(self, product: str, serials: Sequence[str], on: date) -> int:
        """Buy and receive the units from S1 at 2,000.00 each; the receipt id."""
        with self.uow() as session:
            order = create_purchase_order(
                session, supplier_id=self.ids["S1"], warehouse_id=self.ids["WH1"],
                lines=[PurchaseLineInput(product_id=self.ids[product],
                                         quantity=D(len(serials)), unit_price=D("2000"))])
            for approver in range(1, order.approvals_required + 1):  # 分级审批 by amount
                approve_purchase_order(session, order.id, user_id=approver)
            line = order_lines(session, [order.id])[order.id][0]
            receipt = receive_purchase_order(
                session, order.id, receipt_date=on, user_id=1,
                lines=[ReceiptLineInput(order_line_id=line.id, quantity=D(len(serials)),
                                        serials=list(serials))])
            return receipt.id

    def sell(self, product: str, serials: Sequence[str], on: date,
             customer: str = "C1") -> tuple[int, int]:
        """Order, confirm and deliver the units; (order id, delivery id)."""
        with self.uow() as session:
            order = create_sales_order(
                session, customer_id=self.ids[customer], warehouse_id=self.ids["WH1"],
                order_date=on, lines=[SalesLineInput(product_id=self.ids[product],
                                                     quantity=D(len(serials)),
                                                     unit_price=D("3000"))])
            confirm_sales_order(session, order.id, user_id=1)
            line_id = session.scalar(select(SalesOrderLine.id)
                                     .where(SalesOrderLine.order_id == order.id))
            delivery = deliver_sales_order(
                session, order.id, delivery_date=on, user_id=1,
                lines=[DeliveryLineInput(order_line_id=line_id, serials=list(serials))])
            return order.id, delivery.id

    def take_back(self, product: str, serials: Sequence[str], order_id: int,
                  customer: str = "C1", restock: bool = False) -> int:
        """A customer return of the units, received (and restocked); its id."""
        with self.uow() as session:
            line_id = session.scalar(select(SalesOrderLine.id)
                                     .where(SalesOrderLine.order_id == order_id))
            request = create_return(
                session, customer_id=self.ids[customer], sales_order_id=order_id,
                reason="不转", lines=[ReturnLineInput(
                    product_id=self.ids[product], quantity=D(len(serials)),
                    serials=list(serials), sales_order_line_id=line_id)])
            receive_return(session, request.id, user_id=1)
            if restock:
                line = return_lines(session, [request.id])[request.id][0]
                inspect_return(session, request.id, user_id=1, lines=[
                    InspectionLineInput(line_id=line.id, restock=D(len(serials)))])
            return request.id

    def serial(self, number: str) -> int:
        with self.uow() as session:
            found = session.scalar(select(SerialNumber.id).where(SerialNumber.number == number))
            assert found is not None, number
            return found

    def warranties(self, number: str) -> list[Warranty]:
        """Every warranty of the unit, oldest first."""
        with self.uow() as session:
            rows = list(session.scalars(
                select(Warranty).join(SerialNumber, SerialNumber.id == Warranty.serial_id)
                .where(SerialNumber.number == number).order_by(Warranty.id)))
            session.expunge_all()
            return rows

    def live(self, number: str) -> Warranty | None:
        found = [w for w in self.warranties(number) if w.voided_on is None]
        assert len(found) <= 1
        return found[0] if found else None


def build_world(database_url: str, addons: Sequence[str] = ("serial_warranty",)) -> WarrantyWorld:
    env = Environment.for_addons(list(addons), database_url=database_url)
    create_test_database(env)
    world = WarrantyWorld(env)
    with world.uow() as session:
        create_category(session, code="DJ", name="电机")
        create_category(session, code="PJ", name="配件")
        for code, name, category, tracking in (
                ("MOTOR", "三相异步电机", "DJ", "serial"), ("DRIVE", "变频器", "PJ", "serial"),
                ("FAN", "风扇", "PJ", "serial"), ("PLAIN", "螺栓", "DJ", "none")):
            world.ids[code] = create_product(session, ProductInput(
                code=code, name=name, category_code=category, tracking=tracking,
                model="YE3-132M" if code == "MOTOR" else "")).id
        create_relation(session, kind="spare_part_of", product_code="DRIVE",
                        related_code="MOTOR")
        world.ids["WH1"] = create_warehouse(session, code="WH1", name="总仓").id
        for data in (PartnerInput(code="C1", name="杭州甲机电有限公司"),
                     PartnerInput(code="C2", name="宁波乙泵阀有限公司"),
                     PartnerInput(code="S1", name="浙江电机制造有限公司", is_customer=False,
                                  is_supplier=True)):
            world.ids[data.code] = create_partner(session, data).id
    return world
