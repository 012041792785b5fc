"""Tenants: one server, a basic shop and an enterprise group, chosen by host name, and
nothing one tenant does is seen — read, written, authenticated or streamed — on the other.

Both tenants are fresh databases of the backend (SQLite in one run, PostgreSQL in the
other), with the same user name and password and, because both start empty, the same
primary keys for their first rows: the test that a token, an ID or a cursor of one tenant
does not work on the other is not made easy by different numbers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import threading
import time
import tomllib
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import delete
from starlette.websockets import WebSocketDisconnect
from tenants_support import (
    COUNTS,
    GROUP,
    GROUP_ALIAS,
    PARTNER,
    QUOTATION,
    SHOP,
    UNKNOWN,
    Caller,
    Tenants,
    checksum,
    make_tenants,
    tenant_databases,
)

from openjxc.core.alerts import Alerting, AlertScheduler
from openjxc.core.cli import cli
from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.errors import ConfigError
from openjxc.core.migrate import alembic_config
from openjxc.core.security import AccessToken, create_user
from openjxc.core.security.tokens import digest
from openjxc.core.tenants import (
    TenantError,
    TenantsFile,
    TenantsWorker,
    derive_secret,
    normalize_host,
    open_tenants,
    parse_tenants,
)
from openjxc.graphql import cli as graphql_cli
from openjxc.graphql.tenancy import TenancyApp, serve_tenants
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory, create_test_database

with warnings.catch_warnings():
    # Starlette asks for its httpx fork, which is not a dependency of the project.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

#: Root fields only the enterprise edition has (depreciation, warranties, statements).
ENTERPRISE_ONLY = {"assets", "assetCategories", "warranties"}


@pytest.fixture(scope="module", params=BACKENDS)
def tenants(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    yield from make_tenants(request.param, tmp_path_factory.mktemp(f"tenants_{request.param}"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(tenants: Tenants) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tenants.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        yield client


# -- one app, two tenants ------------------------------------------------------------------

@pytest.mark.anyio
async def test_each_host_sees_its_own_edition_and_its_own_data_only(
        tenants: Tenants, client: httpx.AsyncClient) -> None:
    shop, group = Caller(client, SHOP), Caller(client, GROUP)
    # The edition each database records: the basic shop has no enterprise root fields.
    shop_fields, group_fields = await shop.root_fields(), await group.root_fields()
    assert ENTERPRISE_ONLY <= group_fields
    assert not ENTERPRISE_ONLY & shop_fields
    assert "products" in shop_fields
    # A host is matched without its port and case, and an alias reaches the same tenant.
    assert await Caller(client, "SHOP.Example.TEST:8443").root_fields() == shop_fields
    assert await Caller(client, GROUP_ALIAS).root_fields() == group_fields

    shop_token, group_token = await shop.login(), await group.login()
    # The same user (id 1 in both), the same password: each token works on its own host only,
    # even right after its own host remembered it in its credential cache.
    assert (await shop.ok("{ me { username } }", shop_token))["me"]["username"] == "boss"
    for caller, foreign in ((group, shop_token), (shop, group_token)):
        refused = await caller.post(COUNTS, foreign)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused

    await group.stock_product(group_token, "G-1", "7")
    counts_before = await group.ok(COUNTS, group_token)
    group_before = checksum(tenants.group)
    shop_before = await shop.ok(COUNTS, shop_token)

    # A burst of the shop's writes: products and their stock.
    shop_ids = [await shop.stock_product(shop_token, f"S-{n}", str(n + 1)) for n in range(6)]

    # Not a row of the group's database changed, and the group sees its own data only.
    assert checksum(tenants.group) == group_before
    shop_after = await shop.ok(COUNTS, shop_token)
    for count in ("products", "stockLevels"):
        assert shop_after[count]["totalCount"] == shop_before[count]["totalCount"] + 6
    assert await group.ok(COUNTS, group_token) == counts_before
    assert (await group.ok('{ product(code: "S-1") { code } }', group_token)) == {
        "product": None}

    # The shop's node IDs name nothing of the shop's on the group's host: an ID is a key
    # into the database of the host it is sent to (the group has fewer products than the
    # shop's last key, so that one names nothing there at all).
    by_ids = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { code } } }"
    on_group = (await group.ok(by_ids, group_token, ids=shop_ids))["nodes"]
    assert not [n for n in on_group if n is not None and n["code"].startswith("S-")]
    assert on_group[-1] is None
    on_shop = (await shop.ok(by_ids, shop_token, ids=shop_ids))["nodes"]
    assert [n["code"] for n in on_shop] == [f"S-{n}" for n in range(6)]

    # A cursor is signed with the tenant's own secret: the shop's is refused on the group.
    page = await shop.ok("{ products(first: 1) { pageInfo { endCursor } } }", shop_token)
    cursor = page["products"]["pageInfo"]["endCursor"]
    assert (await shop.ok("query($c: String) { products(first: 1, after: $c) { totalCount } }",
                          shop_token, c=cursor))["products"]["totalCount"] >= 6
    crossed = await group.post("query($c: String) { products(first: 1, after: $c) { totalCount } }",
                               group_token, c=cursor)
    assert crossed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", crossed
    assert tenants.shop.settings.secret_key != tenants.group.settings.secret_key


@pytest.mark.anyio
async def test_a_printed_document_of_one_tenant_is_not_served_on_another(
        tenants: Tenants, client: httpx.AsyncClient) -> None:
    shop, group = Caller(client, SHOP), Caller(client, GROUP)
    shop_token, group_token = await shop.login(), await group.login()
    await shop.ok(PARTNER, shop_token, input={"code": "C-1", "name": "Customer",
                                              "kind": "CUSTOMER"})
    await shop.stock_product(shop_token, "Q-1", "3")
    made = await shop.ok(QUOTATION, shop_token, input={
        "customerCode": "C-1", "lines": [{"productCode": "Q-1", "quantity": "1"}]})
    node_id = made["quotationCreate"]["quotation"]["id"]
    pk = base64.b64decode(node_id).decode().partition(":")[2]
    path = f"/reports/quotation/{pk}.pdf"

    printed = await shop.get(path, shop_token)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    # The shop's token does not open the group's door, and the group's own caller finds
    # no such document in the group's database.
    assert (await group.get(path, shop_token)).status_code == 401
    missing = await group.get(path, group_token)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.anyio
async def test_an_unknown_host_is_refused_and_each_tenant_answers_its_own_readiness(
        tenants: Tenants, client: httpx.AsyncClient) -> None:
    unknown = Caller(client, UNKNOWN)
    refused = await client.post("/graphql", json={"query": "{ __typename }"},
                                headers={"host": UNKNOWN, "accept-language": "en"})
    assert refused.status_code == 421
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "MISDIRECTED_REQUEST"
    assert error["message"] == f"This server does not serve the host {UNKNOWN}"
    chinese = await client.get("/readyz", headers={"host": UNKNOWN, "accept-language": "zh-CN"})
    assert chinese.status_code == 421
    assert chinese.json()["errors"][0]["message"] == f"本服务器不提供主机 {UNKNOWN} 的服务"
    # No Host header, or one naming a tenant only as a part: refused as well.
    assert (await Caller(client, "").get("/graphql")).status_code == 421
    assert (await Caller(client, f"x.{SHOP}").get("/readyz")).status_code == 421
    twice = await client.get("/readyz", headers=[("host", SHOP), ("host", GROUP)])
    assert twice.status_code == 421
    # The process itself answers its health probe whatever the host.
    assert (await unknown.get("/healthz")).json()["status"] == "ok"
    for host in (SHOP, GROUP):
        assert (await Caller(client, host).get("/readyz")).json() == {"status": "ready"}


@pytest.mark.anyio
async def test_each_tenant_runs_with_its_own_settings(
        tenants: Tenants, client: httpx.AsyncClient) -> None:
    shop, group = Caller(client, SHOP), Caller(client, GROUP)
    query = "{ products(first: 80) { totalCount } }"
    # The group caps pages at 50 and speaks English by default; the shop keeps 100, zh_CN.
    assert "errors" not in await shop.post(query, await shop.login())
    capped = await group.post(query, await group.login())
    assert capped["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE", capped
    assert "50" in capped["errors"][0]["message"]
    anonymous = {"shop": await shop.post("{ products { totalCount } }"),
                 "group": await group.post("{ products { totalCount } }")}
    assert anonymous["group"]["errors"][0]["message"] == "Authentication required"
    assert anonymous["shop"]["errors"][0]["message"] != "Authentication required"
    # Each tenant has a connection pool of its own, of its own size.
    pools = {name: t.env.database.engine.pool for name, t in tenants.app.tenants.items()}
    assert pools["shop"] is not pools["group"]
    assert pools["group"].size() == 3 != pools["shop"].size()  # type: ignore[attr-defined]


def test_subscriptions_stream_their_own_tenants_events_only(tenants: Tenants) -> None:
    """An alert opening in the shop reaches the shop's subscriber, never the group's."""
    async def prepare() -> tuple[str, str]:
        transport = httpx.ASGITransport(app=tenants.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as http:
            shop, group = Caller(http, SHOP), Caller(http, GROUP)
            shop_token, group_token = await shop.login(), await group.login()
            await shop.stock_product(shop_token, "LOW-S", "2", safety="10")
            await group.stock_product(group_token, "LOW-G", "1", safety="10")
            return shop_token, group_token

    shop_token, group_token = asyncio.run(prepare())
    document = "subscription { alertChanged { kind alert { ruleKey message } } }"
    shop_broadcast = Alerting.for_environment(tenants.shop).broadcaster
    group_broadcast = Alerting.for_environment(tenants.group).broadcaster
    client = TestClient(tenants.app)
    with connect(client, SHOP) as s_ws, connect(client, GROUP) as g_ws:
        for ws, token in ((s_ws, shop_token), (g_ws, group_token)):
            ws.send_json({"type": "connection_init",
                          "payload": {"authorization": f"Bearer {token}"}})
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": document}})
        wait_until(lambda: shop_broadcast.subscriber_count == 1
                   and group_broadcast.subscriber_count == 1)

        assert AlertScheduler(tenants.shop).run_due().opened
        shop_sees = s_ws.receive_json()["payload"]["data"]["alertChanged"]
        assert shop_sees["kind"] == "OPENED" and "LOW-S" in shop_sees["alert"]["message"]
        # The group's first event is the group's own alert, opened after the shop's.
        assert AlertScheduler(tenants.group).run_due().opened
        group_sees = g_ws.receive_json()["payload"]["data"]["alertChanged"]
        assert "LOW-G" in group_sees["alert"]["message"]
        assert "LOW-S" not in group_sees["alert"]["message"]

    # A token of the shop opens no subscription on the group's host.
    with connect(client, GROUP) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"authorization": f"Bearer {shop_token}"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403
    # Nor does any connection to a host no tenant serves.
    with pytest.raises(WebSocketDisconnect) as refused, connect(client, UNKNOWN):
        pass
    assert refused.value.code == 4421


def test_a_credential_cached_for_one_tenant_never_answers_for_another(
        tenants: Tenants) -> None:
    """Even the very same token string, present in both databases, is each tenant's own:
    the group's copy belongs to the group's clerk and carries the clerk's rights."""
    async def scenario() -> tuple[dict[str, Any], ...]:
        transport = httpx.ASGITransport(app=tenants.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as http:
            shop, group = Caller(http, SHOP), Caller(http, GROUP)
            token = await shop.login()
            with tenants.group.unit_of_work() as session:
                clerk = create_user(session, tenants.group, "clerk", "Clerk-Password-42",
                                    roles=[])
                session.flush()
                own = AccessToken(user_id=clerk.id, token_hash=digest(token),
                                  expires_at=_far_future())
                session.add(own)
            on_shop = await shop.ok("{ me { username } }", token)  # cached by the shop now
            on_group = await group.ok("{ me { username } }", token)
            forbidden = await group.post("{ products { totalCount } }", token)
            with tenants.group.unit_of_work() as session:
                session.execute(delete(AccessToken).where(
                    AccessToken.token_hash == digest(token)))
            return on_shop, on_group, forbidden

    on_shop, on_group, forbidden = asyncio.run(scenario())
    assert on_shop["me"]["username"] == "boss"
    assert on_group["me"]["username"] == "clerk"
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN", forbidden


def connect(client: TestClient, host: str) -> Any:
    return client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"],
                                    headers={"host": host})


def _far_future() -> Any:
    from datetime import timedelta

    from openjxc.core.models import utcnow

    return utcnow() + timedelta(days=1)


def wait_until(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.02)


# -- a real server ---------------------------------------------------------------------------

@pytest.mark.slow
def test_a_real_server_serves_both_tenants_by_host(tmp_path: Path) -> None:
    """``openjxc serve --tenants`` over loopback: a basic shop on SQLite beside an
    enterprise group on PostgreSQL, told apart by the Host header alone."""
    with tenant_databases("sqlite", "postgresql", tmp_path) as (shop_url, group_url):
        serve_for_real(tmp_path, shop_url, group_url)


def serve_for_real(tmp_path: Path, shop_url: str, group_url: str) -> None:
    file = tmp_path / "tenants.toml"
    file.write_text(f'[tenants.shop]\nhosts = ["{SHOP}"]\ndatabase = "{shop_url}"\n\n'
                    f'[tenants.group]\nhosts = ["{GROUP}"]\ndatabase = "{group_url}"\n',
                    encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "openjxc", "serve", "--tenants", str(file), "--port", str(port),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "OPENJXC_DATABASE_URL"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(server, f"{base}/healthz")

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                shop, group = Caller(http, SHOP), Caller(http, GROUP)
                assert not ENTERPRISE_ONLY & await shop.root_fields()
                assert ENTERPRISE_ONLY <= await group.root_fields()
                shop_token = await shop.login()
                assert (await shop.ok("{ me { username } }", shop_token))["me"] == {
                    "username": "boss"}
                refused = await group.post("{ me { username } }", shop_token)
                assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
                assert (await Caller(http, UNKNOWN).get("/readyz")).status_code == 421
                for caller in (shop, group):
                    assert (await caller.get("/readyz")).json() == {"status": "ready"}

            asyncio.run(scenario())
    finally:
        server.terminate()
        server.wait(timeout=10)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"the server did not come up:\n{output}")
            time.sleep(0.1)


# -- starting, and the worker ---------------------------------------------------------------

def test_a_tenant_whose_database_is_missing_or_behind_stops_the_start(
        tenants: Tenants, tmp_path: Path) -> None:
    factory = DatabaseFactory(tenants.backend, tmp_path)
    try:
        late_url = factory.new()
        late = Environment.for_edition("basic", database_url=late_url)
        create_test_database(late)
        served_late = serve_tenants(parse_tenants({"tenants": {
            "late": {"hosts": ["late.test"], "database": late_url}}}))
        # Ready until its migrations fall behind; the others stay ready meanwhile.
        app = TenancyApp([served_late.tenants["late"], tenants.app.tenants["shop"]],
                         owns_databases=False)
        with late.database.engine.begin() as connection:
            command.stamp(alembic_config(late, connection), "base", purge=True)
        with TestClient(app, base_url="http://late.test") as http:
            behind = http.get("/readyz")
            assert behind.status_code == 503 and "openjxc migrate" in behind.json()["reason"]
            assert http.get("/readyz", headers={"host": SHOP}).json() == {"status": "ready"}
        served_late.close()
        late.database.dispose()

        with pytest.raises(TenantError, match=r"tenant 'late' \(late.test\).*openjxc migrate"):
            serve_tenants(parse_tenants({"tenants": {
                "shop": {"hosts": [SHOP], "database": tenants.shop_url},
                "late": {"hosts": ["late.test"], "database": late_url}}}))
        empty_url = factory.new()
        with pytest.raises(TenantError, match=r"tenant 'empty' \(empty.test\)"):
            serve_tenants(parse_tenants({"tenants": {
                "empty": {"hosts": ["empty.test"], "database": empty_url}}}))
        result = CliRunner().invoke(_openjxc(), ["serve", "--tenants", str(_write(tmp_path, {
            "late": late_url}))])
        assert result.exit_code == 1 and "tenant 'late'" in result.output, result.output
        assert "Traceback" not in result.output
    finally:
        factory.cleanup()


def test_one_worker_serves_every_tenant_and_one_failure_stops_no_other(
        tenants: Tenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    envs = open_tenants(tenants.file)
    try:
        worker = TenantsWorker(envs)
        passes = worker.run_once()
        assert [(p.tenant, p.error) for p in passes] == [("shop", None), ("group", None)]

        def broken() -> int:
            raise RuntimeError("the shop's database went away")

        monkeypatch.setattr(worker.outboxes["shop"], "run_once", broken)
        reached: list[str] = []
        real = worker.outboxes["group"].run_once

        def counted() -> int:
            reached.append("group")
            return real()

        monkeypatch.setattr(worker.outboxes["group"], "run_once", counted)
        passes = worker.run_once()
        assert passes[0].tenant == "shop" and "went away" in (passes[0].error or "")
        assert passes[1].tenant == "group" and passes[1].error is None
        assert reached == ["group"]
        # Running on: the shop failing every round never starves the group.
        stop = threading.Event()
        loop = threading.Thread(target=worker.run_forever, args=(stop,),
                                kwargs={"poll_interval": 0.01})
        loop.start()
        wait_until(lambda: len(reached) >= 4)
        stop.set()
        loop.join(timeout=10)
        assert not loop.is_alive()
    finally:
        for env in envs.values():
            env.database.dispose()
    result = CliRunner().invoke(cli, ["worker", "--once", "--tenants", str(_write(tmp_path, {
        "shop": tenants.shop_url, "group": tenants.group_url}))])
    assert result.exit_code == 0, result.output
    assert "tenant shop: alerts:" in result.output and "tenant group: alerts:" in result.output
    both = CliRunner().invoke(cli, ["worker", "--once", "--database", tenants.shop_url,
                                    "--tenants", str(tmp_path / "tenants.toml")])
    assert both.exit_code == 2 and "either --database or --tenants" in both.output


def _write(folder: Path, databases: dict[str, str]) -> Path:
    file = folder / "tenants.toml"
    file.write_text("".join(f'[tenants.{name}]\nhosts = ["{name}.test"]\ndatabase = "{url}"\n\n'
                            for name, url in databases.items()), encoding="utf-8")
    return file


def _openjxc() -> Any:
    from openjxc.core.cli import OpenJXCGroup

    group = OpenJXCGroup()
    graphql_cli.add_commands(group)
    return group


# -- the file --------------------------------------------------------------------------------

def test_the_tenants_file_is_checked_with_clear_messages(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    other = f"sqlite:///{tmp_path / 'b.db'}"
    mistakes: dict[str, dict[str, Any]] = {
        "no tenants": {},
        "unknown key": {"tenants": {"a": {"hosts": ["a"], "database": db}}, "extra": 1},
        "hosts must be": {"tenants": {"a": {"hosts": [], "database": db}}},
        "database (a URL) is required": {"tenants": {"a": {"hosts": ["a"]}}},
        "given to tenants 'a' and 'b'": {"tenants": {
            "a": {"hosts": ["Same.Test"], "database": db},
            "b": {"hosts": ["same.test:80"], "database": other}}},
        "share one database": {"tenants": {
            "a": {"hosts": ["a"], "database": db}, "b": {"hosts": ["b"], "database": db}}},
        "unknown setting(s) databse_url": {"tenants": {
            "a": {"hosts": ["a"], "database": db, "settings": {"databse_url": "x"}}}},
        "tenant 'a': OPENJXC_MAX_DEPTH": {"tenants": {
            "a": {"hosts": ["a"], "database": db, "settings": {"max_depth": "deep"}}}},
        "default 'c' is not one of the tenants": {"default": "c", "tenants": {
            "a": {"hosts": ["a"], "database": db}}},
    }
    for message, data in mistakes.items():
        with pytest.raises(ConfigError) as raised:
            parse_tenants(data)
        assert message in raised.value.message, (message, raised.value.message)


def test_a_tenant_gets_its_settings_and_a_secret_of_its_own(tmp_path: Path) -> None:
    file = tmp_path / "tenants.toml"
    file.write_text('default = "a"\n[tenants.a]\nhosts = "a.test"\ndatabase = "a.db"\n'
                    '[tenants.b]\nhosts = ["b.test"]\ndatabase = "sqlite:///b.db"\n'
                    '[tenants.b.settings]\nsecret_key = "b-secret"\n'
                    'public_features = ["warrantyCheck"]\ngraphiql = false\nmax_depth = 9\n',
                    encoding="utf-8")
    from openjxc.core.tenants import load_tenants

    loaded = load_tenants(file)
    a, b = loaded.tenants
    assert loaded.default == "a" and a.hosts == ("a.test",)
    assert a.database_url == f"sqlite:///{tmp_path / 'a.db'}"  # beside the file
    base = Settings(secret_key="deployment")
    a_settings, b_settings = a.settings(base), b.settings(base)
    assert a_settings.secret_key == derive_secret("deployment", "a") != "deployment"
    assert a_settings.database_url == a.database_url
    assert b_settings.secret_key == "b-secret"
    assert b_settings.public_features == frozenset({"warrantyCheck"})
    assert (b_settings.graphiql, b_settings.max_depth) == (False, 9)
    assert normalize_host("[::1]:8000") == "[::1]" and normalize_host("A.Test.:80") == "a.test"
    with pytest.raises(ConfigError, match="not valid TOML"):
        file.write_text("[tenants", encoding="utf-8")
        load_tenants(file)


def test_several_workers_build_their_apps_from_the_file_the_variable_names(
        tenants: Tenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from openjxc.core.tenants import TENANTS_FILE_VARIABLE
    from openjxc.graphql.tenancy import tenants_app_factory

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv(TENANTS_FILE_VARIABLE, raising=False)
    file = _write(tmp_path, {"shop": tenants.shop_url, "group": tenants.group_url})
    result = CliRunner().invoke(_openjxc(), ["serve", "--tenants", str(file), "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "tenant group: group.test -> base_jxc" in result.output
    (app, options), = calls
    assert app == "openjxc.graphql.tenancy:tenants_app_factory"
    assert options["factory"] is True and options["workers"] == 3
    assert os.environ[TENANTS_FILE_VARIABLE] == str(file.resolve())
    # Each worker process then builds the apps of the file the variable names (the apps
    # themselves are those of serve_tenants, built and tested above).
    from openjxc.graphql import tenancy

    built: list[TenantsFile] = []

    def build(file: TenantsFile) -> Any:
        built.append(file)
        return file

    monkeypatch.setattr(tenancy, "serve_tenants", build)
    assert tenants_app_factory() is built[0]
    assert [(t.name, t.hosts) for t in built[0].tenants] == [("shop", ("shop.test",)),
                                                              ("group", ("group.test",))]
    both = CliRunner().invoke(_openjxc(), ["serve", "--tenants", str(file), "--database",
                                           tenants.shop_url])
    assert both.exit_code == 2 and "either --database or --tenants" in both.output


def test_the_guides_tenants_file_is_a_valid_one() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text(
        encoding="utf-8")
    start = guide.index("```toml\n# /etc/openjxc/tenants.toml")
    block = guide[start + len("```toml\n"):guide.index("```", start + 7)]
    example = parse_tenants(tomllib.loads(block), base_dir=Path("/etc/openjxc"))
    assert example.default == "shop"
    assert example.by_host() == {"shop.example.com": "shop", "erp.group.example": "group",
                                 "erp.group.local": "group"}
    assert example.tenants[0].database_url == "sqlite:////etc/openjxc/shop.db"
