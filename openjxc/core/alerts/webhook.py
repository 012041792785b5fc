"""The built-in ``webhook`` channel: a JSON POST signed per the Standard Webhooks spec.

Receivers verify with any Standard Webhooks library (https://www.standardwebhooks.com)::

    webhook-id:        alert-12-cfg-3              (same on every retry: deduplicate on it)
    webhook-timestamp: 1735689600                  (seconds; reject if far from now)
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">

The key is the base64 part of the target's secret ``whsec_<base64>`` (generated when the
target is configured without one).  The body is ``{"type": "alert.opened", "timestamp":
…, "data": {<the alert>}}``.  Anything but a 2xx answer, a timeout or a refused
connection raises, so that the outbox retries with backoff and finally dead-letters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from openjxc.core.alerts.channels import ChannelConfig
from openjxc.core.alerts.errors import (
    ChannelDeliveryError,
    InvalidChannelSecret,
    InvalidChannelTarget,
)

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
USER_AGENT = "OpenJXC-Webhooks/0.1"
#: Keys shorter than this are refused: a guessable key makes the signature worthless.
MIN_KEY_BYTES = 16
#: Receivers should reject timestamps further than this from their clock (replays).
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh random signing secret in the ``whsec_<base64>`` form receivers expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidChannelSecret(f"a webhook secret reads {SECRET_PREFIX}<base64>")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidChannelSecret("the webhook secret is not valid base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise InvalidChannelSecret(f"a webhook secret needs at least {MIN_KEY_BYTES} bytes")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def verify(secret: str, headers: Mapping[str, str], body: bytes, *,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None,
           ) -> bool:
    """Whether ``body`` with ``headers`` was signed with ``secret`` recently (for receivers
    written in Python, and for tests).  Any of several space-separated signatures may match,
    as the spec allows during key rotation."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret_key(secret), msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class WebhookChannel:
    """POSTs each alert to the configured URL, signed."""

    name = "webhook"

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def validate_target(self, target: str) -> None:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidChannelTarget(f"a webhook target is an http(s) URL, not {target!r}")

    def prepare_secret(self, secret: str | None) -> str:
        """Generate a secret when none is given; check the one given."""
        if secret is None:
            return new_secret()
        secret_key(secret)
        return secret

    def body(self, alert_payload: Mapping[str, Any], *, sent_at: datetime) -> bytes:
        data = {k: v for k, v in alert_payload.items() if k not in ("type", "delivery_id")}
        envelope = {
            "type": alert_payload.get("type", "alert.opened"),
            "timestamp": sent_at.isoformat(),
            "data": data,
        }
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True).encode("utf-8")

    def headers(self, config: ChannelConfig, msg_id: str, body: bytes, *,
                timestamp: int) -> dict[str, str]:
        # A target stored without a secret (e.g. inserted by hand) is signed with the
        # deployment's secret_key, so that nothing ever leaves unsigned.
        key = (secret_key(config.secret) if config.secret
               else config.settings.secret_key.encode("utf-8"))
        return {
            "content-type": "application/json; charset=utf-8",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body),
        }

    def deliver(self, alert_payload: Mapping[str, Any], config: ChannelConfig) -> None:
        # Signed afresh on every attempt: receivers refuse stale timestamps.
        now = time.time()
        body = self.body(alert_payload, sent_at=datetime.fromtimestamp(now, UTC))
        msg_id = str(alert_payload.get("delivery_id") or f"alert-{alert_payload['id']}")
        headers = self.headers(config, msg_id, body, timestamp=int(now))
        response = httpx.post(config.target, content=body, headers=headers,
                              timeout=self.timeout, follow_redirects=False)
        if not 200 <= response.status_code < 300:
            raise ChannelDeliveryError(
                f"webhook {config.target} answered {response.status_code} for {msg_id}"
            )
