"""An export's idempotency key outlives the purge of idempotency keys: the batch keeps it,
so a late retry gets the same batch back (or IDEMPOTENCY_KEY_REUSED), never a crash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounting_support import World, build_world

from openjxc.addons.accounting_bridge.exports_batches import NEW, ExportRequest, create_batch
from openjxc.core.idempotency import purge_keys

D = Decimal


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    return world


def test_a_key_retried_after_the_purge_gives_the_same_batch(world: World) -> None:
    request = ExportRequest("generic_csv", mode=NEW)
    with world.uow() as s:
        first = create_batch(s, request, idempotency_key="k", user_id=1)
        first_id, content = first.id, first.content
    with world.uow() as s:
        assert purge_keys(s, older_than_days=-1) >= 1
    with world.uow() as s:
        again = create_batch(s, request, idempotency_key="k", user_id=1)
        assert (again.id, again.content) == (first_id, content)
    assert world.refusal(lambda s: create_batch(
        s, ExportRequest("u8_txt", mode=NEW), idempotency_key="k", user_id=1)) == [
        ("IDEMPOTENCY_KEY_REUSED", ("idempotencyKey",))]
