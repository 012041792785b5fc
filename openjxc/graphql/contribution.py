"""What an addon's ``register_graphql`` hook returns: its share of the edition's schema.

The classes an addon writes at module level (``@strawberry.type class Product``) are
*templates*: the kernel never puts them in a schema and never mutates them.  For each
edition it composes fresh classes with the same GraphQL names, the owner's fields plus
every field other addons contribute (see :mod:`openjxc.graphql.compose`)::

    @hookimpl
    def register_graphql():
        from .api import Product, ProductFilter, product, products
        return Contribution(
            types=[Product, ProductFilter],
            queries=[products, product],
        )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.types.field import StrawberryField

from openjxc.graphql.filters import FilterField


@dataclass(frozen=True)
class Contribution:
    """One addon's GraphQL contribution.

    * ``types``: the object, input, interface and enum types this addon *owns* (types
      reachable from its fields are found anyway; listing them makes them extensible
      and part of the schema even when no field returns them yet);
    * ``queries`` / ``mutations`` / ``subscriptions``: root fields, each made with
      :func:`openjxc.graphql.field` (``mutation`` / ``subscription``) and declaring a
      permission or ``public=True``;
    * ``scalars``: ``{python type: strawberry.scalar(name=...)}`` added to the edition's
      scalar map;
    * ``type_fields``: fields added to a type another addon owns, keyed by its GraphQL
      name; their resolvers receive the owner's object as root;
    * ``filter_fields``: inputs added to another addon's filter input type, applied by
      its list resolver through :func:`openjxc.graphql.apply_filter_extensions`.
    """

    types: Sequence[Any] = ()
    queries: Sequence[StrawberryField] = ()
    mutations: Sequence[StrawberryField] = ()
    subscriptions: Sequence[StrawberryField] = ()
    scalars: Mapping[object, Any] = field(default_factory=dict)
    type_fields: Mapping[str, Sequence[StrawberryField]] = field(default_factory=dict)
    filter_fields: Mapping[str, Sequence[FilterField]] = field(default_factory=dict)

    @classmethod
    def combine(cls, *parts: Contribution) -> Contribution:
        """One contribution from several (an addon split into chapters returns one).

        Root fields, types and extensions are concatenated; duplicates are left for the
        composer to refuse, with its usual message.
        """
        type_fields: dict[str, list[StrawberryField]] = {}
        filter_fields: dict[str, list[FilterField]] = {}
        scalars: dict[object, Any] = {}
        for part in parts:
            scalars.update(part.scalars)
            for name, fields in part.type_fields.items():
                type_fields.setdefault(name, []).extend(fields)
            for name, filters in part.filter_fields.items():
                filter_fields.setdefault(name, []).extend(filters)
        return cls(
            types=[t for part in parts for t in part.types],
            queries=[f for part in parts for f in part.queries],
            mutations=[f for part in parts for f in part.mutations],
            subscriptions=[f for part in parts for f in part.subscriptions],
            scalars=scalars, type_fields=type_fields, filter_fields=filter_fields,
        )
