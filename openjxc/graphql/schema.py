"""``build_schema(env)``: the strawberry schema of one environment's edition, built once.

    schema = build_schema(env)
    result = await schema.execute(query, context_value=RequestContext(env=env, ...))
    print(print_sdl(env))

The seam for the HTTP layer: ``build_schema(env, extensions=[...])`` passes strawberry
schema extensions (error masking, depth / alias / token / cost limits, introspection
switch) built from ``env.settings``.  The composition (the edition's classes) is made
once per environment; each distinct tuple of extensions gets its own schema object,
cached in ``env.extensions["graphql.schema"]``, so call it once at startup and keep it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import strawberry
from graphql import GraphQLObjectType
from strawberry.exceptions import StrawberryException
from strawberry.extensions import SchemaExtension
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types.field import StrawberryField

from openjxc.core.errors import BootError
from openjxc.graphql.builtin import kernel_contributions
from openjxc.graphql.compose import KERNEL, Composer
from openjxc.graphql.edition import Composition
from openjxc.graphql.fields import access_of

SCHEMA_KEY = "graphql.schema"
COMPOSITION_KEY = "graphql.composition"

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


class SchemaHost(Protocol):
    """What building a schema needs of an environment (``openjxc.core.env.Environment``)."""

    settings: Any
    extensions: dict[str, Any]

    def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]: ...


class EditionSchema(strawberry.Schema):
    """A strawberry schema that remembers its edition's composition, so resolvers find
    the edition's registries through ``info.schema`` (see ``edition.composition_of``)."""

    def __init__(self, composition: Composition, *,
                 extensions: Sequence[Extension] = ()) -> None:
        self.composition = composition
        super().__init__(
            query=composition.query,
            mutation=composition.mutation,
            subscription=composition.subscription,
            types=composition.types,
            extensions=extensions,
            config=StrawberryConfig(scalar_map=composition.scalar_map),
        )


def compose(env: SchemaHost) -> Composition:
    """The edition's composed classes and registries, made once per environment."""
    composition = env.extensions.get(COMPOSITION_KEY)
    if composition is None:
        contributions = [(KERNEL, c) for c in kernel_contributions()]
        contributions += env.contributions("register_graphql")
        composition = Composer(contributions).compose(env.settings)
        env.extensions[COMPOSITION_KEY] = composition
    return composition


def build_schema(env: SchemaHost, *, extensions: Sequence[Extension] = ()) -> EditionSchema:
    """The edition's schema (cached per environment and extension tuple)."""
    schemas: dict[tuple[Extension, ...], EditionSchema] = env.extensions.setdefault(
        SCHEMA_KEY, {})
    key = tuple(extensions)
    schema = schemas.get(key)
    if schema is None:
        composition = compose(env)
        try:
            schema = EditionSchema(composition, extensions=key)
        except (StrawberryException, TypeError, ValueError) as exc:
            raise BootError(f"the GraphQL schema of {env!r} cannot be built: {exc}") from exc
        schemas[key] = schema
    return schema


def print_sdl(env: SchemaHost) -> str:
    """The edition's schema in SDL, as committed under ``schema/<edition>.graphql``."""
    return print_schema(build_schema(env))


def schema_permissions(target: strawberry.Schema | SchemaHost) -> dict[str, str | None]:
    """Each root field's permission (``"Query.products": "catalog.product.read"``;
    ``None`` for public fields), read back from the built GraphQL schema.

    Raises :class:`BootError` listing the root fields that declare none — the
    composer refuses those already; this walks what a client would actually see.
    """
    schema = target if isinstance(target, strawberry.Schema) else build_schema(target)
    graphql_schema = schema._schema
    found: dict[str, str | None] = {}
    missing: list[str] = []
    for root in (graphql_schema.query_type, graphql_schema.mutation_type,
                 graphql_schema.subscription_type):
        if root is None:
            continue
        for name, graphql_field in root.fields.items():
            definition = (graphql_field.extensions or {}).get("strawberry-definition")
            access = access_of(definition) if isinstance(definition, StrawberryField) else None
            key = f"{root.name}.{name}"
            if access is None or (access.permission is None and not access.public):
                missing.append(key)
            else:
                found[key] = access.describe()
    if missing:
        raise BootError(f"root fields without a permission: {', '.join(missing)}")
    return found


def field_permissions(target: strawberry.Schema | SchemaHost) -> dict[str, str]:
    """The permissions below the root: ``"Product.listPrice": "catalog.price.read"`` for
    field-level visibility, and ``"node(Product)": "catalog.product.read"`` for what
    ``node(id:)`` requires — so an audit can check that each one is declared."""
    schema = target if isinstance(target, strawberry.Schema) else build_schema(target)
    graphql_schema = schema._schema
    roots = {t.name for t in (graphql_schema.query_type, graphql_schema.mutation_type,
                              graphql_schema.subscription_type) if t is not None}
    found: dict[str, str] = {}
    for type_name, graphql_type in sorted(graphql_schema.type_map.items()):
        if type_name in roots or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, graphql_field in graphql_type.fields.items():
            definition = (graphql_field.extensions or {}).get("strawberry-definition")
            access = access_of(definition) if isinstance(definition, StrawberryField) else None
            if access is not None and access.permission is not None:
                found[f"{type_name}.{name}"] = access.permission
    composition = getattr(schema, "composition", None)
    if isinstance(composition, Composition):
        for type_name, node_type in sorted(composition.nodes.items()):
            found[f"node({type_name})"] = node_type.permission
    return found
