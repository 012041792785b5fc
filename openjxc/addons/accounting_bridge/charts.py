"""The two charts of accounts (会计科目表) a book is set up with.

First-level codes are the standards' own (小企业会计准则 财会〔2011〕17号 appendix; 企业会计准则
2006 应用指南): classes 1 and 2 agree, 企业会计准则 puts equity in 4xxx, cost in 5xxx and profit
and loss in 6xxx, 小企业 one class lower.  Accounts one standard lacks (坏账准备, the
impairment allowances, 资产处置损益) are ``None`` there.  Sub-accounts are the company's:
we seed only the VAT structure under 2221 (财会〔2016〕22号), as 4-2-2 codes (``22210101``),
which the export maps to the target software's codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import CREDIT, CUSTOMER, DEBIT, ENTERPRISE, SMALL, SUPPLIER

ASSET = "asset"
LIABILITY = "liability"
EQUITY = "equity"
COST = "cost"
PROFIT_LOSS = "profit_loss"
CATEGORIES = (ASSET, LIABILITY, EQUITY, COST, PROFIT_LOSS)


@dataclass(frozen=True)
class Template:
    name: str
    small: str | None
    enterprise: str | None
    category: str
    direction: str = DEBIT
    auxiliaries: str = ""

    def code(self, standard: str) -> str | None:
        return self.small if standard == SMALL else self.enterprise


_A, _L, _E, _C, _P = ASSET, LIABILITY, EQUITY, COST, PROFIT_LOSS

FIRST_LEVEL: tuple[Template, ...] = (
    Template("库存现金", "1001", "1001", _A),
    Template("银行存款", "1002", "1002", _A),
    Template("其他货币资金", "1012", "1012", _A),
    Template("应收票据", "1121", "1121", _A, auxiliaries=CUSTOMER),
    Template("应收账款", "1122", "1122", _A, auxiliaries=CUSTOMER),
    Template("预付账款", "1123", "1123", _A, auxiliaries=SUPPLIER),
    Template("其他应收款", "1221", "1221", _A),
    Template("坏账准备", None, "1231", _A, CREDIT),
    Template("在途物资", "1402", "1402", _A),
    Template("原材料", "1403", "1403", _A),
    Template("库存商品", "1405", "1405", _A),
    Template("发出商品", "1406", "1406", _A),
    Template("周转材料", "1411", "1411", _A),
    Template("存货跌价准备", None, "1471", _A, CREDIT),
    Template("固定资产", "1601", "1601", _A),
    Template("累计折旧", "1602", "1602", _A, CREDIT),
    Template("固定资产减值准备", None, "1603", _A, CREDIT),
    Template("在建工程", "1604", "1604", _A),
    Template("固定资产清理", "1606", "1606", _A),
    Template("无形资产", "1701", "1701", _A),
    Template("累计摊销", "1702", "1702", _A, CREDIT),
    Template("待处理财产损溢", "1901", "1901", _A),
    Template("短期借款", "2001", "2001", _L, CREDIT),
    Template("应付票据", "2201", "2201", _L, CREDIT, SUPPLIER),
    Template("应付账款", "2202", "2202", _L, CREDIT, SUPPLIER),
    Template("预收账款", "2203", "2203", _L, CREDIT, CUSTOMER),
    Template("应付职工薪酬", "2211", "2211", _L, CREDIT),
    Template("应交税费", "2221", "2221", _L, CREDIT),
    Template("其他应付款", "2241", "2241", _L, CREDIT),
    Template("实收资本", "3001", "4001", _E, CREDIT),
    Template("资本公积", "3002", "4002", _E, CREDIT),
    Template("盈余公积", "3101", "4101", _E, CREDIT),
    Template("本年利润", "3103", "4103", _E, CREDIT),
    Template("利润分配", "3104", "4104", _E, CREDIT),
    Template("生产成本", "4001", "5001", _C),
    Template("制造费用", "4101", "5101", _C),
    Template("主营业务收入", "5001", "6001", _P, CREDIT),
    Template("其他业务收入", "5051", "6051", _P, CREDIT),
    Template("投资收益", "5111", "6111", _P, CREDIT),
    Template("资产处置损益", None, "6115", _P, CREDIT),
    Template("营业外收入", "5301", "6301", _P, CREDIT),
    Template("主营业务成本", "5401", "6401", _P),
    Template("其他业务成本", "5402", "6402", _P),
    Template("税金及附加", "5403", "6403", _P),
    Template("销售费用", "5601", "6601", _P),
    Template("管理费用", "5602", "6602", _P),
    Template("财务费用", "5603", "6603", _P),
    Template("资产减值损失", None, "6701", _P),
    Template("营业外支出", "5711", "6711", _P),
    Template("所得税费用", "5801", "6801", _P),
)

#: 应交税费 (2221) sub-accounts: code suffix → name; ``01`` 应交增值税 has the columns.
VAT_SUBACCOUNTS: tuple[tuple[str, str], ...] = (
    ("01", "应交增值税"), ("02", "未交增值税"), ("03", "预交增值税"),
    ("04", "待认证进项税额"), ("05", "待抵扣进项税额"), ("06", "待转销项税额"),
    ("07", "简易计税"), ("08", "代扣代交增值税"), ("09", "应交城市维护建设税"),
    ("10", "应交教育费附加"), ("11", "应交地方教育附加"), ("12", "应交企业所得税"),
    ("13", "应交印花税"),
)
VAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("01", "进项税额"), ("02", "销项税额抵减"), ("03", "已交税金"), ("04", "转出未交增值税"),
    ("05", "减免税款"), ("06", "销项税额"), ("07", "出口退税"), ("08", "进项税额转出"),
    ("09", "转出多交增值税"),
)
INPUT_VAT = "22210101"
OUTPUT_VAT = "22210106"


@dataclass(frozen=True)
class SeedAccount:
    code: str
    name: str
    parent: str | None
    category: str
    direction: str
    auxiliaries: str


def chart(standard: str) -> list[SeedAccount]:
    """The accounts a new book of ``standard`` starts with, parents before children."""
    if standard not in (SMALL, ENTERPRISE):
        raise ValueError(standard)
    rows: list[SeedAccount] = []
    for t in FIRST_LEVEL:
        code = t.code(standard)
        if code is not None:
            rows.append(SeedAccount(code, t.name, None, t.category, t.direction,
                                    t.auxiliaries))
    for suffix, name in VAT_SUBACCOUNTS:
        rows.append(SeedAccount(f"2221{suffix}", name, "2221", LIABILITY, CREDIT, ""))
    for suffix, name in VAT_COLUMNS:
        rows.append(SeedAccount(f"222101{suffix}", name, "222101", LIABILITY, CREDIT, ""))
    return rows
