"""docs/deployment.md stays true: every ``openjxc`` command it shows exists with the options
it uses, every deployment setting (``Settings``) is listed with its variable, and the
backup and restore commands it gives work, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from openjxc.core.cli import cli
from openjxc.core.config import Settings
from openjxc.graphql.cli import schema, serve
from openjxc.testing.fixtures import DatabaseFactory

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```$", re.MULTILINE | re.DOTALL)


def command_lines(markdown: str) -> list[list[str]]:
    """Each ``openjxc …`` invocation in the shell and unit-file blocks, as words."""
    found = []
    for language, text in FENCE.findall(markdown):
        if language not in ("sh", "ini"):
            continue
        for line in text.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].removeprefix("ExecStart=")
            for part in re.split(r"&&|\|\||;|\|", line):
                words = shlex.split(part)
                if words and (words[0] == "openjxc" or words[0].endswith("/bin/openjxc")):
                    found.append(words[1:])
    return found


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command ``words`` name, and the words left for its options and arguments."""
    command: click.Command = cli
    ctx = click.Context(cli)
    rest = list(words)
    while isinstance(command, click.Group):
        while rest and rest[0].startswith("-"):  # the group's own options (-v)
            assert rest[0] in _options(command), f"unknown option {rest[0]} of {command.name}"
            rest.pop(0)
        assert rest, f"a group without a command: {words}"
        # serve and schema join the group in openjxc.__main__.main(), not at import
        sub = ({"serve": serve, "schema": schema}.get(rest[0]) if command is cli else None
               ) or command.get_command(ctx, rest[0])
        assert sub is not None, f"no command {rest[0]!r} in {words}"
        command, rest = sub, rest[1:]
    return command, rest


def _options(command: click.Command) -> set[str]:
    names: set[str] = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_the_guide_shows_commands() -> None:
    lines = command_lines(GUIDE.read_text(encoding="utf-8"))
    shown = {resolve(words)[0].name for words in lines}
    assert {"init", "install", "migrate", "serve", "worker", "import", "stock",
            "create", "addons", "demo"} - shown == set()


@pytest.mark.parametrize("words", command_lines(GUIDE.read_text(encoding="utf-8")),
                         ids=" ".join)
def test_every_command_and_option_exists(words: list[str]) -> None:
    command, rest = resolve(words)
    options = _options(command)
    for word in rest:
        if word.startswith("-"):
            assert word.split("=")[0] in options, f"{command.name} has no option {word}"


def test_every_setting_is_listed() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    missing = [f"OPENJXC_{f.name.upper()}" for f in dataclasses.fields(Settings)
               if f"`OPENJXC_{f.name.upper()}`" not in guide]
    assert missing == [], f"settings missing from docs/deployment.md: {missing}"


def test_public_features_are_explained() -> None:
    assert "`OPENJXC_PUBLIC_FEATURES`" in GUIDE.read_text(encoding="utf-8")
    assert Settings.from_env({"OPENJXC_PUBLIC_FEATURES": "warrantyCheck"}).public_features \
        == frozenset({"warrantyCheck"})


def test_listing_addons_creates_no_database(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's first command, ``openjxc addons`` in a fresh directory, must not leave
    an empty ``openjxc.db`` behind (which a later ``init`` would happily fill)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENJXC_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["addons"], catch_exceptions=False)
    assert result.exit_code == 0 and "base_jxc" in result.output
    assert list(tmp_path.iterdir()) == []


# -- backups and restores, as the guide writes them ------------------------------------------

EXAMPLE_PG = "postgresql://openjxc@127.0.0.1:5432/openjxc"
EXAMPLE_SQLITE = "/srv/openjxc/shop.db"


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n## ", start + len(heading))
    return markdown[start:end if end >= 0 else None]


def backup_lines(backend: str) -> list[str]:
    """The shell lines of "Backups" for one backend (continuations joined, comments cut,
    ``sudo -u postgres createdb`` left to the test, which makes the empty database)."""
    text = section(GUIDE.read_text(encoding="utf-8"), "## 5. Backups")
    lines = []
    for language, block in FENCE.findall(text):
        assert language == "sh"
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            tool = line.split(" ")[0] if line else ""
            wanted = ({"pg_dump", "pg_restore", "openjxc"} if backend == "postgresql"
                      else {"sqlite3", "cp", "rm", "openjxc"})
            if tool in wanted and not (tool == "openjxc" and (
                    "sqlite" in line) != (backend == "sqlite")):
                lines.append(line)
    return lines


def test_the_backup_commands_back_up_and_restore(databases: DatabaseFactory,
                                                 tmp_path: Path) -> None:
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.core.env import Environment
    from openjxc.testing.database_templates import create_test_database

    live, restore = databases.new(), databases.new()
    env = Environment.for_edition("basic", database_url=live)
    try:
        create_test_database(env)
        with env.unit_of_work() as session:
            create_category(session, code="DJ", name="电机")
            create_product(session, ProductInput(code="P1", name="三相电机", category_code="DJ"))
    finally:
        env.database.dispose()

    backups = tmp_path / "backups"
    backups.mkdir()
    lines = backup_lines(databases.backend)
    if databases.backend == "postgresql":
        plain = {url: url.replace("postgresql+psycopg://", "postgresql://")
                 for url in (live, restore)}
        swaps = [(EXAMPLE_PG + "_restore", plain[restore]), (EXAMPLE_PG, plain[live])]
        tools = ["pg_dump", "pg_restore", "openjxc", "openjxc"]
    else:
        live_path = live.removeprefix("sqlite:///")
        restore_path = restore.removeprefix("sqlite:///")
        swaps = [(EXAMPLE_SQLITE, live_path), ("/tmp/shop-restore.db", restore_path),
                 ("/tmp/restore-check.xlsx", str(tmp_path / "check.xlsx"))]
        tools = ["sqlite3", "cp", "rm", "sqlite3", "openjxc"]
    assert [line.split(" ")[0] for line in lines] == tools, lines
    swaps += [("/var/backups/openjxc/", f"{backups}/"), ("2026-12-01", "$(date +%F)")]
    outputs = []
    for line in lines:
        for example, real in swaps:
            line = line.replace(example, real)
        if line.startswith("openjxc "):
            line = f"{sys.executable} -m openjxc {line.removeprefix('openjxc ')}"
        if databases.backend == "sqlite" and line.startswith("cp "):
            # restore into the "somewhere else" copy, not over the live file
            line = line.rsplit(" ", 1)[0] + f" {restore_path}"
        if line.startswith("rm "):
            continue  # nothing to remove beside a file no process has open
        done = subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        outputs.append(done.stdout)
    assert any(out.strip() == "ok" for out in outputs) or databases.backend != "sqlite"
    migrated = CliRunner().invoke(cli, ["migrate", "--database", restore],
                                  catch_exceptions=False)
    assert "already up to date" in migrated.output
    restored = Environment.open(restore)
    try:
        with restored.unit_of_work(readonly=True) as session:
            from openjxc.addons.base_jxc.catalog.models import Product

            assert [p.code for p in session.query(Product)] == ["P1"]
    finally:
        restored.database.dispose()
