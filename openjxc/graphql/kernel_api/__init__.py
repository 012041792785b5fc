"""The kernel's own API: who is calling, signing in and out, API keys, addons and alerts.

Every edition has these fields, whatever its addons (API.md, "Names the product
promises", row *all (kernel)*)::

    query    me, addons, alerts, apiKeys          (node / nodes come from relay)
    mutation tokenCreate, tokenRevoke, apiKeyCreate, apiKeyRevoke, alertAcknowledge
    subscription alertOpened, alertChanged

They are a thin skin over :mod:`openjxc.core.security` and :mod:`openjxc.core.alerts`,
composed under the owner ``core`` by :func:`openjxc.graphql.builtin.kernel_contributions`.
The modules import the GraphQL layer's submodules, never the ``openjxc.graphql`` package
itself, because that package is still being initialised when it imports this one.
"""

from __future__ import annotations

from openjxc.graphql.contribution import Contribution

from .addons import Addon, AddonTier, addons_field
from .alerts import (
    Alert,
    AlertChange,
    AlertChangeKind,
    AlertFilter,
    AlertSeverity,
    AlertSort,
    AlertStatus,
    AlertSubject,
    alert_acknowledge_field,
    alert_changed_field,
    alert_opened_field,
    alerts_field,
)
from .api_keys import (
    ApiKey,
    ApiKeyFilter,
    api_key_create_field,
    api_key_revoke_field,
    api_keys_field,
)
from .errors import AccountError, AccountErrorCode, AlertError, AlertErrorCode
from .identity import Role, User, UserScope, me_field
from .labels import EnumValueLabel, enum_labels_field
from .tokens import token_create_field, token_revoke_field


def kernel_api_contribution() -> Contribution:
    """The kernel API's share of every edition's schema."""
    return Contribution(
        types=[User, Role, UserScope, AccountError, AccountErrorCode, ApiKey, ApiKeyFilter,
               Addon, AddonTier, Alert, AlertStatus, AlertSeverity, AlertSubject, AlertFilter,
               AlertSort, AlertChange, AlertChangeKind, AlertError, AlertErrorCode,
               EnumValueLabel],
        queries=[me_field, addons_field, alerts_field, api_keys_field, enum_labels_field],
        mutations=[token_create_field, token_revoke_field, api_key_create_field,
                   api_key_revoke_field, alert_acknowledge_field],
        subscriptions=[alert_opened_field, alert_changed_field],
    )


__all__ = ["kernel_api_contribution"]
