"""Every API change is reviewed: the committed SDL must equal what the code builds.

When this fails after an intended change, run ``make schema`` and commit schema/*.graphql
with the change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openjxc.core.env import Environment
from openjxc.graphql import print_sdl

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


@pytest.mark.parametrize("edition", ["basic", "pro", "enterprise"])
def test_committed_sdl_matches_the_code(edition: str) -> None:
    committed = (SCHEMA_DIR / f"{edition}.graphql").read_text(encoding="utf-8")
    built = print_sdl(Environment.for_edition(edition)) + "\n"
    assert built == committed, f"schema/{edition}.graphql is stale: run `make schema`"


def test_the_promised_kernel_and_basic_names_exist() -> None:
    sdl = (SCHEMA_DIR / "basic.graphql").read_text(encoding="utf-8")
    for name in ("me:", "node(", "nodes(", "addons(", "alerts(", "tokenCreate(",
                 "tokenRevoke(", "alertAcknowledge(", "products(", "product(", "categories(",
                 "productCreate(", "categoryCreate("):
        assert f"  {name}" in sdl, name
