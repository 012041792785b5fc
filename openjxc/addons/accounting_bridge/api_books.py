"""accounting_bridge through GraphQL:
Opening balances (期初余额) and the book's first month.

``openingBalances`` (the set and the first month), ``openingBalanceSuggestions(opensOn:)``
(what the business data says — stock, partners, goods received not invoiced, fixed
assets — and the difference left to place), ``openingBalancesSet``
(replaces the whole set and opens the book).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import BadUserInput, field, get_session, mutation
from openjxc.graphql.payloads import run_service

from . import READ, SETTINGS, ledger, opening, opening_suggestions
from .api_enums import AccountingError

ZERO = Decimal("0.00")


@strawberry.enum(description="What business data an opening balance suggestion comes from.")
class OpeningSource(Enum):
    STOCK = "stock"
    RECEIVABLES = "receivables"
    PAYABLES = "payables"
    IN_TRANSIT = "in_transit"
    FIXED_ASSETS = "fixed_assets"
    DEPRECIATION = "depreciation"

    __labels__ = {"STOCK": _("Stock valuation"), "RECEIVABLES": _("Customers' balances"),
                  "PAYABLES": _("Suppliers' balances"),
                  "IN_TRANSIT": _("Goods received, not invoiced"),
                  "FIXED_ASSETS": _("Fixed assets"),
                  "DEPRECIATION": _("Accumulated depreciation")}


@strawberry.type(description="An account's balance on the book's first day (期初余额).")
class OpeningBalanceLine:
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    customer_code: str | None = strawberry.field(description="辅助核算: the customer.")
    supplier_code: str | None = strawberry.field(description="辅助核算: the supplier.")
    department: str
    project: str


@strawberry.type(description="The book's first month and its opening balances.")
class OpeningBalances:
    opens_on: str | None = strawberry.field(description="YYYY-MM; null before the book "
                                                        "is opened.")
    lines: list[OpeningBalanceLine]
    total_debit: Decimal
    total_credit: Decimal


@strawberry.type(description="An opening balance the business data suggests.")
class OpeningBalanceSuggestion:
    account_code: str
    account_name: str
    source: OpeningSource
    debit: Decimal
    credit: Decimal
    customer_code: str | None
    supplier_code: str | None


@strawberry.type(description="Opening balances from stock, partners' balances and fixed "
                             "assets as of the first day of a month.")
class OpeningBalanceSuggestions:
    opens_on: str = strawberry.field(description="YYYY-MM.")
    lines: list[OpeningBalanceSuggestion]
    total_debit: Decimal
    total_credit: Decimal
    difference: Decimal = strawberry.field(
        description="Σ debit − Σ credit of the suggestions: what is still to place on "
                    "cash, bank, equity … (positive: credits are missing).")


def _codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Partner.id, Partner.code).where(
        Partner.id.in_(wanted))).all())


def _balances(session: Session) -> OpeningBalances:
    first, rows = opening.opening_balances(session)
    codes = _codes(session, [i for r in rows for i in (r.customer_id, r.supplier_id)])
    return OpeningBalances(
        opens_on=f"{first:%Y-%m}" if first is not None else None,
        lines=[OpeningBalanceLine(
            account_code=r.account_code, account_name=r.account_name, debit=r.debit,
            credit=r.credit, customer_code=codes.get(r.customer_id or 0),
            supplier_code=codes.get(r.supplier_id or 0), department=r.department,
            project=r.project) for r in rows],
        total_debit=sum((r.debit for r in rows), ZERO),
        total_credit=sum((r.credit for r in rows), ZERO))


def opening_balances(info: Info[Any, Any]) -> OpeningBalances:
    return _balances(get_session(info))


def opening_balance_suggestions(info: Info[Any, Any], opens_on: str,
                                ) -> OpeningBalanceSuggestions:
    session = get_session(info)
    try:
        found = opening_suggestions.suggestions(session, ledger.parse_period(opens_on,
                                                                             "opensOn"))
    except ValidationFailed as exc:
        raise BadUserInput(exc.message) from None
    codes = _codes(session, [i for s in found.lines for i in (s.customer_id, s.supplier_id)])
    return OpeningBalanceSuggestions(
        opens_on=f"{found.opens_on:%Y-%m}",
        lines=[OpeningBalanceSuggestion(
            account_code=s.account_code, account_name=s.account_name,
            source=OpeningSource(s.source), debit=s.debit, credit=s.credit,
            customer_code=codes.get(s.customer_id or 0),
            supplier_code=codes.get(s.supplier_id or 0)) for s in found.lines],
        total_debit=found.total_debit, total_credit=found.total_credit,
        difference=found.difference)


@strawberry.input(description="One opening balance: a debit or a credit on a leaf account.")
class OpeningBalanceLineInput:
    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_code: str | None = None
    supplier_code: str | None = None
    department: str = ""
    project: str = ""


@strawberry.input
class OpeningBalancesSetInput:
    opens_on: str = strawberry.field(description="YYYY-MM: the book's first month.")
    lines: list[OpeningBalanceLineInput] = strawberry.field(
        description="The whole set (it replaces the earlier one); empty: only open the "
                    "book.")


@strawberry.type
class OpeningBalancesSetPayload:
    opening_balances: OpeningBalances | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def opening_balances_set(info: Info[Any, Any], input: OpeningBalancesSetInput,
                         ) -> OpeningBalancesSetPayload:
    def action(session: Session) -> OpeningBalances:
        opening.set_opening_balances(
            session, ledger.parse_period(input.opens_on, "opensOn"),
            [opening.OpeningLine(account_code=line.account_code, debit=line.debit,
                                 credit=line.credit, customer_code=line.customer_code,
                                 supplier_code=line.supplier_code,
                                 department=line.department, project=line.project)
             for line in input.lines])
        return _balances(session)

    found, errors = run_service(info, action, AccountingError)
    return OpeningBalancesSetPayload(opening_balances=found, errors=errors)


def types() -> list[type]:
    return [OpeningSource, OpeningBalanceLine, OpeningBalances, OpeningBalanceSuggestion,
            OpeningBalanceSuggestions, OpeningBalanceLineInput, OpeningBalancesSetInput,
            OpeningBalancesSetPayload]


def queries() -> list[Any]:
    return [
        field(opening_balances, permission=READ, name="openingBalances",
              description="The book's first month and its opening balances (期初余额)."),
        field(opening_balance_suggestions, permission=READ,
              name="openingBalanceSuggestions",
              description="Opening balances the business data suggests for a first month "
                          "(YYYY-MM): stock, customers, suppliers, goods received not "
                          "invoiced, fixed assets."),
    ]


def mutations() -> list[Any]:
    return [
        mutation(opening_balances_set, permission=SETTINGS, name="openingBalancesSet",
                 description="Open the book on a month with its opening balances (the "
                             "whole set, balanced; it replaces the earlier one)."),
    ]
