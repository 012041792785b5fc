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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from sqlalchemy.orm import Session

    from openjxc.core.alerts import AlertChannel, AlertRule
    from openjxc.core.env import Environment
    from openjxc.core.events import Subscription
    from openjxc.core.reports import Report
    from openjxc.core.security import Permission, RoleTemplate

PROJECT = "openjxc"

hookspec = pluggy.HookspecMarker(PROJECT)
#: The one marker addons use.  (pluggy silently ignores markers of another project name.)
hookimpl = pluggy.HookimplMarker(PROJECT)


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
def register_reports() -> Sequence[Report]:
    """Return printable documents (HTML templates rendered to PDF) this addon offers,
    served at ``/reports/{name}/{id}.pdf``.  Added in 0.1.
    """


@hookspec
def register_cli_commands() -> Sequence[click.Command]:
    """Return extra ``openjxc`` sub-commands (e.g. ``import``).  Added in 0.1."""


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
