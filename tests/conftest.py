"""The database fixtures come from the ``openjxc.testing.fixtures`` pytest plugin, which
partner addons get too (it is registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` start first, spread over the xdist workers: ``--dist load``
    hands each worker a first batch of consecutive tests (a quarter of its share), so each
    batch begins with its share of the slow ones; the rest keep their order.  A slow test
    collected last would otherwise run alone while the other workers wait."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    if not slow:
        return
    rest = [item for item in items if not item.get_closest_marker("slow")]
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers <= 1 or config.getoption("dist", "no") != "load":
        items[:] = slow + rest
        return
    batch = max(2, len(items) // workers // 4)  # xdist's LoadScheduling first batch
    heads = [slow[w::workers] for w in range(workers)]
    ordered: list[pytest.Item] = []
    for head in heads:
        fill = max(0, batch - len(head))
        ordered += head + rest[:fill]
        rest = rest[fill:]
    items[:] = ordered + rest
