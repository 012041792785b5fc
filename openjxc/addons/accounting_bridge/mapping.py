"""Mapping rules: which account each role of a document posts to.

A rule is ``(document, role)`` → account code, optionally narrowed to a product category,
a warehouse or a partner; the most specific matching rule wins (partner, then warehouse,
then category, then the general rule).  Defaults are seeded with the chart, and the user
edits them (``accountMappingSet``).  How stock is booked (documented choice):

* goods held in ``internal``, ``transit`` and ``quarantine`` locations are 库存商品;
  ``scrap`` is 待处理财产损溢;
* a purchase receipt books 库存商品 against 在途物资 (1402), and the supplier's invoice
  clears 在途物资 (its untaxed amount) with 进项税额 against 应付账款 — so 1402 holds what was
  received and not yet invoiced (or invoiced and not yet received);
* a delivery's cost goes to 主营业务成本 at the moves' recorded value; a count variance to
  待处理财产损溢; customer returns, purchase returns and stock reversals are red vouchers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Category
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.stock.models import Warehouse
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import SMALL, Account, MappingRule

STOCK = "stock"
COUNTERPART = "counterpart"
SALES_INVOICE = "sales.invoice"
PURCHASE_INVOICE = "purchase.invoice"
RECEIPT = "payment.receipt"
PAYMENT = "payment.payment"
DEPRECIATION = "depreciation"
ASSET_ACQUIRED = "asset.acquired"
ASSET_DISPOSED = "asset.disposed"

#: (document, role) → (小企业 code, 企业 code).
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    (STOCK, "internal"): ("1405", "1405"),
    (STOCK, "transit"): ("1405", "1405"),
    (STOCK, "quarantine"): ("1405", "1405"),
    (STOCK, "scrap"): ("1901", "1901"),
    (STOCK, COUNTERPART): ("1901", "1901"),
    ("purchase.receipt", COUNTERPART): ("1402", "1402"),
    ("purchase.return", COUNTERPART): ("1402", "1402"),
    ("sales.delivery", COUNTERPART): ("5401", "6401"),
    ("sales.return", COUNTERPART): ("5401", "6401"),
    ("count", COUNTERPART): ("1901", "1901"),
    ("opening", COUNTERPART): ("3001", "4001"),
    ("depreciation.capitalize", COUNTERPART): ("1601", "1601"),
    (SALES_INVOICE, "receivable"): ("1122", "1122"),
    (SALES_INVOICE, "revenue"): ("5001", "6001"),
    (SALES_INVOICE, "output_vat"): ("22210106", "22210106"),
    (PURCHASE_INVOICE, "payable"): ("2202", "2202"),
    (PURCHASE_INVOICE, "purchases"): ("1402", "1402"),
    (PURCHASE_INVOICE, "input_vat"): ("22210101", "22210101"),
    (RECEIPT, "partner"): ("1122", "1122"),
    (PAYMENT, "partner"): ("2202", "2202"),
    (RECEIPT, "cash"): ("1001", "1001"),
    (RECEIPT, "bank"): ("1002", "1002"),
    (RECEIPT, "acceptance_bill"): ("1121", "1121"),
    (PAYMENT, "cash"): ("1001", "1001"),
    (PAYMENT, "bank"): ("1002", "1002"),
    (PAYMENT, "acceptance_bill"): ("2201", "2201"),
    (DEPRECIATION, "expense"): ("5602", "6602"),
    (DEPRECIATION, "expense:销售部"): ("5601", "6601"),
    (DEPRECIATION, "accumulated"): ("1602", "1602"),
    (ASSET_ACQUIRED, "asset"): ("1601", "1601"),
    (ASSET_ACQUIRED, COUNTERPART): ("2241", "2241"),
    (ASSET_DISPOSED, "asset"): ("1601", "1601"),
    (ASSET_DISPOSED, "accumulated"): ("1602", "1602"),
    (ASSET_DISPOSED, "clearing"): ("1606", "1606"),
    (ASSET_DISPOSED, "proceeds"): ("1002", "1002"),
    (ASSET_DISPOSED, "gain"): ("5301", "6115"),
    (ASSET_DISPOSED, "loss"): ("5711", "6115"),
}


def seed_rules(session: Session, standard: str) -> None:
    """Replace the general rules with the defaults of ``standard`` (narrowed ones stay)."""
    session.execute(delete(MappingRule).where(MappingRule.category_id.is_(None),
                                              MappingRule.warehouse_id.is_(None),
                                              MappingRule.partner_id.is_(None)))
    for (document, role), (small, enterprise) in DEFAULTS.items():
        session.add(MappingRule(document=document, role=role,
                                account_code=small if standard == SMALL else enterprise))
    session.flush()


@dataclass(frozen=True)
class Scope:
    category_id: int | None = None
    warehouse_id: int | None = None
    partner_id: int | None = None


class Rules:
    """The rules of some documents, read once per posting."""

    def __init__(self, session: Session, documents: set[str]) -> None:
        self._rules: dict[tuple[str, str], list[MappingRule]] = {}
        #: The rules' accounts, code → (id, leaf), for :func:`.ledger.post_voucher`.
        self.known: dict[str, tuple[int, bool]] = {}
        for rule, account_id, leaf in session.execute(
                select(MappingRule, Account.id, Account.leaf)
                .outerjoin(Account, Account.code == MappingRule.account_code)
                .where(MappingRule.document.in_(documents | {STOCK}))
                .order_by(MappingRule.id)):
            self._rules.setdefault((rule.document, rule.role), []).append(rule)
            if account_id is not None:
                self.known[rule.account_code] = (account_id, leaf)

    def find(self, document: str, role: str, scope: Scope = Scope()) -> str | None:
        best: tuple[int, str] | None = None
        for rule in self._rules.get((document, role), ()):
            score = 0
            for weight, want, have in ((4, rule.partner_id, scope.partner_id),
                                       (2, rule.warehouse_id, scope.warehouse_id),
                                       (1, rule.category_id, scope.category_id)):
                if want is not None:
                    if want != have:
                        break
                    score += weight
            else:
                if best is None or score > best[0]:
                    best = (score, rule.account_code)
        return best[1] if best is not None else None

    def account(self, document: str, role: str, scope: Scope = Scope(),
                fallback: tuple[str, str] | None = None) -> str:
        found = self.find(document, role, scope)
        if found is None and fallback is not None:
            found = self.find(*fallback, scope)
        if found is None:
            raise ValidationFailed(FieldError(
                "MAPPING_MISSING", _("No account is mapped for {document} / {role}"),
                document=document, role=role))
        return found


@dataclass
class RuleInput:
    document: str
    role: str
    account_code: str
    category_code: str | None = None
    warehouse_code: str | None = None
    partner_code: str | None = None


def set_rule(session: Session, data: RuleInput) -> MappingRule:
    """Create or change the rule for ``(document, role)`` and the scope given."""
    errors: list[FieldError] = []
    document, role = data.document.strip()[:32], data.role.strip()[:64]
    if not document:
        errors.append(FieldError("REQUIRED", _("This field is required"), field="document"))
    if not role:
        errors.append(FieldError("REQUIRED", _("This field is required"), field="role"))
    code = data.account_code.strip()
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown account {code}"),
                                 field="accountCode", code=code[:32]))
    elif not account.leaf:
        errors.append(FieldError("NOT_LEAF", _("Account {code} has sub-accounts: post to "
                                               "one of them"), field="accountCode",
                                 code=code))
    scope: dict[str, int | None] = {}
    for key, entity, text, at in (("category_id", Category, data.category_code, "categoryCode"),
                                  ("warehouse_id", Warehouse, data.warehouse_code,
                                   "warehouseCode"),
                                  ("partner_id", Partner, data.partner_code, "partnerCode")):
        scope[key] = None
        if text and text.strip():
            found = session.scalar(select(entity.id).where(  # type: ignore[attr-defined]
                entity.code == text.strip()[:64]))  # type: ignore[attr-defined]
            if found is None:
                errors.append(FieldError("NOT_FOUND", _("Unknown code {code}"), field=at,
                                         code=text.strip()[:64]))
            scope[key] = found
    if errors:
        raise ValidationFailed(errors)
    stmt = select(MappingRule).where(MappingRule.document == document,
                                     MappingRule.role == role)
    for key, value in scope.items():
        column = getattr(MappingRule, key)
        stmt = stmt.where(column.is_(None) if value is None else column == value)
    rule = session.scalar(stmt.limit(1))
    if rule is None:
        rule = MappingRule(document=document, role=role, **scope)
        session.add(rule)
    rule.account_code = code
    session.flush()
    return rule
