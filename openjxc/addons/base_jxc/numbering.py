"""Document numbers such as ``DB-202611-0001``: a prefix, the business month, a sequence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .stock.posting import business_today


def next_document_number(session: Session, column: Any, prefix: str) -> str:
    """The next free ``<prefix>-<yyyymm>-<nnnn>`` of the current business month in ``column``
    (at least four digits: the 10,000th document of a month is ``…-10000``).

    Two documents created at once may pick the same number; the column's unique constraint
    refuses the second, and the API runs it again (``run_service``), which takes the next.
    """
    stem = f"{prefix}-{business_today(session):%Y%m}-"
    # The longest, then the highest: "…-10000" sorts below "…-9999" as text.
    last = session.scalar(select(column).where(column.like(f"{stem}%"))
                          .order_by(func.length(column).desc(), column.desc()).limit(1))
    tail = last[len(stem):] if last else ""
    return f"{stem}{int(tail) + 1 if tail.isdigit() else 1:04d}"
