"""Document numbers such as ``DB-202611-0001``: a prefix, the business month, a sequence.

The sequence of each prefix and month is a row of ``jxc_document_sequence``, incremented
in the transaction that creates the document: concurrent documents wait for each other's
number instead of colliding on the unique constraint, and a rolled-back document leaves
no gap.  A month's first number continues after the highest already in the column, so
documents created before the sequence existed (or imported) are never numbered twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from openjxc.core.db import upsert

from .policies.models import DocumentSequence
from .stock.models import table_of
from .stock.posting import business_today


def next_document_number(session: Session, column: Any, prefix: str) -> str:
    """The next ``<prefix>-<yyyymm>-<nnnn>`` of the current business month for documents
    numbered in ``column`` (at least four digits: the 10,000th is ``…-10000``)."""
    period = f"{business_today(session):%Y%m}"
    table = table_of(DocumentSequence)
    taken = session.connection().execute(_take(), {"p": prefix, "m": period}).scalar()
    if taken is None:
        first = _highest(session, column, f"{prefix}-{period}-") + 1
        taken = session.execute(
            upsert(session, table).values(prefix=prefix, period=period, last=first)
            .on_conflict_do_update(index_elements=["prefix", "period"],
                                   set_={"last": table.c.last + 1})
            .returning(table.c.last)).scalar_one()
    return f"{prefix}-{period}-{taken:04d}"


@cache
def _take() -> Any:
    """The next number of prefix ``:p`` in period ``:m`` (none: the month's first), built
    once: a document's number is taken on every posting."""
    table = table_of(DocumentSequence)
    return (update(table).where(table.c.prefix == bindparam("p"), table.c.period == bindparam("m"))
            .values(last=table.c.last + 1).returning(table.c.last))


def _highest(session: Session, column: Any, stem: str) -> int:
    # The longest, then the highest: "…-10000" sorts below "…-9999" as text.
    last = session.scalar(select(column).where(column.like(f"{stem}%"))
                          .order_by(func.length(column).desc(), column.desc()).limit(1))
    tail = last[len(stem):] if last else ""
    return int(tail) if tail.isdigit() else 0
