"""The plugin API: every hook an addon may implement, in one file.

An addon's ``__init__.py`` (or the module its entry point names) implements any of these
with the one exported marker::

    from openjxc.core.hookspecs import hookimpl

    @hookimpl
    def register_models():
        from .catalog.models import Category, Product
        return [Category, Product]

Rules the kernel enforces at boot:

* hooks are called with keyword arguments only (pluggy refuses positional calls), in
  addon dependency order (an addon's contribution comes after those of the addons it
  depends on); an implementation may accept any subset of a hook's arguments;
* a function marked ``@hookimpl`` whose name is not a hook below is a boot error
  (typos never fail silently);
* the same table, permission, event handler, GraphQL type or root field contributed
  twice is a boot error.

Hooks grow by gaining keyword arguments, never by renaming; each carries the kernel
version it was added in (``added in``) so partners know what they may rely on.
Hooks *shape* an environment (what exists); facts that happen (a delivery) are events,
see :mod:`openjxc.core.events`.

The stability promise (checked by ``openjxc docs stability`` against the committed
snapshot ``tests/kit/api_stability.json``, and by the test suite):

* allowed at any time: a new hook, a new parameter of a hook (pluggy passes only the
  arguments an implementation names), a new event, a new event field *with a default*
  after the existing ones, a default given to a field that had none;
* breaking, so refused: removing or renaming a hook, changing its return type or how
  pluggy calls it (``firstresult``, ``historic``); removing, renaming or reordering a
  hook's parameters or changing one's annotation, kind (positional, keyword-only) or
  default; removing, renaming (its ``name``) or moving (its class's module or name) an
  event; removing, renaming or reordering its fields, changing a field's type or
  default, taking a field's default away; adding a field without a default (the outbox
  still holds payloads written without it, and they must stay readable); changing the
  version a hook or event says it was added in (that is history);
* a breaking change goes through :data:`DEPRECATED` first: an entry names what replaces
  the thing, the version that deprecated it and the first version without it; the
  checker accepts the change only from that version on.  Keys: ``"<hook>"``,
  ``"<hook>:<parameter>"``, ``"<event name>"`` or ``"<event name>:<field>"``::

      DEPRECATED = {
          "on_install:env": Deprecation(since="0.2", removed_in="0.3",
                                        replacement="on_install(environment=...)"),
      }

  While the entry stands, the kernel warns (``DeprecationWarning``, through pluggy) when
  it registers an addon implementing a deprecated hook or naming a deprecated
  parameter; deprecated events and fields are marked in ``docs/events.md`` and every
  entry is listed under "Deprecations" in ``docs/hooks.md``.  Keep the old thing working
  until ``removed_in`` (publish both fields, call both hooks).  Then remove it, bump the
  kernel version to ``removed_in`` and record the new API:
  ``openjxc docs stability --update``.  ``--update --force`` records a break without a
  deprecation: only for what was never released (or a pure respelling of an
  annotation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from sqlalchemy.orm import Session

    from openjxc.core.alerts import AlertChannel, AlertRule
    from openjxc.core.checks import Check
    from openjxc.core.env import Environment
    from openjxc.core.events import Subscription
    from openjxc.core.jobs import ScheduledJob
    from openjxc.core.reports import Report
    from openjxc.core.security import Permission, RoleTemplate

PROJECT = "openjxc"

hookspec = pluggy.HookspecMarker(PROJECT)
#: The one marker addons use.  (pluggy silently ignores markers of another project name.)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class Deprecation:
    """A hook, hook parameter, event or event field on its way out: ``replacement`` says
    what to use instead (empty when nothing replaces it); it still works in every version
    from ``since`` until, not including, ``removed_in``."""

    since: str
    removed_in: str
    replacement: str = ""


#: What is deprecated, by key (see the module docstring); listed in docs/hooks.md.
DEPRECATED: dict[str, Deprecation] = {}


@hookspec
def register_models() -> Sequence[type]:
    """Return the SQLAlchemy mapped classes this addon owns.

    Every table must start with the addon's ``table_prefix`` from its manifest followed by
    an underscore (``jxc_product``); a table contributed twice is a boot error.  The classes
    derive from :class:`openjxc.core.models.Base`.  Added in 0.1.
    """


@hookspec
def register_permissions() -> Sequence[Permission]:
    """Return the permissions this addon declares (``<area>.<object>.<action>``).

    Example: ``[Permission("stock.move.create", "Post stock moves")]``.  Added in 0.1.
    """


@hookspec
def register_roles() -> Sequence[RoleTemplate]:
    """Return role templates created at install (e.g. ``warehouse_clerk``).  Added in 0.1."""


@hookspec
def register_event_handlers() -> Sequence[Subscription]:
    """Return subscriptions to domain events (this addon's or another's).

    ``Subscription(ev.StockDelivered, handler, phase="transaction")`` runs in the
    transaction that raised the event (an exception rolls the whole operation back);
    ``phase="after_commit"`` is delivered through the outbox by ``openjxc worker``,
    at least once.  Added in 0.1.
    """


@hookspec
def register_graphql() -> Any:
    """Return an ``openjxc.graphql.Contribution``: types, queries, mutations, subscriptions,
    scalars, fields added to other addons' types and filter fields added to their list
    queries.  The kernel composes the final schema per edition.  Added in 0.1.
    """


@hookspec
def register_alert_rules() -> Sequence[AlertRule]:
    """Return alert rules the worker evaluates on a schedule and on events.  Added in 0.1."""


@hookspec
def register_alert_channels() -> Sequence[AlertChannel]:
    """Return alert delivery channels (SMS, WeCom …) beyond the built-in e-mail and
    webhook channels.  Added in 0.1.
    """


@hookspec
def register_scheduled_jobs() -> Sequence[ScheduledJob]:
    """Return work ``openjxc worker`` runs on a schedule (a nightly push, a clean-up).

    Example: ``[ScheduledJob("accounting.voucher_push", push_due, every_seconds=3600)]``;
    ``run(env, now)`` opens its own transactions and returns a short summary or None.  A
    job runs once per due time however many workers run; a failure is recorded and
    retried with backoff (:mod:`openjxc.core.jobs`).  A key contributed twice is a boot
    error.  Added in 0.1.
    """


@hookspec
def register_reports() -> Sequence[Report]:
    """Return printable documents (HTML templates rendered to PDF) this addon offers,
    served at ``/reports/{name}/{id}.pdf``.  Added in 0.1.
    """


@hookspec
def register_cli_commands() -> Sequence[click.Command]:
    """Return extra ``openjxc`` sub-commands (e.g. ``import``).  Added in 0.1."""


@hookspec
def register_checks() -> Sequence[Check]:
    """Return audits of this addon's invariants, run by ``openjxc check``.

    A :class:`~openjxc.core.checks.Check` has a dotted ``key`` (``stock.balances``), a
    one-line ``description`` and ``run(session)``, which reads (never writes) and returns
    the :class:`~openjxc.core.checks.Violation` rows it found (an empty list when the
    invariant holds).  Write each as a few set-based statements (``GROUP BY`` …
    ``HAVING``, ``LIMIT``): it must stay fast on a ledger of millions of rows.  Example::

        Check("stock.balances", "Each balance is the sum of its moves", find_drifts)

    A key contributed twice is a boot error.  Added in 0.1.
    """


@hookspec
def on_install(session: Session, env: Environment) -> None:
    """Create the rows an addon needs once, right after its tables are created
    (e.g. company-wide locations, a chart of accounts).  Runs in the install
    transaction, in dependency order.  Added in 0.1.
    """


@hookspec
def load_demo_data(session: Session, env: Environment) -> None:
    """Insert demonstration data (``openjxc demo``), in dependency order, so an addon can
    build on the demo rows of those it depends on.  Added in 0.1.
    """


def deprecation_message(key: str, entry: Deprecation) -> str:
    """What a partner reads when their addon uses ``key`` (a :data:`DEPRECATED` key)."""
    instead = f"; use {entry.replacement} instead" if entry.replacement else ""
    return (f"OpenJXC: {key} is deprecated since {entry.since} and goes away in "
            f"{entry.removed_in}{instead}")


def apply_deprecations(deprecated: dict[str, Deprecation] | None = None) -> None:
    """Make pluggy warn (``DeprecationWarning``) when an addon implements a deprecated hook
    or names a deprecated parameter, as the kernel registers it.  Runs at import on
    :data:`DEPRECATED`; idempotent."""
    deprecated = DEPRECATED if deprecated is None else deprecated
    for name, function in list(globals().items()):
        opts = getattr(function, f"{PROJECT}_spec", None)
        if not callable(function) or opts is None:
            continue
        entry = deprecated.get(name)
        opts["warn_on_impl"] = (DeprecationWarning(deprecation_message(name, entry))
                                if entry is not None else None)
        args = {key.split(":", 1)[1]: DeprecationWarning(deprecation_message(key, value))
                for key, value in deprecated.items() if key.startswith(f"{name}:")}
        opts["warn_on_impl_args"] = args or None


apply_deprecations()
