"""accounting_bridge through GraphQL:
Export batches, repeatable exports and the targets of the daily push."""

from __future__ import annotations

from typing import Any


def types() -> list[type]:
    return []


def queries() -> list[Any]:
    return []


def mutations() -> list[Any]:
    return []
