"""Warehouses and their locations: bins and the special locations every warehouse has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from .models import COMPANY_LOCATIONS, Location, Warehouse

WAREHOUSE_TYPES = ("hq", "branch", "store", "van")
#: The locations a new warehouse gets: kind → (code suffix, name).
SPECIAL_LOCATIONS = {
    "internal": ("STOCK", "库存"),
    "transit": ("TRANSIT", "在途"),
    "quarantine": ("QUARANTINE", "待检区"),
    "scrap": ("SCRAP", "报废区"),
}
COMPANY_LOCATION_NAMES = {
    "supplier": "供应商", "customer": "客户", "adjustment": "盘点调整", "loss": "损耗",
}


def create_company_locations(session: Session) -> None:
    """The company-wide supplier, customer, adjustment and loss locations (once)."""
    existing = set(session.scalars(select(Location.kind).where(Location.warehouse_id.is_(None))))
    for kind, code in COMPANY_LOCATIONS.items():
        if kind not in existing:
            session.add(Location(code=code, name=COMPANY_LOCATION_NAMES[kind], kind=kind))
    session.flush()


def company_location(session: Session, kind: str) -> Location:
    """The company-wide location of ``kind``: supplier, customer, adjustment or loss."""
    location = session.scalar(select(Location).where(Location.code == COMPANY_LOCATIONS[kind]))
    if location is None:  # a database installed before the location existed
        create_company_locations(session)
        location = session.scalar(select(Location)
                                  .where(Location.code == COMPANY_LOCATIONS[kind]))
    assert location is not None
    return location


def warehouse_location(session: Session, warehouse_id: int, kind: str) -> Location:
    """A warehouse's special location of ``kind`` (its main stock for ``internal``)."""
    suffix = SPECIAL_LOCATIONS[kind][0]
    location = session.scalar(select(Location).where(Location.warehouse_id == warehouse_id,
                                                     Location.kind == kind,
                                                     Location.code.like(f"%/{suffix}")))
    assert location is not None, f"warehouse {warehouse_id} has no {kind} location"
    return location


def create_warehouse(session: Session, *, code: str, name: str, kind: str = "hq",
                     allow_negative: bool = False, address: str = "",
                     bins: list[str] | None = None) -> Warehouse:
    """Add a warehouse with its stock, in-transit, quarantine and scrap locations.

    ``bins`` are codes of bins inside its main stock (``A-01-02`` becomes ``WH1/A-01-02``).
    """
    errors: list[FieldError] = []
    code = check_text(errors, code, "code", max_length=20, required=True)
    name = check_text(errors, name, "name", max_length=128, required=True)
    address = check_text(errors, address, "address", max_length=400)
    if code and "/" in code:
        errors.append(FieldError("INVALID", _("A warehouse code cannot contain /"),
                                 field="code"))
    if kind not in WAREHOUSE_TYPES:
        errors.append(FieldError("INVALID", _("Unknown warehouse type {kind}"), field="kind",
                                 kind=kind))
    if code and session.scalar(select(Warehouse.id).where(Warehouse.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    bin_codes = []
    for i, bin_code in enumerate(bins or []):
        bin_code = check_text(errors, bin_code, ("bins", str(i)), max_length=40, required=True)
        if bin_code in bin_codes:
            errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                     field=("bins", str(i)), code=bin_code))
        bin_codes.append(bin_code)
    if errors:
        raise ValidationFailed(errors)
    warehouse = Warehouse(code=code, name=name, kind=kind, allow_negative=allow_negative,
                          address=address)
    session.add(warehouse)
    session.flush()
    for location_kind, (suffix, label) in SPECIAL_LOCATIONS.items():
        session.add(Location(code=f"{code}/{suffix}", name=f"{name}{label}", kind=location_kind,
                             warehouse_id=warehouse.id))
    session.flush()
    stock = warehouse_location(session, warehouse.id, "internal")
    for bin_code in bin_codes:
        session.add(Location(code=f"{code}/{bin_code}", name=bin_code, kind="internal",
                             warehouse_id=warehouse.id, parent_id=stock.id))
    session.flush()
    return warehouse


def create_bin(session: Session, *, warehouse_code: str, code: str, name: str = "") -> Location:
    """Add a bin to a warehouse's main stock."""
    errors: list[FieldError] = []
    code = check_text(errors, code, "code", max_length=40, required=True)
    name = check_text(errors, name, "name", max_length=128) or code
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    if warehouse is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse {code}"),
                                 field="warehouseCode", code=warehouse_code))
    elif session.scalar(select(Location.id).where(Location.code == f"{warehouse.code}/{code}")):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    if errors:
        raise ValidationFailed(errors)
    assert warehouse is not None
    stock = warehouse_location(session, warehouse.id, "internal")
    location = Location(code=f"{warehouse.code}/{code}", name=name, kind="internal",
                        warehouse_id=warehouse.id, parent_id=stock.id)
    session.add(location)
    session.flush()
    return location
