"""Primary keys drawn before inserting, so set-based inserts need no ``RETURNING``."""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, so inserts need no ``RETURNING``.

    PostgreSQL draws them from the column's sequence.  SQLite continues after the highest
    id: safe because a SQLite writer holds the database lock from ``BEGIN IMMEDIATE`` on.
    """
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :count)"), {"table": table.name, "count": count}))
    start = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(start + 1, start + count + 1))
