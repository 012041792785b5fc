"""Services over alerts and channel targets: what the GraphQL layer, the CLI and tests call.

They run in the caller's unit of work and never commit; notices for subscribers are
published once that unit of work commits::

    with env.unit_of_work() as session:
        alerts = list_alerts(session, status=AlertStatus.OPEN, limit=50)
        acknowledge(session, alerts[0].id, user_id=principal.user_id)

Permission checks belong to the caller (``core.alert.read``, ``core.alert.acknowledge``,
``core.alert.configure``): services trust who calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.orm import Session

from openjxc.core.alerts.broadcast import AlertNotice, publish_after_commit
from openjxc.core.alerts.errors import (
    AlertAlreadyResolved,
    AlertNotFound,
    ChannelConfigNotFound,
    InvalidChannelLocale,
    InvalidChannelTarget,
    InvalidRuleFilter,
    UnknownChannel,
)
from openjxc.core.alerts.models import Alert, AlertChannelConfig, AlertStatus
from openjxc.core.alerts.registry import Alerting
from openjxc.core.events import ENV_KEY
from openjxc.core.i18n import normalize_locale
from openjxc.core.models import utcnow

if TYPE_CHECKING:
    from openjxc.core.env import Environment

StatusFilter = AlertStatus | str | Iterable[AlertStatus | str] | None
_KEEP: Any = object()


# -- alerts ----------------------------------------------------------------------------------

def alerts_query(status: StatusFilter = None, *, rule_key: str | None = None,
                 severity: str | None = None, owner: str | None = None,
                 ) -> Select[Any]:
    """The filtered alerts, newest first, as a query a connection can paginate and count."""
    query = select(Alert)
    statuses = _statuses(status)
    if statuses is not None:
        query = query.where(Alert.status.in_(statuses))
    if rule_key is not None:
        query = query.where(Alert.rule_key == rule_key)
    if severity is not None:
        query = query.where(Alert.severity == str(severity))
    if owner is not None:
        query = query.where(Alert.owner == owner)
    return query.order_by(Alert.first_seen.desc(), Alert.id.desc())


def list_alerts(session: Session, status: StatusFilter = None, *, rule_key: str | None = None,
                severity: str | None = None, owner: str | None = None,
                limit: int | None = 100, offset: int = 0) -> list[Alert]:
    """Alerts, newest first.  ``status`` is one status or several
    (``(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)`` = everything still going on)."""
    query = alerts_query(status, rule_key=rule_key, severity=severity, owner=owner)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _statuses(status: StatusFilter) -> list[str] | None:
    if status is None:
        return None
    wanted = [status] if isinstance(status, str) else list(status)
    return [AlertStatus(s).value for s in wanted]


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    return alert


def acknowledge(session: Session, alert_id: int, user_id: int, *,
                now: datetime | None = None) -> Alert:
    """Mark an open alert as seen by ``user_id``: it stays until its condition goes away,
    but no longer counts as unattended.

    Acknowledging an acknowledged alert changes nothing (the first acknowledger is kept);
    a resolved one raises :class:`AlertAlreadyResolved`; a missing one
    :class:`AlertNotFound`.
    """
    alert = get_alert(session, alert_id)
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    if alert.status == AlertStatus.RESOLVED:
        raise AlertAlreadyResolved(alert_id)
    # Guarded by status, because an evaluation may resolve it concurrently: whoever
    # commits first wins and the other sees the result.
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == AlertStatus.OPEN.value)
        .values(status=AlertStatus.ACKNOWLEDGED.value, acknowledged_by=user_id,
                acknowledged_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(alert)
    if cast(CursorResult[Any], result).rowcount == 0:
        if alert.status == AlertStatus.RESOLVED:
            raise AlertAlreadyResolved(alert_id)
        return alert
    env = session.info.get(ENV_KEY)
    if env is not None:
        publish_after_commit(session, Alerting.for_environment(env).broadcaster,
                             AlertNotice("acknowledged", alert.to_payload()))
    return alert


# -- channel targets -------------------------------------------------------------------------

def configure_channel(session: Session, env: Environment, *, channel: str, target: str,
                      secret: str | None = None, rules: Sequence[str] | None = None,
                      locale: str | None = None, active: bool = True) -> AlertChannelConfig:
    """Send alerts (of ``rules`` patterns, default all) through ``channel`` to ``target``.

    The channel checks the target (an address, a URL); a webhook target configured
    without a secret gets a fresh ``whsec_…`` one, readable on the returned row to hand
    to the receiver::

        config = configure_channel(session, env, channel="webhook",
                                   target="https://erp.example.com/hooks/openjxc",
                                   rules=["stock.*"])
        print(config.secret)
    """
    plug = _channel(env, channel)
    row = AlertChannelConfig(channel=channel, target="", active=active)
    _apply(plug, row, target=target.strip(), secret=secret, rules=rules, locale=locale)
    session.add(row)
    session.flush()
    return row


def update_channel(session: Session, env: Environment, config_id: int, *,
                   target: str = _KEEP, secret: str | None = _KEEP,
                   rules: Sequence[str] | None = _KEEP, locale: str | None = _KEEP,
                   active: bool = _KEEP) -> AlertChannelConfig:
    """Change a target; arguments not given stay as they are (``rules=None`` means all
    rules again).  Deliveries already owed use the new settings on their next attempt."""
    row = get_channel_config(session, config_id)
    plug = _channel(env, row.channel)
    _apply(plug, row,
           target=row.target if target is _KEEP else target.strip(),
           secret=row.secret if secret is _KEEP else secret,
           rules=row.rules if rules is _KEEP else rules,
           locale=row.locale if locale is _KEEP else locale)
    if active is not _KEEP:
        row.active = bool(active)
    row.updated_at = utcnow()
    session.flush()
    return row


def deactivate_channel(session: Session, config_id: int) -> AlertChannelConfig:
    """Stop sending to a target, keeping its row (and skipping deliveries still owed)."""
    row = get_channel_config(session, config_id)
    row.active = False
    row.updated_at = utcnow()
    return row


def get_channel_config(session: Session, config_id: int) -> AlertChannelConfig:
    row = session.get(AlertChannelConfig, config_id)
    if row is None:
        raise ChannelConfigNotFound(config_id)
    return row


def list_channel_configs(session: Session, *, channel: str | None = None,
                         active: bool | None = None) -> list[AlertChannelConfig]:
    query = select(AlertChannelConfig).order_by(AlertChannelConfig.id)
    if channel is not None:
        query = query.where(AlertChannelConfig.channel == channel)
    if active is not None:
        query = query.where(AlertChannelConfig.active.is_(active))
    return list(session.scalars(query))


def _channel(env: Environment, name: str) -> object:
    channels = Alerting.for_environment(env).channels
    if name not in channels:
        raise UnknownChannel(name, sorted(channels))
    return channels[name]


def _apply(plug: object, row: AlertChannelConfig, *, target: str, secret: str | None,
           rules: Sequence[str] | None, locale: str | None) -> None:
    validate_target = getattr(plug, "validate_target", None)
    if callable(validate_target):
        validate_target(target)
    elif not target:
        raise InvalidChannelTarget("a channel target may not be empty")
    prepare_secret = getattr(plug, "prepare_secret", None)
    row.target = target
    row.secret = prepare_secret(secret) if callable(prepare_secret) else secret
    row.rules = _rule_patterns(rules)
    if locale is not None and normalize_locale(locale) is None:
        raise InvalidChannelLocale(f"unsupported locale {locale!r}; use zh_CN or en")
    row.locale = normalize_locale(locale) if locale is not None else None


def _rule_patterns(rules: Sequence[str] | None) -> list[str] | None:
    if rules is None:
        return None
    if isinstance(rules, str):
        rules = [rules]
    patterns = [str(p).strip() for p in rules]
    if not patterns or any(not p or len(p) > 128 for p in patterns):
        raise InvalidRuleFilter("a rule filter is a non-empty list of rule-key patterns "
                                "such as 'stock.*'; leave it out for every rule")
    return patterns
