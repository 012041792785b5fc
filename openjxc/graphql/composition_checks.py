"""The rules the composer enforces on fields, and the per-edition Node registry.

Kept apart from :mod:`openjxc.graphql.compose` (which re-binds types) because these are
policy — what a field must declare — rather than mechanics, and each rule here has its
own boot error and test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.annotation import StrawberryAnnotation
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

from openjxc.core.errors import BootError
from openjxc.graphql.edition import NodeType
from openjxc.graphql.fields import AUTHENTICATED, Access, access_of, validate_permission
from openjxc.graphql.filters import FilterField
from openjxc.graphql.relay import Node

#: GraphQL names as the schema will print them (strawberry's default converter).
NAMES = NameConverter()


def describe(identity: object) -> str:
    """A type's origin for error messages: ``module.Class``."""
    if isinstance(identity, tuple) and len(identity) == 3 and identity[0] == "generic":
        generic, arguments = identity[1], identity[2]
        return f"{describe(generic)}[{', '.join(describe(a) for a in arguments)}]"
    if isinstance(identity, StrawberryEnumDefinition):
        identity = identity.wrapped_cls
    if isinstance(identity, type):
        qualname = identity.__qualname__.removesuffix("@edition")
        return f"{identity.__module__}.{qualname}"
    return repr(identity)


def check_root_access(field: StrawberryField, owner: str, where: str) -> Access:
    """Every root field states who may call it (API.md, "Identity and access")."""
    access = access_of(field)
    if access is None or (access.permission is None and not access.public):
        raise BootError(f"{owner}: root field {where} declares no permission; make it with "
                        f"openjxc.graphql.field(resolver, permission='area.object.action') "
                        f"or public=True")
    return access


def check_field_access(field: StrawberryField, where: str, is_input: bool) -> None:
    """Field-level permissions hide a value behind ``null``, so the field must be nullable,
    and they mean nothing on input fields or as ``public``."""
    access = access_of(field)
    if access is None:
        return
    if access.public:
        raise BootError(f"{where}: public=True only applies to root fields")
    if access.public_feature is not None:
        raise BootError(f"{where}: public_feature only applies to root fields")
    if access.permission is None:
        return
    if is_input:
        raise BootError(f"{where}: input fields cannot carry a permission")
    if not isinstance(field.type, StrawberryOptional):
        raise BootError(f"{where} requires permission {access.permission!r} but is not "
                        f"Optional; a caller without it gets null there, so declare the "
                        f"type as `... | None`")


def filter_field(extension: FilterField, type_name: str, owner: str, holders: dict[str, str],
                 rebind: Callable[[Any], Any]) -> StrawberryField:
    """The input field an extension filter adds: always optional, no default."""
    if not isinstance(extension, FilterField):
        raise BootError(f"{owner}: filter_fields[{type_name!r}] holds {extension!r}; use "
                        f"openjxc.graphql.FilterField")
    type_ = rebind(StrawberryAnnotation(extension.type).resolve())
    if not isinstance(type_, StrawberryOptional):
        type_ = StrawberryOptional(type_)
    field = StrawberryField(python_name=extension.name, type_annotation=StrawberryAnnotation(type_),
                            description=extension.description, default=UNSET)
    name = NAMES.from_field(field)
    if name in holders:
        raise BootError(f"{owner} adds filter field {type_name}.{name}, which "
                        f"{holders[name]} already defines")
    holders[name] = owner
    return field


def node_registry(template_of: dict[type, type], owners: dict[str, str]) -> dict[str, NodeType]:
    """How ``node(id:)`` loads each Node type of the edition; a Node type that cannot be
    loaded or does not say who may read it is a boot error."""
    registry: dict[str, NodeType] = {}
    for edition, template in template_of.items():
        definition: StrawberryObjectDefinition = edition.__strawberry_definition__  # type: ignore[attr-defined]
        if not definition.is_object_type or not _implements_node(definition):
            continue
        name, owner = definition.name, owners[definition.name]
        get_nodes = getattr(template, "get_nodes", None)
        if getattr(get_nodes, "__func__", None) is Node.get_nodes.__func__:  # type: ignore[attr-defined]
            raise BootError(f"{owner}: {name} implements Node but defines no "
                            f"get_nodes(cls, info, pks) classmethod")
        permission = getattr(template, "node_permission", None)
        if not permission or permission == AUTHENTICATED:
            raise BootError(f"{owner}: {name} implements Node but sets no node_permission "
                            f"(the permission node(id:) requires to read it)")
        validate_permission(permission, f"{name}.node_permission")
        registry[name] = NodeType(name=name, template=template, permission=permission,
                                  get_nodes=get_nodes, parse_pk=template.parse_pk)  # type: ignore[arg-type, attr-defined]
    return registry


def _implements_node(definition: StrawberryObjectDefinition) -> bool:
    node = Node.__strawberry_definition__  # type: ignore[attr-defined]
    stack = list(definition.interfaces)
    while stack:
        interface = stack.pop()
        if issubclass(interface.origin, Node) or interface is node:
            return True
        stack.extend(interface.interfaces)
    return False
