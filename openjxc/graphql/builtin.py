"""The kernel's own share of every edition's schema, composed under the owner ``core``.

``openjxc.core`` may not import the GraphQL layer (arrows point down), so the kernel's
GraphQL contribution lives here and the composer puts it first, before the addons'.
Kernel features with an API of their own (``me``, ``tokenCreate``, ``addons``,
``alerts``) add their ``Contribution`` to the list below.
"""

from __future__ import annotations

from openjxc.graphql.contribution import Contribution
from openjxc.graphql.kernel_api import kernel_api_contribution
from openjxc.graphql.pagination import PageInfo
from openjxc.graphql.relay import Node, node_field, nodes_field
from openjxc.graphql.user_errors import CoreError, CoreErrorCode, UserError


def kernel_contributions() -> list[Contribution]:
    """The kernel's contributions, in the order they are composed."""
    return [
        Contribution(
            types=[Node, PageInfo, UserError, CoreErrorCode, CoreError],
            queries=[node_field, nodes_field],
        ),
        kernel_api_contribution(),
    ]
