"""What serial_warranty's GraphQL modules share: permissions, the error type, enums."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type, pk_of_global_id

READ = "warranty.warranty.read"
EXTEND = "warranty.warranty.extend"
FIT = "warranty.fitment.manage"
POLICY_READ = "warranty.policy.read"
POLICY_CREATE = "warranty.policy.create"


@strawberry.enum
class WarrantyErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    REQUIRED = "REQUIRED"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    WARRANTY_VOID = "WARRANTY_VOID"
    NOT_RELATED = "NOT_RELATED"
    ALREADY_FITTED = "ALREADY_FITTED"
    NOT_FITTED = "NOT_FITTED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


WarrantyError = make_user_error_type("Warranty", WarrantyErrorCode)


@strawberry.enum(description="What starts a warranty's clock.")
class WarrantyStart(Enum):
    DELIVERY = "delivery"
    INSTALLATION = "installation"

    __labels__ = {"DELIVERY": _("On delivery"),
                  "INSTALLATION": _("On installation")}


@strawberry.enum(description="A warranty's status as of a day, decided in this order: void, "
                             "expired (past the end), expiring (within the alert days of "
                             "the end), extended (an extension was sold), active.")
class WarrantyStatus(Enum):
    VOID = "void"
    EXPIRED = "expired"
    EXPIRING = "expiring"
    EXTENDED = "extended"
    ACTIVE = "active"

    __labels__ = {"VOID": _("Void"), "EXPIRED": _("Expired"), "EXPIRING": _("Expiring"),
                  "EXTENDED": _("Extended"), "ACTIVE": _("Active")}


def pk(global_id: str | None, type_name: str) -> int | None:
    """The key behind a global ID of ``type_name``; None (then ``NOT_FOUND``) otherwise."""
    return pk_of_global_id(global_id, type_name)


def user_id(info: object) -> int | None:
    principal = getattr(getattr(info, "context", None), "principal", None)
    return getattr(principal, "user_id", None)
