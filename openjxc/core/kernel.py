"""The kernel's own contributions, registered like an addon's (under the name ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from openjxc.core.alerts import ALERT_MODELS, AlertChannel, EmailChannel, WebhookChannel
from openjxc.core.events import OutboxMessage
from openjxc.core.hookspecs import hookimpl
from openjxc.core.idempotency import IdempotencyKey
from openjxc.core.jobs import JOB_MODELS
from openjxc.core.models import InstalledAddon
from openjxc.core.security import SECURITY_MODELS, Permission


@hookimpl
def register_models() -> Sequence[type]:
    return [InstalledAddon, OutboxMessage, IdempotencyKey, *SECURITY_MODELS, *ALERT_MODELS,
            *JOB_MODELS]


#: The kernel's own permissions; the kernel's GraphQL fields each name one of these.
KERNEL_PERMISSIONS = (
    Permission("core.user.read", "See users, their roles and scopes"),
    Permission("core.user.manage", "Create, change and deactivate users"),
    Permission("core.role.manage", "Create roles and change their permissions"),
    Permission("core.apikey.manage", "Issue and revoke API keys"),
    Permission("core.alert.read", "See alerts"),
    Permission("core.alert.acknowledge", "Acknowledge alerts"),
    Permission("core.alert.configure", "Choose where alerts are sent (e-mail, webhooks …)"),
    Permission("core.addon.read", "See the installed addons"),
)


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return KERNEL_PERMISSIONS


@hookimpl
def register_alert_channels() -> Sequence[AlertChannel]:
    # The built-in channels come through the same door as a partner's SMS channel.
    return [EmailChannel(), WebhookChannel()]
