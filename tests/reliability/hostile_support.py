"""A small enterprise shop served over the real ASGI app, for the hostile-input tests.

:func:`build_shop` creates an enterprise database at head with

* products ``PLAIN`` (no tracking) and ``SER`` (serial-tracked) in category ``DJ``, and
  ``PCT`` named :data:`LITERAL_NAME` (wildcards, a backslash and a quote);
* warehouses ``WH1``, ``WH2`` and ``WH3``; 10 ``PLAIN`` and serial ``SN-A-0001`` in ``WH1``,
  7 ``PLAIN`` and serial ``SN-B-0001`` in ``WH2``; a stock transfer ``WH2`` → ``WH3`` and a
  stock count of ``WH2`` (documents of warehouses other than ``WH1``);
* users ``admin.en`` / ``admin.zh`` (administrators writing English / Chinese),
  ``clerk.wh1`` / ``clerk.wh1.zh`` (administrators limited to warehouse ``WH1``) and
  ``viewer`` / ``viewer.zh`` (the ``catalog_viewer`` role only), each with a token; and
  tokens that no longer hold: ``revoked``, ``expired`` and ``leaver`` (a deactivated user).

:class:`Api` sends requests through ``httpx.ASGITransport`` from a given client address;
:func:`snapshot` fingerprints every table (row count and a digest of every row) so a test
can prove that a refused request changed nothing; :func:`assert_no_leak` checks that an
answer shows no SQL, trace, secret or internal detail.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine, MetaData, event, select, update

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.models import utcnow
from openjxc.core.security import create_token, create_user, passwords
from openjxc.core.security.models import User
from openjxc.core.security.tokens import revoke_token
from openjxc.graphql.app import create_app
from openjxc.testing.fixtures import DatabaseFactory, create_test_database

PASSWORD = "hostile-pass-2026"
USERS: dict[str, dict[str, Any]] = {
    "admin.en": {"roles": ["admin"], "locale": "en"},
    "admin.zh": {"roles": ["admin"], "locale": "zh_CN"},
    "clerk.wh1": {"roles": ["admin"], "locale": "en"},
    "clerk.wh1.zh": {"roles": ["admin"], "locale": "zh_CN"},
    "viewer": {"roles": ["catalog_viewer"], "locale": "en"},
    "viewer.zh": {"roles": ["catalog_viewer"], "locale": "zh_CN"},
    "leaver": {"roles": ["admin"], "locale": "en"},
}
#: The name of product ``PCT``.
LITERAL_NAME = "满100%减_5 \\ 'x'"
#: What no answer to a client may contain: SQL, traces, drivers, secrets, paths.
LEAKS = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "SELECT ", "INSERT ", "UPDATE ",
         "DELETE ", "DROP ", "File \"", ".py", "password_hash", "token_hash", "openjxc.",
         "INTERNAL_SERVER_ERROR", "Exception", "Error:", "hostile-pass")


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with toy parameters: these tests are about the API, not the hash's cost."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))


@dataclass
class Shop:
    env: Environment
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def api(self, user: str | None = "admin.en", *, client: str = "10.9.0.1",
            language: str | None = None) -> Api:
        bearer = self.tokens[user] if user is not None else None
        return Api(self, bearer, client=client, language=language)


def build_shop(database_url: str, backend: str) -> Shop:
    # Credentials stay trusted for the whole run: a refused request's SQL is then its own.
    settings = Settings(database_url=database_url, auth_cache_seconds=3600)
    env = Environment.for_edition("enterprise", database_url=database_url, settings=settings)
    create_test_database(env)
    shop = Shop(env, backend)
    hasher = passwords.HASHER
    passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                      type=Type.ID)
    try:
        _seed(shop)
    finally:
        passwords.HASHER = hasher
    admin = shop.api()
    transfer = admin.ok(
        'mutation { stockTransferCreate(input: {fromWarehouseCode: "WH2", '
        'toWarehouseCode: "WH3", lines: [{productCode: "PLAIN", quantity: "1"}]}) '
        "{ stockTransfer { id } errors { code } } }")["stockTransferCreate"]
    count = admin.ok('mutation { stockCountStart(input: {warehouseCode: "WH2"}) '
                     "{ stockCount { id } errors { code } } }")["stockCountStart"]
    assert not transfer["errors"] and not count["errors"], (transfer, count)
    shop.ids["transfer"] = transfer["stockTransfer"]["id"]
    shop.ids["count"] = count["stockCount"]["id"]
    return shop


def _seed(shop: Shop) -> None:
    env = shop.env
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
        for code, tracking in (("PLAIN", "none"), ("SER", "serial")):
            shop.ids[code] = create_product(session, ProductInput(
                code=code, name=f"产品 {code}", category_code="DJ", tracking=tracking)).id
        # A name holding LIKE's wildcards and escape, and a quote: found only literally.
        shop.ids["PCT"] = create_product(session, ProductInput(
            code="PCT", name=LITERAL_NAME, category_code="DJ")).id
        for code in ("WH1", "WH2", "WH3"):
            shop.ids[code] = create_warehouse(session, code=code, name=f"仓库 {code}").id
        supplier = company_location(session, "supplier").id
        for code, plain, serial in (("WH1", 10, "SN-A-0001"), ("WH2", 7, "SN-B-0001")):
            stock = warehouse_location(session, shop.ids[code], "internal").id
            post_moves(session, [
                MoveLine(product_id=shop.ids["PLAIN"], quantity=Decimal(plain),
                         from_location_id=supplier, to_location_id=stock,
                         unit_cost=Decimal("12.50")),
                MoveLine(product_id=shop.ids["SER"], quantity=Decimal(1),
                         from_location_id=supplier, to_location_id=stock,
                         unit_cost=Decimal("99"), serials=[serial])])
        for name, spec in USERS.items():
            scopes = {"warehouse": [shop.ids["WH1"]]} if name.startswith("clerk") else None
            create_user(session, env, name, PASSWORD, roles=spec["roles"],
                        locale=spec["locale"], scopes=scopes)
    with env.unit_of_work() as session:
        for name in USERS:
            shop.tokens[name] = create_token(session, env, name, PASSWORD).token
        # Credentials that no longer hold: revoked, expired, of a deactivated user.
        shop.tokens["revoked"] = create_token(session, env, "admin.en", PASSWORD).token
        revoke_token(session, shop.tokens["revoked"])
        shop.tokens["expired"] = create_token(session, env, "admin.en", PASSWORD,
                                              now=utcnow() - timedelta(days=30)).token
        session.execute(update(User).where(User.username == "leaver").values(active=False))


_SHOPS: dict[str, Shop] = {}


def shared_shop(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """One shop per backend for every hostile-input module of the session (their requests
    are refused and change nothing), dropped when the session ends."""
    backend = str(request.param)
    if backend not in _SHOPS:
        databases = DatabaseFactory(backend, tmp_path_factory.mktemp("hostile"))
        shop = build_shop(databases.new(), backend)

        def close() -> None:
            _SHOPS.pop(backend, None)
            shop.env.database.dispose()
            databases.cleanup()

        request.config.add_cleanup(close)
        _SHOPS[backend] = shop
    return _SHOPS[backend]


# -- talking to the app ----------------------------------------------------------------------

_APPS: dict[int, Any] = {}


@dataclass
class Api:
    """Requests to the shop's ASGI app as one caller from one address."""

    shop: Shop
    bearer: str | None
    client: str = "10.9.0.1"
    language: str | None = None

    @property
    def app(self) -> Any:
        key = id(self.shop.env)
        if key not in _APPS:
            _APPS[key] = create_app(self.shop.env, self.shop.env.settings)
        return _APPS[key]

    def headers(self, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.bearer is not None:
            headers.setdefault("authorization", f"Bearer {self.bearer}")
        if self.language is not None:
            headers.setdefault("accept-language", self.language)
        return headers

    def send(self, method: str, path: str = "/graphql", **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(self.client, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
                return await http.request(method, path, **kwargs)

        return asyncio.run(go())

    def post(self, query: str, variables: Mapping[str, Any] | None = None,
             **headers: str) -> httpx.Response:
        return self.send("POST", json={"query": query, "variables": dict(variables or {})},
                         headers=self.headers(**headers))

    def raw(self, body: bytes, **headers: str) -> httpx.Response:
        return self.send("POST", content=body, headers=self.headers(
            **{"content-type": "application/json", **headers}))

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return payload

    def ok(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        payload = self.execute(query, variables)
        assert not payload.get("errors"), payload
        return payload["data"]

    def refused(self, query: str, variables: Mapping[str, Any] | None = None, *,
                code: str) -> list[dict[str, Any]]:
        """The errors of a request refused with ``code`` (and nothing leaked)."""
        payload = self.execute(query, variables)
        errors: list[dict[str, Any]] = payload.get("errors") or []
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        assert code in codes, (code, payload)
        assert_no_leak(payload)
        return errors


def codes_of(payload: Mapping[str, Any]) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in payload.get("errors") or []]


def assert_no_leak(payload: Any, *extra: str, echoed: Iterable[str] = ()) -> None:
    """Nothing of :data:`LEAKS` (or ``extra``) in ``payload``, once the client's own
    ``echoed`` values (a message may quote what was sent) are taken out."""
    text = str(payload)
    for sent in sorted(echoed, key=len, reverse=True):
        text = text.replace(repr(sent)[1:-1], "").replace(sent, "")
    for needle in (*LEAKS, *extra):
        assert needle not in text, f"{needle!r} leaked: {text[:600]}"


# -- proving that nothing changed ------------------------------------------------------------

_TABLES: dict[int, MetaData] = {}


def snapshot(env: Environment) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows (in a stable order)."""
    metadata = _TABLES.get(id(env))
    if metadata is None:
        metadata = _TABLES[id(env)] = MetaData()
        metadata.reflect(env.database.engine)
    out: dict[str, tuple[int, str]] = {}
    with env.database.engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


class StatementCounter:
    """Counts the SQL statements an engine runs while it is active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _count(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
