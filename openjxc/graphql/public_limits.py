"""A rate limit on public root fields: what anyone may ask, nobody may ask without end.

A root field opened to everyone by a deployment (``public_feature``, e.g. the warranty
check printed on a unit's label) answers callers who need no account; without a limit, a
script could walk serial numbers one after another and learn which exist and whose
warranty runs when.  So each caller without the field's own permission is counted per
client address and feature: after ``Settings.public_feature_max_requests`` calls within
``Settings.public_feature_window_seconds`` it is answered ``TOO_MANY_REQUESTS`` (with
``retryAfterSeconds``) until the window has moved on.  Signed-in users who hold the
permission are never counted.  The counts are those of :class:`~openjxc.graphql.
bearer_throttle.BearerThrottle` (a sliding window per client, in each process's memory):
with ``serve --workers N`` a client gets at most N times the budget.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from openjxc.core.i18n import KernelMessages, translate
from openjxc.core.security.errors import TooManyAttempts
from openjxc.graphql.bearer_throttle import BearerThrottle, client_of

TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
_LIMITS_KEY = "openjxc.graphql.public_limits"


def _limit_of(env: Any, feature: str) -> BearerThrottle:
    limits: dict[str, BearerThrottle] = env.extensions.setdefault(_LIMITS_KEY, {})
    limit = limits.get(feature)
    if limit is None:
        settings = env.settings
        limit = limits.setdefault(feature, BearerThrottle(
            settings.public_feature_max_requests, settings.public_feature_window_seconds))
    return limit


class PublicFeatureLimit(FieldExtension):
    """Counts the calls of an opened public field by callers without ``permission``."""

    def __init__(self, feature: str, permission: str | None) -> None:
        self.feature = feature
        self.permission = permission

    def _count(self, info: Info[Any, Any]) -> None:
        context = info.context
        principal = getattr(context, "principal", None)
        if principal is not None and self.permission and principal.has(self.permission):
            return
        request = getattr(context, "request", None)
        client = client_of(request) if request is not None else None
        env = getattr(context, "env", None)
        if client is None or env is None:
            return  # in-process callers (tests, scripts) have no address to count
        limit = _limit_of(env, self.feature)
        try:
            limit.check(client)
        except TooManyAttempts as exc:
            raise GraphQLError(
                translate(KernelMessages.TOO_MANY_PUBLIC_REQUESTS.msgid,
                          seconds=exc.retry_after_seconds),
                extensions={"code": TOO_MANY_REQUESTS,
                            "retryAfterSeconds": exc.retry_after_seconds}) from None
        limit.record_failure(client)  # one call more in this client's window

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Any, Any],
                **kwargs: Any) -> Any:
        self._count(info)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any,
                            info: Info[Any, Any], **kwargs: Any) -> Any:
        self._count(info)
        result = next_(source, info, **kwargs)
        if inspect.isawaitable(result):
            return await result
        return result
