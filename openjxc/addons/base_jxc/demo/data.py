"""The demo dealer's fixed facts: frames, powers, suppliers, customers, warehouses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from ..partners.credit_code import ALPHABET, check_character

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


def money(value: float) -> Decimal:
    return Decimal(str(round(value, -1 if value > 100 else 0))).quantize(CENT)
