"""Races in tests: knowing that a second transaction is waiting for the first's lock."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text


def waiting_on_a_lock(engine: Engine, *, tries: int = 200, pause: float = 0.05) -> bool:
    """Whether some session of ``engine``'s database waits on a lock (PostgreSQL, asked of
    ``pg_stat_activity`` until one does or ``tries`` run out).  On SQLite a second writer
    waits for ``BEGIN IMMEDIATE``, which no view shows: a short pause, then True."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return True
    with engine.connect() as conn:
        for _ in range(tries):
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE "
                                 "wait_event_type = 'Lock' AND datname = current_database()"
                                 )).scalar():
                return True
            conn.rollback()  # pg_stat_activity is a snapshot per transaction: take a new one
            time.sleep(pause)
    return False
