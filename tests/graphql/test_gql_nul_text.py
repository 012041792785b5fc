"""No text with a NUL character reaches a resolver: every string literal and variable
holding ``\\u0000`` is refused before execution with NUL_CHARACTER, localised, on every
field (PostgreSQL cannot store or compare such text)."""

from __future__ import annotations

from graphql import parse

from openjxc.core.env import Environment
from openjxc.graphql.limits import nul_errors
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester


def test_literals_and_variables_are_checked() -> None:
    query = ('query($c: String) { product(code: "A\\u0000B") { id } '
             'other: product(code: $c) { id } }')
    found = nul_errors(query, parse(query), {"c": "ok"}, "en")
    assert [e.extensions for e in found] == [{"code": "NUL_CHARACTER"}]
    assert found[0].locations and found[0].locations[0].column > 1
    plain = '{ product(code: "AB") { id } }'
    assert nul_errors(plain, parse(plain), {"filter": {"search": ["x", {"y": "z\x00"}]}},
                      "zh_CN")[0].message == "文本不能包含 NUL 字符 (\\u0000)"
    assert nul_errors(plain, parse(plain), {"filter": {"search": "x"}}, "en") == []


def test_every_field_refuses_nul_before_it_runs(database_url: str) -> None:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    try:
        api = GraphQLTester(env, locale="en")
        for query, variables in (
                ('{ product(code: "DJ\\u0000") { code } }', None),
                ("query($n: String!) { salesOrder(number: $n) { id } }", {"n": "SO\x00"}),
                ("query($f: StockLevelFilter) { stockLevels(filter: $f) { totalCount } }",
                 {"f": {"productCode": "\x00"}}),
                ('mutation { categoryCreate(input: {code: "X\\u0000", name: "n"}) '
                 '{ errors { code } } }', None)):
            result = api.execute(query, variables)
            assert result["data"] is None, query
            assert [e["extensions"]["code"] for e in result["errors"]] == [
                "NUL_CHARACTER"], query
    finally:
        env.database.dispose()
