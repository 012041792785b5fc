"""Facts the catalog publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class ProductCreated(Event):
    """Fires when a product enters the product master (``create_product``,
    ``productCreate``, imports), in the creating transaction."""

    name: ClassVar[str] = "catalog.product.created"
    added_in: ClassVar[str] = "0.1"
    product_id: int
    code: str
    category_id: int


@dataclass(frozen=True)
class ProductUpdated(Event):
    """Fires when a product's master data changes (``update_product``, ``productUpdate``);
    ``changed`` names the fields (column names)."""

    name: ClassVar[str] = "catalog.product.updated"
    added_in: ClassVar[str] = "0.1"
    product_id: int
    code: str
    changed: tuple[str, ...]
