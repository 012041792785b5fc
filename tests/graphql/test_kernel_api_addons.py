"""``addons``: what the database runs, then what could be installed, read from manifests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_kernel_api_support import basic_shop

from openjxc.core.addons import discover
from openjxc.core.env import Environment
from openjxc.testing.graphql import GraphQLTester

QUERY = "query($installed: Boolean) { addons(installed: $installed) " \
        "{ name version summary tier depends installed } }"


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    yield from basic_shop(database_url)


def test_addons_lists_the_installed_ones_first_then_the_available(env: Environment) -> None:
    found = GraphQLTester(env, permissions={"core.addon.read"}).ok(QUERY)["addons"]
    base = env.manifest("base_jxc")
    assert found[0] == {"name": "base_jxc", "version": base.version, "summary": base.summary,
                        "tier": "BASIC", "depends": [], "installed": True}
    available = [a["name"] for a in found[1:]]
    assert available == sorted(set(discover()) - {"base_jxc"})
    assert all(not a["installed"] for a in found[1:])
    warranty = next(a for a in found if a["name"] == "serial_warranty")
    assert warranty["tier"] == "PRO" and warranty["depends"] == ["base_jxc"]


def test_installed_narrows_the_list_to_one_kind(env: Environment) -> None:
    api = GraphQLTester(env, permissions={"core.addon.read"})
    installed = api.ok(QUERY, {"installed": True})["addons"]
    assert [(a["name"], a["installed"]) for a in installed] == [("base_jxc", True)]
    others = api.ok(QUERY, {"installed": False})["addons"]
    assert others and "base_jxc" not in {a["name"] for a in others}
    assert not any(a["installed"] for a in others)


def test_addons_needs_core_addon_read(env: Environment) -> None:
    result = GraphQLTester(env, permissions={"core.alert.read"}).execute(QUERY)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert result["data"] is None
