"""The markdown of an alert: severity colours, the target's language, the facts, the link,
and WeCom's 4096-byte limit (cut between characters, with an ellipsis)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wecom_notify.message import (
    ELLIPSIS,
    MAX_CONTENT_BYTES,
    compose,
    link_for,
    truncate_utf8,
)

from openjxc.core.alerts import Alerting
from openjxc.core.env import Environment

ALERT: dict[str, Any] = {
    "id": 12,
    "rule_key": "stock.below_safety",
    "condition_key": "product:42",
    "owner": "base_jxc",
    "status": "open",
    "severity": "critical",
    "title": "Stock below safety level",
    "message": "{code} {name}: {available} available, safety stock {safety}",
    "params": {"code": "P1", "name": "电机", "available": "0", "safety": "10"},
    "subject": {"product": 42},
    "first_seen": "2030-03-01T05:30:00+00:00",
}


@pytest.fixture(scope="module")
def alerting() -> Iterator[Alerting]:
    yield Alerting.for_environment(Environment.for_addons(["base_jxc", "wecom_notify"]))


def rendered(alerting: Alerting, locale: str, **changes: Any) -> dict[str, Any]:
    alert = {**ALERT, **changes}
    return {**alert, "type": "alert.opened", "delivery_id": "alert-12-cfg-1",
            "text": alerting.render(alert, locale)}


def test_an_alert_in_chinese(alerting: Alerting) -> None:
    payload = rendered(alerting, "zh_CN")
    title, message = payload["text"]["title"], payload["text"]["message"]
    assert title != ALERT["title"] and "电机" in message  # base_jxc's catalogue at work
    with alerting.translator.activate("zh_CN"):
        content = compose(payload, link="https://erp.example.com/alerts/12")
    assert content == (
        f'### <font color="warning">严重 · {title}</font>\n'
        f"{message}\n"
        '> 告警级别：<font color="warning">严重</font>\n'
        "> 告警规则：`stock.below_safety`\n"
        "> 发现时间：2030年3月1日 13:30:00\n"  # Asia/Shanghai
        "> 涉及：product:42\n"
        "> 告警编号：12\n"
        "[在 OpenJXC 中查看](https://erp.example.com/alerts/12)"
    )


def test_an_alert_in_english_without_a_link(alerting: Alerting) -> None:
    payload = rendered(alerting, "en", severity="info")
    with alerting.translator.activate("en"):
        content = compose(payload)
    assert content == (
        '### <font color="info">Info · Stock below safety level</font>\n'
        "P1 电机: 0 available, safety stock 10\n"
        '> Alert level: <font color="info">Info</font>\n'
        "> Alert rule: `stock.below_safety`\n"
        "> Since: Mar 1, 2030, 1:30:00\u202fPM\n"
        "> Affects: product:42\n"
        "> Alert no.: 12"
    )


@pytest.mark.parametrize(("severity", "status", "colour"), [
    ("critical", "open", "warning"), ("warning", "open", "warning"), ("info", "open", "info"),
    ("critical", "resolved", "comment"),
])
def test_colour_follows_severity(alerting: Alerting, severity: str, status: str,
                                 colour: str) -> None:
    payload = rendered(alerting, "en", severity=severity, status=status)
    with alerting.translator.activate("en"):
        assert compose(payload).startswith(f'### <font color="{colour}">')


def test_a_long_message_is_cut_and_the_facts_stay_whole(alerting: Alerting) -> None:
    payload = rendered(alerting, "zh_CN")
    payload["text"] = {**payload["text"], "message": "库存不足😀" * 2000}
    with alerting.translator.activate("zh_CN"):
        whole = compose({**payload, "text": {**payload["text"], "message": "x"}},
                        link="https://erp.example.com/alerts/12")
        content = compose(payload, link="https://erp.example.com/alerts/12")
    encoded = content.encode("utf-8")
    assert len(encoded) <= MAX_CONTENT_BYTES
    assert len(encoded) > MAX_CONTENT_BYTES - 4  # filled up to a character boundary
    head, _body, tail = whole.partition("\nx\n")
    assert content.startswith(head + "\n") and content.endswith("\n" + tail)
    message = content[len(head) + 1:-len(tail) - 1]
    assert message.endswith(ELLIPSIS)
    assert ("库存不足😀" * 2000).startswith(message[:-1])


def test_what_users_typed_is_shown_never_rendered(alerting: Alerting) -> None:
    hostile = ('[点此](http://evil.example) <font color="info">ok</font> `x` **b**'
               '\n### 假标题\n> 假引用')
    payload = rendered(alerting, "en", params={**ALERT["params"], "name": hostile},
                       condition_key="product:42]\n[x](http://evil.example)")
    with alerting.translator.activate("en"):
        content = compose(payload, link="https://erp.example.com/alerts/12) [y](http://evil")
    lines = content.split("\n")
    # the only markup left is ours: one heading, the facts' quotes, one link, two fonts
    assert [line for line in lines if line.startswith("#")] == [lines[0]]
    assert content.count("](") == 1 and content.count("<font") == 2
    assert "http://evil.example)" not in content and "[点此]" not in content
    assert "［点此］（http://evil.example）" in content  # still readable
    assert "＜font color=\"info\"＞ok＜/font＞" in content and "｀x｀ ＊＊b＊＊" in content
    assert "＃＃＃ 假标题" in content and "\n＞ 假引用" in content
    assert "> Affects: product:42］ ［x］（http://evil.example）" in lines
    assert lines[-1] == "[Open in OpenJXC](https://erp.example.com/alerts/12%29%20[y]%28http://evil)"


def test_short_messages_are_left_alone() -> None:
    assert truncate_utf8("库存不足", 12) == "库存不足"
    assert truncate_utf8("库存不足", 11) == "库存…"
    assert truncate_utf8("库存不足", 9) == "库存…"
    assert truncate_utf8("库存不足", 8) == "库…"
    assert truncate_utf8("abc", 2) == ""  # no room even for the ellipsis


@given(st.text(), st.integers(min_value=3, max_value=200))
def test_truncation_never_splits_a_character(text: str, limit: int) -> None:
    cut = truncate_utf8(text, limit)
    assert len(cut.encode("utf-8")) <= limit
    if cut == text:
        assert len(text.encode("utf-8")) <= limit
    else:
        assert cut.endswith(ELLIPSIS) and text.startswith(cut[:-1])
        # the longest prefix that fits: one more character would not
        nxt = text[:len(cut)]
        assert len((nxt + ELLIPSIS).encode("utf-8")) > limit


def test_the_link_is_the_alerts_own_or_the_deployments_template() -> None:
    template = "https://erp.example.com/alerts/{id}?rule={rule_key}"
    assert link_for(ALERT, None) is None
    assert link_for(ALERT, template) == "https://erp.example.com/alerts/12?rule=stock.below_safety"
    assert link_for({**ALERT, "link": "https://x.example/a"}, template) == "https://x.example/a"
    assert link_for(ALERT, "https://erp.example.com/{nope}") is None  # a typo: no link
