"""Every API change is reviewed: the committed SDL must equal what the code builds.

When this fails after an intended change, run ``make schema`` and commit schema/*.graphql
with the change.
"""

from __future__ import annotations

import re
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


#: API.md "Names the product promises": kernel and base_jxc I (catalog, partners, stock).
PROMISED_BASIC = (
    "me", "node", "nodes", "addons", "alerts", "tokenCreate", "tokenRevoke", "alertAcknowledge",
    "products", "product", "productDefaults", "categories", "partners", "warehouses",
    "locations", "stockLevels", "stockMoves", "stockAsOf", "serialNumber", "serialNumbers",
    "batches", "scan", "bomExplosion", "whereUsed", "compatibleProducts", "stockTransfers",
    "stockCounts", "productCreate", "productUpdate", "categoryCreate", "partnerCreate",
    "warehouseCreate", "stockTransferCreate", "stockTransferShip", "stockTransferReceive",
    "stockCountStart", "stockCountRecord", "stockCountPost", "importFile",
)


def test_the_promised_kernel_and_basic_names_exist() -> None:
    sdl = (SCHEMA_DIR / "basic.graphql").read_text(encoding="utf-8")
    root_fields = set(re.findall(r"^  (\w+)[(:]", sdl, flags=re.MULTILINE))
    missing = [name for name in PROMISED_BASIC if name not in root_fields]
    assert missing == []
