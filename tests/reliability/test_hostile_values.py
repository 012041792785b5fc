"""Hostile input (issue #9, item 4): values built to break a query or a column.

Through the real ASGI app on the enterprise edition, on both backends:

* SQL-looking strings (``' OR 1=1 --``, ``%``, ``_``, ``\\``, ``'; DROP TABLE``) in every
  text argument of every list root field and of its ``filter`` — the list is generated from
  the schema, so a new filter is covered the day it is added.  They match literally or
  nothing (a ``%`` is no wildcard), and never cause anything but a clear refusal;
* decimals: negative quantities and prices, NaN, Infinity, ``1e400``, 40 digits, more
  decimal places than the column, JSON floats;
* dates: year 0 and 10000, ``2026-02-30``, date-times beyond the representable range.

Each refusal has a stable code and changes nothing in any table; no answer shows SQL, a
trace or another caller's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_composite_type,
)
from hostile_support import (
    LITERAL_NAME,
    Shop,
    assert_no_leak,
    cheap_hashing,
    codes_of,
    shared_shop,
    snapshot,
)

from openjxc.graphql import build_schema
from openjxc.testing.fixtures import BACKENDS

__all__ = ["cheap_hashing"]

SQL_LOOKING = ["' OR 1=1 --", "%", "_", "\\", "'; DROP TABLE jxc_product; --", "%%\\_'\""]
#: Filters whose text has a required format: a hostile value is refused (BAD_USER_INPUT),
#: which is as good as matching nothing.
FORMATTED = {("vouchers", "filter.period")}
#: Where product PCT (named LITERAL_NAME) is found by text, and which strings find it.
LITERAL_HITS = {("products", "filter.search"): {s for s in SQL_LOOKING if s in LITERAL_NAME}}
#: Values for required arguments that are not the text under test.
FILLERS: dict[str, Any] = {"String": "zz-none", "ID": "UHJvZHVjdDo5OTk5OTk=", "Int": 1,
                           "Date": "2026-01-01", "Boolean": False}
ALIASES_PER_REQUEST = 24


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return shared_shop(request, tmp_path_factory)


@pytest.fixture
def unchanged(shop: Shop) -> Iterator[None]:
    for user in ("admin.en", "admin.zh"):
        shop.api(user).ok("{ me { username } }")
    before = snapshot(shop.env)
    yield
    assert snapshot(shop.env) == before


# -- every text argument of every list -------------------------------------------------------

def _is_text(kind: Any) -> bool:
    named = get_named_type(kind)
    return isinstance(named, GraphQLScalarType) and named.name in ("String", "ID")


def _is_list_of_text(kind: Any) -> bool:
    return isinstance(get_nullable_type(kind), GraphQLList)


def _graphql_type(kind: Any) -> str:
    if isinstance(kind, GraphQLNonNull):
        return _graphql_type(kind.of_type) + "!"
    if isinstance(kind, GraphQLList):
        return f"[{_graphql_type(kind.of_type)}]"
    return str(kind.name)


@pytest.fixture(scope="module")
def text_slots(shop: Shop) -> list[dict[str, Any]]:
    """One entry per (list root field, search argument or text field of its filter): how
    to ask it.  (Other text arguments name a record by its code, and an unknown code is
    refused with BAD_USER_INPUT: the fuzzing covers those.)"""
    schema = build_schema(shop.env)._schema
    assert schema.query_type is not None
    slots: list[dict[str, Any]] = []
    for name, root in sorted(schema.query_type.fields.items()):
        result = get_nullable_type(root.type)
        named = get_named_type(root.type)
        connection = isinstance(named, GraphQLObjectType) and "totalCount" in named.fields
        if not connection and not isinstance(result, GraphQLList):
            continue
        selection = "{ totalCount }" if connection else (
            "{ __typename }" if is_composite_type(named) else "")
        candidates: list[tuple[str, str | None, Any]] = []
        for arg_name, arg in root.args.items():
            if arg_name in ("after", "before"):
                continue
            if _is_text(arg.type) and ("search" in arg_name.lower()
                                        or "query" in arg_name.lower()):
                candidates.append((arg_name, None, arg.type))
            filter_type = get_named_type(arg.type)
            if arg_name == "filter" and isinstance(filter_type, GraphQLInputObjectType):
                candidates += [(arg_name, f, t.type) for f, t in filter_type.fields.items()
                               if _is_text(t.type)]
        for arg_name, inner, kind in candidates:
            fillers: dict[str, Any] = {}
            fillable = True
            for other, arg in root.args.items():
                if other == arg_name or not isinstance(arg.type, GraphQLNonNull) \
                        or arg.default_value is not Undefined:
                    continue
                filler = FILLERS.get(get_named_type(arg.type).name)
                if filler is None:
                    fillable = False
                fillers[other] = (_graphql_type(arg.type), filler)
            if not fillable:
                continue
            where = f"{arg_name}.{inner}" if inner else arg_name
            slots.append({"field": name, "where": where, "arg": arg_name, "inner": inner,
                          "arg_type": _graphql_type(root.args[arg_name].type),
                          "list": _is_list_of_text(kind), "selection": selection,
                          "fillers": fillers, "connection": connection})
    return slots


def _ask(shop: Shop, cases: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """One request asking every (slot, hostile string) of ``cases`` under an alias."""
    declarations, selections, variables = [], [], {}
    for i, (slot, text) in enumerate(cases):
        value: Any = [text] if slot["list"] else text
        if slot["inner"]:
            value = {slot["inner"]: value}
        variables[f"v{i}"] = value
        declarations.append(f"$v{i}: {slot['arg_type']}")
        arguments = [f"{slot['arg']}: $v{i}"]
        for other, (kind, filler) in slot["fillers"].items():
            variables[f"v{i}_{other}"] = filler
            declarations.append(f"$v{i}_{other}: {kind}")
            arguments.append(f"{other}: $v{i}_{other}")
        selections.append(f"q{i}: {slot['field']}({', '.join(arguments)}) "
                          f"{slot['selection']}")
    query = f"query({', '.join(declarations)}) {{ {' '.join(selections)} }}"
    response = shop.api().post(query, variables)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_sql_looking_text_in_every_list_matches_literally_or_nothing(
        shop: Shop, text_slots: list[dict[str, Any]], unchanged: None) -> None:
    fields = {slot["field"] for slot in text_slots}
    # Every list root field with a text filter or search is here (the enterprise edition
    # has 28); a new one is swept the day it is added.
    assert len(fields) >= 28 and {"products", "stockMoves", "serialNumbers", "salesOrders",
                                 "vouchers", "assets", "serviceOrders"} <= fields, fields
    cases = [(slot, text) for slot in text_slots for text in SQL_LOOKING]
    problems: list[str] = []
    for start in range(0, len(cases), ALIASES_PER_REQUEST):
        problems += _sweep(shop, cases[start:start + ALIASES_PER_REQUEST])
    assert not problems, "\n".join(problems)


def _sweep(shop: Shop, batch: list[tuple[dict[str, Any], str]]) -> list[str]:
    payload = _ask(shop, batch)
    if payload.get("data") is not None or len(batch) == 1:
        return _judge(payload, batch)
    # A refusal of a non-null list nulls the whole answer: judge the refused, ask the
    # others again.
    refused = {str(e["path"][0]) for e in payload.get("errors") or [] if e.get("path")}
    assert refused, payload
    done = [(i, case) for i, case in enumerate(batch) if f"q{i}" in refused]
    errors = [{**e, "path": [f"q{[i for i, _ in done].index(int(e['path'][0][1:]))}"]}
              for e in payload["errors"] if e.get("path")]
    problems = _judge({"data": None, "errors": errors}, [case for _, case in done])
    return problems + _sweep(shop, [case for i, case in enumerate(batch)
                                    if f"q{i}" not in refused])


def _judge(payload: dict[str, Any], batch: list[tuple[dict[str, Any], str]]) -> list[str]:
    """What is wrong with the answers to ``batch``: an error other than a clear refusal of
    a formatted value, or rows where the text is not literally found."""
    assert_no_leak(payload, echoed=SQL_LOOKING)
    problems = []
    errors_by_alias = {str(e["path"][0]): e for e in payload.get("errors") or []
                       if e.get("path")}
    unplaced = [e for e in payload.get("errors") or [] if not e.get("path")]
    assert not unplaced, unplaced
    for i, (slot, text) in enumerate(batch):
        key = (slot["field"], slot["where"])
        error = errors_by_alias.get(f"q{i}")
        if error is not None:
            code = error["extensions"]["code"]
            if code != "BAD_USER_INPUT" or (key not in FORMATTED and slot["arg"] == "filter"):
                problems.append(f"{key} {text!r}: {code} {error['message']}")
            continue
        result = (payload.get("data") or {}).get(f"q{i}")
        found = result["totalCount"] if slot["connection"] else len(result or [])
        expected = 1 if text in LITERAL_HITS.get(key, ()) else 0
        if found != expected:
            problems.append(f"{key} {text!r}: {found} rows, expected {expected}")
    return problems


def test_wildcards_match_only_themselves(shop: Shop) -> None:
    api = shop.api()
    query = "query($s: String) { products(filter: {search: $s}) { edges { node { code } } } }"
    for text in ("%", "_", "\\", "100%", "%减_5 \\", "'x'", LITERAL_NAME):
        found = api.ok(query, {"s": text})["products"]["edges"]
        assert [e["node"]["code"] for e in found] == ["PCT"], text
    for text in ("1%0", "满_00", "\\%", "x'x"):
        assert api.ok(query, {"s": text})["products"]["edges"] == [], text


# -- decimals --------------------------------------------------------------------------------

PRODUCT = ("mutation($d: Decimal!) { productCreate(input: {code: \"HX-DEC\", name: \"hx\", "
           "categoryCode: \"DJ\", %s: $d}) { product { id } errors { code field message } } }")
TRANSFER = ("mutation($d: Decimal!) { stockTransferCreate(input: {fromWarehouseCode: "
            "\"WH1\", toWarehouseCode: \"WH3\", lines: [{productCode: \"PLAIN\", quantity: "
            "$d}]}) { stockTransfer { id } errors { code field message } } }")
#: Refused by the Decimal scalar before anything runs.
NOT_DECIMALS = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "1e400", "1E+30", "-1e400",
                "1" * 40, "-" + "9" * 40, "0." + "0" * 20 + "1", "", " ", "1,000", "0x10",
                "１２", 1e300, 0.1, True, [], {}]
#: Decimals the scalar reads, refused by the field's rules (sign, scale, magnitude).
BAD_AMOUNTS = ["-1", "-0.01", "1.123456789", "-0.0000001", "99999999999999999999.99",
               10**27]


def _scalar_refused(payload: dict[str, Any]) -> None:
    assert payload.get("data") is None, payload
    assert codes_of(payload) and set(codes_of(payload)) <= {
        "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}, payload
    assert_no_leak(payload)


def test_values_that_are_no_decimal_are_refused_before_anything_runs(
        shop: Shop, unchanged: None) -> None:
    api = shop.api()
    for value in NOT_DECIMALS:
        _scalar_refused(api.execute(PRODUCT % "listPrice", {"d": value}))
        _scalar_refused(api.execute(TRANSFER, {"d": value}))
    # JSON itself: a number too large for a float, and JSON's non-standard NaN.
    for raw in (b"1e400", b"NaN", b"-Infinity", b"1" * 400):
        response = api.raw(b'{"query": "mutation($d: Decimal!) { stockTransferCreate(input: '
                           b'{fromWarehouseCode: \\"WH1\\", toWarehouseCode: \\"WH3\\", lines: '
                           b'[{productCode: \\"PLAIN\\", quantity: $d}]}) { errors { code } } }'
                           b'", "variables": {"d": ' + raw + b"}}")
        assert response.status_code in (200, 400), response.text
        payload = response.json()
        assert set(codes_of(payload)) <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT",
                                          "BAD_REQUEST"} and codes_of(payload), payload
        assert_no_leak(payload)


@pytest.mark.parametrize(("user", "expected"), [
    ("admin.zh", "变量 $d：'1e400' 的整数部分超过 28 位或小数部分超过 12 位"),
    ("admin.en", "Variable $d: '1e400' has more than 28 digits before or 12 after the "
                 "decimal point"),
])
def test_a_value_no_scalar_reads_is_explained_in_the_readers_language(
        shop: Shop, unchanged: None, user: str, expected: str) -> None:
    payload = shop.api(user).execute(TRANSFER, {"d": "1e400"})
    _scalar_refused(payload)
    assert [e["message"] for e in payload["errors"]] == [expected]


@pytest.mark.parametrize("user", ["admin.en", "admin.zh"])
def test_amounts_out_of_a_fields_range_are_refused_in_the_payload(
        shop: Shop, unchanged: None, user: str) -> None:
    api = shop.api(user)
    for value in BAD_AMOUNTS:
        for price in ("listPrice", "standardPrice", "safetyStock", "taxRate"):
            payload = api.execute(PRODUCT % price, {"d": value})
            assert_no_leak(payload)
            if payload.get("errors"):  # too many digits for the scalar itself
                _scalar_refused(payload)
                continue
            result = payload["data"]["productCreate"]
            assert result["product"] is None, (price, value, result)
            assert [e["field"] for e in result["errors"]] == [[price]], (price, value)
            assert all(e["code"] == "INVALID" for e in result["errors"])
            assert any("\u4e00" <= ch <= "\u9fff" for ch in result["errors"][0]["message"]) \
                == (user == "admin.zh"), result
        payload = api.execute(TRANSFER, {"d": value})
        assert_no_leak(payload)
        if payload.get("errors"):
            _scalar_refused(payload)
            continue
        result = payload["data"]["stockTransferCreate"]
        assert result["stockTransfer"] is None and result["errors"], (value, result)
    for zero in ("0", "-0", "0.0000"):
        result = api.ok(TRANSFER, {"d": zero})["stockTransferCreate"]
        assert result["stockTransfer"] is None and result["errors"], (zero, result)


# -- dates -----------------------------------------------------------------------------------

NOT_DATES = ["0000-01-01", "10000-01-01", "-0001-01-01", "2026-02-30", "2026-13-01",
             "2026-00-10", "2026-1-1", "", "today", "2026-01-01T00:00:00Z", 20260101]
NOT_DATETIMES = ["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
                 "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                 "2026-01-01T25:00:00Z", "2026-01-01T00:00:00", "2026-01-01", 1e18,
                 "9" * 40]


def test_dates_out_of_range_are_refused_clearly(shop: Shop, unchanged: None) -> None:
    api = shop.api()
    for value in NOT_DATES:
        _scalar_refused(api.execute(
            "query($d: Date!) { stockAsOf(date: $d) { quantity } }", {"d": value}))
        _scalar_refused(api.execute(
            "query($d: Date) { stockMoves(filter: {dateFrom: $d, dateTo: \"2026-01-01\"}) "
            "{ totalCount } }", {"d": value}))
    for value in ("0001-01-01", "9999-12-31"):  # the ends of the range are dates
        assert api.ok("query($d: Date!) { stockAsOf(date: $d) { quantity } }",
                      {"d": value})["stockAsOf"] is not None
    for value in NOT_DATETIMES:
        _scalar_refused(api.execute(
            "mutation($t: DateTime) { apiKeyCreate(input: {name: \"hx\", permissions: "
            "[\"catalog.product.read\"], expiresAt: $t}) { errors { code } } }",
            {"t": value}))
