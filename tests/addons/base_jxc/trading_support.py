"""A small trading world for the purchase, sales, invoicing and returns tests.

``build_trading_world(database_url)`` is :func:`stock_support.build_world` (products
``PLAIN``, ``PLAIN2``, ``SER``, ``SER2``, ``BAT``; warehouses ``WH1`` and ``WH2``) plus

* customers ``C1`` (credit limit 100,000.00, 30 days' terms) and ``C2`` (no limit);
* suppliers ``S1`` (30 days' terms) and ``S2``; ``CS`` is both customer and supplier;
* list prices (``PLAIN`` 100.00, ``SER`` 3,000.00 …) and standard prices on the products.

``world.partners`` maps partner codes to ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from stock_support import StockWorld, build_world

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner

PARTNERS = (
    PartnerInput(code="C1", name="杭州甲机电有限公司", credit_limit=Decimal("100000.00"),
                 payment_terms_days=30),
    PartnerInput(code="C2", name="宁波乙泵阀有限公司"),
    PartnerInput(code="S1", name="浙江电机制造有限公司", is_customer=False, is_supplier=True,
                 payment_terms_days=30),
    PartnerInput(code="S2", name="上海减速机有限公司", is_customer=False, is_supplier=True),
    PartnerInput(code="CS", name="温州双向贸易有限公司", is_customer=True, is_supplier=True),
)
PRICES = {"PLAIN": ("100.00", "60.00"), "PLAIN2": ("250.00", "150.00"),
          "SER": ("3000.00", "2000.00"), "SER2": ("5000.00", "3500.00"),
          "BAT": ("80.00", "40.00")}


@dataclass
class TradingWorld(StockWorld):
    partners: dict[str, int] = field(default_factory=dict)


def build_trading_world(database_url: str) -> TradingWorld:
    stock = build_world(database_url)
    world = TradingWorld(stock.env, products=stock.products, warehouses=stock.warehouses,
                         locations=stock.locations)
    with world.uow() as session:
        for data in PARTNERS:
            create_partner(session, data)
        for code, (list_price, standard_price) in PRICES.items():
            product = session.scalars(select(Product).where(Product.code == code)).one()
            product.list_price = Decimal(list_price)
            product.standard_price = Decimal(standard_price)
        world.partners = dict(session.execute(select(Partner.code, Partner.id)).all())
    return world
