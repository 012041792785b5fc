"""Demo rows: 杭州东机机电设备有限公司, a dealer of motors, pumps, valves and drives.

About 200 products (YE3/Y2 motors coded by model, power and poles across 0.75–160 kW,
pumps, valves, reducers, inverters, accessories and spares, with their relations, a kit
and a two-level bill of materials), three warehouses with bins, suppliers and customers
with valid 统一社会信用代码, and six months of history — purchase receipts, deliveries,
transfers through in-transit — posted through :func:`post_moves`, with serial units and
batches, and the older months closed.  Everything is drawn from ``random.Random(2026)``
and dated back from today, so every run tells the same story, ending yesterday.
"""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from .data import SEED
from .history import load_history
from .master import load_catalog, load_partners, load_relations, load_warehouses
from .trading import load_trading


def load(session: Session) -> None:
    """Create the demo dealer: partners, catalog, warehouses, six months of stock and the
    last weeks' trading (orders, invoices, payments, returns in every state)."""
    rng = random.Random(SEED)
    load_partners(session, rng)
    items = load_catalog(session)
    load_relations(session)
    load_warehouses(session)
    load_history(session, rng, items)
    load_trading(session, rng)
