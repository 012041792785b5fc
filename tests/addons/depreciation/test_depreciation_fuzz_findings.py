"""What the GraphQL fuzzing (tests/reliability/test_fuzz_graphql.py) found in depreciation,
kept as regression tests on both backends."""

from __future__ import annotations

from depreciation_support import World, build_world

from openjxc.testing.graphql import GraphQLTester

POLICY_SET = """mutation($limit: Decimal!) { depreciationTaxPolicySet(input: {
  oneTimeEnabled: true, oneTimeFrom: "2024-01-01", oneTimeTo: "2030-12-31",
  oneTimeLimit: $limit}) { policy { oneTimeLimit } errors { field code } } }"""


def test_a_tax_policy_limit_beyond_any_money_column_is_refused_clearly(
        database_url: str) -> None:
    """99999999999999999999.99 overflowed NUMERIC(20,2) on PostgreSQL (and the scaled
    64-bit integer on SQLite): an INTERNAL_SERVER_ERROR instead of a field error."""
    world: World = build_world(database_url)
    try:
        api = GraphQLTester(world.env)
        before = api.ok("{ depreciationTaxPolicy { oneTimeLimit } }")
        for limit in ("99999999999999999999.99", "10000000000000000"):
            payload = api.ok(POLICY_SET, {"limit": limit})["depreciationTaxPolicySet"]
            assert payload == {"policy": None, "errors": [
                {"field": ["oneTimeLimit"], "code": "INVALID"}]}, limit
        assert api.ok("{ depreciationTaxPolicy { oneTimeLimit } }") == before
        kept = api.ok(POLICY_SET, {"limit": "9999999999999999.99"})
        assert kept["depreciationTaxPolicySet"]["errors"] == []
    finally:
        world.env.database.dispose()
