"""Decoding the global IDs a mutation's input names (one helper for every addon)."""

from __future__ import annotations

from openjxc.graphql import pk_of_global_id, to_global_id


def test_an_id_of_the_expected_type_gives_its_key_and_anything_else_the_unknown_key() -> None:
    order = to_global_id("ServiceOrder", 42)
    assert pk_of_global_id(order, "ServiceOrder") == 42
    assert pk_of_global_id(None, "ServiceOrder") is None  # not given
    assert pk_of_global_id("", "ServiceOrder") is None
    for other in (to_global_id("Product", 42), "not base64!", to_global_id("ServiceOrder", "x"),
                  to_global_id("ServiceOrder", 10**19), to_global_id("ServiceOrder", -3)):
        assert pk_of_global_id(other, "ServiceOrder") is None
        assert pk_of_global_id(other, "ServiceOrder", unknown=-1) == -1
