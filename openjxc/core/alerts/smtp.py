"""The built-in ``email`` channel: a plain-text mail through the deployment's SMTP server.

The target is one address or several separated by commas.  Subject and body are written in
the target's locale (zh_CN unless configured otherwise), through the translator the
delivery runs under, times in the company's time zone.  ``Message-ID`` is derived from the
delivery id, so a mail sent twice (a crash between sending and recording) is recognisable.

Named ``smtp`` so that it can never shadow the standard library's ``email`` package.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from openjxc.core.alerts.channels import ChannelConfig
from openjxc.core.alerts.errors import InvalidChannelTarget
from openjxc.core.i18n import _, format_datetime, translate


class AlertMailText:
    """The kernel's wording of alert mails (msgids, translated in the catalogues)."""

    SUBJECT = _("[{severity}] {title}")
    SEVERITY = _("Severity: {severity}")
    RULE = _("Rule: {title} ({rule_key})")
    FIRST_SEEN = _("First seen: {time}")
    CONDITION = _("Concerns: {condition_key}")
    FOOTER = _("Sent by OpenJXC alerts (alert #{alert_id}).")


def split_addresses(target: str) -> list[str]:
    """The addresses of a target, refusing anything that is not ``name@domain``."""
    addresses = []
    for part in target.split(","):
        _name, address = parseaddr(part.strip())
        local, at, domain = address.rpartition("@")
        if not (at and local and "." in domain and address == address.strip()
                and " " not in address):
            raise InvalidChannelTarget(f"{part.strip()!r} is not an e-mail address")
        addresses.append(address)
    if not addresses:
        raise InvalidChannelTarget("an e-mail target needs at least one address")
    return addresses


class EmailChannel:
    """Sends each alert as a mail from ``Settings.smtp_sender`` via ``smtp_host:smtp_port``."""

    name = "email"

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def validate_target(self, target: str) -> None:
        split_addresses(target)

    def compose(self, alert_payload: Mapping[str, Any], config: ChannelConfig) -> EmailMessage:
        text = alert_payload["text"]
        first_seen = datetime.fromisoformat(alert_payload["first_seen"])
        lines = [
            text["message"],
            "",
            translate(AlertMailText.SEVERITY.msgid, severity=text["severity"]),
            translate(AlertMailText.RULE.msgid, title=text["title"],
                      rule_key=alert_payload["rule_key"]),
            translate(AlertMailText.FIRST_SEEN.msgid, time=format_datetime(first_seen)),
            translate(AlertMailText.CONDITION.msgid,
                      condition_key=alert_payload["condition_key"]),
            "",
            translate(AlertMailText.FOOTER.msgid, alert_id=alert_payload["id"]),
        ]
        message = EmailMessage()
        message["From"] = config.settings.smtp_sender
        message["To"] = ", ".join(split_addresses(config.target))
        message["Subject"] = translate(AlertMailText.SUBJECT.msgid,
                                       severity=text["severity"], title=text["title"])
        delivery_id = alert_payload.get("delivery_id") or f"alert-{alert_payload['id']}"
        message["Message-ID"] = f"<{delivery_id}@openjxc.alerts>"
        message.set_content("\n".join(lines) + "\n", charset="utf-8", cte="base64")
        return message

    def deliver(self, alert_payload: Mapping[str, Any], config: ChannelConfig) -> None:
        message = self.compose(alert_payload, config)
        settings = config.settings
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=self.timeout) as smtp:
            smtp.send_message(message)
