"""``openjxc import KIND FILE`` and ``openjxc export stock FILE``.

    openjxc import products 产品.xlsx --dry-run
    openjxc import opening_stock 期初库存.csv --date 2026-01-01
    openjxc export stock 库存.xlsx --warehouse WH1

A refused file prints the row-by-row report and exits with code 1; nothing is imported.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from openjxc.core.cli import database_option, open_environment
from openjxc.core.i18n import Translator, _

from .report import KINDS, ImportLimits, format_report

_KIND_NAMES = {kind: kind for kind in KINDS} | {"opening-stock": "opening_stock",
                                                 "stock": "opening_stock"}


def _read(path: Path, limits: ImportLimits) -> bytes:
    """The file, read no further than one byte past the limit (the reader refuses it)."""
    with path.open("rb") as handle:
        return handle.read(limits.max_bytes + 1)


@click.command(name="import")
@click.argument("kind", type=click.Choice(sorted(_KIND_NAMES)), metavar="KIND")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row, import nothing.")
@click.option("--date", "opening_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              default=None, help="Date of opening stock (default: today).")
@click.option("--max-rows", type=click.IntRange(min=1), default=None,
              help="Refuse files with more data rows (default 20000).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=None,
              help="Refuse larger files (default 10 MiB).")
@database_option
def import_command(kind: str, file: Path, dry_run: bool, opening_date: datetime | None,
                   max_rows: int | None, max_bytes: int | None, database: str | None) -> None:
    """Import products, partners or opening_stock from an .xlsx or .csv FILE.

    All or nothing: a single refused row imports nothing and prints the report.
    """
    from .services import import_file

    kind = _KIND_NAMES[kind]
    defaults = ImportLimits.from_env()
    limits = ImportLimits(max_bytes=max_bytes or defaults.max_bytes,
                          max_rows=max_rows or defaults.max_rows)
    env = open_environment(database)
    moved: date | None = opening_date.date() if opening_date else None
    with Translator.for_environment(env).activate():
        with env.unit_of_work() as session:
            result = import_file(session, kind, file.name, _read(file, limits),
                                 dry_run=dry_run, limits=limits, move_date=moved)
        if not result.ok:
            for line in format_report(result.errors):
                click.echo(line, err=True)
            click.echo(str(_("{file}: {count} problems, nothing was imported",
                             file=file.name, count=len(result.errors))), err=True)
            raise click.exceptions.Exit(1)
        done = (_("{file}: {count} rows checked, nothing imported (dry run)",
                  file=file.name, count=result.imported) if dry_run else
                _("{file}: {count} rows imported", file=file.name, count=result.imported))
        click.echo(str(done))


@click.group(name="export")
def export_command() -> None:
    """Export data to files."""


@export_command.command(name="stock")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--warehouse", default=None, help="Only this warehouse (code).")
@click.option("--no-value", is_flag=True, help="Leave out the value column.")
@database_option
def export_stock(file: Path, warehouse: str | None, no_value: bool,
                 database: str | None) -> None:
    """Write the stock levels to an .xlsx FILE."""
    from .export import stock_levels_xlsx

    env = open_environment(database)
    with Translator.for_environment(env).activate():
        with env.unit_of_work(readonly=True) as session:
            content, count = stock_levels_xlsx(session, warehouse_code=warehouse,
                                               include_value=not no_value)
        file.write_bytes(content)
        click.echo(str(_("{file}: {count} stock rows written", file=file.name, count=count)))
