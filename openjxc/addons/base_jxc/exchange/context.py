"""What every importer is given besides the file: who imports, on which day, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .report import RowError


@dataclass
class ImportContext:
    """``errors`` collects the row-by-row report; an importer that finds any leaves the
    caller to undo whatever it wrote.  ``may_manage_credit`` lets partner rows carry a
    credit limit; ``move_date`` dates opening stock (default: the business day)."""

    user_id: int | None = None
    may_manage_credit: bool = True
    move_date: date | None = None
    errors: list[RowError] = field(default_factory=list)
    serials: int = 0
