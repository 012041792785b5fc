"""The demo dealer loads and tells a consistent story: catalog, partners, stock, history."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import BomLine, KitComponent, Product, ProductRelation
from openjxc.addons.base_jxc.demo import load
from openjxc.addons.base_jxc.partners.credit_code import is_valid
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.stock.models import (
    Batch,
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
    StockPeriod,
    StockValuation,
    Warehouse,
)
from openjxc.core.env import Environment
from openjxc.core.migrate import create_database


def _ledger_balances(session: Session) -> dict[tuple[int, int, int], Decimal]:
    """Σ moves per location × product × batch, over physical locations."""
    ins = select(StockMove.to_location_id.label("location"), StockMove.product_id.label("p"),
                 StockMove.batch_id.label("b"), StockMove.quantity.label("q"))
    outs = select(StockMove.from_location_id, StockMove.product_id, StockMove.batch_id,
                  -StockMove.quantity)
    moves = union_all(ins, outs).subquery()
    physical = select(Location.id).where(Location.warehouse_id.is_not(None))
    rows = session.execute(
        select(moves.c.location, moves.c.p, moves.c.b, func.sum(moves.c.q))
        .where(moves.c.location.in_(physical))
        .group_by(moves.c.location, moves.c.p, moves.c.b))
    return {(r[0], r[1], r[2]): Decimal(r[3]) for r in rows if Decimal(r[3]) != 0}


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_demo_dealer_loads_with_a_consistent_history(database_url: str) -> None:
    env = Environment.for_edition("basic", database_url=database_url)
    create_database(env)
    try:
        with env.unit_of_work() as session:
            load(session)
        with env.unit_of_work(readonly=True) as session:
            assert _count(session, Product) >= 200
            motors = session.scalars(select(Product.code).where(
                Product.code.like("DJ-YE3-%"))).all()
            assert "DJ-YE3-132S-4-5.5-4" in motors and "DJ-YE3-315L1-4-160-4" in motors
            assert _count(session, Warehouse) == 3
            bins = session.scalar(select(func.count()).select_from(Location)
                                  .where(Location.parent_id.is_not(None)))
            assert bins is not None and bins >= 3
            partners = session.execute(select(Partner.credit_code, Partner.is_customer,
                                              Partner.is_supplier)).all()
            assert any(p.is_supplier for p in partners) and any(p.is_customer for p in partners)
            assert all(p.credit_code and is_valid(p.credit_code) for p in partners)
            assert _count(session, SerialNumber) > 100
            assert _count(session, Batch) > 10
            assert _count(session, StockMove) > 500
            assert _count(session, StockPeriod) >= 3
            assert _count(session, ProductRelation) > 20
            assert _count(session, KitComponent) > 0
            assert _count(session, BomLine) > 0
            kinds = set(session.scalars(select(StockMove.origin_type).distinct()))
            assert {"purchase.receipt", "sales.delivery", "transfer"} <= kinds

            balances = {(b.location_id, b.product_id, b.batch_id): b.quantity
                        for b in session.scalars(select(StockBalance))
                        if b.quantity != 0}
            assert balances == _ledger_balances(session)
            assert all(q > 0 for q in balances.values())
            # every serial unit in stock is where the balances say it is
            in_stock = session.execute(
                select(SerialNumber.location_id, SerialNumber.product_id, func.count())
                .join(Location, Location.id == SerialNumber.location_id)
                .where(Location.warehouse_id.is_not(None))
                .group_by(SerialNumber.location_id, SerialNumber.product_id)).all()
            assert in_stock
            for location_id, product_id, count in in_stock:
                assert balances[(location_id, product_id, 0)] == count
            # stock value = Σ costed moves in and out of the company
            valued = session.scalar(select(func.sum(StockValuation.value)))
            assert valued is not None and Decimal(valued) > 0
    finally:
        env.database.dispose()
