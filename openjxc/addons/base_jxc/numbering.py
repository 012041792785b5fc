"""Document numbers such as ``DB-202611-0001``: a prefix, the business month, a sequence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .stock.posting import business_today


def next_document_number(session: Session, column: Any, prefix: str) -> str:
    """The next free ``<prefix>-<yyyymm>-<nnnn>`` of the current business month in ``column``.

    Two documents created at once may pick the same number; the column's unique constraint
    refuses the second, and the API runs it again (``run_service``), which takes the next.
    """
    stem = f"{prefix}-{business_today(session):%Y%m}-"
    last = session.scalar(select(func.max(column)).where(column.like(f"{stem}%")))
    tail = last[len(stem):] if last else ""
    return f"{stem}{int(tail) + 1 if tail.isdigit() else 1:04d}"
