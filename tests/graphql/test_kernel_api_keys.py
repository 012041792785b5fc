"""API keys through GraphQL: shown once, as narrow as asked, never wider than the issuer,
revocable at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_kernel_api_support import (
    add_user,
    basic_shop,
    caller,
    cheap_hashing,
    signed_in,
    still_authenticates,
)

from openjxc.core.env import Environment
from openjxc.graphql import to_global_id
from openjxc.testing.graphql import GraphQLTester

CREATE = """
mutation($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) {
    key
    apiKey { id name prefix username permissions expiresAt revokedAt }
    errors { field code message }
  }
}
"""
REVOKE = """
mutation($id: ID!) {
  apiKeyRevoke(input: {id: $id}) { apiKey { name revokedAt } errors { field code message } }
}
"""
LIST = """
query($filter: ApiKeyFilter) {
  apiKeys(filter: $filter) { totalCount edges { node { name username } } }
}
"""


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    yield from basic_shop(database_url)


@pytest.fixture
def boss(env: Environment) -> GraphQLTester:
    add_user(env, "boss", roles=["admin"])
    return signed_in(env, "boss")


def create(api: GraphQLTester, **input: Any) -> dict[str, Any]:
    input.setdefault("name", "WMS sync")
    return dict(api.ok(CREATE, {"input": input})["apiKeyCreate"])


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def test_a_key_is_shown_once_and_can_do_only_what_it_was_given(
        env: Environment, boss: GraphQLTester) -> None:
    created = create(boss, permissions=["core.alert.read"])
    assert created["errors"] == []
    assert created["key"].startswith(f"ojk_{created['apiKey']['prefix']}_")
    assert created["apiKey"] | {"id": None, "prefix": None} == {
        "id": None, "name": "WMS sync", "prefix": None, "username": "boss",
        "permissions": ["core.alert.read"], "expiresAt": None, "revokedAt": None}
    listed = boss.ok("{ apiKeys { edges { node { name prefix } } } }")["apiKeys"]["edges"]
    assert listed == [{"node": {"name": "WMS sync", "prefix": created["apiKey"]["prefix"]}}]
    integration = caller(env, created["key"])
    assert integration.ok("{ alerts { totalCount } }") == {"alerts": {"totalCount": 0}}
    assert codes(integration.execute("{ addons { name } }")) == ["FORBIDDEN"]


def test_a_key_never_gets_more_than_its_issuer_holds(env: Environment,
                                                     boss: GraphQLTester) -> None:
    add_user(env, "it.clerk", permissions=["core.apikey.manage", "core.alert.read"])
    clerk = signed_in(env, "it.clerk")
    wider = create(clerk, permissions=["core.alert.read", "core.addon.read"])
    assert wider["key"] is None and wider["apiKey"] is None
    assert wider["errors"] == [{"field": ["permissions"], "code": "OUT_OF_SCOPE_PERMISSION",
                                "message": "不能授予您自己没有的权限：core.addon.read"}]
    # A key that may only manage keys cannot mint its owner a broader one either.
    minter = caller(env, create(boss, permissions=["core.apikey.manage"])["key"])
    refused = create(minter, permissions=["core.alert.read"])
    assert [e["code"] for e in refused["errors"]] == ["OUT_OF_SCOPE_PERMISSION"]
    assert boss.ok("{ apiKeys { totalCount } }")["apiKeys"]["totalCount"] == 1
    assert create(clerk, permissions=["core.alert.read"])["errors"] == []


def test_a_key_issued_by_an_expiring_key_expires_with_it(boss: GraphQLTester,
                                                        env: Environment) -> None:
    limit = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    minter = caller(env, create(boss, permissions=["core.apikey.manage", "core.alert.read"],
                                expiresAt=limit.isoformat())["key"])
    refused = create(minter, permissions=["core.alert.read"])
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["expiresAt"], "INVALID")]
    assert refused["key"] is None
    made = create(minter, permissions=["core.alert.read"], expiresAt=limit.isoformat())
    assert made["errors"] == [] and made["key"]


def test_bad_input_is_refused_field_by_field_and_nothing_is_issued(
        boss: GraphQLTester) -> None:
    refused = create(boss, name="  ", permissions=[],
                     expiresAt=(datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["name"], "INVALID"), (["permissions"], "REQUIRED"), (["expiresAt"], "INVALID")]
    unknown = create(boss, permissions=["core.alert.read", "stock.magic.do"])
    assert unknown["errors"] == [{"field": ["permissions"], "code": "UNKNOWN_PERMISSION",
                                  "message": "未知的权限：stock.magic.do"}]
    assert boss.ok("{ apiKeys { totalCount } }")["apiKeys"]["totalCount"] == 0
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    made = create(boss, permissions=["core.alert.read"], expiresAt=later.isoformat())
    assert datetime.fromisoformat(made["apiKey"]["expiresAt"]) == later


def test_a_key_in_someone_elses_name_needs_core_user_manage(
        env: Environment, boss: GraphQLTester) -> None:
    add_user(env, "wms.bot", permissions=["core.alert.read"])
    add_user(env, "it.clerk", permissions=["core.apikey.manage", "core.alert.read"])
    clerk = signed_in(env, "it.clerk")
    result = clerk.execute(CREATE, {"input": {"name": "x", "permissions": ["core.alert.read"],
                                              "username": "wms.bot"}})
    assert codes(result) == ["FORBIDDEN"]
    made = create(boss, permissions=["core.alert.read"], username="WMS.bot")
    assert made["apiKey"]["username"] == "wms.bot"
    assert caller(env, made["key"]).ok("{ me { username } }") == {"me": {"username": "wms.bot"}}
    nobody = create(boss, permissions=["core.alert.read"], username="nobody")
    assert [(e["field"], e["code"]) for e in nobody["errors"]] == [(["username"], "NOT_FOUND")]


def test_a_revoked_key_stops_at_once_and_revoking_again_is_harmless(
        env: Environment, boss: GraphQLTester) -> None:
    made = create(boss, permissions=["core.alert.read"])
    key_id = made["apiKey"]["id"]
    revoked = boss.ok(REVOKE, {"id": key_id})["apiKeyRevoke"]
    assert revoked["errors"] == [] and revoked["apiKey"]["revokedAt"] is not None
    assert not still_authenticates(env, made["key"])
    again = boss.ok(REVOKE, {"id": key_id})["apiKeyRevoke"]
    assert again == revoked
    for unknown in (to_global_id("ApiKey", 999), to_global_id("Alert", 1)):
        errors = boss.ok(REVOKE, {"id": unknown})["apiKeyRevoke"]["errors"]
        assert errors == [{"field": ["id"], "code": "NOT_FOUND",
                           "message": "没有此 ID 的 API 密钥"}]


@pytest.mark.parametrize("raw_pk", ["\u00b2", "\u0663", "01", "+1", "1 ", str(2**63),
                                    "9" * 40])
def test_a_malformed_key_id_is_not_found_not_a_server_error(
        boss: GraphQLTester, raw_pk: str) -> None:
    errors = boss.ok(REVOKE, {"id": to_global_id("ApiKey", raw_pk)})["apiKeyRevoke"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["id"], "NOT_FOUND")]


def test_keys_are_listed_newest_first_and_filtered(env: Environment,
                                                  boss: GraphQLTester) -> None:
    add_user(env, "wms.bot", permissions=["core.alert.read"])
    first = create(boss, name="first", permissions=["core.alert.read"])
    create(boss, name="second", permissions=["core.alert.read"], username="wms.bot")
    boss.ok(REVOKE, {"id": first["apiKey"]["id"]})
    everything = boss.ok(LIST)["apiKeys"]
    assert [e["node"]["name"] for e in everything["edges"]] == ["second", "first"]
    live = boss.ok(LIST, {"filter": {"revoked": False}})["apiKeys"]
    assert [e["node"]["name"] for e in live["edges"]] == ["second"]
    mine = boss.ok(LIST, {"filter": {"username": "BOSS"}})["apiKeys"]
    assert [e["node"] for e in mine["edges"]] == [{"name": "first", "username": "boss"}]


def test_managing_keys_needs_core_apikey_manage(env: Environment) -> None:
    add_user(env, "wang.li", permissions=["core.alert.read"])
    clerk = signed_in(env, "wang.li")
    for document, variables in (
            (CREATE, {"input": {"name": "x", "permissions": ["core.alert.read"]}}),
            (REVOKE, {"id": to_global_id("ApiKey", 1)}),
            (LIST, None)):
        assert codes(clerk.execute(document, variables)) == ["FORBIDDEN"]
