"""One row per policy the company has changed from its default (see ``registry.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow


class Policy(Base):
    """A policy value set by the company; keys not stored here have their default."""

    __tablename__ = "jxc_policy"

    #: e.g. ``purchase.approval_threshold``
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The canonical text of the typed value (``"5000.00"``, ``"30,60,90"``, ``"true"``).
    value: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


MODELS: list[type] = [Policy]
