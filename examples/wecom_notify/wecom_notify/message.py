"""The markdown a WeCom group robot shows for one alert.

WeCom's robot markdown is a small dialect: headings, bold, links, ``>`` quotes and
``<font color="info|comment|warning">`` (green, grey, orange-red); nothing else colours.
A message body may be at most 4096 bytes of UTF-8, so the alert's own words (the only part
of unbounded length once its parameters are filled in) are shortened to fit, on a
character boundary and with an ellipsis, while the heading, the facts and the link stay
whole::

    ### <font color="warning">严重 · 库存低于安全水平</font>
    P1 在 主仓库：剩 3，安全库存 10
    > 告警级别：<font color="warning">严重</font>
    > 告警规则：`stock.below_safety`
    > 发现时间：2026年11月30日 13:45:00
    > 涉及：product:42:warehouse:3
    > 告警编号：12
    [在 OpenJXC 中查看](https://erp.example.com/alerts/12)

Everything is written through the translator the delivery runs under, so it reads in the
target's locale, times in the company's time zone.

The alert's words carry what users typed (a product's name, a warehouse's, a partner's),
and WeCom renders markup wherever it appears: a name like ``[点此](http://evil)`` or
``<font color="info">`` would become a link or a colour in the group.  WeCom's dialect has
no escape character, so :func:`plain` shows such characters as their full-width twins
(``［点此］（http://evil）``), which read the same and mean nothing to the renderer; a line
cannot start a heading or a quote either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openjxc.core.i18n import _, format_datetime, translate

#: WeCom refuses a markdown ``content`` longer than this many bytes of UTF-8.
MAX_CONTENT_BYTES = 4096
ELLIPSIS = "…"

#: Severity → WeCom font colour.  WeCom has three: critical and warning both take the
#: alarming one; a resolved alert is grey whatever its severity.
COLOURS = {"critical": "warning", "warning": "warning", "info": "info"}
RESOLVED_COLOUR = "comment"


#: Characters WeCom's markdown gives a meaning, shown as their full-width twins.
_MARKUP = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）",
                         "`": "｀", "*": "＊", "#": "＃"})
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def plain(text: object, *, lines: bool = True) -> str:
    """``text`` shown as itself, never as markup; with ``lines=False`` on one line."""
    shown = str(text).translate(_MARKUP)
    return shown if lines else _LINE_BREAKS.sub(" ", shown)


class WeComText:
    """The addon's wording (msgids, translated in its catalogues)."""

    HEADING = _("{severity} · {title}")
    SEVERITY = _("Alert level: {severity}")
    RULE = _("Alert rule: {rule_key}")
    SINCE = _("Since: {time}")
    AFFECTS = _("Affects: {condition_key}")
    ALERT_ID = _("Alert no.: {alert_id}")
    OPEN_LINK = _("Open in OpenJXC")
    TEST_TITLE = _("Test message")
    TEST_BODY = _("If this group can read this, OpenJXC alerts for “{target}” arrive here.")


def truncate_utf8(text: str, max_bytes: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``max_bytes`` bytes of UTF-8, ending with ``ellipsis`` when
    cut.  The cut falls between characters, never inside one (a Chinese character is three
    bytes, an emoji four)::

        >>> truncate_utf8("库存不足", 9)
        '库存…'
    """
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max_bytes - len(ellipsis.encode("utf-8"))
    if room < 0:
        return ""
    # Decoding a prefix with errors="ignore" drops only a character cut in half at its end.
    return encoded[:room].decode("utf-8", errors="ignore") + ellipsis


def colour_of(alert_payload: Mapping[str, Any]) -> str:
    if alert_payload.get("status") == "resolved":
        return RESOLVED_COLOUR
    return COLOURS.get(str(alert_payload.get("severity")), "comment")


def compose(alert_payload: Mapping[str, Any], *, link: str | None = None,
            max_bytes: int = MAX_CONTENT_BYTES) -> str:
    """The markdown of one alert payload (as :func:`deliver_to_channel` hands it over:
    with ``text`` already rendered in the target's locale), at most ``max_bytes`` long."""
    text = alert_payload["text"]
    colour = colour_of(alert_payload)
    severity = plain(text["severity"], lines=False)
    heading = translate(WeComText.HEADING.msgid, severity=severity,
                        title=plain(text["title"], lines=False))
    facts = [
        translate(WeComText.SEVERITY.msgid,
                  severity=f'<font color="{colour}">{severity}</font>'),
        translate(WeComText.RULE.msgid,
                  rule_key=f"`{_code(alert_payload['rule_key'])}`"),
    ]
    first_seen = alert_payload.get("first_seen")
    if first_seen:
        facts.append(translate(WeComText.SINCE.msgid,
                               time=format_datetime(datetime.fromisoformat(first_seen))))
    facts.append(translate(WeComText.AFFECTS.msgid,
                           condition_key=plain(alert_payload["condition_key"], lines=False)))
    facts.append(translate(WeComText.ALERT_ID.msgid, alert_id=alert_payload["id"]))
    head = f'### <font color="{colour}">{heading}</font>\n'
    tail = "\n" + "\n".join(f"> {fact}" for fact in facts)
    if link:
        tail += f"\n[{translate(WeComText.OPEN_LINK.msgid)}]({_quoted(link)})"
    message = plain(text["message"])
    room = max_bytes - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
    if room < len(ELLIPSIS.encode("utf-8")):
        # Heading and facts alone overflow (absurdly long keys): cut the whole thing.
        return truncate_utf8(head + message + tail, max_bytes)
    return head + truncate_utf8(message, room) + tail


def _code(key: object) -> str:
    """A key shown as code: inside backticks only a backtick or a line break means something."""
    return _LINE_BREAKS.sub(" ", str(key)).replace("`", "｀")


def _quoted(link: str) -> str:
    """A link that cannot end the markdown link early or break its line: the characters
    that would are percent-encoded (a URL means the same with them encoded)."""
    return "".join(f"%{ord(c):02X}" if c in "()<> \t\r\n" else c for c in link)


def link_for(alert_payload: Mapping[str, Any], template: str | None) -> str | None:
    """The alert's own link if it carries one (``link`` or ``url``), else the deployment's
    template (``OPENJXC_WECOM_ALERT_LINK``, e.g. ``https://erp.example.com/alerts/{id}``)
    filled with the alert's ``id``, ``rule_key`` and ``condition_key``."""
    own = alert_payload.get("link") or alert_payload.get("url")
    if own:
        return str(own)
    if not template:
        return None
    try:
        return template.format(id=alert_payload["id"], rule_key=alert_payload["rule_key"],
                               condition_key=alert_payload["condition_key"])
    except (KeyError, IndexError, ValueError):
        return None
