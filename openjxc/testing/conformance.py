"""The conformance kit: what every addon (built-in or partner) must satisfy, for free.

In an addon's tests::

    from openjxc.testing.conformance import AddonConformance

    class TestConformance(AddonConformance):
        addon = "explosion_proof"

and pytest runs, on SQLite and PostgreSQL (fixtures from ``openjxc.testing.fixtures``):
its manifest is found through the entry point and fits this kernel; it loads in every
edition that contains it; its migrations reach head on an empty database and match its
models; its GraphQL schema builds in every such edition and every root field declares a
permission; every message it marks for translation has zh_CN and en.
"""

from __future__ import annotations

from typing import ClassVar

from openjxc.core.addons import EDITIONS, discover, resolve
from openjxc.core.db import Database
from openjxc.core.env import Environment


def addon_sets_containing(addon: str) -> list[list[str]]:
    """Every edition containing ``addon``, plus the smallest set that can run it, plus each
    edition that satisfies its dependencies with it added (basic + a partner addon)."""
    available = discover()
    minimal = [m.name for m in resolve([addon], available)]
    sets = [minimal]
    for names in EDITIONS.values():
        candidate = list(names) if addon in names else [*names, addon]
        try:
            resolved = [m.name for m in resolve(candidate, available)]
        except Exception:
            continue
        if set(resolved) == set(candidate) and resolved not in sets:
            sets.append(resolved)
    return sets


#: The only root fields anyone may call without signing in (API.md); an addon adding a
#: public field must say so here, in review.
PUBLIC_ROOT_FIELDS = frozenset({"Mutation.tokenCreate", "Query.warrantyCheck"})


class AddonConformance:
    """Inherit and set ``addon``; the tests below run for that addon."""

    addon: ClassVar[str]

    def _minimal_env(self, database_url: str | None = None) -> Environment:
        names = [m.name for m in resolve([self.addon], discover())]
        database = Database(database_url) if database_url else None
        return Environment(resolve(names, discover()), database=database)

    def test_manifest_is_discoverable_and_fits_this_kernel(self) -> None:
        manifest = discover()[self.addon]
        assert manifest.kernel_compatible(), f"{self.addon} does not fit this kernel"
        assert manifest.summary.strip(), "a manifest needs a summary"

    def test_loads_in_every_addon_set_containing_it(self) -> None:
        for names in addon_sets_containing(self.addon):
            env = Environment.for_addons(names)
            assert self.addon in env.addon_names
            assert all(owner in ("core", *env.addon_names)
                       for owner in env.table_owner.values())

    def test_migrations_reach_head_and_match_models(self, database_url: str) -> None:
        from openjxc.core.migrate import compare_models, create_database, pending_branches

        env = self._minimal_env(database_url)
        try:
            create_database(env)
            assert pending_branches(env) == []
            with env.database.engine.connect() as connection:
                diffs = compare_models(env, connection)
            assert diffs == [], f"models and migrations of {self.addon} differ: {diffs}"
        finally:
            env.database.dispose()

    def test_schema_builds_and_every_root_field_has_a_permission(self) -> None:
        from openjxc.graphql import AUTHENTICATED, build_schema, schema_permissions

        for names in addon_sets_containing(self.addon):
            env = Environment.for_addons(names)
            permissions = schema_permissions(build_schema(env))  # raises on a missing one
            declared = env.permissions.names
            unknown = {field: perm for field, perm in permissions.items()
                       if perm not in (None, AUTHENTICATED) and perm not in declared}
            assert unknown == {}, f"fields naming undeclared permissions: {unknown}"
            public = sorted(field for field, perm in permissions.items() if perm is None)
            assert set(public) <= PUBLIC_ROOT_FIELDS, f"unexpected public fields: {public}"

    def test_every_enum_it_offers_has_labels(self) -> None:
        from enum import Enum

        from strawberry.types.enum import StrawberryEnumDefinition

        from openjxc.core.i18n import missing_enum_labels

        env = self._minimal_env()
        for owner, contribution in env.contributions("register_graphql"):
            if owner != self.addon:
                continue
            for declared in contribution.types:
                definition = getattr(declared, "__strawberry_definition__", None)
                if isinstance(declared, type) and issubclass(declared, Enum) and (
                        isinstance(definition, StrawberryEnumDefinition)) and not (
                        definition.name.endswith("ErrorCode")):
                    assert missing_enum_labels(declared) == [], (
                        f"{definition.name} needs __labels__ for every value")

    def test_every_message_has_zh_cn_and_en(self) -> None:
        from openjxc.core.i18n import missing_translations

        manifest = discover()[self.addon]
        missing = missing_translations(self.addon, manifest.path)
        assert missing == [], f"untranslated messages in {self.addon}: {missing}"
