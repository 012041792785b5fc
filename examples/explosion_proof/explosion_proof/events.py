"""Facts this addon publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class ExplosionProofChanged(Event):
    """A product's grade or certificate was set, changed or cleared (``grade`` is None
    when cleared)."""

    name: ClassVar[str] = "explosion_proof.rating.changed"
    added_in: ClassVar[str] = "0.1"
    product_id: int
    grade: str | None
