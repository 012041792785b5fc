"""The company's configuration: one row per policy changed from its default (see
``registry.py``), and the counters behind document numbers (``base_jxc/numbering.py``)."""

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


class DocumentSequence(Base):
    """The last number given to documents of one prefix in one business month.

    Taking a number increments the row (``UPDATE … RETURNING``), which holds its lock
    until the transaction ends: two documents created at once are numbered one after the
    other instead of colliding, and a document rolled back gives its number back.
    """

    __tablename__ = "jxc_document_sequence"

    #: ``XS``, ``CG``, ``DB`` …
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: ``YYYYMM``
    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


MODELS: list[type] = [Policy, DocumentSequence]
