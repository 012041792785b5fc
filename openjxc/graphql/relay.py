"""Relay object identification: the ``Node`` interface, global IDs, ``node`` / ``nodes``.

IDs are opaque to clients (``base64("Product:42")``) so that the API never promises the
shape of a primary key, and any object can be refetched by its ID alone.  Each Node type
says how to load its objects in a batch and which permission reading them needs::

    @strawberry.type
    class Product(Node):
        node_permission: ClassVar[str] = "catalog.product.read"
        code: str

        @classmethod
        def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[Product | None]:
            rows = get_session(info).scalars(select(ProductRow).where(ProductRow.id.in_(pks)))
            return align(pks, [Product.from_row(r) for r in rows], key=lambda p: p.pk)

The kernel registers every Node type of an edition when it composes the schema; an ID
of a type the edition lacks (a warranty ID sent to a basic shop) resolves to ``null``.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import KernelMessages, translate
from openjxc.graphql.edition import composition_of
from openjxc.graphql.errors import BadUserInput, Forbidden
from openjxc.graphql.fields import AUTHENTICATED, field

_CANONICAL_PK = re.compile(r"^[1-9][0-9]{0,18}$")
_MAX_PK = 2**63 - 1


def to_global_id(type_name: str, pk: object) -> str:
    """``base64("TypeName:pk")``, the Relay convention."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def from_global_id(global_id: str) -> tuple[str, str]:
    """``(type_name, pk_text)``; a malformed ID is the client's error, said clearly."""
    try:
        text = base64.b64decode(global_id.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput(f"{global_id!r} is not a valid ID") from None
    type_name, sep, pk = text.partition(":")
    if not sep or not type_name or not pk:
        raise BadUserInput(f"{global_id!r} is not a valid ID")
    return type_name, pk


def pk_of_global_id(global_id: str | None, type_name: str, *,
                    unknown: int | None = None) -> int | None:
    """The primary key behind a global ID of ``type_name`` in a mutation's input: None when
    no ID is given (``None`` or ``""``), ``unknown`` for a malformed ID, one of another type
    or a key no integer column holds — so the service refuses it with ``NOT_FOUND``.

    Pass ``unknown=-1`` where None would mean "not given" to the service."""
    if not global_id:
        return None
    try:
        name, key = from_global_id(global_id)
    except BadUserInput:
        return unknown
    return int(key) if name == type_name and key.isdigit() and len(key) < 19 else unknown


@strawberry.interface(description="An object with a stable, opaque global ID, refetchable "
                                  "with `node(id:)`.")
class Node:
    #: The object's primary key; the global ID is built from it and the type's name.
    pk: strawberry.Private[Any]
    #: The permission ``node(id:)`` requires to return objects of this type.
    node_permission: ClassVar[str | None] = None

    @strawberry.field(description="The opaque global ID of this object.")
    def id(self, info: Info[Any, Any]) -> strawberry.ID:
        # The concrete GraphQL type being resolved, not the Python class: the object may
        # be an instance of the template class, whose edition class has the same name.
        type_name = info._raw_info.parent_type.name
        return strawberry.ID(to_global_id(type_name, self.pk))

    @classmethod
    def parse_pk(cls, raw: str) -> Any:
        """Turn the key text of a global ID back into a key; positive 64-bit integers by
        default, written canonically (``Product: 1`` or ``Product:٣`` is not an ID)."""
        if not _CANONICAL_PK.match(raw) or int(raw) > _MAX_PK:
            raise ValueError(raw)
        return int(raw)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[Any]) -> Any:
        """Load the objects with these keys, in the same order, ``None`` for missing
        ones (a list, or an awaitable of one).  Every Node type must implement it."""
        raise NotImplementedError


async def _load(info: Info[Any, Any], ids: Sequence[str]) -> list[Any]:
    composition = composition_of(info)
    wanted: dict[str, dict[Any, None]] = {}
    keys: list[tuple[str, Any] | None] = []
    for global_id in ids:
        type_name, raw_pk = from_global_id(global_id)
        node_type = composition.nodes.get(type_name)
        if node_type is None:  # a type this edition does not have
            keys.append(None)
            continue
        try:
            pk = node_type.parse_pk(raw_pk)
        except (TypeError, ValueError):
            raise BadUserInput(f"{global_id!r} is not a valid ID") from None
        keys.append((type_name, pk))
        wanted.setdefault(type_name, {})[pk] = None
    loaded: dict[tuple[str, Any], Any] = {}
    for type_name, pks in wanted.items():
        node_type = composition.nodes[type_name]
        principal = info.context.principal
        if principal is None or not principal.has(node_type.permission):
            raise Forbidden(translate(KernelMessages.PERMISSION_REQUIRED.msgid,
                                      permission=node_type.permission),
                            extensions={"permission": node_type.permission})
        key_list = list(pks)
        result = node_type.get_nodes(info, key_list)
        if inspect.isawaitable(result):
            result = await result
        objects = list(result)
        if len(objects) != len(key_list):
            raise RuntimeError(f"{type_name}.get_nodes returned {len(objects)} objects "
                               f"for {len(key_list)} keys")
        loaded.update({(type_name, pk): obj for pk, obj in zip(key_list, objects, strict=True)})
    return [None if key is None else loaded.get(key) for key in keys]


async def resolve_node(info: Info[Any, Any], id: strawberry.ID) -> Node | None:
    return (await _load(info, [id]))[0]


async def resolve_nodes(info: Info[Any, Any], ids: list[strawberry.ID]) -> list[Node | None]:
    cap = composition_of(info).settings.max_page_size
    if len(ids) > cap:
        raise BadUserInput(f"nodes(ids:) takes at most {cap} IDs, got {len(ids)}")
    return await _load(info, ids)


node_field = field(resolve_node, permission=AUTHENTICATED, name="node",
                   description="The object with this global ID, or null when none exists.")
nodes_field = field(resolve_nodes, permission=AUTHENTICATED, name="nodes",
                    description="The objects with these global IDs, in order; null for "
                                "IDs that match nothing.")

__all__ = ["Node", "from_global_id", "node_field", "nodes_field", "to_global_id"]
