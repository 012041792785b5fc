"""Policies: typed values with defaults, validation that changes nothing, the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openjxc.addons.base_jxc.policies.models import Policy
from openjxc.addons.base_jxc.policies.services import get_policy, list_policies, set_policy
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

POLICIES = "{ policies { key value defaultValue kind description isDefault } }"
SET = """mutation($input: PolicySetInput!) { policySet(input: $input) {
  policy { key value isDefault } errors { field code message } } }"""


@pytest.fixture
def env(database_url: str) -> Environment:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    return env


def test_defaults_then_company_values(env: Environment) -> None:
    with env.unit_of_work() as session:
        assert get_policy(session, "purchase.approval_threshold") == Decimal("5000.00")
        assert get_policy(session, "purchase.approvals_above_threshold") == 2
        assert get_policy(session, "invoicing.aging_buckets") == (30, 60, 90)
        assert get_policy(session, "purchase.receipt_tolerance") == Decimal(0)
        set_policy(session, "purchase.approval_threshold", "8000", user_id=7)
        set_policy(session, "invoicing.aging_buckets", " 15，45 ,90,180")
        set_policy(session, "purchase.receipt_tolerance", "0.05")
        # the cache of this unit of work was forgotten by set_policy
        assert get_policy(session, "purchase.approval_threshold") == Decimal("8000.00")
    with env.unit_of_work() as session:
        assert get_policy(session, "purchase.approval_threshold") == Decimal("8000.00")
        assert get_policy(session, "invoicing.aging_buckets") == (15, 45, 90, 180)
        assert get_policy(session, "purchase.receipt_tolerance") == Decimal("0.05")
        listed = {p.definition.key: p for p in list_policies(session)}
        assert listed["purchase.approval_threshold"].text == "8000.00"
        assert listed["purchase.approval_threshold"].updated_by_id == 7
        assert listed["sales.quotation_valid_days"].is_default
        set_policy(session, "purchase.approval_threshold", None)
    with env.unit_of_work() as session:
        assert get_policy(session, "purchase.approval_threshold") == Decimal("5000.00")
        assert session.scalar(select(func.count()).select_from(Policy)) == 2


@pytest.mark.parametrize(("key", "text"), [
    ("purchase.approval_threshold", "abc"),
    ("purchase.approval_threshold", "-1"),
    ("purchase.approval_threshold", "12.345"),
    ("purchase.approval_threshold", "NaN"),
    ("purchase.approvals_above_threshold", "0"),
    ("purchase.approvals_above_threshold", "1.5"),
    ("purchase.approvals_above_threshold", "9"),
    ("purchase.receipt_tolerance", "1.5"),
    ("invoicing.aging_buckets", "60,30"),
    ("invoicing.aging_buckets", "0,30"),
    ("invoicing.aging_buckets", "30,,60"),
    ("invoicing.aging_buckets", "30,²"),
    ("invoicing.aging_buckets", "30,60,99999999"),
    ("analysis.dead_stock_days", "99999"),
])
def test_wrong_values_are_refused_and_change_nothing(env: Environment, key: str,
                                                     text: str) -> None:
    with env.unit_of_work() as session:
        default = get_policy(session, key)
        with pytest.raises(ValidationFailed) as refused:
            set_policy(session, key, text)
        assert refused.value.errors[0].code == "INVALID"
        assert refused.value.errors[0].field == ("value",)
        assert get_policy(session, key) == default
        assert session.scalar(select(func.count()).select_from(Policy)) == 0


def test_unknown_key(env: Environment) -> None:
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as refused:
        set_policy(session, "sales.free_lunch", "1")
    assert refused.value.errors[0].code == "NOT_FOUND"


def test_api_lists_sets_and_refuses(env: Environment) -> None:
    api = GraphQLTester(env)
    listed = {p["key"]: p for p in api.ok(POLICIES)["policies"]}
    threshold = listed["purchase.approval_threshold"]
    assert threshold["value"] == threshold["defaultValue"] == "5000.00"
    assert threshold["kind"] == "DECIMAL" and threshold["isDefault"]
    assert "审批" in threshold["description"]
    done = api.ok(SET, {"input": {"key": "purchase.receipt_tolerance", "value": "0.1"}})
    assert done["policySet"] == {"policy": {"key": "purchase.receipt_tolerance",
                                            "value": "0.1", "isDefault": False},
                                 "errors": []}
    wrong = api.ok(SET, {"input": {"key": "invoicing.aging_buckets", "value": "90,30"}})
    assert wrong["policySet"]["policy"] is None
    assert wrong["policySet"]["errors"][0]["code"] == "INVALID"
    assert "递增" in wrong["policySet"]["errors"][0]["message"]
    reader = GraphQLTester(env, permissions=["jxc.policy.read"])
    assert reader.ok(POLICIES)["policies"]
    reader.refused(SET, {"input": {"key": "purchase.receipt_tolerance", "value": "0"}},
                   code="FORBIDDEN")
    GraphQLTester(env, permissions=[]).refused(POLICIES, code="FORBIDDEN")
