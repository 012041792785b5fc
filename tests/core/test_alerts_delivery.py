"""Alert delivery: a real SMTP server, a real HTTP receiver checking Standard Webhooks
signatures itself, retries with backoff and dead letters through the outbox worker, and
the configuration of targets."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import importlib
import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.alerts import (
    AlertCondition,
    AlertRule,
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
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.events import OutboxMessage
from openjxc.core.i18n import _, enum_label
from openjxc.core.models import Base, utcnow
from openjxc.core.outbox import DEAD, DONE, PENDING, OutboxWorker

T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)

ADDON_SOURCE = """
from openjxc.core.hookspecs import hookimpl

RULES = []
CHANNELS = []


@hookimpl
def register_alert_rules():
    return list(RULES)


@hookimpl
def register_alert_channels():
    return list(CHANNELS)
"""

#: The addon's own catalogue: its rule title and message read in Chinese by default.
ZH_CATALOGUE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: zh_CN\\n"

msgid "Stock below safety level"
msgstr "库存低于安全库存"

msgid "{code}: {quantity} left"
msgstr "{code}：仅剩 {quantity}"
"""

AddonFactory = Callable[..., AddonManifest]
EnvFactory = Callable[..., Environment]


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonFactory]:
    """A throw-away addon with the given rules and channels and a zh_CN catalogue."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(rules: Any = (), channels: Any = ()) -> AddonManifest:
        name = f"alerts_fake_{uuid.uuid4().hex[:8]}"
        package = tmp_path / name
        (package / "i18n" / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
        (package / "i18n" / "zh_CN" / "LC_MESSAGES" / "messages.po").write_text(
            ZH_CATALOGUE, encoding="utf-8")
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\ndepends = []\n'
            f'tier = "basic"\nsummary = "alerts test addon"\ntable_prefix = "{name}"\n')
        (package / "__init__.py").write_text(ADDON_SOURCE)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        module.RULES.extend(rules)
        module.CHANNELS.extend(channels)
        made.append(name)
        return read_manifest(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


@pytest.fixture
def build_env(database_url: str) -> Iterator[EnvFactory]:
    databases: list[Database] = []

    def build(*manifests: AddonManifest, settings: Settings | None = None) -> Environment:
        database = Database(database_url)
        databases.append(database)
        env = Environment(list(manifests), database=database, settings=settings or Settings())
        Base.metadata.create_all(database.engine, tables=env.tables)
        return env

    yield build
    for database in databases:
        database.dispose()


def shortage_rule(shortages: dict[str, dict[str, Any]], key: str = "stock.below_safety"
                  ) -> AlertRule:
    def evaluate(session: Any, env: Environment, now: datetime) -> list[AlertCondition]:
        return [AlertCondition(k, _("{code}: {quantity} left"), params=p)
                for k, p in sorted(shortages.items())]

    return AlertRule(key, _("Stock below safety level"), evaluate)


def outbox_rows(env: Environment) -> list[OutboxMessage]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


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
    shortages = {"product:42:warehouse:3": {"code": "P-42", "quantity": "2"}}
    addon = make_addon([shortage_rule(shortages)])
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
    shortages = {"product:42:warehouse:3": {"code": "P-42", "quantity": "2"}}
    env = build_env(make_addon([shortage_rule(shortages)]))
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
    env = build_env(make_addon([shortage_rule({"product:1:w": {"code": "A", "quantity": 0}})]),
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
    stock = {"product:1:w": {"code": "A", "quantity": 0}}
    overdue = {"invoice:9": {"code": "INV-9", "quantity": 1}}
    env = build_env(make_addon([shortage_rule(stock),
                                shortage_rule(overdue, key="finance.overdue")],
                               channels=[sms]))
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
