"""Reading and changing policies.

``get_policy(session, "purchase.approval_threshold")`` returns the typed value (the company's
setting, else the default).  Values read in a unit of work are remembered in it, so a
posting that consults a policy per line costs one query; :func:`set_policy` forgets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from .models import Policy
from .registry import DEFINITIONS, PolicyDefinition, PolicyValueError

_CACHE = "openjxc.base_jxc.policies"


@dataclass(frozen=True)
class PolicyValue:
    """A policy as the company has it: the definition, the value and whether it is set."""

    definition: PolicyDefinition
    value: Any
    is_default: bool
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    @property
    def text(self) -> str:
        return self.definition.format(self.value)


def _definition(key: str, field: str = "key") -> PolicyDefinition:
    definition = DEFINITIONS.get(key)
    if definition is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("There is no policy {key}", key=key),
                                          field=field))
    return definition


def _stored(session: Session) -> dict[str, Policy]:
    cached = session.info.get(_CACHE)
    if cached is None:
        cached = {row.key: row for row in session.scalars(select(Policy))}
        session.info[_CACHE] = cached
    return cached


def _value(definition: PolicyDefinition, row: Policy | None) -> Any:
    return _parsed(definition, None if row is None else row.value)


def _parsed(definition: PolicyDefinition, text: str | None) -> Any:
    if text is None:
        return definition.default
    try:
        return definition.parse(text)
    except PolicyValueError:  # written by an older version with other bounds
        return definition.default


def policy_from_text(key: str, text: str | None) -> Any:
    """The typed value of policy ``key`` from its stored text (``None``: not stored), for
    a caller that read ``jxc_policy.value`` within a statement of its own."""
    return _parsed(DEFINITIONS[key], text)


def get_policy(session: Session, key: str) -> Any:
    """The typed value of policy ``key`` (``KeyError`` for a key no chapter defines)."""
    definition = DEFINITIONS[key]
    return _value(definition, _stored(session).get(key))


def list_policies(session: Session) -> list[PolicyValue]:
    """Every policy, in key order, with its current value."""
    stored = _stored(session)
    return [PolicyValue(definition, _value(definition, stored.get(key)), key not in stored,
                        getattr(stored.get(key), "updated_at", None),
                        getattr(stored.get(key), "updated_by_id", None))
            for key, definition in sorted(DEFINITIONS.items())]


def set_policy(session: Session, key: str, text: str | None, *,
               user_id: int | None = None) -> PolicyValue:
    """Set policy ``key`` from the text a user entered; ``None`` or ``""`` restores the
    default.  A wrong value is refused with ``INVALID`` and changes nothing."""
    definition = _definition(key)
    row = session.get(Policy, key)
    if text is None or not text.strip():
        if row is not None:
            session.delete(row)
        session.flush()
        session.info.pop(_CACHE, None)
        return PolicyValue(definition, definition.default, True)
    try:
        value = definition.parse(text)
    except PolicyValueError as error:
        raise ValidationFailed(FieldError("INVALID", error.message, field="value")) from None
    canonical = definition.format(value)
    if row is None:
        row = Policy(key=key, value=canonical)
        session.add(row)
    row.value = canonical
    row.updated_at = utcnow()
    row.updated_by_id = user_id
    session.flush()
    session.info.pop(_CACHE, None)
    return PolicyValue(definition, value, False, row.updated_at, user_id)
