"""Demo rows: a dealer of motors, pumps and valves."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from .catalog.services import ProductInput, create_category, create_product


def load(session: Session) -> None:
    create_category(session, code="DJ", name="电机", code_template="DJ-{model}-{power_kw}-{poles}")
    create_category(session, code="SB", name="水泵")
    create_category(session, code="FM", name="阀门")
    for code, name, category, model, spec, tracking, price in [
        ("DJ-Y2-160M-4-11", "三相异步电动机 11kW", "DJ", "Y2-160M-4", "11kW 4极", "serial",
         "4280.00"),
        ("DJ-YE3-132S-4-5.5", "高效电机 5.5kW", "DJ", "YE3-132S-4", "5.5kW 4极", "serial",
         "2650.00"),
        ("SB-ISG65-160", "立式管道离心泵", "SB", "ISG65-160", "25m³/h 32m", "serial", "3180.00"),
        ("FM-Z41H-16C-DN100", "闸阀 DN100", "FM", "Z41H-16C", "DN100 PN16", "batch", "865.00"),
        ("FM-GASKET-DN100", "法兰垫片 DN100", "FM", "", "DN100", "none", "6.50"),
    ]:
        create_product(session, ProductInput(code=code, name=name, category_code=category,
                                             model=model, spec=spec, tracking=tracking,
                                             list_price=Decimal(price)))
