"""accounting_bridge through GraphQL:
Cash-flow items (现金流量项目) and the rules that tag cash lines."""

from __future__ import annotations

from typing import Any


def types() -> list[type]:
    return []


def queries() -> list[Any]:
    return []


def mutations() -> list[Any]:
    return []
