"""The ``wecom`` alert channel: each alert as markdown in a 企业微信 group, via its robot.

A group robot is a URL with a key, ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=
<KEY>``; whoever has the key can post to the group, so it is a secret.  A configured target
(an ``AlertChannelConfig`` row, made with ``configure_channel`` or ``openjxc wecom add``)
therefore keeps it in ``secret`` — the robot's key or its whole URL — and uses ``target``
for a readable label (the group's name)::

    configure_channel(session, env, channel="wecom", target="仓库群",
                      secret="693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", rules=["stock.*"])

A target without a secret posts to the deployment's robot, ``OPENJXC_WECOM_WEBHOOK_URL``
(read when delivering).  A bare key is joined to ``OPENJXC_WECOM_BASE_URL`` (default the
WeCom endpoint; tests and proxies point it elsewhere).  The key never appears in a log
line or an error: URLs are shown with ``key=***``.

Each delivery is one ``POST`` of ``{"msgtype": "markdown", "markdown": {"content": …}}``.
WeCom answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode, a non-2xx
status, a timeout or a refused connection raises :class:`WeComDeliveryError`, and the
kernel's outbox retries with exponential backoff, dead-lettering after
``OPENJXC_OUTBOX_MAX_ATTEMPTS``.  The kernel has no "give up at once": an invalid key
(93000) is retried like a rate limit (45009), which is what lets a corrected key reach the
deliveries still owed (targets are read afresh on every attempt).  ``retryable`` on the
error tells the two apart for logs and operators.  WeCom has no idempotency key: a crash
between posting and recording may post an alert twice.

A robot takes at most 20 messages a minute.  The channel counts what it posted to each
robot in the last minute (per worker process) and refuses a 21st without calling WeCom —
a retryable failure, so the outbox posts it once the minute has passed, as it would after
WeCom's own errcode 45009.

Where a message may go: a stored URL must be on WeCom's own host (https), or on the host of
``OPENJXC_WECOM_BASE_URL`` / ``OPENJXC_WECOM_WEBHOOK_URL`` (a proxy, a test receiver) —
so a row of ``core_alert_channel_config`` cannot send the worker to any other address.
httpx logs each request's URL at INFO; a filter on its logger masks the key there too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from openjxc.core.alerts import ChannelConfig, ChannelDeliveryError, InvalidChannelSecret
from openjxc.core.alerts.errors import InvalidChannelTarget
from openjxc.core.i18n import translate

from .message import WeComText, compose, link_for, truncate_utf8

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
ENV_WEBHOOK_URL = "OPENJXC_WECOM_WEBHOOK_URL"
ENV_BASE_URL = "OPENJXC_WECOM_BASE_URL"
ENV_ALERT_LINK = "OPENJXC_WECOM_ALERT_LINK"
ENV_TIMEOUT = "OPENJXC_WECOM_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "OpenJXC-WeCom/0.1"
MAX_LABEL = 200
KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
#: errcodes that say "later" rather than "never": -1 system busy, 45009 too many calls
#: (a robot takes 20 messages a minute).
RETRYABLE_ERRCODES = frozenset({-1, 45009})
#: WeCom's limit per robot: this many messages in any RATE_WINDOW seconds.
RATE_LIMIT = 20
RATE_WINDOW = 60.0


class WeComDeliveryError(ChannelDeliveryError):
    """WeCom did not take the message.  ``errcode`` is WeCom's (None: HTTP or network);
    ``retryable`` whether trying again later may help (both are retried by the outbox)."""

    def __init__(self, message: str, *, errcode: int | None = None,
                 retryable: bool = True) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.retryable = retryable


def redact(url: str) -> str:
    """``url`` with its key hidden, for logs and errors."""
    return re.sub(r"(?i)(key=)[^&#\s\"']*", r"\1***", url)


class RedactKeys(logging.Filter):
    """Masks ``key=…`` in the records of the logger it is attached to (httpx logs every
    request's full URL at INFO, which would put the robot's key in the worker's log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("key=" in str(a).lower()
                                                  for a in record.args):
            record.args = tuple(redact(str(a)) if "key=" in str(a).lower() else a
                                for a in record.args)
        if isinstance(record.msg, str) and "key=" in record.msg.lower():
            record.msg = redact(record.msg)
        return True


def _mask_httpx_log() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())


_mask_httpx_log()


def _origin(url: str) -> tuple[str, str, int | None] | None:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


def _key_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    keys = parse_qs(parts.query).get("key") or []
    return keys[0] if len(keys) == 1 and KEY.match(keys[0]) else None


class WeComChannel:
    """Posts alerts to WeCom group robots; see the module docstring.

    ``environ`` (default ``os.environ``, read at each delivery) and ``timeout`` (default
    ``OPENJXC_WECOM_TIMEOUT`` or 10 s) are injectable for tests.
    """

    name = "wecom"

    def __init__(self, *, timeout: float | None = None,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = timeout
        self._environ = environ
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    @property
    def timeout(self) -> float:
        if self._timeout is not None:
            return self._timeout
        raw = self.environ.get(ENV_TIMEOUT)
        try:
            return float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            log.warning("%s=%r is not a number of seconds; using %s", ENV_TIMEOUT, raw,
                        DEFAULT_TIMEOUT)
            return DEFAULT_TIMEOUT

    # -- configuration (called by configure_channel / update_channel) -------------------

    def validate_target(self, target: str) -> None:
        if not target or len(target) > MAX_LABEL:
            raise InvalidChannelTarget(
                f"a WeCom target is a label of 1 to {MAX_LABEL} characters (the group's name)")
        if "key=" in target.lower() or "://" in target:
            raise InvalidChannelTarget(
                "a WeCom target is a label, not the robot's URL: give the URL or its key as "
                "the secret, which is never shown")

    def allowed_origins(self) -> set[tuple[str, str, int | None]]:
        """Where robot URLs may point: WeCom (https), and the hosts of the deployment's
        own ``OPENJXC_WECOM_BASE_URL`` and ``OPENJXC_WECOM_WEBHOOK_URL``."""
        origins = {_origin(DEFAULT_BASE_URL)}
        for name in (ENV_BASE_URL, ENV_WEBHOOK_URL):
            value = (self.environ.get(name) or "").strip()
            if "://" in value:
                origins.add(_origin(value))
        return {origin for origin in origins if origin is not None}

    def prepare_secret(self, secret: str | None) -> str | None:
        """The robot's key or its webhook URL, checked; None: the deployment's robot."""
        if secret is None or not secret.strip():
            return None
        secret = secret.strip()
        if "://" in secret:
            if _key_of(secret) is None:
                raise InvalidChannelSecret(
                    "a WeCom robot URL is http(s) and ends with ?key=<the robot's key>")
            if _origin(secret) not in self.allowed_origins():
                raise InvalidChannelSecret(
                    f"a WeCom robot URL starts with {DEFAULT_BASE_URL} (or the host of "
                    f"{ENV_BASE_URL}); give the bare key otherwise")
        elif not KEY.match(secret):
            raise InvalidChannelSecret("that is neither a WeCom robot key nor its webhook URL")
        return secret

    def webhook_url(self, config: ChannelConfig) -> str:
        """Where ``config``'s messages go (the key inside: never log it unredacted)."""
        source = (config.secret or self.environ.get(ENV_WEBHOOK_URL) or "").strip()
        if not source:
            raise WeComDeliveryError(
                f"WeCom target {config.id} has no robot: configure its key as the secret or "
                f"set {ENV_WEBHOOK_URL}", retryable=False)
        if "://" in source:
            if _key_of(source) is None:
                raise WeComDeliveryError(f"WeCom target {config.id}: {redact(source)} is not "
                                         f"a robot URL with ?key=…", retryable=False)
            if _origin(source) not in self.allowed_origins():
                raise WeComDeliveryError(
                    f"WeCom target {config.id}: {redact(source)} is neither WeCom nor the "
                    f"host of {ENV_BASE_URL}; not posted", retryable=False)
            return source
        if not KEY.match(source):
            raise WeComDeliveryError(f"WeCom target {config.id}: the robot key is malformed",
                                     retryable=False)
        base = (self.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).strip()
        return f"{base}{'&' if '?' in base else '?'}key={source}"

    # -- delivery -------------------------------------------------------------------------

    def deliver(self, alert_payload: Mapping[str, Any], config: ChannelConfig) -> None:
        url = self.webhook_url(config)
        content = compose(alert_payload,
                          link=link_for(alert_payload, self.environ.get(ENV_ALERT_LINK)))
        self.post(url, content)

    def send_test(self, config: ChannelConfig) -> None:
        """Post a short test message to ``config``'s robot (``openjxc wecom test``)."""
        title = translate(WeComText.TEST_TITLE.msgid)
        body = translate(WeComText.TEST_BODY.msgid, target=config.target)
        self.post(self.webhook_url(config),
                  truncate_utf8(f'### <font color="info">{title}</font>\n{body}', 4096))

    def body(self, content: str) -> bytes:
        message = {"msgtype": "markdown", "markdown": {"content": content}}
        return json.dumps(message, ensure_ascii=False).encode("utf-8")

    def _take_slot(self, key: str, shown: str) -> None:
        """Count one message to robot ``key``, or refuse it (retryable) when the robot
        already had RATE_LIMIT in the last RATE_WINDOW seconds from this process."""
        now = self._clock()
        with self._lock:
            sent = self._sent.setdefault(key, deque())
            while sent and now - sent[0] >= RATE_WINDOW:
                sent.popleft()
            if len(sent) >= RATE_LIMIT:
                wait = RATE_WINDOW - (now - sent[0])
                raise WeComDeliveryError(
                    f"WeCom robot {shown} already took {RATE_LIMIT} messages this minute; "
                    f"not posted, room again in {wait:.0f} s", retryable=True)
            sent.append(now)

    def post(self, url: str, content: str) -> None:
        """One POST; raises :class:`WeComDeliveryError` unless WeCom answers errcode 0."""
        shown = redact(url)
        key = _key_of(url) or ""
        self._take_slot(key, shown)
        try:
            response = httpx.post(
                url, content=self.body(content), timeout=self.timeout, follow_redirects=False,
                headers={"content-type": "application/json; charset=utf-8",
                         "user-agent": USER_AGENT})
        except httpx.TimeoutException:
            # "from None": the chained httpx error could carry the URL, key and all.
            raise WeComDeliveryError(
                f"WeCom robot {shown} did not answer within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise WeComDeliveryError(
                f"WeCom robot {shown} could not be reached ({type(exc).__name__})") from None
        if not 200 <= response.status_code < 300:
            raise WeComDeliveryError(
                f"WeCom robot {shown} answered HTTP {response.status_code}",
                retryable=response.status_code >= 500 or response.status_code == 429)
        try:
            answer = response.json()
            errcode = int(answer["errcode"])
        except (ValueError, KeyError, TypeError):
            raise WeComDeliveryError(
                f"WeCom robot {shown} answered something other than "
                f'{{"errcode": …, "errmsg": …}}') from None
        if errcode != 0:
            errmsg = str(answer.get("errmsg", ""))
            if key:
                errmsg = errmsg.replace(key, "***")
            raise WeComDeliveryError(
                f"WeCom robot {shown} refused the message: errcode {errcode} ({errmsg})",
                errcode=errcode, retryable=errcode in RETRYABLE_ERRCODES)
