"""The command line: clear messages and non-zero exits for wrong input, never a traceback."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from openjxc.core.cli import cli


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_install_migrate_and_list(database_url: str) -> None:
    result = run("init", "--edition", "basic", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "base_jxc" in result.output

    listed = json.loads(run("addons", "--json", "--database", database_url).output)
    by_name = {row["name"]: row for row in listed}
    assert by_name["base_jxc"]["installed"] is True
    assert by_name["serial_warranty"]["installed"] is False
    assert by_name["service_warranty"]["depends"] == ["serial_warranty", "service_orders"]
    assert {"name", "version", "depends", "tier", "installed"} <= set(by_name["base_jxc"])

    result = run("install", "service_orders", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "installed service_orders" in result.output  # alone: no bridge yet

    result = run("install", "serial_warranty", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "installed serial_warranty, service_warranty" in result.output  # with the bridge

    result = run("migrate", "--database", database_url)
    assert result.exit_code == 0 and "already up to date" in result.output


def test_init_twice_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    assert run("init", "--edition", "basic", "--database", url).exit_code == 0
    result = run("init", "--edition", "basic", "--database", url)
    assert result.exit_code == 1
    assert "already holds OpenJXC" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["init", "--edition", "gold"], "'gold' is not one of", 2),
        (["init"], "give --edition or --addons", 2),
        (["init", "--addons", "ghost_addon"], "unknown addon 'ghost_addon'", 1),
        (["install", "serial_warranty"], "does not exist; create it with", 1),
        (["migrate"], "does not exist; create it with", 1),
        (["init", "--edition", "basic", "--database", "mysql://x@y/z"],
         "unsupported database 'mysql'", 1),
    ],
)
def test_wrong_input_answers_a_message_and_a_non_zero_exit(
        tmp_path, args: list[str], message: str, code: int) -> None:  # type: ignore[no-untyped-def]
    if "--database" not in args:
        args = [*args, "--database", f"sqlite:///{tmp_path / 'empty.db'}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)


@pytest.mark.parametrize("command", ["init", "install", "migrate", "addons", "worker",
                                     "demo", "revision", "user"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_an_unreachable_postgresql_is_a_message_not_a_traceback() -> None:
    result = CliRunner().invoke(
        cli, ["init", "--edition", "basic", "--database",
              "postgresql://nobody@127.0.0.1:1/nowhere"])
    assert result.exit_code == 1
    assert "database error" in result.output or "connection" in result.output.lower()
    assert "Traceback" not in result.output


def test_worker_once_evaluates_alerts_and_drains_the_outbox(database_url: str) -> None:
    assert run("init", "--edition", "basic", "--database", database_url).exit_code == 0
    from openjxc.core.env import Environment
    from openjxc.core.outbox import enqueue

    env = Environment.open(database_url)
    with env.unit_of_work() as session:
        enqueue(session, handler_id="nobody:listens", payload={"x": 1})
    env.database.dispose()
    result = run("worker", "--once", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "processed 1 messages" in result.output


def test_user_create_then_refuses_a_duplicate(database_url: str) -> None:
    assert run("init", "--edition", "basic", "--database", database_url).exit_code == 0
    result = run("user", "create", "alice", "--password", "s3cret-pass", "--role", "admin",
                 "--database", database_url)
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(cli, ["user", "create", "ALICE", "--password", "s3cret-pass",
                                     "--database", database_url])
    assert again.exit_code == 1
    assert "Traceback" not in again.output


def test_commands_on_a_mistyped_sqlite_path_create_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "typo.db"
    for args in (["migrate"], ["install", "serial_warranty"], ["worker", "--once"],
                 ["user", "create", "bob", "--password", "long-enough-1"]):
        result = CliRunner().invoke(cli, [*args, "--database", f"sqlite:///{missing}"])
        assert result.exit_code == 1, (args, result.output)
        assert "does not exist; create it with: openjxc init" in result.output
        assert not missing.exists()


def test_an_unwritable_location_is_a_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["init", "--edition", "basic", "--database",
                                      "sqlite:////proc/openjxc/x.db"])
    assert result.exit_code == 1
    assert "cannot create the folder" in result.output and "Traceback" not in result.output


def test_demo_reset_never_deletes_a_real_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'real.db'}"
    assert run("init", "--edition", "basic", "--database", url).exit_code == 0
    assert run("user", "create", "boss", "--password", "boss-password-1",
               "--database", url).exit_code == 0
    result = CliRunner().invoke(cli, ["demo", "--reset", "--edition", "basic",
                                      "--database", url])
    assert result.exit_code == 1
    assert "is not a demo database" in result.output
    from openjxc.core.env import Environment
    from openjxc.core.security import find_user

    env = Environment.open(url)
    with env.unit_of_work(readonly=True) as session:
        assert find_user(session, "boss") is not None
    env.database.dispose()


def test_demo_is_created_then_kept_then_reset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run("demo", "--edition", "basic", "--database", url)
    assert first.exit_code == 0 and "log in as demo / demo1234" in first.output
    again = run("demo", "--edition", "pro", "--database", url)
    assert again.exit_code == 0 and "log in as demo" in again.output
    reset = run("demo", "--reset", "--edition", "basic", "--database", url)
    assert reset.exit_code == 0


def test_addon_commands_may_not_shadow_or_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    from openjxc.core import cli as cli_module
    from openjxc.core.env import Environment
    from openjxc.core.errors import BootError

    def contributions(self: Environment, hook: str, **kwargs: object) -> list:
        if hook == "register_cli_commands":
            return [("a", [click.Command("init")])]
        return []

    monkeypatch.setattr(Environment, "contributions", contributions)
    with pytest.raises(BootError, match="the kernel already has"):
        cli_module._addon_commands()
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code != 0 and "the kernel already has" in result.output


def test_a_database_that_is_not_openjxc_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE something (id INTEGER)").connection.close()
    result = CliRunner().invoke(cli, ["migrate", "--database", f"sqlite:///{path}"])
    assert result.exit_code == 1 and "not an OpenJXC database" in result.output
