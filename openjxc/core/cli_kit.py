"""The partner kit's commands: ``openjxc addon new NAME`` (scaffold a pip-installable
addon) and ``openjxc docs`` (generate the hook reference and the event catalogue, check
the API stability snapshot)."""

from __future__ import annotations

from pathlib import Path

import click

from openjxc.core.addons import TIERS
from openjxc.core.errors import OpenJXCError


def add_commands(cli: click.Group) -> None:
    """Called by :mod:`openjxc.__main__` with the root group."""
    cli.add_command(addon)
    cli.add_command(docs)


@click.group()
def addon() -> None:
    """Create addons."""


def _names(values: tuple[str, ...]) -> list[str]:
    return [n.strip() for value in values for n in value.split(",") if n.strip()]


@addon.command(name="new")
@click.argument("name")
@click.option("--path", "path", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="Directory to create the package in (as PATH/NAME).")
@click.option("--depends", "depends", multiple=True, default=("base_jxc",),
              show_default=True, help="An addon it depends on (repeat, or comma-separate).")
@click.option("--prefix", default=None, help="Table prefix (default: the name).")
@click.option("--tier", type=click.Choice(TIERS), default="basic", show_default=True)
@click.option("--summary", default=None, help="One line for the manifest and README.")
def addon_new(name: str, path: Path, depends: tuple[str, ...], prefix: str | None,
              tier: str, summary: str | None) -> None:
    """Scaffold the addon package NAME: manifest, models, services, API, first migration,
    catalogues and tests that pass as generated."""
    from openjxc.core.scaffold import create_addon

    try:
        target = create_addon(name, path, depends=_names(depends), prefix=prefix, tier=tier,
                              summary=summary)
    except OpenJXCError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && pytest {target / 'tests'}")


@click.group()
def docs() -> None:
    """Generate the reference docs (hooks, events) and check the API stability snapshot."""


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


_output = click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path),
                       default=None, help="Write to FILE instead of standard output.")


@docs.command(name="hooks")
@_output
def docs_hooks(output: Path | None) -> None:
    """The hook reference (docs/hooks.md) from openjxc.core.hookspecs."""
    from openjxc.core.docgen import hooks_markdown

    _emit(hooks_markdown(), output)


@docs.command(name="events")
@_output
@click.option("--installed", is_flag=True,
              help="Every addon installed here (yours too), not only the built-in addons "
                   "and this repository's examples/.")
def docs_events(output: Path | None, installed: bool) -> None:
    """The event catalogue (docs/events.md) of the kernel, the built-in addons and the
    examples; with --installed, of every installed addon."""
    from openjxc.core.docgen import event_docs, events_markdown

    _emit(events_markdown(event_docs("installed" if installed else "repo")), output)


@docs.command(name="stability")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("tests/kit/api_stability.json"), show_default=True)
@click.option("--update", is_flag=True,
              help="Rewrite the snapshot after checking that nothing breaks the promise.")
@click.option("--force", is_flag=True,
              help="With --update: record a breaking change anyway (only for what was never "
                   "released).")
def docs_stability(snapshot: Path, update: bool, force: bool) -> None:
    """Check hooks and event payloads against the committed snapshot (the stability
    promise); with --update, record the current API once the check passes."""
    from openjxc.core.stability import check_snapshot, write_snapshot

    problems = check_snapshot(snapshot)
    if problems and not (update and force):
        raise click.ClickException(
            "the API stability promise is broken:\n  " + "\n  ".join(problems)
            + "\nDeprecate first (DEPRECATED in openjxc/core/hookspecs.py); for what was "
              "never released: openjxc docs stability --update --force")
    if update:
        write_snapshot(snapshot)
        click.echo(f"wrote {snapshot}")
    else:
        click.echo(f"{snapshot}: no breaking change")
