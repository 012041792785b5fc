"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("jxc.policy.read", "See the company's business rules"),
        Permission("jxc.policy.manage", "Change the company's business rules"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
