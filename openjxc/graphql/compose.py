"""Per-edition composition: fresh strawberry classes built from the addons' templates.

strawberry's ``extend=True`` only changes the printed SDL and ``merge_types`` only warns
on duplicates, so the kernel composes each edition itself (ARCHITECTURE, "GraphQL type
extension is composed by the kernel"):

* every template type reachable from the edition's root fields or listed in a
  ``Contribution.types`` gets an *edition class*: a subclass of the template with the
  same GraphQL name, whose fields are copies of the template's with every annotation
  re-bound to edition classes, followed by the ``type_fields`` / ``filter_fields`` other
  addons contribute, in dependency order;
* ``Connection[Product]`` becomes the edition's ``ProductConnection`` the same way;
* resolvers keep returning template instances: ``is_type_of`` / ``resolve_type`` of the
  edition classes map any instance to its GraphQL type by name.

Nothing module-level is mutated: templates, their fields and their definitions stay as
the addon wrote them, so several editions live side by side in one process.  Every
inconsistency (a type or root field defined twice, an extension field clashing with an
existing one or aimed at a type the edition lacks, a root field without a permission)
is a :class:`~openjxc.core.errors.BootError` naming the addons involved.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, cast

from strawberry.annotation import StrawberryAnnotation
from strawberry.types.base import (
    StrawberryContainer,
    StrawberryObjectDefinition,
    StrawberryTypeVar,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import UNRESOLVED, StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.private import is_private
from strawberry.types.union import StrawberryUnion

from openjxc.core.errors import BootError
from openjxc.graphql.composition_checks import (
    NAMES,
    check_field_access,
    check_root_access,
    describe,
    filter_field,
    node_registry,
)
from openjxc.graphql.contribution import Contribution
from openjxc.graphql.edition import Composition
from openjxc.graphql.fields import ACCESS_KEY, Access, PermissionExtension
from openjxc.graphql.filters import FilterField
from openjxc.graphql.public_limits import PublicFeatureLimit
from openjxc.graphql.scalars import SCALAR_MAP
from openjxc.graphql.type_resolution import TypeResolution

KERNEL = "core"
ROOTS = ("Query", "Mutation", "Subscription")


class Composer:
    """Builds one edition's classes from ``(owner, Contribution)`` pairs in dependency
    order.  Use once: ``Composer(contributions).compose(settings)``."""

    def __init__(self, contributions: Sequence[tuple[str, Any]]) -> None:
        self.contributions: list[tuple[str, Contribution]] = []
        for owner, contribution in contributions:
            if not isinstance(contribution, Contribution):
                raise BootError(f"{owner}: register_graphql returned {contribution!r}; "
                                f"return an openjxc.graphql.Contribution")
            self.contributions.append((owner, contribution))
        self.owner = KERNEL
        self.claims: dict[str, tuple[str, Hashable]] = {}
        self.memo: dict[Hashable, type] = {}
        self.template_of: dict[type, type] = {}
        self.resolution = TypeResolution()
        self.owners: dict[str, str] = {}
        self.unions: dict[int, tuple[StrawberryUnion, StrawberryUnion]] = {}
        self.union_members: set[type] = set()
        self.enums: dict[str, StrawberryEnumDefinition] = {}
        self.type_fields: dict[str, list[tuple[str, StrawberryField]]] = {}
        self.filter_fields: dict[str, list[tuple[str, FilterField]]] = {}
        self.scalar_map: dict[object, Any] = dict(SCALAR_MAP)
        self.composition_filters: dict[str, list[tuple[str, FilterField]]] = {}
        self.input_types: set[str] = set()
        self.root_access: dict[str, Any] = {}
        #: Root fields declared with one of these ``public_feature``s are public here.
        self.public_features: frozenset[str] = frozenset()

    @contextmanager
    def acting_as(self, owner: str) -> Iterator[None]:
        """Types first reached while building ``owner``'s fields are owned by it."""
        previous, self.owner = self.owner, owner
        try:
            yield
        finally:
            self.owner = previous

    # -- the whole edition -----------------------------------------------------------------

    def compose(self, settings: Any) -> Composition:
        self.public_features = frozenset(getattr(settings, "public_features", None) or ())
        self._collect()
        explicit: list[Any] = []
        for owner, contribution in self.contributions:
            with self.acting_as(owner):
                explicit.extend(self.rebind(StrawberryAnnotation(t).resolve())
                                for t in contribution.types)
        roots = {
            kind: self._root(kind, [(owner, f) for owner, c in self.contributions
                                    for f in _root_fields(c, kind)])
            for kind in ROOTS
        }
        self._check_targets()
        self._finish_abstract_types()
        query = roots["Query"]
        if query is None:
            raise BootError("the edition has no query fields")
        return Composition(
            query=query, mutation=roots["Mutation"], subscription=roots["Subscription"],
            types=[t for t in explicit if isinstance(t, type)] + list(self.enums.values()),
            scalar_map=self.scalar_map, settings=settings, owners=self.owners,
            root_access=self.root_access, filters=self.composition_filters,
            input_types=self.input_types,
            nodes=node_registry(self.template_of, self.owners),
            edition_of={t: e for e, t in self.template_of.items()},
        )

    def _collect(self) -> None:
        """Claim every explicitly owned name first, so a duplicate names both owners
        whichever of them a field happens to reach first."""
        for root in ROOTS:
            self.claims[root] = (KERNEL, root)
        for definition in SCALAR_MAP.values():
            self.claims[definition.name] = (KERNEL, definition)
        scalar_owners = dict.fromkeys(SCALAR_MAP, KERNEL)
        for owner, contribution in self.contributions:
            for template in contribution.types:
                resolved = StrawberryAnnotation(template).resolve()
                name = self._name(resolved, owner)
                # Specialisations (Connection[X]) are claimed when they are re-bound.
                if getattr(getattr(resolved, "__strawberry_definition__", None),
                           "concrete_of", None) is None:
                    self._claim(name, resolved, owner)
            for target, fields in contribution.type_fields.items():
                self.type_fields.setdefault(target, []).extend((owner, f) for f in fields)
            for target, filters in contribution.filter_fields.items():
                self.filter_fields.setdefault(target, []).extend((owner, f) for f in filters)
            for python_type, scalar in contribution.scalars.items():
                if python_type in self.scalar_map:
                    raise BootError(f"a scalar for {python_type!r} is contributed twice: by "
                                    f"{scalar_owners[python_type]} and by {owner}")
                definition = getattr(scalar, "_scalar_definition", scalar)
                self._claim(definition.name, definition, owner)
                self.scalar_map[python_type] = definition
                scalar_owners[python_type] = owner

    def _claim(self, name: str, identity: Hashable, owner: str) -> None:
        held = self.claims.get(name)
        if held is None:
            self.claims[name] = (owner, identity)
        elif held[1] != identity:
            raise BootError(f"GraphQL type {name!r} is defined twice: by {held[0]} "
                            f"({describe(held[1])}) and by {owner} ({describe(identity)})")

    @staticmethod
    def _name(resolved: Any, owner: str) -> str:
        if has_object_definition(resolved):
            definition = resolved.__strawberry_definition__
            return NAMES.from_type(definition)
        if isinstance(resolved, StrawberryEnumDefinition):
            return resolved.name
        raise BootError(f"{owner}: {resolved!r} in Contribution.types is not a strawberry "
                        f"type, input, interface or enum")

    # -- re-binding annotations ------------------------------------------------------------

    def rebind(self, type_: Any) -> Any:
        """``type_`` with every template class replaced by its edition class."""
        if isinstance(type_, LazyType):
            return self.rebind(type_.resolve_type())
        if isinstance(type_, StrawberryContainer):  # list, optional, Maybe
            return type(type_)(self.rebind(type_.of_type))
        if isinstance(type_, StrawberryUnion):
            return self._union(type_)
        if isinstance(type_, StrawberryEnumDefinition):
            self._claim(type_.name, type_, self.owner)
            self.enums.setdefault(type_.name, type_)
            return type_
        if isinstance(type_, StrawberryTypeVar):
            raise BootError(f"{self.owner}: a field's type is still generic "
                            f"({type_.type_var}); use the generic specialised")
        if isinstance(type_, StrawberryObjectDefinition):
            return self._object(type_.origin)
        if has_object_definition(type_):
            return self._object(type_)
        return type_

    def _union(self, union: StrawberryUnion) -> StrawberryUnion:
        known = self.unions.get(id(union))
        if known is not None:
            return known[1]
        members = [self.rebind(t) for t in union.types]
        self.union_members.update(m for m in members if isinstance(m, type))
        rebound = StrawberryUnion(
            name=union.graphql_name,
            type_annotations=tuple(StrawberryAnnotation(m) for m in members),
            description=union.description, directives=union.directives,
        )
        if union.graphql_name:
            self._claim(union.graphql_name, union, self.owner)
        self.unions[id(union)] = (union, rebound)
        return rebound

    def _object(self, cls: type) -> type:
        if cls in self.template_of:
            return cls
        definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        key: Hashable
        if definition.concrete_of is not None and definition.type_var_map:
            # A specialisation such as Connection[Product]: strawberry makes a new class
            # for each occurrence, so it is keyed by its generic and re-bound arguments.
            arguments = tuple(self.rebind(a) for a in definition.type_var_map.values())
            key = ("generic", definition.concrete_of.origin, arguments)
            name = NAMES.from_generic(definition, list(arguments))
        else:
            if definition.is_graphql_generic:
                raise BootError(f"{self.owner}: {describe(cls)} is generic; use it "
                                f"specialised (e.g. Connection[Product])")
            key, name = cls, definition.name
        found = self.memo.get(key)
        if found is not None:
            self.resolution.register(cls, name)
            return found
        self._claim(name, key, self.owner)
        return self._materialise(cls, definition, key, name)

    def _materialise(self, template: type, definition: StrawberryObjectDefinition,
                     key: Hashable, name: str) -> type:
        namespace = {"__module__": template.__module__, "__doc__": template.__doc__,
                     # Not the template's qualname: strawberry treats two classes with the
                     # same module and qualname as one type, which would hide a leak.
                     "__qualname__": f"{template.__qualname__}@edition"}
        edition = type(name, (template,), namespace)
        composed = StrawberryObjectDefinition(
            name=name, is_input=definition.is_input, is_interface=definition.is_interface,
            origin=edition, description=definition.description, interfaces=[],
            extend=False, directives=definition.directives, is_type_of=definition.is_type_of,
            resolve_type=definition.resolve_type, fields=[],
            from_input=definition.from_input, to_input=definition.to_input,
        )
        edition.__strawberry_definition__ = composed  # type: ignore[attr-defined]
        self.memo[key] = edition
        self.template_of[edition] = template
        self.resolution.register(template, name)
        self.resolution.register(edition, name)
        # The addon that claimed the name owns it, even when another reached it first.
        self.owners[name] = self.claims[name][0]
        if definition.is_input:
            self.input_types.add(name)
        composed.interfaces = [self._object(i.origin).__strawberry_definition__  # type: ignore[attr-defined]
                               for i in definition.interfaces]
        fields = [self._copy(f, definition, f"{name}.{f.python_name}") for f in definition.fields]
        holders = {NAMES.from_field(f): self.owners[name] for f in fields if not _private(f)}
        for owner, extra in self.type_fields.get(name, []):
            if definition.is_input or definition.is_interface:
                raise BootError(f"{owner} adds fields to {name}, which is not an object type; "
                                f"type_fields extend object types (filter inputs take "
                                f"filter_fields)")
            with self.acting_as(owner):
                fields.append(self._extension(extra, name, holders))
        extra_inputs = []
        for owner, extension in self.filter_fields.get(name, []):
            if not definition.is_input:
                raise BootError(f"{owner} adds filter field {extension.name!r} to {name}, "
                                f"which is not an input type")
            with self.acting_as(owner):
                fields.append(filter_field(extension, name, owner, holders, self.rebind))
            extra_inputs.append(extension.name)
            self.composition_filters.setdefault(name, []).append((owner, extension))
        composed.fields = fields
        if extra_inputs:
            edition.__init__ = _input_init(template, extra_inputs)  # type: ignore[misc]
        return edition

    def _copy(self, field: StrawberryField, definition: StrawberryObjectDefinition | None,
              where: str) -> StrawberryField:
        """A copy of ``field`` whose type and arguments point at edition classes."""
        if not isinstance(field, StrawberryField):
            raise BootError(f"{self.owner}: {where} is {field!r}, not a field; make fields with "
                            f"openjxc.graphql.field(resolver, permission=...)")
        resolved = field.resolve_type(type_definition=definition)
        if is_private(resolved):
            return field
        if resolved is UNRESOLVED:
            raise BootError(f"{self.owner}: {where} has no type, or names one its module "
                            f"does not define (annotate it with a module-level class)")
        copied = copy.copy(field)
        copied.type_annotation = StrawberryAnnotation(self.rebind(resolved))
        arguments = []
        for argument in field.arguments:
            argument_copy = copy.copy(argument)
            argument_copy.type_annotation = StrawberryAnnotation(self.rebind(argument.type))
            arguments.append(argument_copy)
        copied.arguments = arguments
        if definition is not None:
            check_field_access(copied, where, definition.is_input)
        return copied

    def _extension(self, field: StrawberryField, type_name: str,
                   holders: dict[str, str]) -> StrawberryField:
        copied = self._copy(field, None, f"{type_name}.{getattr(field, 'python_name', None)}")
        if not copied.python_name and not copied.graphql_name:
            raise BootError(f"{self.owner}: a field added to {type_name} has no name")
        check_field_access(copied, f"{type_name}.{copied.python_name}", False)
        name = NAMES.from_field(copied)
        if name in holders:
            raise BootError(f"{self.owner} adds field {type_name}.{name}, which "
                            f"{holders[name]} already defines")
        holders[name] = self.owner
        return copied

    def _root(self, kind: str, entries: list[tuple[str, StrawberryField]]) -> type | None:
        if not entries:
            return None
        fields: list[StrawberryField] = []
        holders: dict[str, str] = {}
        for owner, field in entries:
            with self.acting_as(owner):
                copied = self._copy(field, None, f"{kind}.{getattr(field, 'python_name', None)}")
            name = NAMES.from_field(copied)
            if name in holders:
                raise BootError(f"root field {kind}.{name} is contributed twice: by "
                                f"{holders[name]} and by {owner}")
            holders[name] = owner
            access = check_root_access(copied, owner, f"{kind}.{name}")
            if access.public_feature is not None and access.public_feature in self.public_features:
                copied = opened(copied, access)
                access = access.opened()
            self.root_access[f"{kind}.{name}"] = access
            copied.is_subscription = kind == "Subscription"
            fields.append(copied)
        root = type(kind, (), {"__module__": __name__, "__qualname__": f"{kind}@edition"})
        root.__strawberry_definition__ = StrawberryObjectDefinition(  # type: ignore[attr-defined]
            name=kind, is_input=False, is_interface=False, origin=root, description=None,
            interfaces=[], extend=False, directives=(), is_type_of=None, resolve_type=None,
            fields=fields,
        )
        return root

    def _check_targets(self) -> None:
        for kind, targets in (("fields", self.type_fields), ("filter fields", self.filter_fields)):
            for target, entries in targets.items():
                if target not in self.owners:
                    owners = sorted({owner for owner, _ in entries})
                    raise BootError(f"{', '.join(owners)} add{'s' if len(owners) == 1 else ''} "
                                    f"{kind} to type {target!r}, which is not in this edition")

    # -- abstract types ------------------------------------------------------------------

    def _finish_abstract_types(self) -> None:
        """Let interfaces and unions recognise template instances returned by resolvers."""
        for edition in self.template_of:
            definition: StrawberryObjectDefinition = edition.__strawberry_definition__  # type: ignore[attr-defined]
            if definition.is_interface and definition.resolve_type is None:
                definition.resolve_type = self.resolution.resolve_type
            elif definition.is_object_type and (definition.interfaces
                                                or edition in self.union_members):
                definition.is_type_of = self.resolution.is_type_of(definition.name,
                                                                   definition.is_type_of)


def opened(field: StrawberryField, access: Access) -> StrawberryField:
    """``field`` made public, for a deployment that opted into its ``public_feature``:
    its permission check removed, its declared access public (so ``schema_permissions``
    and the conformance kit see what a caller gets)."""
    field.metadata = MappingProxyType({**(field.metadata or {}), ACCESS_KEY: access.opened()})
    field.extensions = [e for e in field.extensions
                        if not isinstance(e, PermissionExtension)]
    if access.public_feature is not None:  # anyone may ask, nobody without end
        field.extensions.insert(0, PublicFeatureLimit(access.public_feature, access.permission))
    return field


def _root_fields(contribution: Contribution, kind: str) -> Sequence[StrawberryField]:
    if kind == "Query":
        return contribution.queries
    if kind == "Mutation":
        return contribution.mutations
    return contribution.subscriptions


def _private(field: StrawberryField) -> bool:
    return is_private(field.type)


def _input_init(template: type, extra: Sequence[str]) -> Callable[..., None]:
    """``__init__`` of an edition input class: the template's fields, then the
    extension fields as plain attributes (``None`` when the client left them out)."""
    template_init = cast(Any, template).__init__

    def __init__(self: Any, **kwargs: Any) -> None:
        values = {name: kwargs.pop(name, None) for name in extra}
        template_init(self, **kwargs)
        for name, value in values.items():
            setattr(self, name, value)

    return __init__
