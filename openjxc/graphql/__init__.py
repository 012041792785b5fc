"""The GraphQL layer: composes each edition's schema from what its addons contribute.

An addon's ``api.py`` writes strawberry templates and resolvers with the helpers below;
its ``register_graphql`` hook returns a :class:`Contribution`; the kernel composes one
schema per environment with :func:`build_schema`.  See ``docs`` and API.md.
"""

from openjxc.graphql.context import (
    GraphQLContext,
    Loaders,
    Principal,
    RequestContext,
    align,
    get_session,
)
from openjxc.graphql.contribution import Contribution
from openjxc.graphql.edition import Composition, composition_of
from openjxc.graphql.errors import (
    ApiError,
    BadUserInput,
    Forbidden,
    Unauthenticated,
    is_expected_error,
)
from openjxc.graphql.fields import AUTHENTICATED, check_access, field, mutation, subscription
from openjxc.graphql.filters import FilterField, apply_filter_extensions
from openjxc.graphql.item_pages import paginate_items
from openjxc.graphql.pagination import Connection, Edge, PageInfo, paginate
from openjxc.graphql.relay import Node, from_global_id, pk_of_global_id, to_global_id
from openjxc.graphql.scalars import SCALAR_MAP
from openjxc.graphql.schema import (
    EditionSchema,
    build_schema,
    compose,
    field_permissions,
    print_sdl,
    schema_permissions,
)
from openjxc.graphql.user_errors import (
    CoreError,
    CoreErrorCode,
    UserError,
    make_user_error_type,
)

__all__ = [
    "AUTHENTICATED",
    "SCALAR_MAP",
    "ApiError",
    "BadUserInput",
    "Composition",
    "Connection",
    "Contribution",
    "CoreError",
    "CoreErrorCode",
    "Edge",
    "EditionSchema",
    "FilterField",
    "Forbidden",
    "GraphQLContext",
    "Loaders",
    "Node",
    "PageInfo",
    "Principal",
    "RequestContext",
    "Unauthenticated",
    "UserError",
    "align",
    "apply_filter_extensions",
    "build_schema",
    "check_access",
    "compose",
    "composition_of",
    "field",
    "field_permissions",
    "from_global_id",
    "get_session",
    "is_expected_error",
    "make_user_error_type",
    "mutation",
    "paginate",
    "paginate_items",
    "pk_of_global_id",
    "print_sdl",
    "schema_permissions",
    "subscription",
    "to_global_id",
]
