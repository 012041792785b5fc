"""The HTTP commands of ``openjxc``: ``serve`` and ``schema``.

They live beside the app rather than in :mod:`openjxc.core.cli` because the kernel does not
import the GraphQL layer (arrows point down); :mod:`openjxc.__main__` adds them::

    openjxc serve --database postgresql://shop@db/shop --workers 4
    openjxc serve --tenants tenants.toml --workers 4
    openjxc schema --edition pro > schema/pro.graphql
"""

from __future__ import annotations

import os
from typing import Any

import click
from sqlalchemy.engine import make_url

from openjxc.core.addons import EDITIONS, resolve_edition
from openjxc.core.cli import database_option, settings_for
from openjxc.core.db import normalize_url, require_existing_database
from openjxc.core.env import Environment

#: The import string uvicorn's workers use to build their own app (``--workers`` > 1).
APP_FACTORY = "openjxc.graphql.app:app_factory"
#: The same for ``serve --tenants``: the workers read the file ``OPENJXC_TENANTS_FILE`` names.
TENANTS_APP_FACTORY = "openjxc.graphql.tenancy:tenants_app_factory"


def add_commands(cli: click.Group) -> None:
    """Add ``serve`` and ``schema`` to the ``openjxc`` command group."""
    cli.add_command(serve)
    cli.add_command(schema)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 for every one).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1),
              help="Worker processes (each opens its own connections).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@database_option
@click.option("--tenants", "tenants_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Serve the tenants of this TOML file, each chosen by host name "
                   "(instead of --database).")
def serve(host: str, port: int, workers: int, log_level: str, database: str | None,
          tenants_file: str | None) -> None:
    """Serve the GraphQL API, subscriptions, health checks and PDF reports over HTTP.

    Refuses to start on a missing database or one whose migrations are behind.
    """
    import uvicorn

    from openjxc.graphql.app import create_app

    if tenants_file is not None:
        _serve_tenants(tenants_file, host, port, workers, log_level)
        return
    url = normalize_url(database)
    settings = settings_for(database)
    require_existing_database(url)
    env = Environment.open(url, settings=settings)
    app = create_app(env, settings)  # refuses a database that is behind, saying what to run
    options: dict[str, Any] = {"host": host, "port": port, "log_level": log_level,
               "ws_max_size": settings.max_body_bytes}
    shown = make_url(url).render_as_string(hide_password=True)
    click.echo(f"serving {shown} ({', '.join(env.addon_names) or 'kernel only'}) on "
               f"http://{host}:{port}/graphql", err=True)
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # Each worker is a new process that builds its own app: uvicorn needs an import string.
    env.database.dispose()
    os.environ["OPENJXC_DATABASE_URL"] = url
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)


def _serve_tenants(path: str, host: str, port: int, workers: int, log_level: str) -> None:
    """``serve --tenants``: every tenant of the file, chosen by the Host header."""
    import uvicorn
    from click.core import ParameterSource

    from openjxc.core.tenants import TENANTS_FILE_VARIABLE, close_all, load_tenants, open_tenants
    from openjxc.graphql.tenancy import serve_tenants

    source = click.get_current_context().get_parameter_source("database")
    if source == ParameterSource.COMMANDLINE:
        raise click.UsageError("give either --database or --tenants, not both")
    tenants = load_tenants(path)
    # Refuses a tenant whose database is missing or behind; with several workers, each
    # worker process builds the apps itself, so this one only checks the databases.
    app = serve_tenants(tenants) if workers == 1 else None
    envs = ({t.name: t.env for t in app.tenants.values()} if app is not None
            else open_tenants(tenants))
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": log_level,
        "ws_max_size": max(env.settings.max_body_bytes for env in envs.values())}
    for spec in tenants.tenants:
        names = envs[spec.name].addon_names
        click.echo(f"tenant {spec.name}: {', '.join(spec.hosts)} -> "
                   f"{', '.join(names) or 'kernel only'}", err=True)
    click.echo(f"serving {len(envs)} tenants on http://{host}:{port}/graphql"
               + (f" (default: {tenants.default})" if tenants.default else ""), err=True)
    if app is not None:
        uvicorn.run(app, **options)
        return
    close_all(envs.values())
    os.environ[TENANTS_FILE_VARIABLE] = os.path.abspath(path)
    uvicorn.run(TENANTS_APP_FACTORY, factory=True, workers=workers, **options)


@click.command()
@click.option("--edition", type=click.Choice(list(EDITIONS)), default=None,
              help="Named addon set whose schema to print.")
@click.option("--addons", default=None, metavar="A,B", help="Extra addons (comma-separated).")
def schema(edition: str | None, addons: str | None) -> None:
    """Print the GraphQL SDL of an addon set (no database needed).

    The committed ``schema/<edition>.graphql`` files are this command's output.
    """
    from openjxc.graphql import print_sdl

    extra = [a.strip() for a in (addons or "").split(",") if a.strip()]
    if edition is None and not extra:
        raise click.UsageError("give --edition or --addons")
    env = Environment(resolve_edition(edition, extra), settings=settings_for(None))
    sdl = print_sdl(env)
    click.echo(sdl if sdl.endswith("\n") else sdl + "\n", nl=False)
