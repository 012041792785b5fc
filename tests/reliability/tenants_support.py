"""Two tenants for tests/reliability/test_tenants.py: a basic shop and an enterprise group,
each a fresh database of the backend, with the same user name and password in both."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from openjxc.core.env import Environment
from openjxc.core.security import create_user
from openjxc.core.tenants import TenantsFile, parse_tenants
from openjxc.graphql.tenancy import TenancyApp, serve_tenants
from openjxc.testing.fixtures import DatabaseFactory, create_test_database

PASSWORD = "Same-Password-In-Both-42"
SHOP = "shop.example.test"          # basic edition
GROUP = "erp.group.test"            # enterprise edition
GROUP_ALIAS = "erp.group.local"
UNKNOWN = "evil.example.test"

LOGIN = """mutation($input: TokenCreateInput!) { tokenCreate(input: $input) {
  token errors { code } } }"""
CATEGORY = """mutation($input: CategoryCreateInput!) { categoryCreate(input: $input) {
  category { code } errors { code } } }"""
PRODUCT = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
  product { id code } errors { code } } }"""
WAREHOUSE = """mutation($input: WarehouseCreateInput!) { warehouseCreate(input: $input) {
  warehouse { code } errors { code } } }"""
MOVE = """mutation($input: StockMoveCreateInput!) { stockMoveCreate(input: $input) {
  stockMoves { id } errors { code } } }"""
PARTNER = """mutation($input: PartnerCreateInput!) { partnerCreate(input: $input) {
  partner { code } errors { code } } }"""
QUOTATION = """mutation($input: QuotationCreateInput!) { quotationCreate(input: $input) {
  quotation { id } errors { code } } }"""
COUNTS = "{ me { username } products { totalCount } stockLevels { totalCount } }"


@dataclass
class Tenants:
    backend: str
    file: TenantsFile
    app: TenancyApp
    shop_url: str
    group_url: str

    @property
    def shop(self) -> Environment:
        return self.app.tenants["shop"].env

    @property
    def group(self) -> Environment:
        return self.app.tenants["group"].env


@contextmanager
def tenant_databases(shop_backend: str, group_backend: str,
                     folder: Path) -> Iterator[tuple[str, str]]:
    """A fresh basic database and a fresh enterprise one (URLs), each with the user
    ``boss``; dropped afterwards."""
    factories = [DatabaseFactory(shop_backend, folder), DatabaseFactory(group_backend, folder)]
    try:
        urls = []
        for edition, factory in zip(("basic", "enterprise"), factories, strict=True):
            url = factory.new()
            urls.append(url)
            env = Environment.for_edition(edition, database_url=url)
            create_test_database(env)
            with env.unit_of_work() as session:
                create_user(session, env, "boss", PASSWORD, roles=["admin"])
            env.database.dispose()
        yield urls[0], urls[1]
    finally:
        for factory in factories:
            factory.cleanup()


def make_tenants(backend: str, folder: Path) -> Iterator[Tenants]:
    """The two tenants served by one :class:`TenancyApp`; their databases go afterwards."""
    with tenant_databases(backend, backend, folder) as (shop_url, group_url):
        file = parse_tenants({"tenants": {
            "shop": {"hosts": [SHOP], "database": shop_url},
            "group": {"hosts": [GROUP, GROUP_ALIAS], "database": group_url,
                      "settings": {"default_locale": "en", "max_page_size": 50,
                                   "db_pool_size": 3}},
        }})
        app = serve_tenants(file)
        try:
            asyncio.run(_catalogues(app))
            yield Tenants(backend, file, app, shop_url, group_url)
        finally:
            app.close()


async def _catalogues(app: TenancyApp) -> None:
    """Both tenants get the category ``CAT`` and the warehouse ``WH`` the tests stock."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as http:
        for host in (SHOP, GROUP):
            caller = Caller(http, host)
            await caller.set_up_catalogue(await caller.login())


class Caller:
    """GraphQL and plain HTTP against one host of a client (in-process or over loopback)."""

    def __init__(self, client: httpx.AsyncClient, host: str) -> None:
        self.client = client
        self.host = host

    def headers(self, token: str | None) -> dict[str, str]:
        headers = {"host": self.host}
        if token:
            headers["authorization"] = f"Bearer {token}"
        return headers

    async def post(self, query: str, token: str | None = None, **variables: Any,
                   ) -> dict[str, Any]:
        response = await self.client.post("/graphql", headers=self.headers(token),
                                          json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, token: str | None = None, **variables: Any,
                 ) -> dict[str, Any]:
        body = await self.post(query, token, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        for payload in data.values():
            if isinstance(payload, dict) and "errors" in payload:
                assert payload["errors"] == [], payload
        return data

    async def get(self, path: str, token: str | None = None) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(token))

    async def login(self) -> str:
        data = await self.ok(LOGIN, input={"username": "boss", "password": PASSWORD})
        token: str = data["tokenCreate"]["token"]
        return token

    async def root_fields(self) -> set[str]:
        data = await self.ok("{ __schema { queryType { fields { name } } } }")
        return {f["name"] for f in data["__schema"]["queryType"]["fields"]}

    async def stock_product(self, token: str, code: str, quantity: str, *,
                            safety: str = "0", warehouse: str = "WH") -> str:
        """A product with ``quantity`` received into ``warehouse``; returns its node id."""
        product = await self.ok(PRODUCT, token, input={
            "code": code, "name": f"Product {code}", "categoryCode": "CAT",
            "listPrice": "100", "safetyStock": safety})
        await self.ok(MOVE, token, input={"lines": [{
            "productCode": code, "quantity": quantity, "fromLocationCode": "PARTNER/SUPPLIER",
            "toLocationCode": f"{warehouse}/STOCK", "unitCost": "10"}]})
        node_id: str = product["productCreate"]["product"]["id"]
        return node_id

    async def set_up_catalogue(self, token: str, warehouse: str = "WH") -> None:
        await self.ok(CATEGORY, token, input={"code": "CAT", "name": "Category"})
        await self.ok(WAREHOUSE, token, input={"code": warehouse, "name": "Warehouse"})


def checksum(env: Environment) -> Mapping[str, tuple[int, str]]:
    """Every table of the tenant: its row count and a digest of all its rows, in key order."""
    sums: dict[str, tuple[int, str]] = {}
    with env.database.engine.connect() as connection:
        for table in env.tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            sums[table.name] = (len(rows), digest)
    return sums
