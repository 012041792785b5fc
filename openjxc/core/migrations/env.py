"""Alembic environment for OpenJXC.

The kernel drives Alembic programmatically (:mod:`openjxc.core.migrate`): it hands over an
open connection, the edition's tables and the version locations of the installed addons
through ``config.attributes``.  One version branch per addon, labelled with its name.
"""

from __future__ import annotations

from typing import Any

from alembic import context

config = context.config
connection = config.attributes["connection"]
tables: set[str] = config.attributes["tables"]
target_metadata = config.attributes["metadata"]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Compare only the tables this run is about (an edition, or one addon's)."""
    if type_ == "table":
        return name in tables
    table = getattr(obj, "table", None)
    if table is not None:
        return table.name in tables
    return True


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    compare_server_default=False,
    user_module_prefix="openjxc.core.models.",
    transaction_per_migration=False,
)

with context.begin_transaction():
    context.run_migrations()
