"""How an object returned by a resolver finds its GraphQL type in an edition.

Resolvers build *template* instances (``Product(pk=1, …)``), while an edition's schema
holds edition classes of the same names.  Interfaces, unions and the ``is_type_of``
check of types behind them therefore decide by *name*: the nearest class in the
object's MRO that the edition knows (its template or its edition class).  Objects the
edition does not know (an ORM row) fall back to a template's own ``is_type_of``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLAbstractType, GraphQLResolveInfo, default_type_resolver


class TypeResolution:
    """The edition's class → GraphQL name map, and the resolvers made from it."""

    def __init__(self) -> None:
        self.name_of_class: dict[type, str] = {}

    def register(self, cls: type, name: str) -> None:
        self.name_of_class.setdefault(cls, name)

    def name_of(self, obj: Any) -> str | None:
        for klass in type(obj).__mro__:
            name = self.name_of_class.get(klass)
            if name is not None:
                return name
        return None

    def resolve_type(self, obj: Any, info: GraphQLResolveInfo,
                     abstract_type: GraphQLAbstractType) -> Any:
        """``resolve_type`` of an edition interface."""
        name = self.name_of(obj)
        if name is not None:
            return name
        return default_type_resolver(obj, info, abstract_type)

    def is_type_of(self, name: str, custom: Callable[[Any, GraphQLResolveInfo], bool] | None,
                   ) -> Callable[[Any, GraphQLResolveInfo], bool]:
        """``is_type_of`` of the edition type ``name`` (one behind an interface or a union)."""

        def is_type_of(obj: Any, info: GraphQLResolveInfo) -> bool:
            found = self.name_of(obj)
            if found is not None:
                return found == name
            return bool(custom(obj, info)) if custom is not None else False

        return is_type_of
