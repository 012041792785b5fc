"""Database creation, addon installation and migrations, driven through Alembic.

Each addon keeps its revisions in its own ``migrations/versions`` folder as one Alembic
branch labelled with the addon's name (the kernel's branch is ``core``); an addon's first
revision ``depends_on`` the branches of the addons it depends on.  Only the branches of
the addons a database has installed are visible when it is migrated, so installing an
addon later (an edition upgrade) just adds its branch and upgrades to the new heads,
keeping every row.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, select
from sqlalchemy.orm import Session

from openjxc.core.db import Database
from openjxc.core.env import ENV_KEY, KERNEL, Environment, installed_addons
from openjxc.core.errors import DatabaseBehindError, MigrationError
from openjxc.core.models import Base, InstalledAddon, utcnow
from openjxc.core.security import sync_role_templates

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
KERNEL_VERSIONS = MIGRATIONS_DIR / "versions"

#: ``progress(label, done, total)`` is told after each step of long work.
Progress = Callable[[str, int, int], None]


def version_locations(env: Environment) -> dict[str, Path]:
    """Branch name → folder of its revisions, for the kernel and every addon of ``env``."""
    locations = {KERNEL: KERNEL_VERSIONS}
    for manifest in env.addons:
        if manifest.migrations_path.is_dir():
            locations[manifest.name] = manifest.migrations_path
    return locations


def alembic_config(env: Environment, connection: Connection | None = None, *,
                   tables: Iterable[str] | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in version_locations(env).values())
    )
    config.attributes["connection"] = connection
    config.attributes["tables"] = set(env.table_owner if tables is None else tables)
    config.attributes["metadata"] = Base.metadata
    return config


def script_directory(env: Environment) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(env))


def branch_heads(env: Environment) -> dict[str, str]:
    """The head revision of each branch (kernel and addons) of ``env``.

    Asked per branch label: a revision that others ``depends_on`` is not one of Alembic's
    global heads, yet it is still its own branch's head.
    """
    script = script_directory(env)
    labels = sorted({label for rev in script.walk_revisions() for label in rev.branch_labels})
    heads: dict[str, str] = {}
    for label in labels:
        rev = script.get_revision(f"{label}@head")
        if rev is not None:
            heads[label] = rev.revision
    return heads


def applied_revisions(connection: Connection, env: Environment) -> set[str]:
    """Every revision applied to the database (the current heads and their ancestors)."""
    current = MigrationContext.configure(connection).get_current_heads()
    if not current:
        return set()
    script = script_directory(env)
    applied: set[str] = set()
    for head in current:
        try:
            revisions = list(script.iterate_revisions(head, "base"))
        except Exception:  # a revision of an addon this environment does not know
            continue
        applied.update(r.revision for r in revisions if r is not None)
    return applied


def pending_branches(env: Environment) -> list[str]:
    """Branches (kernel or addon names) whose head is not applied to the database, and
    addons of the environment the database does not record (a newly arrived bridge)."""
    with env.database.engine.connect() as conn:
        applied = applied_revisions(conn, env)
    behind = [name for name, head in branch_heads(env).items() if head not in applied]
    recorded = installed_addons(env.database)
    if recorded is not None:
        behind += [n for n in env.addon_names if n not in recorded and n not in behind]
    return behind


def check_up_to_date(env: Environment) -> None:
    """Refuse to serve a database whose migrations are behind the code."""
    behind = pending_branches(env)
    if behind:
        raise DatabaseBehindError(
            f"the database's migrations are behind for {', '.join(behind)}; run: "
            f"openjxc migrate --database {env.database.engine.url.render_as_string(True)}"
        )


def _record_addons(session: Session, env: Environment) -> None:
    now = utcnow()
    existing = {a.name: a for a in session.scalars(select(InstalledAddon))}
    for manifest in env.addons:
        row = existing.get(manifest.name)
        if row is None:
            session.add(InstalledAddon(name=manifest.name, version=manifest.version,
                                       installed_at=now, updated_at=now))
        elif row.version != manifest.version:
            row.version = manifest.version
            row.updated_at = now


def create_database(env: Environment, *, progress: Progress | None = None) -> None:
    """Create the tables of ``env``'s addons in an empty database, in one transaction."""
    if installed_addons(env.database) is not None:
        raise MigrationError(
            "this database already holds OpenJXC; use 'openjxc install' to add addons or "
            "'openjxc migrate' to upgrade"
        )
    _apply(env, new=[m.name for m in env.addons], progress=progress)


def install_addons(env: Environment, names: Iterable[str], *,
                   progress: Progress | None = None) -> Environment:
    """Add addons (and what they depend on) to an existing database, keeping every row.

    Returns the environment of the database with its new addon set.
    """
    current = installed_addons(env.database)
    if current is None:
        raise MigrationError("this is not an OpenJXC database; create it with 'openjxc init'")
    requested = list(names)
    new_env = Environment.for_addons([*current, *requested], database=env.database,
                                     settings=env.settings)
    new = [m.name for m in new_env.addons if m.name not in current]
    _apply(new_env, new=new, progress=progress)
    return new_env


def upgrade_database(env: Environment, *, progress: Progress | None = None) -> None:
    """Bring every installed addon to its head revision (``openjxc migrate``).

    An addon of the environment the database does not record yet — a bridge that arrived
    with a new release (``auto_install``) — is installed on the way, install hook included.
    """
    recorded = installed_addons(env.database) or ()
    _apply(env, new=[n for n in env.addon_names if n not in recorded], progress=progress)


def _apply(env: Environment, *, new: list[str], progress: Progress | None) -> None:
    """Upgrade branch by branch (kernel first, then addons in dependency order) and run the
    install hooks of the new addons — all in one transaction: it all lands or none of it."""
    heads = branch_heads(env)
    branches = [b for b in [KERNEL, *env.addon_names] if b in heads]
    total = len(branches) + len(new)
    step = 0

    def advance(label: str) -> None:
        nonlocal step
        step += 1
        if progress:
            progress(label, step, total)

    with env.database.engine.connect() as connection, schema_change(connection):
        config = alembic_config(env, connection)
        for branch in branches:
            command.upgrade(config, f"{branch}@head")
            advance(f"migrated {branch}")
        with Session(bind=connection) as session:
            session.info[ENV_KEY] = env
            _record_addons(session, env)
            session.flush()
            for name in new:
                env.contributions("on_install", only=[name], session=session, env=env)
                session.flush()
                advance(f"installed {name}")
            sync_role_templates(session, env)


@contextmanager
def schema_change(connection: Connection) -> Iterator[Connection]:
    """One transaction for a schema change, safe for SQLite's table rebuilds.

    SQLite alters a table by copying it and dropping the original ("batch" mode); with
    foreign keys enforced, dropping a parent fires ``ON DELETE CASCADE`` and empties its
    children.  So on SQLite enforcement is paused for the change (the pragma only takes
    effect outside a transaction), the whole database is checked with
    ``PRAGMA foreign_key_check`` before commit, and enforcement resumes afterwards.
    """
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            yield connection
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(
                        f"the schema change leaves {len(broken)} rows pointing at nothing "
                        f"(first: table {broken[0][0]}, row {broken[0][1]})")
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")


def compare_models(env: Environment, connection: Connection,
                   tables: Iterable[str] | None = None) -> list[Any]:
    """Differences between the database and the models (empty when they agree)."""
    wanted = set(env.table_owner if tables is None else tables)

    def include_object(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        if type_ == "table":
            return name in wanted
        table = getattr(obj, "table", None)
        return table is None or table.name in wanted

    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": include_object,
              "target_metadata": Base.metadata},
    )
    diffs = compare_metadata(context, _metadata_of(wanted))
    return [d for d in diffs if not _is_alembic_table(d)]


def _metadata_of(tables: set[str]) -> MetaData:
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        if table.name in tables:
            table.to_metadata(metadata)
    return metadata


def _is_alembic_table(diff: Any) -> bool:
    return bool(isinstance(diff, tuple) and len(diff) > 1
                and getattr(diff[1], "name", None) == "alembic_version")


#: ``<branch>_<NNNN>`` at the start of a revision file's name (``base_jxc_0006_counts``).
_REV_ID = re.compile(r"^(?P<branch>.+?)_(?P<n>\d{4})(?:_.*)?$")


def make_revision(env: Environment, branch: str, message: str) -> Path:
    """Autogenerate the next revision of ``branch`` (an addon of ``env`` or the kernel).

    Works against a scratch SQLite database upgraded to the current heads, so it never
    touches a real one.  Revision ids read ``<branch>_<NNNN>``.
    """
    folder = KERNEL_VERSIONS if branch == KERNEL else env.manifest(branch).migrations_path
    folder.mkdir(parents=True, exist_ok=True)
    heads = branch_heads(env) if any(version_locations(env).values()) else {}
    numbers = [int(m["n"]) for p in folder.glob("*.py") if (m := _REV_ID.match(p.stem))]
    rev_id = f"{branch}_{max(numbers, default=0) + 1:04d}"
    first = branch not in heads
    depends_on = None
    if first:
        deps = [KERNEL] if branch != KERNEL else []
        if branch != KERNEL:
            deps += list(env.manifest(branch).depends)
        depends_on = [heads[d] for d in deps if d in heads] or None
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Database(f"sqlite:///{tmp}/scratch.db")
        try:
            with scratch.engine.begin() as connection:
                config = alembic_config(env, connection,
                                        tables={t.name for t in env.tables_of(branch)})
                if heads:
                    command.upgrade(config, "heads")
                command.revision(
                    config,
                    message=message,
                    autogenerate=True,
                    head=f"{branch}@head" if not first else "base",
                    branch_label=branch if first else None,
                    version_path=str(folder),
                    rev_id=rev_id,
                    depends_on=depends_on,  # type: ignore[arg-type]  # a list is accepted
                )
        finally:
            scratch.dispose()
    created = next(folder.glob(f"{rev_id}_*.py"))
    return created
