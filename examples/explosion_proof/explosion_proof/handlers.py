"""What this addon does when something happens elsewhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.events import ProductCreated
from openjxc.addons.base_jxc.catalog.models import Product

from .services import rate_from_description


def on_product_created(event: ProductCreated, *, session: Session, env: Any) -> None:
    """Runs in the transaction that created the product: a marking in its model or
    specification becomes its grade right away."""
    product = session.get(Product, event.product_id)
    if product is not None:
        rate_from_description(session, product)
