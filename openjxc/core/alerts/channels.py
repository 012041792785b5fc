"""The channel plug: how an alert leaves the building (e-mail, webhook, an addon's SMS …).

A channel is any object with a ``name`` and a ``deliver`` method::

    class WeComChannel:
        name = "wecom"

        def deliver(self, alert_payload, config):
            text = alert_payload["text"]          # already in config.locale
            post_to_wecom(config.target, f"{text['title']}: {text['message']}")

    @hookimpl
    def register_alert_channels():
        return [WeComChannel()]

``deliver`` runs in the outbox worker after the alert's transaction committed, once per
configured target; raising makes the outbox retry it with backoff and dead-letter it after
``Settings.outbox_max_attempts``, so it must be idempotent (``alert_payload["delivery_id"]``
is the same on every attempt).  It runs with the environment's translator active in the
target's locale, so ``str(_("…"))`` reads in the right language.

Optional methods the configuration service calls when a target is configured:
``validate_target(target) -> None`` (raise :class:`~.errors.InvalidChannelTarget`) and
``prepare_secret(secret) -> str | None`` (check or generate what is stored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Protocol, runtime_checkable

from openjxc.core.alerts.models import AlertChannelConfig
from openjxc.core.config import Settings


@dataclass(frozen=True)
class ChannelConfig:
    """One configured target, as a channel sees it (detached from any session).

    ``settings`` are the deployment's settings, for what is not per target (the SMTP
    server, the fallback signing key).
    """

    id: int
    channel: str
    target: str
    secret: str | None
    rules: tuple[str, ...] | None
    locale: str | None
    active: bool
    settings: Settings

    @classmethod
    def from_row(cls, row: AlertChannelConfig, settings: Settings) -> ChannelConfig:
        return cls(id=row.id, channel=row.channel, target=row.target, secret=row.secret,
                   rules=tuple(row.rules) if row.rules is not None else None,
                   locale=row.locale, active=row.active, settings=settings)


@runtime_checkable
class AlertChannel(Protocol):
    """What ``register_alert_channels`` returns; see the module docstring."""

    name: str

    def deliver(self, alert_payload: Mapping[str, Any], config: ChannelConfig) -> None:
        """Hand one alert to ``config.target``; raise to have it retried."""


def rules_match(patterns: Sequence[str] | None, rule_key: str) -> bool:
    """Whether a target limited to ``patterns`` (``stock.*``) wants alerts of ``rule_key``;
    no patterns means every rule."""
    if patterns is None:
        return True
    return any(fnmatchcase(rule_key, pattern) for pattern in patterns)
