"""docs/writing-an-addon.md stays true: every Python and TOML excerpt appears verbatim in
this package, every GraphQL example runs, and the scaffold command it shows exists with
the options it uses."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest
from explosion_proof_support import build_env, rate

from openjxc.testing.graphql import GraphQLTester

PACKAGE = Path(__file__).resolve().parents[1]
GUIDE = PACKAGE.parents[1] / "docs" / "writing-an-addon.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
            if lang == language]


def _sources() -> str:
    files = [p for p in sorted(PACKAGE.rglob("*"))
             if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.mark.parametrize("language", ["python", "toml"])
def test_every_code_excerpt_is_in_the_package(language: str) -> None:
    sources = _sources()
    blocks = _blocks(language)
    assert blocks, f"the guide shows no {language} excerpt"
    stale = [b for b in blocks if b.rstrip("\n") not in sources]
    assert stale == [], "excerpts no longer in examples/explosion_proof:\n" + "\n---\n".join(
        stale)


def test_every_name_in_the_import_table_is_importable_from_its_module() -> None:
    rows = re.findall(r"^\| (`[^|]+) \| (`[^|]+) \|$", GUIDE.read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert len(rows) == 14
    for names, modules in rows:
        found = [importlib.import_module(m) for m in re.findall(r"`([\w.]+)`", modules)]
        for name in re.findall(r"`(\w+)`", names):
            assert any(hasattr(module, name) for module in found), (name, modules)


def test_the_scaffold_command_is_shown_with_options_that_exist() -> None:
    from openjxc.core.cli_kit import addon_new

    options = {opt for param in addon_new.params for opt in param.opts}
    commands = [line for block in _blocks("sh")
                for line in block.replace("\\\n", " ").splitlines()
                if line.startswith("openjxc addon new")]
    assert commands
    for command in commands:
        used = {word for word in shlex.split(command) if word.startswith("--")}
        assert used <= options, f"the guide uses options the scaffold lacks: {used - options}"


def test_every_graphql_example_runs(database_url: str) -> None:
    env = build_env(database_url, [("M01", ""), ("M02", "YB3 Ex d IIC T4 Gb")])
    try:
        rate(env, "M01", "Ex d IIB T4 Gb", expires_in=20)
        api = GraphQLTester(env)
        blocks = _blocks("graphql")
        assert len(blocks) == 3
        listed = api.ok(blocks[1])["products"]  # IIB usable, expiring within 60 days
        assert [e["node"]["code"] for e in listed["edges"]] == ["M01"]
        for block in blocks:
            data = api.ok(block)
            for payload in data.values():
                assert payload.get("errors", []) == [], payload
    finally:
        env.database.dispose()
