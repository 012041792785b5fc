"""Master data of the demo dealer: partners, the catalog with relations, warehouses."""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy.orm import Session

from ..catalog.bom import set_line
from ..catalog.relations import create_relation, set_kit
from ..catalog.services import AttributeDefinition, ProductInput, create_category, create_product
from ..partners.services import AddressInput, ContactInput, PartnerInput, create_partner
from ..stock.warehouses import create_warehouse
from .data import CENT, CUSTOMERS, FRAMES, POWERS, SUPPLIERS, WAREHOUSES, Item, credit_code, money

# -- partners ----------------------------------------------------------------------------------

def load_partners(session: Session, rng: random.Random) -> None:
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

def load_catalog(session: Session) -> list[Item]:
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
                    list_price=money(price), standard_price=money(price * 0.72),
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
                                      tracking="batch", list_price=money(price),
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
            tracking="serial", list_price=money(880 + 210 * float(power) ** 0.95),
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
                                 list_price=money(35 + int(bearing[2:]) ** 1.6 * 2.5),
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


def load_relations(session: Session) -> None:
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


def load_warehouses(session: Session) -> None:
    for code, name, kind, bins in WAREHOUSES:
        create_warehouse(session, code=code, name=name, kind=kind, bins=bins,
                         address=name[name.index("（") + 1:-1])
