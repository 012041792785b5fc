"""What a hostile review found: the key in httpx's own request log, robot URLs pointing
anywhere (a configuration row steering the worker), and WeCom's 20-messages-a-minute limit."""

from __future__ import annotations

import logging

import pytest
from wecom_notify.channel import (
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    ENV_WEBHOOK_URL,
    RATE_LIMIT,
    RATE_WINDOW,
    WeComChannel,
    WeComDeliveryError,
)
from wecom_receiver import KEY, Receiver, receiver

from openjxc.core.alerts import ChannelConfig, InvalidChannelSecret
from openjxc.core.config import Settings

__all__ = ["receiver"]  # the fixture

PAYLOAD = {
    "id": 7, "rule_key": "stock.below_safety", "condition_key": "product:1",
    "status": "open", "severity": "warning",
    "text": {"locale": "en", "title": "Stock low", "message": "P1: 2 left",
             "severity": "Warning"},
}


def config(secret: str | None) -> ChannelConfig:
    return ChannelConfig(id=1, channel="wecom", target="仓库群", secret=secret, rules=None,
                         locale=None, active=True, settings=Settings())


def test_httpx_request_log_never_shows_the_key(receiver: Receiver,
                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        WeComChannel(environ={ENV_BASE_URL: receiver.base_url}).deliver(
            PAYLOAD, config(receiver.robot_url))
    requests = [r for r in caplog.records if r.name == "httpx"]
    assert requests and "HTTP Request: POST" in requests[0].getMessage()
    assert "key=***" in caplog.text
    assert KEY not in caplog.text


@pytest.mark.parametrize("url", [
    f"http://169.254.169.254/latest/meta-data?key={KEY}",   # cloud metadata
    f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}",  # WeCom, but in clear
    f"https://evil.example.com/cgi-bin/webhook/send?key={KEY}",
])
def test_a_robot_url_elsewhere_is_refused_when_configured(url: str) -> None:
    with pytest.raises(InvalidChannelSecret, match="starts with"):
        WeComChannel(environ={}).prepare_secret(url)


def test_wecoms_own_url_and_the_deployments_hosts_are_accepted(receiver: Receiver) -> None:
    assert WeComChannel(environ={}).prepare_secret(f"{DEFAULT_BASE_URL}?key={KEY}")
    assert WeComChannel(environ={ENV_BASE_URL: receiver.base_url}).prepare_secret(
        receiver.robot_url) == receiver.robot_url
    assert WeComChannel(environ={ENV_WEBHOOK_URL: receiver.robot_url}).prepare_secret(
        receiver.robot_url) == receiver.robot_url


def test_a_stored_url_elsewhere_is_not_posted_to(receiver: Receiver) -> None:
    """A row written around prepare_secret (by hand, or before the deployment's base URL
    changed) still cannot send the worker to another host."""
    with pytest.raises(WeComDeliveryError, match="neither WeCom") as failure:
        WeComChannel(environ={}).deliver(PAYLOAD, config(receiver.robot_url))
    assert failure.value.retryable is False
    assert receiver.received == []
    assert KEY not in str(failure.value)


def test_the_21st_message_in_a_minute_waits(receiver: Receiver) -> None:
    now = [1000.0]
    channel = WeComChannel(environ={ENV_BASE_URL: receiver.base_url}, clock=lambda: now[0])
    for _ in range(RATE_LIMIT):
        channel.deliver(PAYLOAD, config(KEY))
        now[0] += 1.0
    with pytest.raises(WeComDeliveryError, match="this minute") as failure:
        channel.deliver(PAYLOAD, config(KEY))
    assert failure.value.retryable is True
    assert len(receiver.received) == RATE_LIMIT  # WeCom was not asked
    assert KEY not in str(failure.value)
    # another robot has its own minute
    channel.deliver(PAYLOAD, config("another-robot-key-0001"))
    # and once the first message is a minute old, there is room again
    now[0] = 1000.0 + RATE_WINDOW
    channel.deliver(PAYLOAD, config(KEY))
    assert len(receiver.received) == RATE_LIMIT + 2
