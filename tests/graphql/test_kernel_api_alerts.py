"""Alerts through GraphQL: listing, acknowledging, and hearing of them as they happen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gql_support import StatementLog
from test_kernel_api_support import T0, add_alert, add_user, basic_shop, cheap_hashing, signed_in

from openjxc.core.alerts import Alert, Alerting, AlertNotice, publish_after_commit
from openjxc.core.env import Environment
from openjxc.graphql import RequestContext, build_schema, to_global_id
from openjxc.testing.graphql import GraphQLTester

LIST = """
query($filter: AlertFilter, $sort: AlertSort) {
  alerts(filter: $filter, sort: $sort) { totalCount edges { node { ruleKey status } } }
}
"""
ACKNOWLEDGE = """
mutation($id: ID!) {
  alertAcknowledge(input: {id: $id}) {
    alert { status acknowledgedAt acknowledgedBy { username } }
    errors { field code message }
  }
}
"""
WATCHER = ("core.alert.read", "core.alert.acknowledge", "core.user.read")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    yield from basic_shop(database_url)


@pytest.fixture
def shop(env: Environment) -> dict[str, int]:
    """Three alerts of three rules, an hour apart: open, acknowledged, resolved."""
    return {
        "low": add_alert(env, "P-1", rule_key="stock.low", minutes=0),
        "late": add_alert(env, "SO-7", rule_key="sales.late", severity="critical",
                          status="acknowledged", minutes=60),
        "dead": add_alert(env, "P-9", rule_key="stock.dead", severity="info",
                          status="resolved", minutes=120),
    }


def rules(api: GraphQLTester, **variables: Any) -> list[str]:
    edges = api.ok(LIST, variables)["alerts"]["edges"]
    return [e["node"]["ruleKey"] for e in edges]


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def test_alerts_are_listed_newest_first_and_filtered(env: Environment, shop: dict[str, int],
                                                     ) -> None:
    api = GraphQLTester(env, permissions={"core.alert.read"})
    assert rules(api) == ["stock.dead", "sales.late", "stock.low"]
    assert rules(api, sort="OLDEST") == ["stock.low", "sales.late", "stock.dead"]
    assert rules(api, filter={"status": ["OPEN", "ACKNOWLEDGED"]}) == ["sales.late",
                                                                       "stock.low"]
    assert rules(api, filter={"status": "RESOLVED"}) == ["stock.dead"]
    assert rules(api, filter={"severity": ["CRITICAL", "INFO"]}) == ["stock.dead",
                                                                     "sales.late"]
    assert rules(api, filter={"ruleKey": "stock.low"}) == ["stock.low"]
    assert rules(api, filter={"owner": "serial_warranty"}) == []
    counted = api.ok(LIST, {"filter": {"status": ["OPEN"]}})["alerts"]["totalCount"]
    assert counted == 1


def test_an_alert_reads_in_the_readers_language(env: Environment, shop: dict[str, int],
                                                ) -> None:
    query = "query($id: ID!) { node(id: $id) { ... on Alert { title message severity " \
            "subject { kind key } firstSeen owner } } }"
    alert_id = to_global_id("Alert", shop["low"])
    chinese = GraphQLTester(env, permissions={"core.alert.read"}).ok(query, {"id": alert_id})
    assert chinese["node"] == {"title": "警告", "message": "编码 P-1 已存在",
                               "severity": "WARNING",
                               "subject": [{"kind": "product", "key": "42"},
                                           {"kind": "warehouse", "key": "3"}],
                               "firstSeen": T0.isoformat(), "owner": "base_jxc"}
    english = GraphQLTester(env, permissions={"core.alert.read"}, locale="en")
    assert english.ok(query, {"id": alert_id})["node"]["message"] == "Code P-1 already exists"


def test_alerts_need_core_alert_read(env: Environment, shop: dict[str, int]) -> None:
    refused = GraphQLTester(env, permissions={"core.addon.read"}).execute(LIST)
    assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
    anonymous = GraphQLTester(env).anonymous().execute(LIST)
    assert codes(anonymous) == ["UNAUTHENTICATED"]


def test_acknowledging_keeps_the_first_acknowledger(env: Environment, shop: dict[str, int],
                                                     ) -> None:
    add_user(env, "wang.li", permissions=WATCHER)
    add_user(env, "li.na", permissions=WATCHER)
    alert_id = to_global_id("Alert", shop["low"])
    first = signed_in(env, "wang.li").ok(ACKNOWLEDGE, {"id": alert_id})["alertAcknowledge"]
    assert first["errors"] == []
    assert first["alert"]["status"] == "ACKNOWLEDGED"
    assert first["alert"]["acknowledgedBy"] == {"username": "wang.li"}
    assert first["alert"]["acknowledgedAt"] is not None
    second = signed_in(env, "li.na").ok(ACKNOWLEDGE, {"id": alert_id})["alertAcknowledge"]
    assert second == first


def test_a_resolved_or_unknown_alert_cannot_be_acknowledged(
        env: Environment, shop: dict[str, int]) -> None:
    add_user(env, "wang.li", permissions=WATCHER)
    api = signed_in(env, "wang.li")
    resolved = api.ok(ACKNOWLEDGE, {"id": to_global_id("Alert", shop["dead"])})
    assert resolved["alertAcknowledge"] == {"alert": None, "errors": [
        {"field": ["id"], "code": "ALREADY_RESOLVED", "message": "此预警已解除：触发条件已不存在"}]}
    assert rules(api, filter={"status": "RESOLVED"}) == ["stock.dead"]
    for unknown in (to_global_id("Alert", 999), to_global_id("User", 1)):
        errors = api.ok(ACKNOWLEDGE, {"id": unknown})["alertAcknowledge"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(["id"], "NOT_FOUND")]


@pytest.mark.parametrize("raw_pk", ["\u00b2", "\u0663", "01", "+1", "1 ", str(2**63),
                                    "9" * 40])
def test_a_malformed_alert_id_is_not_found_not_a_server_error(
        env: Environment, shop: dict[str, int], raw_pk: str) -> None:
    add_user(env, "wang.li", permissions=WATCHER)
    api = signed_in(env, "wang.li")
    errors = api.ok(ACKNOWLEDGE, {"id": to_global_id("Alert", raw_pk)})["alertAcknowledge"][
        "errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["id"], "NOT_FOUND")]


def test_acknowledging_needs_its_own_permission(env: Environment, shop: dict[str, int]) -> None:
    add_user(env, "wang.li", permissions=["core.alert.read"])
    api = signed_in(env, "wang.li")
    result = api.execute(ACKNOWLEDGE, {"id": to_global_id("Alert", shop["low"])})
    assert codes(result) == ["FORBIDDEN"]
    assert rules(api, filter={"status": "OPEN"}) == ["stock.low"]


def test_who_acknowledged_is_hidden_without_core_user_read(
        env: Environment, shop: dict[str, int]) -> None:
    add_user(env, "wang.li", permissions=["core.alert.read", "core.alert.acknowledge"])
    result = signed_in(env, "wang.li").execute(ACKNOWLEDGE,
                                               {"id": to_global_id("Alert", shop["low"])})
    assert result["data"]["alertAcknowledge"]["alert"]["acknowledgedBy"] is None
    assert result["data"]["alertAcknowledge"]["alert"]["status"] == "ACKNOWLEDGED"
    assert codes(result) == ["FORBIDDEN"]
    assert result["errors"][0]["path"] == ["alertAcknowledge", "alert", "acknowledgedBy"]


def test_who_acknowledged_costs_the_same_statements_for_any_number_of_alerts(
        env: Environment) -> None:
    add_user(env, "wang.li", permissions=WATCHER)
    add_user(env, "li.na", permissions=WATCHER)
    people = [signed_in(env, "wang.li"), signed_in(env, "li.na")]
    reader = GraphQLTester(env, permissions={"core.alert.read", "core.user.read"})
    query = "{ alerts { edges { node { title acknowledgedBy { username roles { name } } } } } }"
    log = StatementLog(env.database.engine)
    counts = []
    for batch in range(2):  # 2 acknowledged alerts, then 6
        for n in range(2 + 2 * batch):
            alert_id = add_alert(env, f"P-{batch}-{n}", minutes=10 * batch + n)
            people[n % 2].ok(ACKNOWLEDGE, {"id": to_global_id("Alert", alert_id)})
        log.clear()
        edges = reader.ok(query)["alerts"]["edges"]
        assert {e["node"]["acknowledgedBy"]["username"] for e in edges} == {"wang.li", "li.na"}
        counts.append(len(log))
    assert len(edges) == 6
    assert counts[0] == counts[1]


# -- subscriptions ------------------------------------------------------------------------

def open_alert(env: Environment, condition: str, *, commit: bool = True) -> None:
    """Open an alert and tell subscribers after commit, as the evaluation does."""
    broadcaster = Alerting.for_environment(env).broadcaster
    try:
        with env.unit_of_work() as session:
            alert = Alert(rule_key="stock.low", condition_key=condition, owner="base_jxc",
                          severity="warning", title="Warning",
                          message="Code {code} already exists", params={"code": condition},
                          first_seen=T0, last_seen=T0)
            session.add(alert)
            session.flush()
            publish_after_commit(session, broadcaster, AlertNotice("opened", alert.to_payload()))
            if not commit:
                raise LookupError("the operation failed")
    except LookupError:
        pass


def listen(env: Environment, document: str, permissions: set[str],
           happen: Callable[[], None], count: int) -> list[Any]:
    """Subscribe, let ``happen`` run, and collect the first ``count`` results."""
    schema = build_schema(env)
    broadcaster = Alerting.for_environment(env).broadcaster

    async def run() -> list[Any]:
        api = GraphQLTester(env, permissions=permissions, locale="en")
        context = RequestContext(env, principal=api.principal, locale="en")
        stream = await schema.subscribe(document, context_value=context)
        if not hasattr(stream, "__anext__"):
            return [stream]  # refused before any stream began
        results = []
        try:
            pending = asyncio.ensure_future(stream.__anext__())
            for _ in range(500):  # until the resolver is subscribed (or refused)
                if broadcaster.subscriber_count or pending.done():
                    break
                await asyncio.sleep(0.01)
            await asyncio.to_thread(happen)
            results.append(await asyncio.wait_for(pending, 10))
            while len(results) < count:
                results.append(await asyncio.wait_for(stream.__anext__(), 10))
        finally:
            await stream.aclose()
            context.close()
        return results

    return asyncio.run(run())


def test_alert_opened_tells_of_committed_openings_only(env: Environment) -> None:
    def happen() -> None:
        open_alert(env, "P-ROLLED-BACK", commit=False)
        open_alert(env, "P-1")

    results = listen(env, "subscription { alertOpened { ruleKey status message } }",
                     {"core.alert.read"}, happen, 1)
    assert [r.errors for r in results] == [None]
    assert [r.data for r in results] == [{"alertOpened": {
        "ruleKey": "stock.low", "status": "OPEN", "message": "Code P-1 already exists"}}]


def test_alert_changed_tells_of_acknowledgements_too(env: Environment,
                                                     shop: dict[str, int]) -> None:
    add_user(env, "wang.li", permissions=WATCHER)
    acknowledger = signed_in(env, "wang.li")

    def happen() -> None:
        acknowledger.ok(ACKNOWLEDGE, {"id": to_global_id("Alert", shop["low"])})
        open_alert(env, "P-2")

    results = listen(env, "subscription { alertChanged { kind alert { ruleKey status } } }",
                     {"core.alert.read"}, happen, 2)
    assert [r.data["alertChanged"] for r in results] == [
        {"kind": "ACKNOWLEDGED", "alert": {"ruleKey": "stock.low", "status": "ACKNOWLEDGED"}},
        {"kind": "OPENED", "alert": {"ruleKey": "stock.low", "status": "OPEN"}},
    ]


def test_alert_subscriptions_need_core_alert_read(env: Environment) -> None:
    for document in ("subscription { alertOpened { ruleKey } }",
                     "subscription { alertChanged { kind } }"):
        results = listen(env, document, {"core.addon.read"}, lambda: None, 1)
        assert [[e.extensions["code"] for e in r.errors] for r in results] == [["FORBIDDEN"]]
