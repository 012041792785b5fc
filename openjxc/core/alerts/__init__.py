"""Alerts: addons declare rules, the worker evaluates them, channels deliver what opens.

The parts, each in its own module:

* :mod:`.rules` — ``AlertRule``, ``AlertCondition``, ``Severity``: what an addon returns
  from the ``register_alert_rules`` hook;
* :mod:`.channels` — the ``AlertChannel`` protocol (``register_alert_channels``) and the
  ``ChannelConfig`` a channel delivers to; built-ins in :mod:`.smtp` (``email``) and
  :mod:`.webhook` (``webhook``, Standard Webhooks signatures);
* :mod:`.models` — the ``core_alert*`` tables;
* :mod:`.registry` — ``Alerting``: one environment's rules and channels, checked at boot,
  wired to the event bus (``on_events``) and to the outbox (``channel:<name>``);
* :mod:`.evaluation` — ``evaluate_rules`` and ``AlertScheduler``: one active alert per
  condition, resolved when it goes away, a new one if it comes back;
* :mod:`.service` — listing, acknowledging, configuring targets;
* :mod:`.broadcast` — ``AlertBroadcaster``: in-process push for GraphQL subscriptions.

A worker loop, in short::

    scheduler = AlertScheduler(env)          # builds and wires the env's alerting
    outbox = OutboxWorker(env)
    while running:
        scheduler.run_due()                  # opens/resolves; owes deliveries
        outbox.run_once()                    # delivers them, retrying with backoff

Everything public is importable from ``openjxc.core.alerts`` directly.
"""

from openjxc.core.alerts.broadcast import AlertBroadcaster, AlertNotice, publish_after_commit
from openjxc.core.alerts.channels import AlertChannel, ChannelConfig, rules_match
from openjxc.core.alerts.errors import (
    AlertAlreadyResolved,
    AlertError,
    AlertNotFound,
    ChannelConfigNotFound,
    ChannelDeliveryError,
    InvalidChannelLocale,
    InvalidChannelSecret,
    InvalidChannelTarget,
    InvalidRuleFilter,
    UnknownChannel,
)
from openjxc.core.alerts.evaluation import (
    AlertScheduler,
    EvaluationReport,
    RuleOutcome,
    evaluate_rules,
)
from openjxc.core.alerts.models import (
    ACTIVE_STATUSES,
    ALERT_MODELS,
    Alert,
    AlertChannelConfig,
    AlertRuleState,
    AlertStatus,
    AlertTrigger,
)
from openjxc.core.alerts.registry import Alerting
from openjxc.core.alerts.rules import AlertCondition, AlertRule, Severity
from openjxc.core.alerts.service import (
    acknowledge,
    alerts_query,
    configure_channel,
    deactivate_channel,
    get_alert,
    get_channel_config,
    list_alerts,
    list_channel_configs,
    update_channel,
)
from openjxc.core.alerts.smtp import EmailChannel
from openjxc.core.alerts.webhook import WebhookChannel

#: The channels every environment has (the kernel contributes them like an addon would).
BUILTIN_CHANNELS = (EmailChannel, WebhookChannel)

__all__ = [
    "ACTIVE_STATUSES",
    "ALERT_MODELS",
    "BUILTIN_CHANNELS",
    "Alert",
    "AlertAlreadyResolved",
    "AlertBroadcaster",
    "AlertChannel",
    "AlertChannelConfig",
    "AlertCondition",
    "AlertError",
    "AlertNotFound",
    "AlertNotice",
    "AlertRule",
    "AlertRuleState",
    "AlertScheduler",
    "AlertStatus",
    "AlertTrigger",
    "Alerting",
    "ChannelConfig",
    "ChannelConfigNotFound",
    "ChannelDeliveryError",
    "EmailChannel",
    "EvaluationReport",
    "InvalidChannelLocale",
    "InvalidChannelSecret",
    "InvalidChannelTarget",
    "InvalidRuleFilter",
    "RuleOutcome",
    "Severity",
    "UnknownChannel",
    "WebhookChannel",
    "acknowledge",
    "alerts_query",
    "configure_channel",
    "deactivate_channel",
    "evaluate_rules",
    "get_alert",
    "get_channel_config",
    "list_alerts",
    "list_channel_configs",
    "publish_after_commit",
    "rules_match",
    "update_channel",
]
