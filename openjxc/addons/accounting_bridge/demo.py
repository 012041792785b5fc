"""The enterprise demo's ledger (``openjxc demo --edition enterprise``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openjxc.core.env import Environment


def load_demo(session: Session, env: Environment) -> None:
    """Nothing yet: the vouchers of the demo's business come from its events."""
