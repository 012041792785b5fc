"""Posting to a WeCom robot (a local HTTP receiver stands in for it): the exact request,
WeCom's errcodes, HTTP errors, timeouts, where the key comes from — and that the key never
shows in an error."""

from __future__ import annotations

import time
from typing import Any

import pytest
from wecom_notify.channel import (
    ENV_BASE_URL,
    ENV_WEBHOOK_URL,
    USER_AGENT,
    WeComChannel,
    WeComDeliveryError,
    redact,
)
from wecom_receiver import KEY, Receiver, receiver

from openjxc.core.alerts import ChannelConfig
from openjxc.core.config import Settings
from openjxc.core.i18n import use_locale

__all__ = ["receiver"]  # the fixture

PAYLOAD: dict[str, Any] = {
    "id": 7, "rule_key": "stock.below_safety", "condition_key": "product:1",
    "status": "open", "severity": "warning", "first_seen": "2030-03-01T00:00:00+00:00",
    "type": "alert.opened", "delivery_id": "alert-7-cfg-1",
    "text": {"locale": "en", "title": "Stock low", "message": "P1: 2 left",
             "severity": "Warning"},
}


def local(receiver: Receiver, **more: str) -> dict[str, str]:
    """An environment whose robots may live on the receiver's host (as a proxy's would)."""
    return {ENV_BASE_URL: receiver.base_url, **more}


def config(secret: str | None) -> ChannelConfig:
    return ChannelConfig(id=1, channel="wecom", target="仓库群", secret=secret, rules=None,
                         locale=None, active=True, settings=Settings())


def test_one_markdown_post_with_the_key_in_the_query(receiver: Receiver) -> None:
    with use_locale("en"):
        WeComChannel(environ=local(receiver)).deliver(PAYLOAD, config(receiver.robot_url))
    [request] = receiver.received
    assert request.path == f"/cgi-bin/webhook/send?key={KEY}"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.json == {"msgtype": "markdown", "markdown": {"content": (
        '### <font color="warning">Warning · Stock low</font>\n'
        "P1: 2 left\n"
        '> Alert level: <font color="warning">Warning</font>\n'
        "> Alert rule: `stock.below_safety`\n"
        "> Since: Mar 1, 2030, 8:00:00\u202fAM\n"  # Asia/Shanghai
        "> Affects: product:1\n"
        "> Alert no.: 7")}}  # no link configured


def test_chinese_is_sent_as_utf8_not_escaped(receiver: Receiver) -> None:
    payload = {**PAYLOAD, "text": {**PAYLOAD["text"], "message": "电机库存不足"}}
    WeComChannel(environ=local(receiver)).deliver(payload, config(receiver.robot_url))
    assert "电机库存不足".encode() in receiver.received[0].body


def test_the_deployment_link_template(receiver: Receiver) -> None:
    channel = WeComChannel(environ=local(
        receiver, OPENJXC_WECOM_ALERT_LINK="https://erp.example.com/a/{id}"))
    channel.deliver(PAYLOAD, config(receiver.robot_url))
    assert receiver.received[0].content.endswith("(https://erp.example.com/a/7)")


def test_a_bare_key_goes_to_the_base_url(receiver: Receiver) -> None:
    WeComChannel(environ={ENV_BASE_URL: receiver.base_url}).deliver(PAYLOAD, config(KEY))
    assert receiver.received[0].path == f"/cgi-bin/webhook/send?key={KEY}"


def test_without_a_key_the_deployments_robot(receiver: Receiver) -> None:
    WeComChannel(environ={ENV_WEBHOOK_URL: receiver.robot_url}).deliver(PAYLOAD, config(None))
    assert len(receiver.received) == 1
    # and a bare key in the variable joins the base URL
    WeComChannel(environ={ENV_WEBHOOK_URL: KEY, ENV_BASE_URL: receiver.base_url}).deliver(
        PAYLOAD, config(None))
    assert len(receiver.received) == 2


def test_no_robot_anywhere_is_a_clear_failure() -> None:
    with pytest.raises(WeComDeliveryError, match=ENV_WEBHOOK_URL) as failure:
        WeComChannel(environ={}).deliver(PAYLOAD, config(None))
    assert failure.value.retryable is False


@pytest.mark.parametrize(("errcode", "retryable"), [(45009, True), (-1, True),
                                                    (93000, False), (40008, False)])
def test_errcodes_fail_the_delivery(receiver: Receiver, errcode: int, retryable: bool) -> None:
    receiver.answer(errcode, errmsg=f"invalid webhook url, key {KEY}, hint: [x]")
    with pytest.raises(WeComDeliveryError) as failure:
        WeComChannel(environ=local(receiver)).deliver(PAYLOAD, config(receiver.robot_url))
    assert failure.value.errcode == errcode
    assert failure.value.retryable is retryable
    assert f"errcode {errcode}" in str(failure.value)
    assert KEY not in str(failure.value) and "key=***" in str(failure.value)


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (502, True), (429, True),
                                                   (404, False)])
def test_http_errors_fail_the_delivery(receiver: Receiver, status: int,
                                       retryable: bool) -> None:
    receiver.answer(status=status, raw=b"<html>oops</html>")
    with pytest.raises(WeComDeliveryError, match=f"HTTP {status}") as failure:
        WeComChannel(environ=local(receiver)).deliver(PAYLOAD, config(receiver.robot_url))
    assert failure.value.retryable is retryable and failure.value.errcode is None
    assert KEY not in str(failure.value)


@pytest.mark.parametrize("raw", [b"not json", b"{}", b'{"errcode": "x"}', b"[1]"])
def test_an_answer_that_is_not_wecoms_fails(receiver: Receiver, raw: bytes) -> None:
    receiver.answer(raw=raw)
    with pytest.raises(WeComDeliveryError, match="answered something other"):
        WeComChannel(environ=local(receiver)).deliver(PAYLOAD, config(receiver.robot_url))


def test_a_silent_robot_times_out(receiver: Receiver) -> None:
    receiver.answer(delay=2.0)
    started = time.monotonic()
    with pytest.raises(WeComDeliveryError, match="did not answer within 0.3 s") as failure:
        WeComChannel(timeout=0.3, environ=local(receiver)).deliver(
            PAYLOAD, config(receiver.robot_url))
    assert time.monotonic() - started < 1.5
    assert failure.value.retryable is True
    assert KEY not in str(failure.value)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_the_timeout_comes_from_the_environment() -> None:
    assert WeComChannel(environ={}).timeout == 10.0
    assert WeComChannel(environ={"OPENJXC_WECOM_TIMEOUT": "2.5"}).timeout == 2.5
    assert WeComChannel(environ={"OPENJXC_WECOM_TIMEOUT": "soon"}).timeout == 10.0


def test_a_refused_connection_fails(receiver: Receiver) -> None:
    url = receiver.robot_url.replace(receiver.base_url.split("/cgi-bin")[0],
                                     "http://127.0.0.1:9")
    with pytest.raises(WeComDeliveryError, match="could not be reached") as failure:
        WeComChannel(timeout=2, environ={ENV_BASE_URL: url}).deliver(PAYLOAD, config(url))
    assert KEY not in str(failure.value)


def test_redact_hides_every_key() -> None:
    assert redact(f"https://h/send?key={KEY}&x=1") == "https://h/send?key=***&x=1"
    assert redact(f"https://h/send?KEY={KEY}") == "https://h/send?KEY=***"
