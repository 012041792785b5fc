"""A device's whole life (设备档案) for a batch of serial units, in a constant number of
statements however long their histories are.

Read from the ledger and the documents the moves name: the purchase receipts that
brought a unit in (supplier, date, cost), every move, the sales deliveries that took it
to customers, the customer returns that brought it back, its warranties with their
extensions, and the fitments where it is the host or the accessory.  At most seven
statements for any number of units and moves (:func:`device_archives`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder, PurchaseReceipt
from openjxc.addons.base_jxc.returns.models import ReturnLine, ReturnLineSerial, ReturnRequest
from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.stock.models import (
    Location,
    SerialNumber,
    StockMove,
    StockMoveSerial,
)

from .models import Fitment, Warranty, WarrantyExtension

RECEIPT, DELIVERY, RETURN = "purchase.receipt", "sales.delivery", "sales.return"


@dataclass(frozen=True)
class Purchase:
    receipt_number: str
    order_number: str
    supplier_code: str
    supplier_name: str
    received_on: date
    unit_cost: Decimal


@dataclass(frozen=True)
class Sale:
    order_number: str
    delivery_number: str
    customer_code: str
    customer_name: str
    delivered_on: date


@dataclass(frozen=True)
class CustomerReturn:
    code: str
    customer_code: str
    customer_name: str
    received_on: date
    reason: str
    #: restock / scrap / supplier; "" until inspected.
    disposition: str


@dataclass(frozen=True)
class FitmentEntry:
    fitment: Fitment
    #: ``host``: this unit carries the accessory; ``accessory``: it is fitted to the host.
    role: str
    host_number: str
    host_product_code: str
    accessory_number: str
    accessory_product_code: str


@dataclass
class Archive:
    serial_id: int
    purchases: list[Purchase] = field(default_factory=list)
    moves: list[StockMove] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    returns: list[CustomerReturn] = field(default_factory=list)
    warranties: list[Warranty] = field(default_factory=list)
    extensions: dict[int, list[tuple[WarrantyExtension, str | None]]] = field(
        default_factory=dict)
    fitments: list[FitmentEntry] = field(default_factory=list)


def device_archives(session: Session, serial_ids: Sequence[int], *,
                    warehouse_ids: Collection[int] | None = None) -> list[Archive]:
    """The archive of each unit, in the order asked (seven statements at most).

    ``warehouse_ids``: for a user limited to those warehouses, only the moves touching
    one of them — and the receipts, deliveries and returns those moves belong to — as
    base_jxc's ``stockMoves`` shows them (None: everything)."""
    archives = {i: Archive(serial_id=i) for i in serial_ids}
    wanted = sorted(archives)
    if not wanted:
        return []
    moves = (select(StockMoveSerial.serial_id, StockMove)
             .join(StockMove, StockMove.id == StockMoveSerial.move_id)
             .where(StockMoveSerial.serial_id.in_(wanted)))
    if warehouse_ids is not None:
        mine = select(Location.id).where(Location.warehouse_id.in_(sorted(warehouse_ids)))
        moves = moves.where(or_(StockMove.from_location_id.in_(mine),
                                StockMove.to_location_id.in_(mine)))
    origins: dict[str, set[int]] = defaultdict(set)
    for serial_id, move in session.execute(moves.order_by(StockMove.move_date,
                                                          StockMove.id)):
        archives[serial_id].moves.append(move)
        if move.origin_id is not None:
            origins[move.origin_type].add(move.origin_id)
    _purchases(session, archives, origins[RECEIPT])
    _sales(session, archives, origins[DELIVERY])
    _returns(session, archives, wanted, origins[RETURN])
    _warranties(session, archives, wanted)
    _fitments(session, archives, wanted)
    return [archives[i] for i in serial_ids]


def _purchases(session: Session, archives: dict[int, Archive], receipt_ids: set[int]) -> None:
    if not receipt_ids:
        return
    receipts = {row.id: row for row in session.execute(
        select(PurchaseReceipt.id, PurchaseReceipt.number, PurchaseReceipt.receipt_date,
               PurchaseOrder.number.label("order_number"), Partner.code, Partner.name)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseReceipt.order_id)
        .join(Partner, Partner.id == PurchaseOrder.supplier_id)
        .where(PurchaseReceipt.id.in_(sorted(receipt_ids))))}
    for archive in archives.values():
        for move in archive.moves:
            row = receipts.get(move.origin_id or 0) if move.origin_type == RECEIPT else None
            if row is not None and move.quantity > 0:
                archive.purchases.append(Purchase(
                    receipt_number=row.number, order_number=row.order_number,
                    supplier_code=row.code, supplier_name=row.name,
                    received_on=move.move_date, unit_cost=move.unit_cost))


def _sales(session: Session, archives: dict[int, Archive], delivery_ids: set[int]) -> None:
    if not delivery_ids:
        return
    deliveries = {row.id: row for row in session.execute(
        select(SalesDelivery.id, SalesDelivery.number, SalesDelivery.delivery_date,
               SalesOrder.number.label("order_number"), Partner.code, Partner.name)
        .join(SalesOrder, SalesOrder.id == SalesDelivery.order_id)
        .join(Partner, Partner.id == SalesOrder.customer_id)
        .where(SalesDelivery.id.in_(sorted(delivery_ids))))}
    for archive in archives.values():
        for move in archive.moves:
            row = deliveries.get(move.origin_id or 0) if move.origin_type == DELIVERY else None
            if row is not None and move.reversal_of_id is None:
                archive.sales.append(Sale(
                    order_number=row.order_number, delivery_number=row.number,
                    customer_code=row.code, customer_name=row.name,
                    delivered_on=row.delivery_date))


def _returns(session: Session, archives: dict[int, Archive], wanted: list[int],
             return_ids: set[int]) -> None:
    if not return_ids:
        return
    found: dict[tuple[int, int], tuple[str, str]] = {}
    heads = {}
    for row in session.execute(
            select(ReturnLineSerial.serial_id, ReturnLineSerial.disposition, ReturnLine.reason,
                   ReturnRequest.id, ReturnRequest.code, ReturnRequest.reason.label("why"),
                   Partner.code.label("customer_code"), Partner.name)
            .join(ReturnLine, ReturnLine.id == ReturnLineSerial.line_id)
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .join(Partner, Partner.id == ReturnRequest.customer_id)
            .where(ReturnLineSerial.serial_id.in_(wanted),
                   ReturnRequest.id.in_(sorted(return_ids)))):
        found[(row.serial_id, row.id)] = (row.disposition, row.reason or row.why)
        heads[row.id] = row
    for archive in archives.values():
        for move in archive.moves:
            key = (archive.serial_id, move.origin_id or 0)
            if move.origin_type == RETURN and key in found and move.reversal_of_id is None:
                head = heads[key[1]]
                disposition, reason = found[key]
                archive.returns.append(CustomerReturn(
                    code=head.code, customer_code=head.customer_code,
                    customer_name=head.name, received_on=move.move_date, reason=reason,
                    disposition=disposition))


def _warranties(session: Session, archives: dict[int, Archive], wanted: list[int]) -> None:
    by_id: dict[int, Archive] = {}
    for warranty in session.scalars(select(Warranty).where(Warranty.serial_id.in_(wanted))
                                    .order_by(Warranty.id)):
        archive = archives[warranty.serial_id]
        archive.warranties.append(warranty)
        archive.extensions[warranty.id] = []
        by_id[warranty.id] = archive
    if not by_id:
        return
    for extension, number in session.execute(
            select(WarrantyExtension, Invoice.number)
            .outerjoin(Invoice, Invoice.id == WarrantyExtension.invoice_id)
            .where(WarrantyExtension.warranty_id.in_(sorted(by_id)))
            .order_by(WarrantyExtension.id)):
        by_id[extension.warranty_id].extensions[extension.warranty_id].append(
            (extension, number))


def _fitments(session: Session, archives: dict[int, Archive], wanted: list[int]) -> None:
    host = aliased(SerialNumber)
    accessory = aliased(SerialNumber)
    host_product = aliased(Product)
    accessory_product = aliased(Product)
    for fitment, host_number, host_code, accessory_number, accessory_code in session.execute(
            select(Fitment, host.number, host_product.code, accessory.number,
                   accessory_product.code)
            .join(host, host.id == Fitment.host_serial_id)
            .join(host_product, host_product.id == host.product_id)
            .join(accessory, accessory.id == Fitment.accessory_serial_id)
            .join(accessory_product, accessory_product.id == accessory.product_id)
            .where(or_(Fitment.host_serial_id.in_(wanted),
                       Fitment.accessory_serial_id.in_(wanted)))
            .order_by(Fitment.fitted_on, Fitment.id)):
        for serial_id, role in ((fitment.host_serial_id, "host"),
                                (fitment.accessory_serial_id, "accessory")):
            if serial_id in archives:
                archives[serial_id].fitments.append(FitmentEntry(
                    fitment=fitment, role=role, host_number=host_number,
                    host_product_code=host_code, accessory_number=accessory_number,
                    accessory_product_code=accessory_code))
