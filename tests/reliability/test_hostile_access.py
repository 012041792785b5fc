"""Hostile input (issue #9, item 4): asking for what is someone else's, and guessing tokens.

Through the real ASGI app on the enterprise edition, on both backends:

* a user limited to warehouse ``WH1`` asking for documents, stock and serials of ``WH2`` /
  ``WH3`` by node id, by number and through every list finds nothing, and acting on them is
  ``FORBIDDEN`` (in their language, naming no internal id) before any business rule speaks;
* a role without a permission is ``FORBIDDEN`` for the mutations and lists it lacks;
* every wrong bearer credential (unknown, malformed, revoked, expired, of a deactivated
  user) gets the same answer, so a guess tells nothing of who exists;
* guessing is throttled per client address (``429 TOO_MANY_ATTEMPTS`` with
  ``Retry-After``), before any SQL, while the tokens the server already trusts keep working.

Nothing refused changes any table.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from hostile_support import (
    Shop,
    StatementCounter,
    assert_no_leak,
    cheap_hashing,
    codes_of,
    shared_shop,
    snapshot,
)

from openjxc.core.i18n import KernelMessages, translate
from openjxc.core.security.cache import invalidate
from openjxc.core.security.errors import TooManyAttempts
from openjxc.graphql.bearer_throttle import BearerThrottle
from openjxc.testing.fixtures import BACKENDS

__all__ = ["cheap_hashing"]


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return shared_shop(request, tmp_path_factory)


@pytest.fixture
def unchanged(shop: Shop) -> Iterator[None]:
    for user in ("admin.en", "clerk.wh1", "clerk.wh1.zh", "viewer", "viewer.zh"):
        shop.api(user).ok("{ me { username } }")
    before = snapshot(shop.env)
    yield
    assert snapshot(shop.env) == before


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- warehouse scopes ------------------------------------------------------------------------

def test_a_scoped_user_finds_nothing_of_other_warehouses(shop: Shop, unchanged: None) -> None:
    admin, clerk = shop.api(), shop.api("clerk.wh1")
    count_number = admin.ok("{ stockCounts { edges { node { number } } } }")[
        "stockCounts"]["edges"][0]["node"]["number"]
    transfer_number = admin.ok("{ stockTransfers { edges { node { number } } } }")[
        "stockTransfers"]["edges"][0]["node"]["number"]
    by_id = "query($id: ID!) { node(id: $id) { id } }"
    for query, variables, expected in (
            (by_id, {"id": shop.ids["transfer"]}, {"node": None}),
            (by_id, {"id": shop.ids["count"]}, {"node": None}),
            ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
             {"ids": [shop.ids["transfer"], shop.ids["count"]]}, {"nodes": [None, None]}),
            ("query($n: String!) { stockCount(number: $n) { id } }", {"n": count_number},
             {"stockCount": None}),
            ("{ stockTransfers { totalCount } stockCounts { totalCount } }", None,
             {"stockTransfers": {"totalCount": 0}, "stockCounts": {"totalCount": 0}}),
            ('{ stockLevels(filter: {warehouseCode: "WH2"}) { totalCount } }', None,
             {"stockLevels": {"totalCount": 0}}),
            ('{ stockMoves(filter: {warehouseCode: "WH2"}) { totalCount } }', None,
             {"stockMoves": {"totalCount": 0}}),
            ('{ serialNumber(number: "SN-B-0001") { number } }', None,
             {"serialNumber": None}),
            ("{ serialNumbers { edges { node { number } } } }", None,
             {"serialNumbers": {"edges": [{"node": {"number": "SN-A-0001"}}]}}),
            ("{ warehouses { edges { node { code } } } }", None,
             {"warehouses": {"edges": [{"node": {"code": "WH1"}}]}})):
        payload = clerk.execute(query, variables)
        assert payload == {"data": expected}, (query, payload)
    # The lists hold their own warehouse's rows only.
    assert clerk.ok("{ stockLevels { totalCount } }") == {"stockLevels": {"totalCount": 2}}
    assert transfer_number and count_number


def _count_number(shop: Shop) -> str:
    return str(shop.api().ok("{ stockCounts { edges { node { number } } } }")[
        "stockCounts"]["edges"][0]["node"]["number"])


def test_a_scoped_user_cannot_act_on_other_warehouses(shop: Shop, unchanged: None) -> None:
    number = _count_number(shop)
    mutations: list[tuple[str, dict[str, Any] | None]] = [
        ('mutation { stockTransferCreate(input: {fromWarehouseCode: "WH2", toWarehouseCode: '
         '"WH1", lines: [{productCode: "PLAIN", quantity: "1"}]}) { errors { code } } }', None),
        ("mutation($id: ID!) { stockTransferShip(input: {id: $id}) { errors { code } } }",
         {"id": shop.ids["transfer"]}),
        ("mutation($id: ID!) { stockTransferCancel(input: {id: $id}) { errors { code } } }",
         {"id": shop.ids["transfer"]}),
        # WH2 has a count in progress: the refusal comes first, and says nothing of it.
        ('mutation { stockCountStart(input: {warehouseCode: "WH2"}) { errors { code } } }',
         None),
        ("mutation($n: String!) { stockCountRecord(input: {number: $n, entries: "
         '[{locationCode: "WH2/STOCK", code: "PLAIN", quantity: "3"}]}) { errors { code } } }',
         {"n": number}),
        ("mutation($n: String!) { stockCountPost(input: {number: $n}) { errors { code } } }",
         {"n": number}),
        ("mutation($n: String!) { stockCountCancel(input: {number: $n}) { errors { code } } }",
         {"n": number}),
        ('{ stockAsOf(date: "2030-01-01", warehouseCode: "WH2") { quantity } }', None),
    ]
    for user, locale in (("clerk.wh1", "en"), ("clerk.wh1.zh", "zh_CN")):
        api = shop.api(user)
        for query, variables in mutations:
            errors = api.refused(query, variables, code="FORBIDDEN")
            message = errors[0]["message"]
            assert message == translate(KernelMessages.OUT_OF_SCOPE.msgid, locale), errors
            assert_no_leak(errors, "WH2", "in progress")  # the message is exact: no id


def test_a_role_without_the_permission_is_refused(shop: Shop, unchanged: None) -> None:
    refused = [
        ('mutation { productCreate(input: {code: "HX", name: "x", categoryCode: "DJ"}) '
         "{ errors { code } } }", "catalog.product.create"),
        ('mutation { categoryCreate(input: {code: "HX", name: "x"}) { errors { code } } }',
         "catalog.category.create"),
        ('mutation { warehouseCreate(input: {code: "HX", name: "x"}) { errors { code } } }',
         None),
        ('mutation { stockTransferCreate(input: {fromWarehouseCode: "WH1", toWarehouseCode: '
         '"WH2", lines: [{productCode: "PLAIN", quantity: "1"}]}) { errors { code } } }', None),
        ('mutation { apiKeyCreate(input: {name: "hx", permissions: ["stock.level.read"]}) '
         "{ errors { code } } }", None),
        ("{ stockLevels { totalCount } }", "stock.level.read"),
        ("{ salesOrders { totalCount } }", None),
        ("query($id: ID!) { node(id: $id) { id } }", None),
    ]
    for user, chinese in (("viewer", False), ("viewer.zh", True)):
        api = shop.api(user)
        for query, permission in refused:
            variables = {"id": shop.ids["transfer"]} if "$id" in query else None
            payload = api.execute(query, variables)
            assert not any((payload["data"] or {}).values()), payload
            assert codes_of(payload) == ["FORBIDDEN"], payload
            assert_no_leak(payload)
            error = payload["errors"][0]
            assert _cjk(error["message"]) == chinese, error
            if permission is not None:
                assert error["extensions"]["permission"] == permission
    # What the role may do, it does.
    assert shop.api("viewer").ok("{ products { totalCount } }")["products"]["totalCount"] == 3


# -- wrong credentials -----------------------------------------------------------------------

def _without_request_id(payload: dict[str, Any]) -> dict[str, Any]:
    for error in payload.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return payload


def test_a_wrong_credential_says_nothing_of_who_exists(shop: Shop, unchanged: None) -> None:
    wrong = {
        "unknown token": "ojt_" + secrets.token_urlsafe(32),
        "unknown API key": "ojk_" + secrets.token_urlsafe(32),
        "malformed": "not-a-token",
        "SQL": "ojt_' OR 1=1 --",
        "revoked": shop.tokens["revoked"],
        "expired": shop.tokens["expired"],
        "deactivated user": shop.tokens["leaver"],
    }
    answers = {}
    for name, bearer in wrong.items():
        api = shop.api(None, client="10.77.0.1")
        response = api.send("POST", json={"query": "{ me { username } }"},
                            headers={"authorization": f"Bearer {bearer}"})
        assert response.status_code == 200, (name, response.text)
        payload = response.json()
        assert codes_of(payload) == ["UNAUTHENTICATED"], (name, payload)
        assert_no_leak(payload, "admin", "leaver", "revoked", "expired")
        answers[name] = (response.status_code, _without_request_id(payload),
                         response.headers.get("www-authenticate"))
    assert len({repr(a) for a in answers.values()}) == 1, answers


def test_token_guessing_is_throttled_per_client(shop: Shop, unchanged: None) -> None:
    throttle = BearerThrottle.for_environment(shop.env)
    limit = shop.env.settings.bearer_max_failures
    now = [1000.0]
    real_clock = throttle._monotonic
    throttle._monotonic = lambda: now[0]
    guesser, neighbour = "10.66.0.1", "10.66.0.2"
    fresh = shop.tokens["viewer.zh"]  # a valid token this process no longer trusts
    try:
        def guess(client: str = guesser, language: str = "en") -> Any:
            return shop.api(None, client=client, language=language).send(
                "POST", json={"query": "{ me { username } }"}, headers={
                    "authorization": f"Bearer ojt_{secrets.token_urlsafe(32)}",
                    "accept-language": language})

        for _ in range(limit):
            assert guess().status_code == 200
        statements = StatementCounter(shop.env.database.engine)
        with statements:
            for language, chinese in (("en", False), ("zh-CN", True)):
                response = guess(language=language)
                assert response.status_code == 429, response.text
                assert int(response.headers["retry-after"]) > 0
                payload = response.json()
                assert codes_of(payload) == ["TOO_MANY_ATTEMPTS"]
                assert _cjk(payload["errors"][0]["message"]) == chinese
                assert_no_leak(payload)
            # The printable documents answer alike.
            report = shop.api(None, client=guesser).send(
                "GET", "/reports/sales_order/1.pdf",
                headers={"authorization": "Bearer ojt_guess"})
            assert report.status_code == 429
        assert statements.count == 0  # a throttled guess costs no SQL
        # A token this process trusts already keeps working from the same address ...
        assert shop.api("admin.en", client=guesser).ok("{ me { username } }") == {
            "me": {"username": "admin.en"}}
        # ... one it would have to look up waits like the guesses ...
        invalidate(bearer=fresh)
        assert shop.api("viewer.zh", client=guesser).post("{ me { username } }"
                                                          ).status_code == 429
        # ... and other addresses are not concerned.
        assert guess(client=neighbour).status_code == 200
        assert shop.api("viewer.zh", client=neighbour).ok("{ me { username } }")
        # When the window has passed, the guesser is heard again.
        now[0] += shop.env.settings.bearer_window_seconds + 1
        assert guess().status_code == 200
    finally:
        throttle._monotonic = real_clock
        throttle._failures.clear()


# -- the throttle itself ---------------------------------------------------------------------

def test_the_throttle_slides_forgets_and_stays_bounded() -> None:
    now = [0.0]
    throttle = BearerThrottle(3, 60, max_clients=2, monotonic=lambda: now[0])
    for _ in range(3):
        throttle.check("a")
        throttle.record_failure("a")
        now[0] += 10
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("a")
    assert refused.value.retry_after_seconds == 30  # the first failure leaves at 60
    throttle.check(None)  # in-process callers have no address
    now[0] = 61
    throttle.check("a")  # the oldest left the window
    throttle.record_failure("b")
    throttle.record_failure("c")  # "a" is the least recent: forgotten
    assert list(throttle._failures) == ["b", "c"]
    off = BearerThrottle(0, 60)
    for _ in range(10):
        off.record_failure("a")
    off.check("a")
