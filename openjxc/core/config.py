"""Deployment settings: defaults, then ``OPENJXC_*`` environment variables, then CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from openjxc.core.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may tune.  Immutable: derive a changed copy with ``replace``."""

    database_url: str | None = None
    #: GraphiQL in the browser and schema introspection (on in development).
    graphiql: bool = True
    introspection: bool = True
    #: Query protection (API.md "Protection"); all on by default.
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_cost: int = 50_000
    max_body_bytes: int = 1_000_000
    default_page_size: int = 20
    max_page_size: int = 100
    #: Subscriptions: how many a single WebSocket connection may hold.
    max_subscriptions_per_connection: int = 10
    #: Security.
    token_ttl_seconds: int = 8 * 3600
    login_max_failures: int = 5
    login_window_seconds: int = 300
    #: Requests with an invalid bearer credential per client address (per server process)
    #: before its credentials are refused with TOO_MANY_ATTEMPTS; 0 turns it off.
    bearer_max_failures: int = 20
    bearer_window_seconds: int = 60
    #: Calls of an opened public field (``public_features``) per client address and feature
    #: (per server process) by callers without its permission, before TOO_MANY_REQUESTS.
    public_feature_max_requests: int = 30
    public_feature_window_seconds: int = 60
    #: How long a worker process trusts a credential it authenticated, without asking the
    #: database again (0 turns the cache off).  A token revoked through another process
    #: may keep working there this long; never past its own expiry.
    auth_cache_seconds: float = 5.0
    #: How many credentials each worker process remembers at most (least recent go first).
    auth_cache_size: int = 10_000
    #: PostgreSQL connections per worker process: kept open, and opened on top when busy.
    #: The engine reads them from ``OPENJXC_DB_POOL_SIZE`` / ``OPENJXC_DB_MAX_OVERFLOW``
    #: when it is created (see ``openjxc.core.db.create_database_engine``).
    db_pool_size: int = 20
    db_max_overflow: int = 20
    #: Locale and time.
    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    #: Outbox delivery.
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 2.0
    #: Public endpoints opted into per deployment: a root field declared with
    #: ``public_feature="warrantyCheck"`` is public where this lists ``warrantyCheck``
    #: (``OPENJXC_PUBLIC_FEATURES=warrantyCheck``) and keeps its permission elsewhere.
    public_features: frozenset[str] = field(default_factory=frozenset)
    #: Secret used to sign short-lived URLs and webhooks when none is configured per hook.
    secret_key: str = "change-me-in-production"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "openjxc@localhost"
    #: The only directory (and its sub-directories) files may be pushed into on this
    #: server (``OPENJXC_EXPORT_DIR``); empty: no folder pushes at all.
    export_dir: str = ""
    #: Whether file pushes may use plain ``http://`` to other hosts than loopback.
    export_allow_http: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``OPENJXC_<FIELD>`` variables, then explicit overrides."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"OPENJXC_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if kind == "bool":
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind.startswith("frozenset"):
            return frozenset(p.strip() for p in raw.split(",") if p.strip())
    except ValueError:
        raise ConfigError(f"OPENJXC_{name.upper()}: cannot read {raw!r} as {kind}") from None
    return raw
