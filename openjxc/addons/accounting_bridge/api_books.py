"""accounting_bridge through GraphQL:
Opening balances (期初余额) and the book's first month."""

from __future__ import annotations

from typing import Any


def types() -> list[type]:
    return []


def queries() -> list[Any]:
    return []


def mutations() -> list[Any]:
    return []
