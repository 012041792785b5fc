"""The ``openjxc`` command line: create, extend and migrate databases, run the worker.

Every command takes ``--database URL`` (or ``OPENJXC_DATABASE_URL``; SQLite ``./openjxc.db``
by default).  Wrong input answers a clear message and a non-zero exit, never a traceback.
The HTTP commands (``serve``, ``schema``) are added by :mod:`openjxc.graphql.cli`, and
addons add theirs through the ``register_cli_commands`` hook.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from openjxc import KERNEL_VERSION
from openjxc.core.addons import EDITIONS, discover, resolve_edition
from openjxc.core.config import Settings
from openjxc.core.db import Database, normalize_url, require_existing_database
from openjxc.core.env import Environment, installed_addons
from openjxc.core.errors import BootError, OpenJXCError

database_option = click.option(
    "--database",
    "database",
    envvar="OPENJXC_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Database URL (sqlite:///path.db or postgresql://…); default sqlite:///openjxc.db.",
)


class OpenJXCGroup(click.Group):
    """Turns expected errors into a message and exit code 1; loads addon commands lazily."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpenJXCError as exc:
            raise click.ClickException(exc.message) from exc
        except DBAPIError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from exc

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            try:
                command = _addon_commands().get(cmd_name)
            except OpenJXCError as exc:
                raise click.ClickException(exc.message) from exc
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            extra = _addon_commands()
        except OpenJXCError as exc:
            click.echo(f"warning: addon commands unavailable: {exc.message}", err=True)
            extra = {}
        return sorted({*super().list_commands(ctx), *extra})


def _addon_commands() -> dict[str, click.Command]:
    """Commands every discoverable addon contributes (read without a database).

    A command named like a kernel command or like another addon's is a boot error: which
    one runs must never depend on installation order.
    """
    env = Environment.for_addons(list(discover()))
    commands: dict[str, click.Command] = {}
    owners: dict[str, str] = {}
    builtin = set(cli.commands)
    for owner, contributed in env.contributions("register_cli_commands"):
        for command in contributed:
            name = command.name or ""
            if name in builtin:
                raise BootError(f"addon {owner!r} contributes the command {name!r}, which "
                                f"the kernel already has")
            if name in commands:
                raise BootError(f"the command {name!r} is contributed twice ({owners[name]} "
                                f"and {owner})")
            commands[name] = command
            owners[name] = owner
    return commands


@click.group(cls=OpenJXCGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(KERNEL_VERSION, prog_name="openjxc")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
def cli(verbose: bool) -> None:
    """OpenJXC: purchase, sales and inventory for equipment dealers."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def settings_for(database: str | None) -> Settings:
    return Settings.from_env(database_url=normalize_url(database))


def open_environment(database: str | None) -> Environment:
    """The environment of an existing database (a mistyped SQLite path is refused, not
    created empty)."""
    url = normalize_url(database)
    require_existing_database(url)
    return Environment.open(url, settings=settings_for(database))


class _ProgressBar:
    """A progress bar on stderr for long work reporting ``(label, done, total)``."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._done = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                          item_show_func=lambda item: item)
            self._bar.__enter__()
        self._bar.update(done - self._done, step)
        self._done = done
        if done >= total:
            self._bar.__exit__(None, None, None)


def _progress(label: str) -> Callable[[str, int, int], None]:
    return _ProgressBar(label)


def _split(addons: str | None) -> list[str]:
    return [a.strip() for a in (addons or "").split(",") if a.strip()]


@cli.command()
@click.option("--edition", type=click.Choice(list(EDITIONS)), default=None,
              help="Named addon set to install.")
@click.option("--addons", default=None, metavar="A,B", help="Extra addons (comma-separated).")
@database_option
def init(edition: str | None, addons: str | None, database: str | None) -> None:
    """Create a new database with an edition and/or addons."""
    from openjxc.core.migrate import create_database

    extra = _split(addons)
    if edition is None and not extra:
        raise click.UsageError("give --edition or --addons")
    manifests = resolve_edition(edition, extra)
    env = Environment(manifests, database=Database(normalize_url(database)),
                      settings=settings_for(database))
    create_database(env, progress=_progress("init"))
    click.echo(f"created {env.database.engine.url.render_as_string(True)} with "
               f"{', '.join(env.addon_names)}")


@cli.command()
@click.argument("addons", nargs=-1, required=True)
@database_option
def install(addons: tuple[str, ...], database: str | None) -> None:
    """Add addons to an existing database (an edition upgrade), keeping every row."""
    from openjxc.core.migrate import install_addons

    env = open_environment(database)
    already = [a for a in addons if a in env.addon_names]
    if already:
        click.echo(f"already installed: {', '.join(already)}", err=True)
    new_env = install_addons(env, addons, progress=_progress("install"))
    added = [n for n in new_env.addon_names if n not in env.addon_names]
    click.echo(f"installed {', '.join(added) or 'nothing new'}")


@cli.command()
@database_option
def migrate(database: str | None) -> None:
    """Bring every installed addon's tables to the code's version."""
    from openjxc.core.migrate import pending_branches, upgrade_database

    env = open_environment(database)
    behind = pending_branches(env)
    upgrade_database(env, progress=_progress("migrate"))
    click.echo(f"migrated {', '.join(behind)}" if behind else "already up to date")


@cli.command(name="check")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--only", "only", multiple=True, metavar="KEY",
              help="Run only the checks whose key starts with KEY (repeatable).")
@database_option
def check_command(as_json: bool, only: tuple[str, ...], database: str | None) -> None:
    """Audit the database: every invariant of every installed addon (exit code 1 if one
    is broken)."""
    from openjxc.core.checks import report, run_checks

    env = open_environment(database)
    try:
        results = run_checks(env, only=only)
    finally:
        env.database.dispose()
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        click.echo(report(results))
    if any(not r.ok for r in results):
        sys.exit(1)


@cli.command(name="addons")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@database_option
def addons_command(as_json: bool, database: str | None) -> None:
    """List the addons available here and which ones the database has installed."""
    available = discover()
    installed: set[str] = set()
    url = normalize_url(database)
    try:
        require_existing_database(url)  # listing must not create an empty SQLite file
    except OpenJXCError:
        url = ""
    db = Database(url) if url else None
    try:
        installed = set(installed_addons(db) or ()) if db is not None else set()
    except DBAPIError:
        installed = set()
    finally:
        if db is not None:
            db.dispose()
    rows: list[dict[str, Any]] = [
        {"name": m.name, "version": m.version, "depends": list(m.depends), "tier": m.tier,
         "summary": m.summary, "installed": m.name in installed}
        for m in sorted(available.values(), key=lambda m: m.name)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        mark = "*" if row["installed"] else " "
        deps = ", ".join(row["depends"]) or "-"
        click.echo(f"{mark} {row['name']:<20} {row['version']:<8} {row['tier']:<10} "
                   f"depends: {deps}")


@cli.command()
@click.option("--once", is_flag=True, help="Process what is due, then exit.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls.")
@database_option
@click.option("--tenants", "tenants_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Work for every tenant of this TOML file, in turn (instead of --database).")
def worker(once: bool, poll: float, database: str | None, tenants_file: str | None) -> None:
    """Deliver after-commit events (outbox), evaluate alerts and run scheduled jobs."""
    import threading

    if tenants_file is not None:
        _work_for_tenants(tenants_file, once, poll)
        return
    from openjxc.core.alerts import AlertScheduler
    from openjxc.core.jobs import JobScheduler
    from openjxc.core.migrate import check_up_to_date
    from openjxc.core.outbox import OutboxWorker

    env = open_environment(database)
    check_up_to_date(env)
    scheduler = AlertScheduler(env)
    jobs = JobScheduler(env)
    runner = OutboxWorker(env)
    if once:
        report = scheduler.run_due()
        ran = jobs.run_due()
        click.echo(f"alerts: {len(report.opened)} opened, {len(report.resolved)} resolved; "
                   f"jobs: {len(ran.ran)} ran, {len(ran.failed)} failed; "
                   f"processed {runner.run_once()} messages")
        return
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(stop,),
                                kwargs={"poll_interval": poll}, daemon=True)
               for target in (scheduler.run_forever, jobs.run_forever)]
    for thread in threads:
        thread.start()
    try:
        runner.run_forever(stop, poll_interval=poll)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def _work_for_tenants(path: str, once: bool, poll: float) -> None:
    """``worker --tenants``: every tenant's outbox, alerts and jobs in this one process."""
    import threading

    from click.core import ParameterSource

    from openjxc.core.tenants import TenantsWorker, close_all, load_tenants, open_tenants

    if click.get_current_context().get_parameter_source("database") == (
            ParameterSource.COMMANDLINE):
        raise click.UsageError("give either --database or --tenants, not both")
    envs = open_tenants(load_tenants(path))  # refuses a tenant that is missing or behind
    try:
        runner = TenantsWorker(envs)
        if once:
            passes = runner.run_once()
            for done in passes:
                click.echo(f"tenant {done.tenant}: "
                           + (f"failed: {done.error}" if done.error else done.summary))
            failed = [p.tenant for p in passes if p.error]
            if failed:
                raise click.ClickException(f"the pass failed for {', '.join(failed)}")
            return
        stop = threading.Event()
        try:
            runner.run_forever(stop, poll_interval=poll)
        except KeyboardInterrupt:
            stop.set()
    finally:
        close_all(envs.values())


@cli.group()
def user() -> None:
    """Manage users."""


@user.command(name="create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, default=("admin",), show_default=True,
              help="Role to grant (repeatable); 'admin' holds every permission.")
@click.option("--locale", default=None, help="zh_CN or en.")
@database_option
def user_create(username: str, password: str, roles: tuple[str, ...], locale: str | None,
                database: str | None) -> None:
    """Create a user with a password and roles."""
    from openjxc.core.security import create_user

    env = open_environment(database)
    with env.unit_of_work() as session:
        create_user(session, env, username, password, roles=list(roles), locale=locale)
    click.echo(f"created user {username} ({', '.join(roles)})")


@cli.command()
@click.option("--edition", type=click.Choice(list(EDITIONS)), default="enterprise",
              show_default=True)
@click.option("--addons", default=None, metavar="A,B", help="Extra addons.")
@click.option("--reset", is_flag=True,
              help="Start over: delete an existing SQLite *demo* database first.")
@click.option("--database", "database", envvar="OPENJXC_DEMO_DATABASE_URL",
              default="sqlite:///demo.db", show_default=True, metavar="URL",
              help="Where the demo lives (never OPENJXC_DATABASE_URL: a demo must not "
                   "land in a real database).")
def demo(edition: str, addons: str | None, reset: bool, database: str) -> None:
    """Create a database with every addon's demo data and a user demo/demo1234."""
    from openjxc.core.demo import DEMO_PASSWORD, DEMO_USER, create_demo

    url = normalize_url(database)
    has_demo_user = create_demo(url, edition=edition, extra=_split(addons), reset=reset,
                                progress=_progress("demo"))
    login = (f"log in as {DEMO_USER} / {DEMO_PASSWORD}" if has_demo_user
             else f"it has no {DEMO_USER} user: create one with 'openjxc user create'")
    click.echo(f"demo database ready: {url}; {login}")


@cli.command()
@click.argument("branch")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def revision(branch: str, message: str) -> None:
    """(Development) autogenerate the next migration of an addon from its models."""
    from openjxc.core.migrate import make_revision

    names = [] if branch == "core" else [branch]
    env = Environment.for_addons(names)
    path = make_revision(env, branch, message)
    click.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="openjxc")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
