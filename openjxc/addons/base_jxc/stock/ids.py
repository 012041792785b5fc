"""Primary keys drawn before inserting, so set-based inserts need no ``RETURNING``."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table
from sqlalchemy.orm import Session


@cache
def _draw_sql(dialect: str, table: str) -> str:
    if dialect == "postgresql":
        # The sequence is looked up once, not once per key drawn.
        return ("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence("
                f"'{table}', 'id')::regclass AS seq) AS s, generate_series(1, %(count)s)")
    return f"SELECT coalesce(max(id), 0) FROM {table}"


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, so inserts need no ``RETURNING``.

    PostgreSQL draws them from the column's sequence.  SQLite continues after the highest
    id: safe because a SQLite writer holds the database lock from ``BEGIN IMMEDIATE`` on.
    """
    if count <= 0:
        return []
    conn = session.connection()
    sql = _draw_sql(conn.dialect.name, table.name)
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(sql, {"count": count}).scalars())
    start = conn.exec_driver_sql(sql).scalar() or 0
    return list(range(start + 1, start + count + 1))
