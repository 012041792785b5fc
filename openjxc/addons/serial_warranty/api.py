"""serial_warranty's GraphQL face, gathered from its modules: policies (and base_jxc's
``Product.warrantyPolicy``), warranties (``warranties``, ``warrantyCheck``,
``warrantyExtend``), fitments (``accessoryFit``, ``accessoryRemove``) and the device
archive — base_jxc's ``SerialNumber`` gains ``warranty`` and ``archive``."""

from __future__ import annotations

from openjxc.graphql import Contribution

from . import api_archive, api_fitments, api_policies, api_warranties
from .api_common import WarrantyError, WarrantyStart


def contribution() -> Contribution:
    return Contribution.combine(
        api_policies.contribution(),
        Contribution(
            types=[*api_warranties.types(), *api_fitments.types(), *api_archive.types()],
            queries=api_warranties.queries(),
            mutations=[*api_warranties.mutations(), *api_fitments.mutations()],
            type_fields={"SerialNumber": [*api_warranties.serial_fields(),
                                          *api_archive.serial_fields()]},
        ),
    )


__all__ = ["WarrantyError", "WarrantyStart", "contribution"]
