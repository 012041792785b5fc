"""accounting_bridge through GraphQL:
Cash-flow items (现金流量项目) and the rules that tag cash lines.

``cashFlowItems`` (the book's standard, or the one asked for), ``cashFlowRules`` (every
source type with the item it tags), ``cashFlowRuleSet`` (an override; an empty item goes
back to the built-in).  ``VoucherLine.cashFlowItem`` is in :mod:`.api_types`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import _, translate
from openjxc.graphql import field, get_session, mutation
from openjxc.graphql.payloads import run_service

from . import READ, SETTINGS, cash_flow
from .api_enums import AccountingError, AccountingStandard


@strawberry.enum(description="The activity a cash flow belongs to.")
class CashFlowActivity(Enum):
    OPERATING = "operating"
    INVESTING = "investing"
    FINANCING = "financing"
    EXCHANGE_RATE = "exchange_rate"

    __labels__ = {"OPERATING": _("Operating activities"),
                  "INVESTING": _("Investing activities"),
                  "FINANCING": _("Financing activities"),
                  "EXCHANGE_RATE": _("Effect of exchange rate changes")}


@strawberry.enum(description="Whether an item counts cash coming in or going out.")
class CashFlowDirection(Enum):
    IN = "in"
    OUT = "out"

    __labels__ = {"IN": _("Cash inflow"), "OUT": _("Cash outflow")}


@strawberry.type(description="A 现金流量项目: a line of the cash-flow statement.")
class CashFlowItem:
    code: str = strawberry.field(description="A short stable code (CF01 …), the same in "
                                             "both standards for the same line.")
    name: str = strawberry.field(description="The statement's caption, localised.")
    activity: CashFlowActivity
    direction: CashFlowDirection

    @classmethod
    def of(cls, item: cash_flow.Item, locale: str | None) -> CashFlowItem:
        return cls(code=item.code, name=translate(item.name.msgid, locale),
                   activity=CashFlowActivity(item.activity),
                   direction=CashFlowDirection(item.direction))


def _locale(info: Info[Any, Any]) -> str | None:
    return getattr(info.context, "locale", None)


def _standard(info: Info[Any, Any]) -> str:
    return cash_flow.book_standard(get_session(info))


async def item_of(info: Info[Any, Any], code: str) -> CashFlowItem | None:
    """The item ``code`` of the book's standard (None for "" or a code it lacks); the
    standard is read once per request, however many lines ask."""
    if not code:
        return None

    def batch(keys: list[int]) -> list[str]:
        return [_standard(info)] * len(keys)

    standard = await info.context.loaders.get("accounting.cash_flow_standard", batch).load(1)
    found = cash_flow.find(standard, code)
    return CashFlowItem.of(found, _locale(info)) if found is not None else None


@strawberry.type(description="Which item the cash lines of a source type's vouchers get.")
class CashFlowRule:
    source_type: str = strawberry.field(description="payment.receipt, asset.disposed, "
                                                    "manual …")
    item_code: str = strawberry.field(description="Empty: unclassified.")
    overridden: bool = strawberry.field(description="False: the built-in item applies.")

    @strawberry.field(description="The item (null when unclassified).")
    async def item(self, info: Info[Any, Any]) -> CashFlowItem | None:
        return await item_of(info, self.item_code)

    @classmethod
    def of(cls, rule: cash_flow.Rule) -> CashFlowRule:
        return cls(source_type=rule.source_type, item_code=rule.item_code,
                   overridden=rule.overridden)


def cash_flow_items(info: Info[Any, Any], standard: AccountingStandard | None = None,
                    ) -> list[CashFlowItem]:
    chosen = standard.value if standard is not None else _standard(info)
    return [CashFlowItem.of(i, _locale(info)) for i in cash_flow.items(chosen)]


def cash_flow_rules(info: Info[Any, Any]) -> list[CashFlowRule]:
    return [CashFlowRule.of(r) for r in cash_flow.rules(get_session(info))]


@strawberry.input
class CashFlowRuleSetInput:
    source_type: str
    item_code: str = strawberry.field(description="An item of the book's standard; empty: "
                                                  "back to the built-in item.")


@strawberry.type
class CashFlowRuleSetPayload:
    rule: CashFlowRule | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def cash_flow_rule_set(info: Info[Any, Any], input: CashFlowRuleSetInput,
                       ) -> CashFlowRuleSetPayload:
    row, errors = run_service(info, lambda s: cash_flow.set_rule(s, input.source_type,
                                                                 input.item_code),
                              AccountingError)
    return CashFlowRuleSetPayload(rule=CashFlowRule.of(row) if row is not None else None,
                                  errors=errors)


def types() -> list[type]:
    return [CashFlowActivity, CashFlowDirection, CashFlowItem, CashFlowRule,
            CashFlowRuleSetInput, CashFlowRuleSetPayload]


def queries() -> list[Any]:
    return [
        field(cash_flow_items, permission=READ, name="cashFlowItems",
              description="The 现金流量项目 of the book's standard (or of the one given), in "
                          "the statement's order."),
        field(cash_flow_rules, permission=READ, name="cashFlowRules",
              description="Every source type with the item its cash lines get."),
    ]


def mutations() -> list[Any]:
    return [
        mutation(cash_flow_rule_set, permission=SETTINGS, name="cashFlowRuleSet",
                 description="Set the 现金流量项目 the cash lines of a source type's vouchers "
                             "get from now on (an empty item: the built-in one)."),
    ]
