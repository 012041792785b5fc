"""What a scanned code is: one look-up a PDA drives receipts, picks, transfers and counts with.

A code is tried, in this order, as

1. a location code (``WH1/A-01``; unique),
2. a product code or barcode (each unique),
3. a serial number (unique per product, so it may name units of several products),
4. a batch number (likewise unique per product).

The first kind that matches wins; a code that matches nothing is ``kind="unknown"``.
Each step is one indexed look-up, so a scan costs at most four statements::

    match = resolve_code(session, "YE3-2026-0001")
    match.kind            # "serial"
    match.serial_ids      # [17]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product

from .models import Batch, Location, SerialNumber

#: Longer input cannot match any code (the longest code column is 64 characters).
MAX_SCAN = 64
KINDS = ("location", "product", "serial", "batch", "unknown")


@dataclass(frozen=True)
class ScanMatch:
    """What a code resolved to: ``kind`` and the ids of what it names."""

    code: str
    kind: str
    location_id: int | None = None
    product_id: int | None = None
    serial_ids: list[int] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)


def resolve_code(session: Session, code: str, *,
                 visible_locations: Sequence[int] | Select[Any] | None = None) -> ScanMatch:
    """Resolve a scanned ``code`` (surrounding blanks ignored).

    ``visible_locations`` limits which locations (and serial units lying there) a caller
    may find (ids or a subquery of them), for users limited to some warehouses; None
    means all of them.
    """
    code = (code or "").strip()
    if not code or len(code) > MAX_SCAN or "\x00" in code:
        return ScanMatch(code=code[:MAX_SCAN], kind="unknown")
    location_stmt = select(Location.id).where(Location.code == code)
    if visible_locations is not None:
        location_stmt = location_stmt.where(Location.id.in_(visible_locations))
    location_id = session.scalar(location_stmt)
    if location_id is not None:
        return ScanMatch(code=code, kind="location", location_id=location_id)
    product_id = session.scalar(select(Product.id).where(
        or_(Product.code == code, Product.barcode == code)).order_by(
        (Product.code != code), Product.id).limit(1))
    if product_id is not None:
        return ScanMatch(code=code, kind="product", product_id=product_id)
    serial_stmt = select(SerialNumber.id, SerialNumber.product_id).where(
        SerialNumber.number == code).order_by(SerialNumber.id)
    if visible_locations is not None:
        serial_stmt = serial_stmt.where(SerialNumber.location_id.in_(visible_locations))
    serials = session.execute(serial_stmt).all()
    if serials:
        products = {p for _, p in serials}
        return ScanMatch(code=code, kind="serial", serial_ids=[s for s, _ in serials],
                         product_id=products.pop() if len(products) == 1 else None)
    batches = session.execute(select(Batch.id, Batch.product_id).where(Batch.number == code)
                              .order_by(Batch.id)).all()
    if batches:
        products = {p for _, p in batches}
        return ScanMatch(code=code, kind="batch", batch_ids=[b for b, _ in batches],
                         product_id=products.pop() if len(products) == 1 else None)
    return ScanMatch(code=code, kind="unknown")
