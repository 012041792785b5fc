"""enumLabels: enum values labelled in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

QUERY = '{ enumLabels(enum: "Tracking") { value label } }'


@pytest.fixture
def api(database_url: str) -> Iterator[GraphQLTester]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    yield GraphQLTester(env)
    env.database.dispose()


def test_labels_follow_the_callers_language(api: GraphQLTester) -> None:
    assert api.ok(QUERY)["enumLabels"] == [
        {"value": "NONE", "label": "不追踪"}, {"value": "BATCH", "label": "按批次"},
        {"value": "SERIAL", "label": "按序列号"}]
    english = api.ok(QUERY, locale="en")["enumLabels"]
    assert [e["label"] for e in english] == ["Not tracked", "By batch", "By serial number"]


def test_an_unknown_enum_is_a_clear_error_and_anonymous_callers_are_refused(
        api: GraphQLTester) -> None:
    result = api.execute('{ enumLabels(enum: "Product") { value } }')
    assert "'Product' is not an enum" in result["errors"][0]["message"]
    anonymous = api.anonymous().execute(QUERY)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
