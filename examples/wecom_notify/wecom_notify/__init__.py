"""wecom_notify: OpenJXC alerts posted to a 企业微信 (WeCom) group robot.

An example of a partner addon: its own pip package, found through the ``openjxc.addons``
entry point, needing nothing but the kernel.  It contributes one alert channel
(``wecom``, :mod:`.channel`) and the ``openjxc wecom`` commands to configure it
(:mod:`.cli`); it has no tables, no GraphQL and changes nothing when installed.
See README.md for the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openjxc.core.hookspecs import hookimpl


@hookimpl
def register_alert_channels() -> Sequence[Any]:
    from .channel import WeComChannel

    return [WeComChannel()]


@hookimpl
def register_cli_commands() -> Sequence[Any]:
    from .cli import wecom

    return [wecom]
