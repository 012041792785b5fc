"""The demo database: an edition with every addon's demo data and a demo user."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

from openjxc.core.addons import resolve_edition
from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment, installed_addons
from openjxc.core.errors import ConfigError

DEMO_USER = "demo"
DEMO_PASSWORD = "demo1234"


def create_demo(url: str, *, edition: str = "enterprise", extra: Iterable[str] = (),
                reset: bool = False, progress: Callable[[str, int, int], None] | None = None,
                ) -> bool:
    """Create (or bring up to date) a demo database; True when it has the demo user.

    An existing demo database is kept as it is (its data may be someone's afternoon of
    trying things out); missing addons are installed and migrations applied.  ``reset``
    deletes only a SQLite database that is a demo (it has the demo user), never a real one.
    """
    from openjxc.core.migrate import create_database, install_addons, upgrade_database
    from openjxc.core.security import create_user

    say = progress or (lambda _label, _done, _total: None)
    parsed = make_url(url)
    if reset:
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise ConfigError("--reset only deletes SQLite demo databases")
        if Path(parsed.database).exists() and not _is_demo(Database(url)):
            raise ConfigError(f"{parsed.database} is not a demo database (it has no "
                              f"{DEMO_USER} user); refusing to delete it")
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    settings = Settings.from_env(database_url=url)
    database = Database(url)
    manifests = resolve_edition(edition, extra)
    current = installed_addons(database)
    if current is not None:
        env = Environment.for_addons(current, database=database, settings=settings)
        missing = [m.name for m in manifests if m.name not in current]
        if missing:
            env = install_addons(env, missing, progress=say)
        upgrade_database(env, progress=say)
        say("existing demo database kept (use --reset to start over)", 1, 1)
        return _is_demo(database)
    env = Environment(manifests, database=database, settings=settings)
    create_database(env, progress=say)
    with env.unit_of_work() as session:
        owners = [name for name in env.plugins if hasattr(env.plugins[name], "load_demo_data")]
        for done, owner in enumerate(owners, start=1):
            env.contributions("load_demo_data", only=[owner], session=session, env=env)
            say(f"demo data of {owner}", done, len(owners))
        create_user(session, env, DEMO_USER, DEMO_PASSWORD, roles=["admin"])
    database.dispose()
    return True


def _is_demo(database: Database) -> bool:
    from openjxc.core.security import find_user

    try:
        if installed_addons(database) is None:
            return False
        with database.session(readonly=True) as session:
            return find_user(session, DEMO_USER) is not None
    finally:
        database.dispose()
