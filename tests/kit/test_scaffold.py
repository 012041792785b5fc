"""``openjxc addon new``: the generated package installs like any partner's and its own
tests pass as generated, on both backends; bad names and existing directories are refused
with a clear message, a non-zero exit and nothing written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from openjxc.core.cli_kit import add_commands
from openjxc.core.env import Environment
from openjxc.core.migrate import branch_heads
from openjxc.core.scaffold import create_addon, kernel_range

PYTHON = Path(sys.executable)
BIN = PYTHON.parent
ROOT = Path(__file__).resolve().parents[2]


def strict_config(tmp_path: Path) -> Path:
    """``mypy --strict`` with OpenJXC's real types (read from the source tree, as from an
    installed wheel: its own errors are not the addon's)."""
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nplugins = strawberry.ext.mypy_plugin\n"
                      "[mypy-openjxc.*]\nfollow_imports = silent\n", encoding="utf-8")
    return config


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def openjxc(*args: str) -> click.testing.Result:
    group = click.Group()
    add_commands(group)
    return CliRunner().invoke(group, list(args))


@pytest.mark.slow  # started first (tests/conftest.py)
def test_a_generated_addon_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    result = openjxc("addon", "new", "fire_guard", "--path", str(tmp_path / "src"),
                     "--depends", "base_jxc", "--prefix", "fg", "--summary",
                     "Fire extinguisher inspections")
    assert result.exit_code == 0, result.output
    package = tmp_path / "src" / "fire_guard"
    module = package / "fire_guard"
    manifest = tomllib.loads((module / "manifest.toml").read_text(encoding="utf-8"))
    assert manifest == {"name": "fire_guard", "version": "0.1.0", "kernel": kernel_range(),
                        "depends": ["base_jxc"], "tier": "basic",
                        "summary": "Fire extinguisher inspections", "table_prefix": "fg"}
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["openjxc.addons"] == {"fire_guard": "fire_guard"}
    assert project["project"]["dependencies"] == [f"openjxc{kernel_range()}"]
    migration = next((module / "migrations" / "versions").glob("fire_guard_0001_*.py"))
    heads = branch_heads(Environment.for_addons(["base_jxc"]))
    text = migration.read_text(encoding="utf-8")
    assert "branch_labels: str | Sequence[str] | None = (\"fire_guard\",)" in text
    assert f'("{heads["core"]}", "{heads["base_jxc"]}",)' in text

    lint = run(BIN / "ruff", "check", "--no-cache", package, cwd=package)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # mypy --strict runs beside the installation and the tests (it takes a few seconds)
    typecheck = subprocess.Popen(
        [str(BIN / "mypy"), "--config-file", str(strict_config(tmp_path)), "--cache-dir",
         str(tmp_path / "mypy_cache"), module.name, "tests"], cwd=package, text=True,
        env={**os.environ, "MYPYPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)

    # Installed as pip installs it, beside (not into) the project's environment, with the
    # files the kernel reads beside the code (a report template added by the partner too).
    (module / "templates" / "fire_guard").mkdir(parents=True)
    (module / "templates" / "fire_guard" / "note.html").write_text("<p>{{ note }}</p>")
    site = tmp_path / "site"
    installed = run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-compile", "--target", site, package,
                    cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (site / "fire_guard" / "manifest.toml").is_file()
    assert list((site / "fire_guard" / "migrations" / "versions").glob("fire_guard_0001_*"))
    assert list((site / "fire_guard" / "i18n" / "zh_CN" / "LC_MESSAGES").glob("*.po"))
    assert (site / "fire_guard" / "templates" / "fire_guard" / "note.html").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONPATH"] = str(site)
    tests = run(PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                package / "tests", cwd=tmp_path, env=env)
    output = tests.stdout + tests.stderr
    assert tests.returncode == 0, output
    summary = re.search(r"(\d+) passed", output)
    backends = [b for b in os.environ.get("OPENJXC_TEST_BACKENDS", "sqlite,postgresql")
                .split(",") if b.strip()]
    # conformance: 6 tests, one of them per backend; behaviour: one per backend
    assert summary is not None and int(summary.group(1)) == 5 + 2 * len(backends), output
    assert "skipped" not in output and "failed" not in output, output
    typed, _ = typecheck.communicate(timeout=300)
    assert typecheck.returncode == 0, typed

    # The README's next step after changing a model: `openjxc revision NAME -m …` writes
    # the next revision of the addon's branch into its source tree, and it passes ruff.
    models = module / "models.py"
    models.write_text(models.read_text(encoding="utf-8").replace(
        "    created_at:", "    body: Mapped[str | None] = mapped_column(String(500))\n"
        "    created_at:"), encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(package), str(site)])  # as `pip install -e`
    revision = run(PYTHON, "-m", "openjxc", "revision", "fire_guard", "-m", "note body",
                   cwd=tmp_path, env=env)
    assert revision.returncode == 0, revision.stdout + revision.stderr
    second = (module / "migrations" / "versions" / "fire_guard_0002_note_body.py").read_text(
        encoding="utf-8")
    assert "down_revision: str | Sequence[str] | None = 'fire_guard_0001'" in second
    assert "add_column(sa.Column('body'" in second
    lint = run(BIN / "ruff", "check", "--no-cache", package, cwd=package)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize(("name", "reason"), [
    ("FireGuard", "invalid addon name"),
    ("fire-guard", "invalid addon name"),
    ("9lives", "invalid addon name"),
    ("a_name_that_is_far_too_long_for_alembic", "at most 27 characters"),
    ("class", "a word of the kernel or of Python"),
    ("graphql", "a word of the kernel or of Python"),
    ("core", "a word of the kernel or of Python"),
    ("base_jxc", "an addon named 'base_jxc' is already installed"),
    ("email", "standard library"),
    ("hypothesis", "a Python module named 'hypothesis' is already installed"),
])
def test_a_bad_name_is_refused_and_nothing_is_written(tmp_path: Path, name: str,
                                                      reason: str) -> None:
    result = openjxc("addon", "new", name, "--path", str(tmp_path))
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert reason in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "reason"), [
    (["--prefix", "jxc"], "the table prefix 'jxc' is used by the addon 'base_jxc'"),
    (["--prefix", "Bad-Prefix"], "invalid table prefix"),
    (["--prefix", "core"], "invalid table prefix"),
    (["--prefix", "jxc_fg"], "the table prefix 'jxc_fg' overlaps 'jxc' of 'base_jxc'"),
    (["--prefix", "core_fg"], "the table prefix 'core_fg' overlaps 'core' of the kernel"),
    (["--depends", "base_jxc,nonexistent"], "unknown addon(s) in --depends: nonexistent"),
    (["--tier", "platinum"], "Invalid value for '--tier'"),
])
def test_bad_options_are_refused(tmp_path: Path, args: list[str], reason: str) -> None:
    result = openjxc("addon", "new", "fire_guard", "--path", str(tmp_path), *args)
    assert result.exit_code != 0
    assert reason in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "fire_guard").mkdir()
    (tmp_path / "fire_guard" / "notes.txt").write_text("mine")
    result = openjxc("addon", "new", "fire_guard", "--path", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists; nothing was written" in result.output
    assert [p.name for p in (tmp_path / "fire_guard").iterdir()] == ["notes.txt"]
    assert (tmp_path / "fire_guard" / "notes.txt").read_text() == "mine"


def test_an_addon_without_dependencies_starts_after_the_kernel(tmp_path: Path) -> None:
    target = create_addon("fire_guard", tmp_path, depends=[], prefix="fg")
    manifest = (target / "fire_guard" / "manifest.toml").read_text(encoding="utf-8")
    assert "depends = []" in manifest
    heads = branch_heads(Environment.for_addons([]))
    migration = next((target / "fire_guard" / "migrations" / "versions").glob("*.py"))
    assert f'depends_on: str | Sequence[str] | None = ("{heads["core"]}",)' in (
        migration.read_text(encoding="utf-8"))


def test_the_kernel_range_is_this_series() -> None:
    assert kernel_range("0.1.0") == ">=0.1,<0.2"
    assert kernel_range("0.3.7") == ">=0.3,<0.4"
    assert kernel_range("1.4.2") == ">=1.4,<2"


def test_the_readme_commands_exist_with_the_options_it_uses(tmp_path: Path) -> None:
    from openjxc.__main__ import cli
    from openjxc.graphql.cli import add_commands as add_http_commands

    add_http_commands(cli)
    add_commands(cli)
    target = create_addon("fire_guard", tmp_path, prefix="fg", tier="pro")
    readme = (target / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    lines = [line.split("#")[0].split() for block in blocks for line in block.splitlines()]
    commands = [words[1:] for words in lines if words and words[0] == "openjxc"]
    assert {c[0] for c in commands} == {"addons", "install", "init", "revision", "migrate"}
    for words in commands:
        command = cli.commands[words[0]]
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        used = {w for w in words if w.startswith("-")}
        assert used <= options, f"openjxc {words[0]} has no {used - options}"
        result = CliRunner().invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, result.output
    assert "openjxc revision fire_guard -m" in readme
    assert "--edition pro --addons fire_guard" in readme
    assert "pip install -e ." in readme and "OPENJXC_TEST_BACKENDS=sqlite pytest" in readme


def test_openjxc_is_typed_for_the_partners_type_checker() -> None:
    # Without the PEP 561 marker, mypy sees every OpenJXC name as Any in a partner's addon.
    assert (ROOT / "openjxc" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["*"]
    assert "py.typed" in package_data
