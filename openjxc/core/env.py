"""The environment of one database: its addon set, hooks, tables, permissions and events.

An edition is an object, not a global state: building an environment imports the addons'
code and asks their hooks what they contribute, but changes nothing at module level, so
one process can hold a basic, a pro and an enterprise environment side by side.

    env = Environment.for_edition("pro", database_url="sqlite:///shop.db")
    with env.unit_of_work() as session:
        ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from types import ModuleType
from typing import Any, TypeVar

import pluggy
from sqlalchemy import Table, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.sql.ddl import sort_tables

from openjxc.core import hookspecs
from openjxc.core.addons import AddonManifest, discover, resolve, resolve_edition
from openjxc.core.config import Settings
from openjxc.core.db import Database, retry_transient
from openjxc.core.errors import BootError, MigrationError
from openjxc.core.events import ENV_KEY, Event, EventBus
from openjxc.core.models import Base, InstalledAddon

KERNEL = "core"
T = TypeVar("T")
KERNEL_PLUGIN = "openjxc.core.kernel"


class Environment:
    """Everything one database's addon set contributes, built once and then read-only."""

    def __init__(
        self,
        manifests: Sequence[AddonManifest],
        *,
        database: Database | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.addons: tuple[AddonManifest, ...] = tuple(manifests)
        self.addon_names: tuple[str, ...] = tuple(m.name for m in self.addons)
        self._database = database
        #: Per-environment caches other layers build lazily (e.g. the GraphQL schema).
        self.extensions: dict[str, Any] = {}
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, ModuleType] = {KERNEL: importlib.import_module(KERNEL_PLUGIN)}
        for manifest in self.addons:
            self.plugins[manifest.name] = importlib.import_module(manifest.package)
        # pluggy calls implementations last-registered-first; registering in reverse
        # dependency order makes its own calls follow dependency order as well.
        for name, module in reversed(list(self.plugins.items())):
            self.pm.register(module, name=name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            owner = self.pm.get_name(exc.plugin) or repr(exc.plugin)
            known = ", ".join(sorted(self.pm.hook.__dict__))
            raise BootError(
                f"unknown hook in addon {owner!r}: {exc.args[0] if exc.args else exc}; "
                f"hooks are: {known}"
            ) from exc
        self._prefixes = {KERNEL: KERNEL, **{m.name: m.table_prefix for m in self.addons}}
        self.models, self.table_owner = self._collect_models()
        self.events = EventBus(
            (owner, sub) for owner, subs in self.contributions("register_event_handlers")
            for sub in subs
        )
        from openjxc.core.security import PermissionRegistry

        # Built now so that a duplicate or malformed permission fails at boot.
        self.permissions = PermissionRegistry.for_environment(self)
        from openjxc.core.alerts import Alerting

        # Alert rules, channels and their event triggers: declaration errors fail at boot,
        # and every process publishing events records the triggers its rules listen to.
        self.alerting = Alerting.for_environment(self)
        from openjxc.core.jobs import JobRegistry

        # Scheduled jobs: a malformed or duplicate job fails at boot.
        self.jobs = JobRegistry.for_environment(self)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def for_addons(cls, names: Iterable[str], *, database_url: str | None = None,
                   settings: Settings | None = None, database: Database | None = None,
                   ) -> Environment:
        settings = settings or Settings.from_env()
        manifests = resolve(list(names), discover())
        if database is None and (database_url or settings.database_url):
            database = Database(database_url or settings.database_url)
        return cls(manifests, database=database, settings=settings)

    @classmethod
    def for_edition(cls, edition: str, *, extra: Iterable[str] = (),
                    database_url: str | None = None, settings: Settings | None = None,
                    ) -> Environment:
        names = [m.name for m in resolve_edition(edition, extra)]
        return cls.for_addons(names, database_url=database_url, settings=settings)

    @classmethod
    def open(cls, database_url: str | None = None, *, settings: Settings | None = None,
             ) -> Environment:
        """The environment of an existing database, from the addons it records."""
        settings = settings or Settings.from_env()
        database = Database(database_url or settings.database_url)
        names = installed_addons(database)
        if names is None:
            raise MigrationError(
                f"{database.engine.url.render_as_string(hide_password=True)} is not an "
                f"OpenJXC database; create it with: openjxc init --edition basic"
            )
        return cls.for_addons(names, database=database, settings=settings)

    # -- hooks --------------------------------------------------------------------------

    def contributions(self, hook: str, *, only: Iterable[str] | None = None,
                      **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` on the kernel and every addon (or the plugins named in ``only``),
        in dependency order, and return ``(owner, result)`` pairs for the implementations
        that returned something."""
        caller = getattr(self.pm.hook, hook)
        order = {name: i for i, name in enumerate(self.plugins)}
        impls = sorted(caller.get_hookimpls(), key=lambda impl: order[impl.plugin_name])
        wanted = None if only is None else set(only)
        results = []
        for impl in impls:
            if wanted is not None and impl.plugin_name not in wanted:
                continue
            result = impl.function(**{k: kwargs[k] for k in impl.argnames})
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def _collect_models(self) -> tuple[dict[type, str], dict[str, str]]:
        models: dict[type, str] = {}
        tables: dict[str, str] = {}
        for owner, classes in self.contributions("register_models"):
            prefix = self._prefixes[owner] + "_"
            for cls in classes:
                table = getattr(cls, "__table__", None)
                if not isinstance(table, Table):
                    raise BootError(f"{owner}: {cls!r} is not a mapped class with a table")
                if not table.name.startswith(prefix):
                    raise BootError(
                        f"{owner}: table {table.name!r} must start with {prefix!r} "
                        f"(the addon's table_prefix)"
                    )
                if table.name in tables:
                    raise BootError(
                        f"table {table.name!r} contributed twice ({tables[table.name]} and "
                        f"{owner})"
                    )
                tables[table.name] = owner
                models[cls] = owner
        return models, tables

    # -- database -----------------------------------------------------------------------

    @property
    def database(self) -> Database:
        if self._database is None:
            raise BootError("this environment has no database; pass database_url")
        return self._database

    @cached_property
    def tables(self) -> list[Table]:
        """The tables of this edition, in dependency order.

        Sorted among themselves, not through ``Base.metadata.sorted_tables``: the shared
        metadata may hold tables of addons outside this edition whose foreign keys point
        to tables never imported in this process (a kernel-only environment after a test
        imported one base_jxc chapter), which sorting the whole metadata would fail on.
        """
        own = [t for t in Base.metadata.tables.values() if t.name in self.table_owner]
        return list(sort_tables(own))

    def tables_of(self, owner: str) -> list[Table]:
        return [t for t in self.tables if self.table_owner[t.name] == owner]

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[Session]:
        """One transaction; events published in it reach this environment's handlers."""
        with self.database.session(readonly=readonly) as session:
            session.info[ENV_KEY] = self
            yield session

    def run(self, work: Callable[[Session], T], *, readonly: bool = False,
            attempts: int = 5) -> T:
        """``work(session)`` in one :meth:`unit_of_work`, the whole unit retried on a
        serialization failure, a deadlock or SQLite's "database is locked" (jittered
        exponential backoff, at most ``attempts`` runs: :func:`~openjxc.core.db.retry_transient`).

        Safe because a failed attempt left nothing behind: its transaction — the rows
        written, the events published in it and the outbox messages they queued — was
        rolled back entirely.  ``work`` must not have effects outside the database.
        """

        def once() -> T:
            with self.unit_of_work(readonly=readonly) as session:
                return work(session)

        return retry_transient(once, attempts=attempts)

    def publish(self, session: Session, event: Event) -> None:
        self.events.publish(session, event, self)

    def manifest(self, name: str) -> AddonManifest:
        for manifest in self.addons:
            if manifest.name == name:
                return manifest
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"<Environment addons={list(self.addon_names)}>"


def installed_addons(database: Database) -> list[str] | None:
    """Names of the addons a database records as installed, or None if it has no kernel."""
    if not inspect(database.engine).has_table(InstalledAddon.__tablename__):
        return None
    try:
        with database.session(readonly=True) as session:
            return list(session.scalars(select(InstalledAddon.name)))
    except (OperationalError, ProgrammingError):
        return None
