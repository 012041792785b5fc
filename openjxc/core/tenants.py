"""Tenants: one process serving several databases, each chosen by a host name.

A tenants file (TOML) names each tenant, the host names it answers and its database; the
database records its own addons, so each tenant has its own edition (a basic shop beside
an enterprise group).  Optional per-tenant settings override the deployment's::

    # tenants.toml
    default = "shop"                  # optional: the tenant of every other host name

    [tenants.shop]
    hosts = ["shop.example.com"]
    database = "sqlite:///shop.db"    # a relative SQLite path is read from this file's folder

    [tenants.group]
    hosts = ["erp.group.example", "erp.group.local"]
    database = "postgresql://openjxc@db/group"

    [tenants.group.settings]          # any Settings field but database_url
    secret_key = "…"
    public_features = ["warrantyCheck"]

Every tenant is an :class:`~openjxc.core.env.Environment` of its own (its engine and
pool, registries, caches, translator, alert broadcaster), so nothing one tenant does is
seen through another's.  A tenant without its own ``secret_key`` gets one derived from
the deployment's and its name: cursors and signatures of one tenant never verify on
another.

This module reads the file and opens the environments (``openjxc worker --tenants`` runs
them all in one process, :class:`TenantsWorker`); :mod:`openjxc.graphql.tenancy` serves
them over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from openjxc.core.config import Settings
from openjxc.core.db import (
    Database,
    create_database_engine,
    normalize_url,
    require_existing_database,
)
from openjxc.core.env import Environment, installed_addons
from openjxc.core.errors import BootError, ConfigError, OpenJXCError

log = logging.getLogger(__name__)

#: Where ``openjxc serve --tenants --workers N`` tells its worker processes the file is.
TENANTS_FILE_VARIABLE = "OPENJXC_TENANTS_FILE"
_SETTING_NAMES = frozenset(f.name for f in fields(Settings)) - {"database_url"}
_TOP_KEYS = frozenset({"default", "tenants"})
_TENANT_KEYS = frozenset({"hosts", "database", "settings"})


class TenantError(BootError):
    """A tenant that cannot be served (missing, unreachable or behind database); the
    message names the tenant."""

    code = "TENANT_UNAVAILABLE"


@dataclass(frozen=True)
class TenantSpec:
    """One tenant as the file describes it."""

    name: str
    hosts: tuple[str, ...]
    database_url: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def settings(self, base: Settings | None = None) -> Settings:
        """The deployment's settings (``base``, by default ``OPENJXC_*``), then this
        tenant's overrides, with this tenant's database and a secret of its own."""
        base = base if base is not None else Settings.from_env()
        environ = {f"OPENJXC_{k.upper()}": _as_text(v) for k, v in self.overrides.items()}
        try:
            parsed = Settings.from_env(environ)
        except ConfigError as exc:
            raise ConfigError(f"tenant {self.name!r}: {exc.message}") from exc
        changes = {name: getattr(parsed, name) for name in self.overrides}
        if "secret_key" not in changes:
            changes["secret_key"] = derive_secret(base.secret_key, self.name)
        return base.with_(database_url=self.database_url, **changes)


@dataclass(frozen=True)
class TenantsFile:
    """Every tenant of a tenants file, and the default one (if any)."""

    tenants: tuple[TenantSpec, ...]
    default: str | None = None
    source: str = "<tenants>"

    def by_host(self) -> dict[str, str]:
        """Host name → tenant name."""
        return {host: t.name for t in self.tenants for host in t.hosts}


def derive_secret(deployment_secret: str, tenant: str) -> str:
    """A tenant's own secret, from the deployment's and the tenant's name."""
    return hmac.new(deployment_secret.encode("utf-8"), f"openjxc-tenant:{tenant}".encode(),
                    hashlib.sha256).hexdigest()


def normalize_host(raw: str) -> str:
    """A Host header as tenants are matched by it: lower case, without the port or a
    final dot (``Shop.Example.com.:8443`` → ``shop.example.com``; ``[::1]:80`` → ``[::1]``)."""
    host = raw.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        host = host[:end + 1] if end > 0 else host
    else:
        name, sep, port = host.rpartition(":")
        if sep and port.isdigit():
            host = name
    return host.rstrip(".")


def load_tenants(path: str | os.PathLike[str]) -> TenantsFile:
    """Read and check a tenants file (a clear :class:`ConfigError` for every mistake)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"the tenants file {file} does not exist") from None
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"cannot read the tenants file {file}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the tenants file {file} is not valid TOML: {exc}") from exc
    return parse_tenants(data, source=str(file), base_dir=file.resolve().parent)


def parse_tenants(data: Mapping[str, Any], *, source: str = "<tenants>",
                  base_dir: Path | None = None) -> TenantsFile:
    """The tenants of an already parsed file (see the module docstring for the format)."""
    def fail(message: str) -> ConfigError:
        return ConfigError(f"{source}: {message}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; expected default and [tenants.<name>]")
    table = data.get("tenants")
    if not isinstance(table, Mapping) or not table:
        raise fail("no tenants; add at least one [tenants.<name>] table")
    specs: list[TenantSpec] = []
    owners: dict[str, str] = {}
    databases: dict[str, str] = {}
    for name, entry in table.items():
        spec = _parse_tenant(name, entry, fail, base_dir)
        for host in spec.hosts:
            if host in owners:
                raise fail(f"the host {host!r} is given to tenants {owners[host]!r} and "
                           f"{name!r}")
            owners[host] = name
        identity = _database_identity(spec.database_url)
        if identity in databases:
            raise fail(f"tenants {databases[identity]!r} and {name!r} share one database; "
                       f"each tenant needs its own")
        databases[identity] = name
        specs.append(spec)
    default = data.get("default")
    if default is not None and (not isinstance(default, str) or default not in table):
        raise fail(f"default {default!r} is not one of the tenants ({', '.join(table)})")
    return TenantsFile(tuple(specs), default, source)


def _parse_tenant(name: str, entry: Any, fail: Callable[[str], ConfigError],
                  base_dir: Path | None) -> TenantSpec:
    if not isinstance(entry, Mapping):
        raise fail(f"[tenants.{name}] must be a table")
    unknown = sorted(set(entry) - _TENANT_KEYS)
    if unknown:
        raise fail(f"tenant {name!r}: unknown key(s) {', '.join(unknown)}; expected "
                   f"hosts, database and [tenants.{name}.settings]")
    hosts = entry.get("hosts")
    if isinstance(hosts, str):
        hosts = [hosts]
    if (not isinstance(hosts, list) or not hosts
            or not all(isinstance(h, str) and normalize_host(h) for h in hosts)):
        raise fail(f"tenant {name!r}: hosts must be a non-empty list of host names")
    database = entry.get("database")
    if not isinstance(database, str) or not database.strip():
        raise fail(f"tenant {name!r}: database (a URL) is required")
    overrides = entry.get("settings", {})
    if not isinstance(overrides, Mapping):
        raise fail(f"tenant {name!r}: settings must be a table")
    bad = sorted(set(overrides) - _SETTING_NAMES)
    if bad:
        raise fail(f"tenant {name!r}: unknown setting(s) {', '.join(bad)}")
    try:
        url = _resolve_url(database.strip(), base_dir)
    except ConfigError as exc:
        raise fail(f"tenant {name!r}: {exc.message}") from exc
    spec = TenantSpec(name, tuple(dict.fromkeys(normalize_host(h) for h in hosts)), url,
                      dict(overrides))
    spec.settings(Settings())  # a setting of the wrong type fails now, naming the tenant
    return spec


def _resolve_url(url: str, base_dir: Path | None) -> str:
    url = normalize_url(url)
    parsed = make_url(url)
    path = parsed.database
    if (parsed.get_backend_name() == "sqlite" and base_dir is not None and path
            and path != ":memory:" and not Path(path).is_absolute()):
        url = parsed.set(database=str(base_dir / path)).render_as_string(hide_password=False)
    return url


def _database_identity(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return f"sqlite:{Path(parsed.database).resolve()}"
    return parsed.set(drivername=parsed.get_backend_name(), password=None,
                      username=None).render_as_string(hide_password=True)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(v) for v in value)
    return str(value)


# -- opening --------------------------------------------------------------------------------

def open_tenant(spec: TenantSpec, base: Settings | None = None) -> Environment:
    """The environment of one tenant: an existing OpenJXC database whose migrations are
    at head, else :class:`TenantError` naming the tenant and saying what to run."""
    settings = spec.settings(base)
    database: Database | None = None
    try:
        require_existing_database(spec.database_url)
        parsed = make_url(spec.database_url)
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" or parsed.database not in (
                None, "", ":memory:"):
            # The tenant's own pool size, not the process's OPENJXC_DB_POOL_SIZE.
            kwargs = {"pool_size": settings.db_pool_size,
                      "max_overflow": settings.db_max_overflow}
        database = Database(engine=create_database_engine(spec.database_url, **kwargs))
        names = installed_addons(database)
        if names is None:
            shown = make_url(spec.database_url).render_as_string(hide_password=True)
            raise ConfigError(f"{shown} is not an OpenJXC database; create it with: "
                              f"openjxc init --edition basic --database {shown}")
        env = Environment.for_addons(names, database=database, settings=settings)
        from openjxc.core.migrate import check_up_to_date

        check_up_to_date(env)
        return env
    except OpenJXCError as exc:
        if database is not None:
            database.dispose()
        raise TenantError(f"tenant {spec.name!r} ({', '.join(spec.hosts)}): {exc.message}",
                          code=exc.code) from exc
    except DBAPIError as exc:
        if database is not None:
            database.dispose()
        raise TenantError(f"tenant {spec.name!r} ({', '.join(spec.hosts)}): database "
                          f"unreachable: {exc.orig}") from exc


def open_tenants(tenants: TenantsFile, base: Settings | None = None) -> dict[str, Environment]:
    """Every tenant's environment, by name; all or none (a failure closes those opened)."""
    opened: dict[str, Environment] = {}
    try:
        for spec in tenants.tenants:
            opened[spec.name] = open_tenant(spec, base)
    except BaseException:
        close_all(opened.values())
        raise
    return opened


def close_all(envs: Iterable[Environment]) -> None:
    for env in envs:
        try:
            env.database.dispose()
        except Exception:  # closing must go on for the others
            log.exception("closing %r failed", env)


# -- one worker for every tenant -----------------------------------------------------------

@dataclass
class TenantPass:
    """What one pass over a tenant did, or why it failed."""

    tenant: str
    summary: str = ""
    error: str | None = None
    busy: int = 0


class TenantsWorker:
    """``openjxc worker --tenants``: the outbox, alerts and scheduled jobs of every tenant,
    in turn, in one process.  A tenant whose pass fails is logged and skipped until the
    next round; the others go on."""

    def __init__(self, envs: Mapping[str, Environment]) -> None:
        from openjxc.core.alerts import AlertScheduler
        from openjxc.core.jobs import JobScheduler
        from openjxc.core.outbox import OutboxWorker

        self.envs = dict(envs)
        self.alerts = {name: AlertScheduler(env) for name, env in self.envs.items()}
        self.jobs = {name: JobScheduler(env) for name, env in self.envs.items()}
        self.outboxes = {name: OutboxWorker(env) for name, env in self.envs.items()}

    def _alerts_and_jobs(self, name: str) -> TenantPass:
        report = self.alerts[name].run_due()
        ran = self.jobs[name].run_due()
        return TenantPass(name, f"alerts: {len(report.opened)} opened, "
                                f"{len(report.resolved)} resolved; jobs: {len(ran.ran)} ran, "
                                f"{len(ran.failed)} failed")

    def _outbox(self, name: str) -> TenantPass:
        processed = self.outboxes[name].run_once()
        return TenantPass(name, f"processed {processed} messages", busy=processed)

    def round(self, step: Callable[[str], TenantPass]) -> list[TenantPass]:
        """``step`` for every tenant in turn; a failure is recorded, never raised."""
        passes = []
        for name in self.envs:
            try:
                passes.append(step(name))
            except Exception as exc:
                log.exception("tenant %s: worker pass failed", name)
                passes.append(TenantPass(name, error=f"{type(exc).__name__}: {exc}"))
        return passes

    def run_once(self) -> list[TenantPass]:
        """One pass over every tenant: the alerts and jobs due, then one outbox batch (so
        what an alert owes is delivered in the same pass)."""
        schedules = self.round(self._alerts_and_jobs)
        outbox = {p.tenant: p for p in self.round(self._outbox)}
        merged = []
        for first in schedules:
            second = outbox[first.tenant]
            error = "; ".join(e for e in (first.error, second.error) if e) or None
            merged.append(TenantPass(first.tenant, "; ".join(
                s for s in (first.summary, second.summary) if s), error, second.busy))
        return merged

    def run_forever(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Until ``stop``: the outbox of every tenant round-robin in this thread (sleeping
        only when no tenant had anything), alerts and jobs in another."""
        def schedules() -> None:
            while not stop.is_set():
                self.round(self._alerts_and_jobs)
                stop.wait(max(poll_interval, 5.0))

        thread = threading.Thread(target=schedules, name="tenants-schedules", daemon=True)
        thread.start()
        try:
            while not stop.is_set():
                if sum(p.busy for p in self.round(self._outbox)) == 0:
                    stop.wait(poll_interval)
        finally:
            stop.set()
            thread.join(timeout=5)


__all__: Sequence[str] = [
    "TENANTS_FILE_VARIABLE",
    "TenantError",
    "TenantPass",
    "TenantSpec",
    "TenantsFile",
    "TenantsWorker",
    "close_all",
    "derive_secret",
    "load_tenants",
    "normalize_host",
    "open_tenant",
    "open_tenants",
    "parse_tenants",
]
