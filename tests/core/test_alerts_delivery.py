"""Alert delivery: a real SMTP server, a real HTTP receiver checking Standard Webhooks
signatures itself, retries with backoff and dead letters through the outbox worker, and
the configuration of targets."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from test_alerts_support import (
    T0,
    AddonFactory,
    EnvFactory,
    Facts,
    build_env,
    make_addon,
    outbox_rows,
)

from openjxc.core.alerts import (
    Alerting,
    AlertScheduler,
    ChannelConfig,
    InvalidChannelLocale,
    InvalidChannelSecret,
    InvalidChannelTarget,
    InvalidRuleFilter,
    Severity,
    UnknownChannel,
    WebhookChannel,
    configure_channel,
    deactivate_channel,
    evaluate_rules,
    update_channel,
)
from openjxc.core.alerts.webhook import verify
from openjxc.core.config import Settings
from openjxc.core.i18n import enum_label
from openjxc.core.models import utcnow
from openjxc.core.outbox import DEAD, DONE, PENDING, OutboxWorker

__all__ = ["build_env", "make_addon"]  # fixtures, shared with the other alert tests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a real SMTP server ----------------------------------------------------------------------

class Mailbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


def test_an_opened_alert_is_mailed_in_chinese_through_a_real_smtp_server(
    make_addon: AddonFactory, build_env: EnvFactory, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port,
                        smtp_sender="alerts@shop.example")
    facts = Facts({"product:42:warehouse:3": {"code": "P-42", "quantity": "2"}})
    addon = make_addon([facts.rule()])
    env = build_env(addon, settings=settings)
    with env.unit_of_work() as session:
        configure_channel(session, env, channel="email",
                          target="buyer@shop.example, boss@shop.example")
    (alert_id,) = evaluate_rules(env, T0).opened
    evaluate_rules(env, T0 + timedelta(minutes=5))  # still short: no second mail
    assert mailbox.envelopes == []  # delivery happens in the worker, after commit

    # The worker is another process: its own environment builds its own alerting.
    worker_env = build_env(addon, settings=settings)
    AlertScheduler(worker_env)
    assert OutboxWorker(worker_env).run_once() == 1

    ((sender, recipients, content),) = mailbox.envelopes
    assert sender == "alerts@shop.example"
    assert recipients == ["buyer@shop.example", "boss@shop.example"]
    mail = message_from_bytes(content)
    assert header(mail, "Subject").endswith("库存低于安全库存")
    assert header(mail, "To") == "buyer@shop.example, boss@shop.example"
    assert mail["Message-ID"] == f"<alert-{alert_id}-cfg-1@openjxc.alerts>"
    body = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert body.splitlines()[0] == "P-42：仅剩 2"
    assert "stock.below_safety" in body and "product:42:warehouse:3" in body
    assert "2030" in body  # first seen, in company time
    assert [r.status for r in outbox_rows(env)] == [DONE]


# -- a real HTTP receiver --------------------------------------------------------------------

class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers as told."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = statuses or [204]
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body))
                time.sleep(receiver.delay)
                status = receiver.statuses[min(len(receiver.requests),
                                               len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/openjxc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_opened_alert_is_posted_to_the_webhook_signed_per_standard_webhooks(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts({"product:42:warehouse:3": {"code": "P-42", "quantity": "2"}})
    env = build_env(make_addon([facts.rule()]))
    with Receiver() as receiver:
        with env.unit_of_work() as session:
            config = configure_channel(session, env, channel="webhook", target=receiver.url,
                                       locale="en")
            secret = config.secret
        assert secret is not None and secret.startswith("whsec_")
        (alert_id,) = evaluate_rules(env, T0).opened
        assert OutboxWorker(env).run_once() == 1

    ((headers, body),) = receiver.requests
    # The receiver's own check, straight from the spec: HMAC-SHA256 over
    # "{id}.{timestamp}.{body}" with the base64-decoded part of the whsec_ secret.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == f"alert-{alert_id}-cfg-{config.id}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["content-type"].startswith("application/json")
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"P-42", b"P-43"))

    event = json.loads(body)
    assert event["type"] == "alert.opened"
    data = event["data"]
    assert (data["id"], data["rule_key"], data["condition_key"], data["status"]) == (
        alert_id, "stock.below_safety", "product:42:warehouse:3", "open")
    assert data["params"] == {"code": "P-42", "quantity": "2"}
    assert data["text"] == {"locale": "en", "title": "Stock below safety level",
                            "message": "P-42: 2 left", "severity": "Warning"}


def test_a_failing_webhook_is_retried_with_backoff_then_dead_lettered(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    settings = Settings(outbox_max_attempts=3, outbox_backoff_seconds=10.0)
    env = build_env(make_addon([Facts({"product:1:w": {"code": "A", "quantity": 0}}).rule()]),
                    settings=settings)
    clock = [utcnow() + timedelta(minutes=1)]
    worker = OutboxWorker(env, now=lambda: clock[0], jitter=lambda: 0.0)

    with Receiver(statuses=[500, 503, 502]) as receiver:
        with env.unit_of_work() as session:
            configure_channel(session, env, channel="webhook", target=receiver.url)
        evaluate_rules(env, T0)

        delays = []
        for attempt in (1, 2):
            started = clock[0]
            assert worker.run_once() == 1
            (row,) = outbox_rows(env)
            assert (row.status, row.attempts) == (PENDING, attempt)
            assert "answered 5" in (row.last_error or "")
            delays.append(row.available_at - started)
            assert worker.run_once() == 0  # not before its time
            clock[0] = row.available_at
        assert delays == [timedelta(seconds=10), timedelta(seconds=20)]  # doubling
        assert worker.run_once() == 1

    (row,) = outbox_rows(env)
    assert (row.status, row.attempts) == (DEAD, 3)
    assert len(receiver.requests) == 3
    # Each attempt is signed afresh but keeps its id, so the receiver can deduplicate.
    assert len({h["webhook-id"] for h, _b in receiver.requests}) == 1


def test_a_webhook_that_does_not_answer_in_time_raises() -> None:
    config = ChannelConfig(id=1, channel="webhook", target="", secret=None, rules=None,
                           locale=None, active=True, settings=Settings())
    with Receiver(delay=1.0) as receiver:
        config = dataclasses.replace(config, target=receiver.url)
        with pytest.raises(httpx.TimeoutException):
            WebhookChannel(timeout=0.2).deliver({"id": 1, "delivery_id": "alert-1"}, config)


# -- targets ---------------------------------------------------------------------------------

class RecordingChannel:
    """An addon's channel (think SMS): keeps what it is asked to deliver."""

    name = "sms"

    def __init__(self) -> None:
        self.delivered: list[tuple[dict[str, Any], ChannelConfig]] = []

    def deliver(self, alert_payload: Any, config: ChannelConfig) -> None:
        self.delivered.append((dict(alert_payload), config))


def test_targets_receive_only_the_rules_they_asked_for_while_active(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    sms = RecordingChannel()
    stock = Facts({"product:1:w": {"code": "A", "quantity": 0}})
    overdue = Facts({"invoice:9": {"code": "INV-9", "quantity": 1}})
    env = build_env(make_addon([stock.rule(), overdue.rule("finance.overdue")], channels=[sms]))
    with env.unit_of_work() as session:
        stock_only = configure_channel(session, env, channel="sms", target="13800000000",
                                       rules=["stock.*"])
        configure_channel(session, env, channel="sms", target="13900000000")
        retired = configure_channel(session, env, channel="sms", target="13700000000")
    evaluate_rules(env, T0)
    with env.unit_of_work() as session:
        deactivate_channel(session, retired.id)  # after the delivery was owed
    while OutboxWorker(env).run_once():
        pass

    got = sorted((config.target, payload["rule_key"]) for payload, config in sms.delivered)
    assert got == [("13800000000", "stock.below_safety"), ("13900000000", "finance.overdue"),
                   ("13900000000", "stock.below_safety")]
    payload, config = sms.delivered[0]
    assert config.id == stock_only.id
    assert payload["text"] == {"locale": "zh_CN", "title": "库存低于安全库存",  # by default
                               "message": "A：仅剩 0",
                               "severity": enum_label(Severity.WARNING, "zh_CN")}
    assert [r.status for r in outbox_rows(env)] == [DONE] * 5  # the retired one skipped


def test_configuring_a_target_checks_it(build_env: EnvFactory) -> None:
    env = build_env()
    with env.unit_of_work() as session:
        with pytest.raises(UnknownChannel, match="known: email, webhook"):
            configure_channel(session, env, channel="wecom", target="x")
        for bad in ("not an address", "a@b", "buyer@shop.example, oops"):
            with pytest.raises(InvalidChannelTarget):
                configure_channel(session, env, channel="email", target=bad)
        for bad in ("ftp://example.com/x", "example.com/hook", "https://"):
            with pytest.raises(InvalidChannelTarget):
                configure_channel(session, env, channel="webhook", target=bad)
        for bad in ("secret", "whsec_!!notbase64", "whsec_" + base64.b64encode(b"short").decode()):
            with pytest.raises(InvalidChannelSecret):
                configure_channel(session, env, channel="webhook",
                                  target="https://erp.example.com/h", secret=bad)
        with pytest.raises(InvalidRuleFilter):
            configure_channel(session, env, channel="email", target="a@shop.example", rules=[])
        with pytest.raises(InvalidChannelLocale):
            configure_channel(session, env, channel="email", target="a@shop.example",
                              locale="fr")

        given = "whsec_" + base64.b64encode(b"k" * 32).decode()
        hook = configure_channel(session, env, channel="webhook",
                                 target="https://erp.example.com/h", secret=given)
        assert hook.secret == given
        changed = update_channel(session, env, hook.id, rules=["stock.*"], locale="zh-CN")
        assert (changed.secret, changed.rules, changed.locale) == (given, ["stock.*"], "zh_CN")
        with pytest.raises(InvalidChannelTarget):
            update_channel(session, env, hook.id, target="mailto:x@y.z")


def test_a_target_stored_without_a_secret_is_still_signed_with_the_deployment_key() -> None:
    settings = Settings(secret_key="deployment-secret")
    config = ChannelConfig(id=1, channel="webhook", target="https://erp.example.com/h",
                           secret=None, rules=None, locale=None, active=True, settings=settings)
    headers = WebhookChannel().headers(config, "alert-1-cfg-1", b"{}", timestamp=1_900_000_000)
    expected = hmac.new(b"deployment-secret", b"alert-1-cfg-1.1900000000.{}",
                        hashlib.sha256).digest()
    assert headers["webhook-signature"] == f"v1,{base64.b64encode(expected).decode()}"


def test_a_message_that_does_not_fit_its_parameters_is_still_delivered(
    build_env: EnvFactory,
) -> None:
    alerting = Alerting.for_environment(build_env())
    text = alerting.render({"id": 1, "title": "Stock low", "message": "{code} is short",
                            "params": {}, "severity": "critical"}, "en")
    assert text == {"locale": "en", "title": "Stock low", "message": "{code} is short",
                    "severity": "Critical"}
