"""Six months of stock history of the demo dealer, posted through the ledger."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.models import Product
from ..stock.models import Location, StockBalance, Warehouse
from ..stock.periods import close_stock_period, month_end
from ..stock.posting import MoveLine, business_today, post_moves
from ..stock.queries import pick_suggestions
from ..stock.warehouses import company_location, warehouse_location
from .data import BIN_OF, BINS, CENT, HISTORY_DAYS, Item


class _Story:
    """Deterministic documents over the past months: what a dealer's stock ledger holds."""

    def __init__(self, session: Session, rng: random.Random, items: list[Item]) -> None:
        self.session, self.rng = session, rng
        self.items = [i for i in items if i.kind != "kit"]
        self.ids = dict(session.execute(select(Product.code, Product.id)).all())
        self.locations = dict(session.execute(select(Location.code, Location.id)).all())
        self.warehouses = dict(session.execute(select(Warehouse.code, Warehouse.id)).all())
        self.sold = [self.ids[i.code] for i in self.items]
        self.supplier = company_location(session, "supplier").id
        self.customer = company_location(session, "customer").id
        self.serial_seq: dict[str, int] = {}
        self.numbers: dict[str, int] = {}
        self.in_transit: list[tuple[date, str, list[MoveLine]]] = []

    def reference(self, prefix: str, day: date) -> str:
        key = f"{prefix}{day:%y%m}"
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{key}-{self.numbers[key]:03d}"

    def receipt(self, day: date, warehouse: str = "HQ") -> None:
        rng = self.rng
        supplier_kind = rng.choice(["motor", "motor", "pump", "valve", "inverter", "reducer",
                                    "part", "part"])
        chosen = rng.sample([i for i in self.items if i.kind.startswith(supplier_kind)],
                            k=rng.randint(3, 6))
        lines = []
        for item in chosen:
            big = item.kind in ("motor_big", "pump", "reducer") or item.cost > 5000
            quantity = rng.randint(1, 3) if big else rng.randint(4, 12) if item.tracking == \
                "serial" else rng.randint(10, 60)
            bin_code = BIN_OF[item.kind] if warehouse == "HQ" else BINS[warehouse][0]
            line = MoveLine(product_id=self.ids[item.code], quantity=Decimal(quantity),
                            from_location_id=self.supplier,
                            to_location_id=self.locations[f"{warehouse}/{bin_code}"],
                            unit_cost=(item.cost * Decimal(rng.randint(95, 105)) / 100)
                            .quantize(CENT))
            if item.tracking == "serial":
                first = self.serial_seq.get(item.serial_prefix, 0) + 1
                self.serial_seq[item.serial_prefix] = first + quantity - 1
                line.serials = [f"{item.serial_prefix}-{day:%y%m}-{first:05d}.."
                                f"{first + quantity - 1:05d}"]
            elif item.tracking == "batch":
                line.batch_number = f"{day:%y%m%d}-{rng.randint(1, 9)}"
                line.manufactured_on = day - timedelta(days=rng.randint(10, 60))
                if item.shelf_days:
                    line.expires_on = line.manufactured_on + timedelta(days=item.shelf_days)
            lines.append(line)
        post_moves(self.session, lines, move_date=day, origin_type="purchase.receipt",
                   reference=self.reference("RK", day))

    def old_grease(self, day: date) -> None:
        """A batch of grease bought cheap near its expiry: the near-expiry alert's case."""
        today = business_today(self.session)
        post_moves(self.session, [MoveLine(
            product_id=self.ids["PJ-RHZ-2"], quantity=Decimal(6), from_location_id=self.supplier,
            to_location_id=self.locations["HQ/C-02"], unit_cost=Decimal("160.00"),
            batch_number="CL-OLD-01", manufactured_on=today - timedelta(days=700),
            expires_on=today + timedelta(days=30))], move_date=day,
            origin_type="purchase.receipt", reference=self.reference("RK", day))

    def _pick(self, warehouse: str, count: int, most: int) -> list[MoveLine]:
        """Lines taking what is there (FEFO, serials oldest first) from ``warehouse``."""
        rng, wid = self.rng, self.warehouses[warehouse]
        stocked = sorted(self.session.scalars(
            select(StockBalance.product_id).distinct()
            .join(Location, Location.id == StockBalance.location_id)
            .where(StockBalance.warehouse_id == wid, Location.kind == "internal",
                   StockBalance.product_id.in_(self.sold),
                   StockBalance.quantity - StockBalance.reserved > 0)))
        lines = []
        for product_id in rng.sample(stocked, k=min(count, len(stocked))):
            wanted = Decimal(rng.randint(1, most))
            for pick in pick_suggestions(self.session, product_id, wid, wanted):
                lines.append(MoveLine(product_id=product_id, quantity=pick.quantity,
                                      from_location_id=pick.location_id, to_location_id=0,
                                      batch_id=pick.batch_id or None,
                                      serials=list(pick.serials)))
        return lines

    def delivery(self, day: date) -> None:
        warehouse = self.rng.choices(["HQ", "BR", "SHOP"], [6, 2, 2])[0]
        lines = self._pick(warehouse, self.rng.randint(1, 4), 6 if warehouse == "HQ" else 2)
        for line in lines:
            line.to_location_id = self.customer
        if lines:
            post_moves(self.session, lines, move_date=day, origin_type="sales.delivery",
                       reference=self.reference("CK", day))

    def ship(self, day: date) -> None:
        """HQ → a branch's in-transit location; received a day or two later."""
        target = self.rng.choice(["BR", "SHOP"])
        lines = self._pick("HQ", self.rng.randint(3, 8), 4)
        transit = warehouse_location(self.session, self.warehouses[target], "transit").id
        for line in lines:
            line.to_location_id = transit
        if not lines:
            return
        reference = self.reference("DB", day)
        post_moves(self.session, lines, move_date=day, origin_type="transfer",
                   reference=reference)
        stock = self.locations[f"{target}/{BINS[target][0]}"]
        arrival = [MoveLine(product_id=x.product_id, quantity=x.quantity,
                            from_location_id=transit, to_location_id=stock,
                            batch_id=x.batch_id, serials=x.serials) for x in lines]
        self.in_transit.append((day + timedelta(days=self.rng.randint(1, 2)), reference,
                                arrival))

    def arrivals(self, day: date) -> None:
        due = [t for t in self.in_transit if t[0] <= day]
        self.in_transit = [t for t in self.in_transit if t[0] > day]
        for _due, reference, lines in due:
            post_moves(self.session, lines, move_date=day, origin_type="transfer",
                       reference=reference)


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        if day.weekday() < 6:  # the shop is open Monday to Saturday
            yield day
        day += timedelta(days=1)


def load_history(session: Session, rng: random.Random, items: list[Item]) -> None:
    today = business_today(session)
    start, end = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)
    story = _Story(session, rng, items)
    for _ in range(12):  # opening stock: every kind, in the head warehouse
        story.receipt(start)
    for _ in range(2):
        story.receipt(start, "BR")
    story.old_grease(start)
    for day in _days(start + timedelta(days=1), end):
        story.arrivals(day)
        if rng.random() < 0.5:
            story.receipt(day, "BR" if rng.random() < 0.2 else "HQ")
        for _ in range(rng.choice([0, 1, 1, 2])):
            story.delivery(day)
        if rng.random() < 0.25:
            story.ship(day)
    # Close every month but the last two: the engine's snapshots have something to show,
    # and recent dates stay open for trying things out.
    last_open = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    closing = month_end(start)
    while closing < last_open:
        close_stock_period(session, closing)
        closing = month_end(closing + timedelta(days=1))
