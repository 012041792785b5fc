"""The policies the trading chapters read, with their type, default and bounds.

Each :class:`PolicyDefinition` parses the text a user enters (``"5000"``, ``"0.05"``,
``"30,60,90"``) into its typed value and writes it back in a canonical form.  A key that is
not in the database has its default, so a new deployment behaves as SPEC.md describes
without any set-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from openjxc.core.i18n import LazyString, _

DECIMAL = "decimal"
RATE = "rate"
INTEGER = "integer"
DAY_LIST = "day_list"
#: Free text, e.g. the company's letterhead on printed documents (documents chapter).
TEXT = "text"
KINDS = (DECIMAL, RATE, INTEGER, DAY_LIST, TEXT)
#: Longest text a ``TEXT`` policy holds (the column keeps 400 characters).
TEXT_MAX = 200


class PolicyValueError(ValueError):
    """The text is not a valid value for the policy (the message is localised)."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True)
class PolicyDefinition:
    key: str
    kind: str
    default: Any
    description: LazyString
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None

    def parse(self, text: str) -> Any:
        """The typed value of ``text``; :class:`PolicyValueError` when it is not valid."""
        return _PARSERS[self.kind](self, text.strip())

    def format(self, value: Any) -> str:
        """The canonical text of a typed value."""
        if self.kind == DAY_LIST:
            return ",".join(str(day) for day in value)
        if self.kind == DECIMAL:
            return f"{Decimal(value):.2f}"
        return str(value)


def _number(definition: PolicyDefinition, text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise PolicyValueError(_("Enter a number")) from None
    if not number.is_finite():
        raise PolicyValueError(_("Enter a number"))
    if number < definition.minimum:
        raise PolicyValueError(_("The value must be at least {minimum}",
                                 minimum=definition.minimum))
    if definition.maximum is not None and number > definition.maximum:
        raise PolicyValueError(_("The value must be at most {maximum}",
                                 maximum=definition.maximum))
    return number


def _decimal(definition: PolicyDefinition, text: str) -> Decimal:
    number = _number(definition, text)
    if number != number.quantize(Decimal("0.01")):
        raise PolicyValueError(_("Use at most two decimal places"))
    return number.quantize(Decimal("0.01"))


def _rate(definition: PolicyDefinition, text: str) -> Decimal:
    number = _number(definition, text)
    if number != number.quantize(Decimal("0.000001")):
        raise PolicyValueError(_("Use at most six decimal places"))
    return number.normalize() if number else Decimal(0)


def _integer(definition: PolicyDefinition, text: str) -> int:
    number = _number(definition, text)
    if number != number.to_integral_value():
        raise PolicyValueError(_("Enter a whole number"))
    return int(number)


def _day_list(definition: PolicyDefinition, text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.replace("，", ",").split(",")]
    # ASCII digits only: "²".isdigit() holds but int("²") fails.
    if not text or any(not (part.isascii() and part.isdigit()) for part in parts):
        raise PolicyValueError(_("Enter whole numbers of days separated by commas, "
                                 "e.g. 30,60,90"))
    days = tuple(int(part) for part in parts)
    if days[0] < 1 or any(b <= a for a, b in pairwise(days)):
        raise PolicyValueError(_("The days must be positive and increasing"))
    if days[-1] > DAYS_MAX:  # ageing subtracts them from dates
        raise PolicyValueError(_("The value must be at most {maximum}", maximum=DAYS_MAX))
    if len(days) > 12:
        raise PolicyValueError(_("At most 12 boundaries"))
    return days


def _text(definition: PolicyDefinition, text: str) -> str:
    if len(text) > TEXT_MAX:
        raise PolicyValueError(_("At most {maximum} characters", maximum=TEXT_MAX))
    return text


_PARSERS: dict[str, Callable[[PolicyDefinition, str], Any]] = {
    DECIMAL: _decimal, RATE: _rate, INTEGER: _integer, DAY_LIST: _day_list, TEXT: _text}

ONE = Decimal(1)
#: Whole numbers of days or units: bounded so that date arithmetic cannot overflow.
DAYS_MAX = Decimal(3660)

DEFINITIONS: dict[str, PolicyDefinition] = {d.key: d for d in (
    PolicyDefinition("purchase.approval_threshold", DECIMAL, Decimal("5000.00"),
                     _("Purchase orders with a total above this amount need "
                                  "more approvals"),
                     maximum=Decimal("999999999999")),
    PolicyDefinition("purchase.approvals_above_threshold", INTEGER, 2,
                     _("Approvals by different users an order above the "
                                  "threshold needs"),
                     minimum=ONE, maximum=Decimal(5)),
    PolicyDefinition("purchase.receipt_tolerance", RATE, Decimal(0),
                     _("How much more than ordered may be received (0.05 = 5%)"),
                     maximum=ONE),
    PolicyDefinition("sales.credit_tolerance", RATE, Decimal(0),
                     _("How far above a customer's credit limit an order may go "
                                  "without approval (0.1 = 10%), unless the customer has "
                                  "its own"),
                     maximum=ONE),
    PolicyDefinition("sales.quotation_valid_days", INTEGER, 30,
                     _("Days a quotation stays valid unless it says otherwise"),
                     minimum=ONE, maximum=DAYS_MAX),
    PolicyDefinition("invoicing.aging_buckets", DAY_LIST, (30, 60, 90),
                     _("Boundaries in days past due of the ageing columns"),),
    PolicyDefinition("invoicing.overdue_alert_days", INTEGER, 0,
                     _("Alert when an invoice is more than this many days past "
                                  "due"),
                     maximum=DAYS_MAX),
    PolicyDefinition("analysis.dead_stock_days", INTEGER, 180,
                     _("Stock without movement for this many days is dead stock"),
                     minimum=ONE, maximum=DAYS_MAX),
    PolicyDefinition("analysis.slow_moving_days", INTEGER, 90,
                     _("Stock without outgoing movement for this many days is "
                                  "slow-moving"),
                     minimum=ONE, maximum=DAYS_MAX),
    PolicyDefinition("stock.batch_expiry_days", INTEGER, 30,
                     _("Warn this many days before a batch expires"),
                     minimum=ONE, maximum=DAYS_MAX),
    # The letterhead of printed documents (documents chapter); empty until set.
    PolicyDefinition("company.name", TEXT, "", _("Company name printed on documents")),
    PolicyDefinition("company.address", TEXT, "", _("Company address printed on documents")),
    PolicyDefinition("company.phone", TEXT, "", _("Company phone printed on documents")),
    PolicyDefinition("company.tax_id", TEXT, "",
                     _("Company unified social credit code (taxpayer ID) printed on "
                       "documents")),
    PolicyDefinition("company.bank", TEXT, "", _("Company bank printed on documents")),
    PolicyDefinition("company.bank_account", TEXT, "",
                     _("Company bank account number printed on documents")),
)}
