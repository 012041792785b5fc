"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import Partner, PartnerAddress, PartnerContact

    return [Partner, PartnerContact, PartnerAddress]


def permissions() -> list[Permission]:
    return [
        Permission("partner.partner.read", "Read customers and suppliers"),
        Permission("partner.partner.create", "Create customers and suppliers"),
        Permission("partner.partner.update", "Change customers and suppliers"),
        Permission("partner.credit.read", "See credit limits"),
        Permission("partner.credit.manage", "Set or change credit limits"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("partner_viewer", ("partner.partner.read",),
                     "Look up customers and suppliers (sales and purchasing clerks)"),
        RoleTemplate("partner_manager",
                     ("partner.partner.read", "partner.partner.create",
                      "partner.partner.update", "partner.credit.read"),
                     "Keep the customer and supplier master"),
        RoleTemplate("credit_controller",
                     ("partner.partner.read", "partner.partner.update",
                      "partner.credit.read", "partner.credit.manage"),
                     "Decide customers' credit limits"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
