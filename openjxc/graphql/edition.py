"""The composed edition: its classes and registries, found again from a resolver's ``info``.

Resolvers reach the registries through the schema executing them (``info.schema``), not
through a global, so two editions in one process never see each other's extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

if TYPE_CHECKING:
    from openjxc.graphql.fields import Access
    from openjxc.graphql.filters import FilterField


@dataclass(frozen=True)
class NodeType:
    """How ``node(id:)`` fetches one Node type of the edition."""

    name: str
    template: type
    permission: str
    get_nodes: Callable[[Info[Any, Any], Sequence[Any]], Any]
    parse_pk: Callable[[str], Any]


@dataclass
class Composition:
    """Everything one edition's schema is built from."""

    query: type
    mutation: type | None
    subscription: type | None
    #: Edition classes (objects, inputs, interfaces, enums) to register explicitly.
    types: list[Any]
    scalar_map: dict[object, Any]
    settings: Any
    #: GraphQL type name -> the addon that owns it (``core`` for the kernel's).
    owners: dict[str, str] = field(default_factory=dict)
    #: ``"Query.products"`` -> the field's access rule.
    root_access: dict[str, Access] = field(default_factory=dict)
    #: Input type name -> ``(owner, FilterField)`` in dependency order.
    filters: dict[str, list[tuple[str, FilterField]]] = field(default_factory=dict)
    input_types: set[str] = field(default_factory=set)
    nodes: dict[str, NodeType] = field(default_factory=dict)
    #: Template class -> its edition class (for tests and tools).
    edition_of: dict[type, type] = field(default_factory=dict)


def composition_of(info: Info[Any, Any]) -> Composition:
    """The composition of the schema executing this resolver."""
    composition = getattr(info.schema, "composition", None)
    if not isinstance(composition, Composition):
        raise RuntimeError("this schema was not built by openjxc.graphql.build_schema")
    return composition
