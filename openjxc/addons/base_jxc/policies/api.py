"""Policies in GraphQL: ``policies`` (every rule with its value and default) and
``policySet`` (change one, or give it back its default with ``value: null``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import Contribution, field, get_session, make_user_error_type, mutation
from openjxc.graphql.payloads import run_service

from . import registry, services

READ = "jxc.policy.read"
MANAGE = "jxc.policy.manage"


@strawberry.enum(description="How a policy's value is written.")
class PolicyKind(Enum):
    DECIMAL = registry.DECIMAL
    RATE = registry.RATE
    INTEGER = registry.INTEGER
    DAY_LIST = registry.DAY_LIST
    TEXT = registry.TEXT

    __labels__ = {"DECIMAL": _("Amount"), "RATE": _("Fraction (0.05 = 5%)"),
                  "INTEGER": _("Whole number"), "DAY_LIST": _("Days, comma-separated"),
                  "TEXT": _("Text")}


@strawberry.enum
class PolicyErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"


PolicyError = make_user_error_type("Policy", PolicyErrorCode)


@strawberry.type(description="A configurable business rule (approval threshold, receipt "
                             "tolerance, ageing buckets …).")
class Policy:
    key: str
    value: str = strawberry.field(description="The value in force, in canonical form.")
    default_value: str
    kind: PolicyKind
    description: str
    is_default: bool = strawberry.field(description="True when the company has not set it.")
    updated_at: datetime | None

    @classmethod
    def from_value(cls, policy: services.PolicyValue) -> Policy:
        definition = policy.definition
        return cls(key=definition.key, value=policy.text,
                   default_value=definition.format(definition.default),
                   kind=PolicyKind(definition.kind), description=str(definition.description),
                   is_default=policy.is_default, updated_at=policy.updated_at)


def policies(info: Info[Any, Any]) -> list[Policy]:
    return [Policy.from_value(p) for p in services.list_policies(get_session(info))]


@strawberry.input(description="Set a policy from text (\"5000\", \"0.05\", \"30,60,90\"); "
                              "null or empty gives it back its default.")
class PolicySetInput:
    key: str
    value: str | None


@strawberry.type
class PolicySetPayload:
    policy: Policy | None
    errors: list[PolicyError]  # type: ignore[valid-type]


def policy_set(info: Info[Any, Any], input: PolicySetInput) -> PolicySetPayload:
    user_id = getattr(getattr(info.context, "principal", None), "user_id", None)
    value, errors = run_service(info, lambda s: services.set_policy(
        s, input.key, input.value, user_id=user_id), PolicyError)
    return PolicySetPayload(policy=Policy.from_value(value) if value else None, errors=errors)


def contribution() -> Contribution:
    return Contribution(
        types=[Policy, PolicyKind, PolicyError],
        queries=[field(policies, permission=READ, name="policies",
                       description="The company's business rules and their values.")],
        mutations=[mutation(policy_set, permission=MANAGE, name="policySet")],
    )
