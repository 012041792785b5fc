"""The errors of alerting, each with a stable code (GraphQL payload errors use it).

Messages are English for logs and the CLI; the API layer shows a localised text per code.
``field`` names the input an error is about, for the payload's ``UserError.field``.
"""

from __future__ import annotations

from openjxc.core.errors import OpenJXCError


class AlertError(OpenJXCError):
    """Base of every alerting error."""

    code = "ALERT_ERROR"
    field: str | None = None


class AlertNotFound(AlertError):
    code = "NOT_FOUND"
    field = "id"

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"alert {alert_id} does not exist")
        self.alert_id = alert_id


class AlertAlreadyResolved(AlertError):
    """Its condition went away before anyone acknowledged it: nothing left to acknowledge."""

    code = "ALERT_RESOLVED"
    field = "id"

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"alert {alert_id} is already resolved")
        self.alert_id = alert_id


class UnknownChannel(AlertError):
    code = "UNKNOWN_CHANNEL"
    field = "channel"

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no alert channel {name!r} in this environment; "
                         f"known: {', '.join(known) or 'none'}")
        self.name = name


class ChannelConfigNotFound(AlertError):
    code = "NOT_FOUND"
    field = "id"

    def __init__(self, config_id: int) -> None:
        super().__init__(f"alert channel configuration {config_id} does not exist")
        self.config_id = config_id


class InvalidChannelTarget(AlertError):
    """An e-mail address or URL a channel cannot deliver to."""

    code = "INVALID_TARGET"
    field = "target"


class InvalidChannelSecret(AlertError):
    code = "INVALID_SECRET"
    field = "secret"


class InvalidChannelLocale(AlertError):
    code = "INVALID_LOCALE"
    field = "locale"


class InvalidRuleFilter(AlertError):
    code = "INVALID_RULE_FILTER"
    field = "rules"


class ChannelDeliveryError(AlertError):
    """A channel could not hand the alert over; raised so that the outbox retries it."""

    code = "DELIVERY_FAILED"
