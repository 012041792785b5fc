"""The kernel's own contributions, registered like an addon's (under the name ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from openjxc.core.events import OutboxMessage
from openjxc.core.hookspecs import hookimpl
from openjxc.core.models import InstalledAddon


@hookimpl
def register_models() -> Sequence[type]:
    return [InstalledAddon, OutboxMessage]
