"""serial_warranty's services, in one place for the API, the CLI, tests and other addons
(the service_warranty bridge calls :func:`coverage_on`, :func:`record_installation` and
:func:`swap_fitment`)::

    create_policy(session, months=18, category_code="DJ")
    coverage_on(session, serial_id, date(2027, 3, 1))  # Coverage(...) or None
    extend_warranty(session, serial_id, 12, Decimal("800.00"), Decimal("0.13"), user_id)
    record_installation(session, [serial_id], date(2026, 12, 1))
    swap_fitment(session, host_id, removed_id, fitted_id, date(2027, 2, 1))

The work is done in modules along the business's steps: :mod:`.policies`,
:mod:`.warranties` (issue, void, installation, status, coverage, back-fill),
:mod:`.extensions` (续保), :mod:`.fitments` and :mod:`.archive`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product

from . import policies
from .archive import Archive, device_archives
from .extensions import extend_warranty
from .fitments import fit_accessory, remove_accessory, swap_fitment
from .models import Fitment, Warranty, WarrantyExtension, WarrantyPolicy
from .policies import START_EVENTS, policies_for, policy_for
from .warranties import (
    STATUSES,
    Coverage,
    Delivered,
    backfill_warranties,
    coverage_on,
    current_warranties,
    issue_warranties,
    record_installation,
    status_condition,
    void_warranties,
    warranty_status,
)

__all__ = [
    "START_EVENTS", "STATUSES", "Archive", "Coverage", "Delivered", "Fitment", "Warranty",
    "WarrantyExtension", "WarrantyPolicy", "backfill_warranties", "coverage_on",
    "create_policy", "current_warranties", "device_archives", "extend_warranty",
    "fit_accessory", "issue_warranties", "policies_for", "policy_for",
    "record_installation", "remove_accessory", "status_condition", "swap_fitment",
    "void_warranties", "warranty_status",
]


def create_policy(session: Session, **terms: Any) -> WarrantyPolicy:
    """A policy for exactly one product or one category (see
    :func:`.policies.create_policy` for the terms).  Units of the products it covers that
    a sales delivery left at a customer without a warranty are back-filled under it
    (:func:`backfill_warranties`) — so a database upgraded from the basic edition gets
    warranties for what it sold as soon as its policies are entered."""
    policy = policies.create_policy(session, **terms)
    scope = (Product.id == policy.product_id if policy.product_id is not None
             else Product.category_id.in_(sorted(policies.covered_categories(
                 session, policy.category_id or 0))))
    backfill_warranties(session, product_ids=set(session.scalars(select(Product.id)
                                                                 .where(scope))))
    return policy
