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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog.bom import set_line
from .catalog.models import Product
from .catalog.relations import create_relation, set_kit
from .catalog.services import AttributeDefinition, ProductInput, create_category, create_product
from .partners.credit_code import ALPHABET, check_character
from .partners.services import AddressInput, ContactInput, PartnerInput, create_partner
from .stock.models import Location, StockBalance, Warehouse
from .stock.periods import close_stock_period, month_end
from .stock.posting import MoveLine, business_today, post_moves
from .stock.queries import pick_suggestions
from .stock.warehouses import company_location, create_warehouse, warehouse_location

SEED = 2026
HISTORY_DAYS = 182
CENT = Decimal("0.01")

# IEC frame per (poles, kW): the model on the nameplate is series-frame-poles (YE3-132S-4).
FRAMES = {
    2: "80M1 80M2 90S 90L 100L 112M 132S1 132S2 160M1 160M2 160L 180M 200L1 200L2 225M "
       "250M 280S 280M 315S 315M 315L1",
    4: "80M2 90S 90L 100L1 100L2 112M 132S 132M 160M 160L 180M 180L 200L 225S 225M 250M "
       "280S 280M 315S 315M 315L1",
    6: "90S 90L 100L 112M 132S 132M1 132M2 160M 160L 180L 200L1 200L2 225M 250M 280S 280M "
       "315S 315M 315L1 315L2 315L3",
}
POWERS = "0.75 1.1 1.5 2.2 3 4 5.5 7.5 11 15 18.5 22 30 37 45 55 75 90 110 132 160"

SUPPLIERS = [  # code, name, division, what they supply, city
    ("S001", "浙江东驰电机有限公司", "330700", "motor", "金华"),
    ("S002", "江苏恒力泵业有限公司", "320500", "pump", "苏州"),
    ("S003", "温州瓯江阀门制造有限公司", "330300", "valve", "温州"),
    ("S004", "深圳汇能变频技术有限公司", "440300", "inverter", "深圳"),
    ("S005", "常州国顺减速机有限公司", "320400", "reducer", "常州"),
    ("S006", "宁波华轴轴承有限公司", "330200", "part", "宁波"),
    ("S007", "上海申联机电配件有限公司", "310115", "part", "上海"),
]
CUSTOMERS = [  # code, name, division, authority+type of the credit code
    ("C001", "杭州市滨江水务有限公司", "330108", "91"),
    ("C002", "浙江新安化工设备安装有限公司", "330182", "91"),
    ("C003", "萧山恒逸纺织有限公司", "330109", "91"),
    ("C004", "杭州绿城物业服务集团有限公司", "330106", "91"),
    ("C005", "浙江省人民医院后勤服务中心", "330100", "12"),
    ("C006", "余杭区良渚茶叶农民专业合作社", "330110", "N2"),
    ("C007", "绍兴柯桥印染机械有限公司", "330603", "91"),
    ("C008", "嘉兴港区热电有限公司", "330400", "91"),
    ("C009", "湖州南浔木业机械厂", "330503", "92"),
    ("C010", "杭州钱塘新区市政工程有限公司", "330114", "91"),
    ("C011", "杭州机电行业协会", "330100", "51"),
    ("C012", "宁波北仑港机设备有限公司", "330206", "91"),
]
WAREHOUSES = [  # code, name, kind, bins
    ("HQ", "总仓（杭州余杭）", "hq", ["A-01", "A-02", "A-03", "B-01", "B-02", "C-01", "C-02",
                                      "D-01"]),
    ("BR", "分仓（宁波）", "branch", ["A-01", "B-01", "C-01"]),
    ("SHOP", "门店（萧山机电城）", "store", ["S-01", "S-02"]),
]
BINS = {code: bins for code, _name, _kind, bins in WAREHOUSES}
#: Where each kind of product sits in the head warehouse.
BIN_OF = {"motor": "A-01", "motor_big": "A-03", "pump": "B-01", "valve": "C-01",
          "reducer": "B-02", "inverter": "D-01", "part": "C-02"}


@dataclass
class Item:
    code: str
    kind: str
    tracking: str
    cost: Decimal
    serial_prefix: str = ""
    shelf_days: int | None = None


def credit_code(rng: random.Random, head: str, division: str) -> str:
    """A valid 统一社会信用代码: authority+type, division, a random body, the check character."""
    body = "".join(rng.choice(ALPHABET) for _ in range(9))
    first17 = f"{head}{division}{body}"
    return first17 + check_character(first17)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, -1 if value > 100 else 0))).quantize(CENT)


def load(session: Session) -> None:
    """Create the demo dealer: partners, catalog, warehouses and six months of stock."""
    rng = random.Random(SEED)
    _partners(session, rng)
    items = _catalog(session)
    _relations(session)
    _warehouses(session)
    _history(session, rng, items)


# -- partners ----------------------------------------------------------------------------------

def _partners(session: Session, rng: random.Random) -> None:
    for code, name, division, supplies, city in SUPPLIERS:
        create_partner(session, PartnerInput(
            code=code, name=name, is_customer=False, is_supplier=True,
            credit_code=credit_code(rng, "91", division), payment_terms_days=60,
            note=f"主供：{supplies}",
            contacts=[ContactInput(name=f"{rng.choice('王李张刘陈杨赵黄周吴')}经理",
                                   mobile=f"13{rng.randint(100000000, 999999999)}",
                                   position="销售经理", is_primary=True)],
            addresses=[AddressInput(kind="billing", address=f"{city}市经济开发区工业路"
                                    f"{rng.randint(1, 300)}号", city=city, is_primary=True)]))
    for code, name, division, head in CUSTOMERS:
        create_partner(session, PartnerInput(
            code=code, name=name, is_customer=True, is_supplier=False,
            credit_code=credit_code(rng, head, division),
            payment_terms_days=rng.choice([0, 30, 30, 60, 90]),
            credit_limit=Decimal(rng.choice([50_000, 100_000, 200_000, 500_000])),
            contacts=[ContactInput(name=f"{rng.choice('王李张刘陈杨赵黄周吴徐孙')}工",
                                   mobile=f"13{rng.randint(100000000, 999999999)}",
                                   position="设备科", is_primary=True)],
            addresses=[AddressInput(kind="shipping", address=f"浙江省{name[:2]}市"
                                    f"{rng.randint(1, 999)}号厂区", is_primary=True)]))


# -- catalog -----------------------------------------------------------------------------------

def _catalog(session: Session) -> list[Item]:
    motor_attributes = [AttributeDefinition("power_kw", "功率", "decimal", True, "kW"),
                        AttributeDefinition("poles", "极数", "integer", True, "P")]
    create_category(session, code="DJ", name="电机", code_template="DJ-{model}-{power_kw}-{poles}",
                    attributes=motor_attributes)
    create_category(session, code="DJ-YE3", name="YE3超高效三相异步电动机", parent_code="DJ")
    create_category(session, code="DJ-Y2", name="Y2系列三相异步电动机", parent_code="DJ")
    create_category(session, code="SB", name="水泵", code_template="SB-{model}")
    create_category(session, code="FM", name="阀门", code_template="FM-{model}-DN{dn}",
                    attributes=[AttributeDefinition("dn", "公称通径", "integer", True)])
    create_category(session, code="JSJ", name="减速机", code_template="JSJ-{model}")
    create_category(session, code="BPQ", name="变频器", code_template="BPQ-{model}",
                    attributes=[AttributeDefinition("power_kw", "适配功率", "decimal", True,
                                                    "kW")])
    create_category(session, code="PJ", name="配件", code_template="PJ-{*}")
    create_category(session, code="BJ", name="备件", code_template="BJ-{*}")
    create_category(session, code="TZ", name="成套设备", code_template="TZ-{*}")
    items: list[Item] = []

    def add(kind: str, data: ProductInput, cost_share: str = "0.72", prefix: str = "",
            shelf_days: int | None = None) -> None:
        product = create_product(session, data)
        items.append(Item(product.code, kind, data.tracking,
                          (data.list_price * Decimal(cost_share)).quantize(CENT), prefix,
                          shelf_days))

    for series, poles_set, powers_upto, factor in (("YE3", (2, 4, 6), 160, 1.0),
                                                   ("Y2", (2, 4), 37, 0.84)):
        for poles in poles_set:
            for power, frame in zip(POWERS.split(), FRAMES[poles].split(), strict=False):
                kw = Decimal(power)
                if kw > powers_upto:
                    break
                price = (420 + 395 * float(kw) ** 0.92) * factor * {2: 0.95, 4: 1.0, 6: 1.3}[poles]
                add("motor_big" if kw >= 45 else "motor", ProductInput(
                    code=None, name=f"{series}-{frame}-{poles} 三相异步电动机 {power}kW {poles}极",
                    category_code=f"DJ-{series}", model=f"{series}-{frame}-{poles}",
                    spec=f"{power}kW {poles}P 380V IP55 B3", brand="东驰", tracking="serial",
                    list_price=_money(price), standard_price=_money(price * 0.72),
                    safety_stock=Decimal(2 if kw <= 22 else 0), default_supplier_code="S001",
                    lead_time_days=15 if kw <= 37 else 30,
                    attributes={"power_kw": power, "poles": poles}), prefix=series)
    for model, spec, price in [
        ("ISG40-160", "6.3m³/h 32m 2.2kW", 1980), ("ISG50-160", "12.5m³/h 32m 3kW", 2380),
        ("ISG65-160", "25m³/h 32m 4kW", 3180), ("ISG80-160", "50m³/h 32m 7.5kW", 4260),
        ("ISG100-160", "100m³/h 32m 15kW", 6850), ("ISG65-200", "25m³/h 50m 7.5kW", 4580),
        ("ISG80-200", "50m³/h 50m 15kW", 6320), ("ISG100-200", "100m³/h 50m 22kW", 8960),
        ("ISG125-250", "200m³/h 50m 45kW", 15800), ("ISG150-250", "200m³/h 80m 75kW", 23600),
        ("IS50-32-160", "12.5m³/h 32m 3kW", 2150), ("IS65-50-160", "25m³/h 32m 4kW", 2780),
        ("IS80-65-160", "50m³/h 32m 7.5kW", 3650), ("IS100-80-160", "100m³/h 32m 15kW", 5980),
        ("CDL4-10", "4m³/h 66m 1.5kW", 3860), ("CDL8-10", "8m³/h 75m 3kW", 5260),
        ("CDL16-8", "16m³/h 92m 7.5kW", 8650), ("CDL32-5", "32m³/h 85m 11kW", 11800),
        ("QDX10-16-0.75", "10m³/h 16m 0.75kW", 680),
        ("QDX15-26-2.2", "15m³/h 26m 2.2kW", 1280), ("WQ50-10-4", "20m³/h 10m 4kW 污水泵", 3380),
        ("WQ80-20-7.5", "40m³/h 20m 7.5kW 污水泵", 5650),
    ]:
        add("pump", ProductInput(code=None, name=f"{model} 离心泵", category_code="SB",
                                 model=model, spec=spec, brand="恒力", tracking="serial",
                                 list_price=Decimal(price), default_supplier_code="S002",
                                 safety_stock=Decimal(1), lead_time_days=10),
            prefix=model.split("-")[0])
    for model, name, dns, base in [("Z41H-16C", "法兰闸阀", (50, 65, 80, 100, 150, 200), 260),
                                   ("D71X-16", "对夹蝶阀", (50, 80, 100, 150, 200, 300), 120),
                                   ("H44H-16C", "旋启式止回阀", (50, 80, 100, 150), 240),
                                   ("Q41F-16C", "法兰球阀", (25, 32, 50, 80, 100), 180)]:
        for dn in dns:
            price = base * (dn / 50) ** 1.4
            add("valve", ProductInput(code=None, name=f"{name} DN{dn}", category_code="FM",
                                      model=model, spec=f"DN{dn} PN16", brand="瓯江",
                                      tracking="batch", list_price=_money(price),
                                      default_supplier_code="S003",
                                      attributes={"dn": dn}, safety_stock=Decimal(5)))
    for model, spec, price in [("BWD3-29-4", "摆线针轮 速比29 4kW", 2680),
                               ("BWD4-43-7.5", "摆线针轮 速比43 7.5kW", 4150),
                               ("XWD5-35-11", "摆线针轮 速比35 11kW", 5980),
                               ("R37-0.75", "斜齿轮 R37 0.75kW", 1860),
                               ("R57-3", "斜齿轮 R57 3kW", 3250),
                               ("R77-7.5", "斜齿轮 R77 7.5kW", 5880),
                               ("K67-5.5", "螺旋锥齿轮 K67 5.5kW", 6980),
                               ("F87-11", "平行轴 F87 11kW", 9650),
                               ("WPA100-30", "蜗轮蜗杆 WPA100 速比30", 1180),
                               ("WPA135-40", "蜗轮蜗杆 WPA135 速比40", 1980)]:
        add("reducer", ProductInput(code=None, name=f"{model} 减速机", category_code="JSJ",
                                    model=model, spec=spec, brand="国顺", tracking="serial",
                                    list_price=Decimal(price), default_supplier_code="S005",
                                    lead_time_days=20), prefix=model.split("-")[0])
    for power in POWERS.split():
        add("inverter", ProductInput(
            code=None, name=f"MD290 通用变频器 {power}kW", category_code="BPQ",
            model=f"MD290T{power}G", spec=f"三相380V {power}kW G型", brand="汇能",
            tracking="serial", list_price=_money(880 + 210 * float(power) ** 0.95),
            default_supplier_code="S004", attributes={"power_kw": power},
            safety_stock=Decimal(1)), prefix="MD290")
    for code, name, spec, price, tracking, shelf in [
        ("PJ-FZ-132", "电机风罩 132机座", "YE3/Y2 132", 45, "none", None),
        ("PJ-FZ-160", "电机风罩 160机座", "YE3/Y2 160", 68, "none", None),
        ("PJ-FY-132", "电机风叶 132机座", "塑料", 18, "none", None),
        ("PJ-FY-160", "电机风叶 160机座", "塑料", 26, "none", None),
        ("PJ-JXH-132", "接线盒总成 132机座", "铝合金", 85, "none", None),
        ("PJ-LZQ-100", "梅花联轴器 LM100", "LM100", 120, "none", None),
        ("PJ-LZQ-145", "梅花联轴器 LM145", "LM145", 210, "none", None),
        ("PJ-DZ-ISG80", "泵组公共底座 ISG80", "碳钢", 680, "none", None),
        ("PJ-ZDDZ-2K", "制动电阻 2kW 50Ω", "变频器用", 260, "none", None),
        ("PJ-JP-MD", "变频器外引键盘", "MD290 通用", 150, "none", None),
        ("PJ-KZG-15", "恒压供水控制柜 15kW", "一控二", 5800, "serial", None),
        ("PJ-DP-DN100", "法兰垫片 DN100", "石棉橡胶", 6.5, "batch", 1095),
        ("PJ-DP-DN150", "法兰垫片 DN150", "石棉橡胶", 9.8, "batch", 1095),
        ("PJ-RHZ-2", "锂基润滑脂 2#", "15kg/桶", 420, "batch", 730),
        ("PJ-DL-4X4", "电力电缆 YJV 4×4mm²", "按米", 18.5, "none", None),
        ("PJ-DL-4X16", "电力电缆 YJV 4×16mm²", "按米", 62, "none", None),
        ("PJ-LS-M16", "法兰螺栓 M16×70", "8.8级 镀锌", 2.2, "none", None),
    ]:
        add("part", ProductInput(code=code, name=name, category_code="PJ", spec=spec,
                                 tracking=tracking, list_price=Decimal(str(price)),
                                 unit="米" if "电缆" in name else "件",
                                 default_supplier_code="S007", shelf_life_days=shelf,
                                 safety_stock=Decimal(20)), "0.55", "KZG", shelf)
    for bearing in ("6204", "6205", "6206", "6306", "6308", "6309", "6310", "6312", "6314"):
        add("part", ProductInput(code=f"BJ-ZC-{bearing}", name=f"深沟球轴承 {bearing}-2Z",
                                 category_code="BJ", model=bearing, spec="C3 电机专用",
                                 list_price=_money(35 + int(bearing[2:]) ** 1.6 * 2.5),
                                 unit="套", default_supplier_code="S006",
                                 safety_stock=Decimal(10)), "0.5")
    for code, name, price, tracking, shelf in [
        ("BJ-JXMF-ISG65", "机械密封 ISG65 用", 180, "batch", 1460),
        ("BJ-JXMF-ISG80", "机械密封 ISG80 用", 220, "batch", 1460),
        ("BJ-JXMF-CDL", "机械密封 CDL 用", 360, "batch", 1460),
        ("BJ-YL-ISG65-160", "叶轮 ISG65-160", 420, "none", None),
        ("BJ-YL-ISG80-160", "叶轮 ISG80-160", 560, "none", None),
        ("BJ-RZ-D100", "蝶阀橡胶阀座 DN100", 65, "batch", 1095),
        ("BJ-KZB-MD290", "变频器控制板 MD290", 980, "serial", None),
        ("BJ-FS-MD290", "变频器散热风扇", 120, "none", None),
    ]:
        add("part", ProductInput(code=code, name=name, category_code="BJ", tracking=tracking,
                                 list_price=Decimal(price), unit="件",
                                 default_supplier_code="S007" if "MD" not in code else "S004",
                                 shelf_life_days=shelf, safety_stock=Decimal(5)), "0.5",
            "KZB", shelf)
    for code, name, price in [("TZ-BZ-ISG80-7.5", "ISG80 管道泵组 7.5kW", 6980),
                              ("TZ-HYGS-2X7.5", "恒压供水设备 一用一备 7.5kW", 26800),
                              ("TZ-DJBP-5.5", "电机变频套装 5.5kW", 3980)]:
        add("kit", ProductInput(code=code, name=name, category_code="TZ", unit="套",
                                list_price=Decimal(price)))
    return items


def _relations(session: Session) -> None:
    """Fits, replaces, accessories and spares; a kit; a two-level bill of materials."""
    for frame in ("132S", "132M"):
        for series in ("YE3", "Y2"):
            for host in (f"{series}-{frame}-4", f"{series}-{frame}1-2", f"{series}-{frame}2-2"):
                for part in ("PJ-FZ-132", "PJ-FY-132", "PJ-JXH-132"):
                    if frame == "132M" and host.endswith("-2"):
                        continue
                    create_relation(session, kind="fits", product_code=part, host_model=host)
    for part in ("PJ-FZ-160", "PJ-FY-160"):
        for host in ("YE3-160M-4", "YE3-160L-4", "Y2-160M-4", "Y2-160L-4"):
            create_relation(session, kind="fits", product_code=part, host_model=host)
    for poles in (2, 4):  # a YE3 motor replaces the Y2 of the same power and poles
        for power, frame in zip(POWERS.split()[:14], FRAMES[poles].split(), strict=False):
            create_relation(session, kind="replaces", product_code=f"DJ-Y2-{frame}-{poles}-"
                            f"{power}-{poles}", related_code=f"DJ-YE3-{frame}-{poles}-{power}-"
                            f"{poles}")
    for part, host in [("PJ-ZDDZ-2K", "BPQ-MD290T5.5G"), ("PJ-JP-MD", "BPQ-MD290T5.5G"),
                       ("PJ-JP-MD", "BPQ-MD290T11G"), ("PJ-LZQ-145", "SB-ISG80-160")]:
        create_relation(session, kind="accessory_of", product_code=part, related_code=host)
    for part, host in [("BJ-ZC-6308", "DJ-YE3-132S-4-5.5-4"), ("BJ-ZC-6308", "DJ-YE3-132M-4-7.5-4"),
                       ("BJ-ZC-6309", "DJ-YE3-160M-4-11-4"), ("BJ-JXMF-ISG65", "SB-ISG65-160"),
                       ("BJ-JXMF-ISG80", "SB-ISG80-160"), ("BJ-YL-ISG80-160", "SB-ISG80-160"),
                       ("BJ-JXMF-CDL", "SB-CDL8-10"), ("BJ-KZB-MD290", "BPQ-MD290T11G"),
                       ("BJ-RZ-D100", "FM-D71X-16-DN100")]:
        create_relation(session, kind="spare_part_of", product_code=part, related_code=host)
    set_kit(session, "TZ-DJBP-5.5", [("DJ-YE3-132S-4-5.5-4", Decimal(1)),
                                      ("BPQ-MD290T5.5G", Decimal(1)),
                                      ("PJ-ZDDZ-2K", Decimal(1))])
    for parent, component, quantity in [
        ("TZ-BZ-ISG80-7.5", "SB-ISG80-160", 1), ("TZ-BZ-ISG80-7.5", "DJ-YE3-132M-4-7.5-4", 1),
        ("TZ-BZ-ISG80-7.5", "PJ-LZQ-145", 1), ("TZ-BZ-ISG80-7.5", "PJ-DZ-ISG80", 1),
        ("TZ-BZ-ISG80-7.5", "PJ-LS-M16", 8),
        ("TZ-HYGS-2X7.5", "TZ-BZ-ISG80-7.5", 2), ("TZ-HYGS-2X7.5", "PJ-KZG-15", 1),
        ("TZ-HYGS-2X7.5", "BPQ-MD290T7.5G", 2), ("TZ-HYGS-2X7.5", "FM-D71X-16-DN100", 4),
        ("TZ-HYGS-2X7.5", "FM-H44H-16C-DN100", 2), ("TZ-HYGS-2X7.5", "PJ-DP-DN100", 12),
        ("TZ-HYGS-2X7.5", "PJ-DL-4X4", 30),
    ]:
        set_line(session, parent_code=parent, component_code=component,
                 quantity=Decimal(quantity))


# -- warehouses and history --------------------------------------------------------------------

def _warehouses(session: Session) -> None:
    for code, name, kind, bins in WAREHOUSES:
        create_warehouse(session, code=code, name=name, kind=kind, bins=bins,
                         address=name[name.index("（") + 1:-1])


class _Story:
    """Deterministic documents over the past months: what a dealer's stock ledger holds."""

    def __init__(self, session: Session, rng: random.Random, items: list[Item]) -> None:
        self.session, self.rng = session, rng
        self.items = [i for i in items if i.kind != "kit"]
        self.ids = dict(session.execute(select(Product.code, Product.id)).tuples().all())
        self.locations = dict(session.execute(select(Location.code, Location.id)).tuples().all())
        self.warehouses = dict(session.execute(select(Warehouse.code, Warehouse.id)).tuples().all())
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


def _history(session: Session, rng: random.Random, items: list[Item]) -> None:
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
