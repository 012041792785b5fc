"""The public warranty check answers anyone, but nobody without end: per client address,
callers without the permission get TOO_MANY_REQUESTS once they used up their window, in
their language; other addresses and signed-in staff are not held back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_warranty_api import CHECK, _history
from warranty_support import build_world

from openjxc.core.env import Environment
from openjxc.core.security import create_token, create_user, ensure_role
from openjxc.graphql.app import create_app

PASSWORD = "s3cret-pass-word"


async def _check(client: httpx.AsyncClient, serial: str, *, token: str | None = None,
                 language: str = "en") -> dict[str, Any]:
    headers = {"accept-language": language}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": CHECK, "variables": {"n": serial}},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.anyio
async def test_the_public_check_is_limited_per_client(database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        settings = world.env.settings.with_(public_features=frozenset({"warrantyCheck"}),
                                            public_feature_max_requests=3)
        env = Environment.for_addons(["serial_warranty"], database=world.env.database,
                                     settings=settings)
        with env.unit_of_work() as session:
            ensure_role(session, "desk", ["warranty.warranty.read"], env=env)
            create_user(session, env, "desk", PASSWORD, roles=["desk"])
        with env.unit_of_work() as session:
            staff = create_token(session, env, "desk", PASSWORD).token
        app = create_app(env, settings)

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 4321))
            return httpx.AsyncClient(transport=transport, base_url="http://shop")

        async with client("10.0.0.7") as walker, client("10.0.0.8") as neighbour:
            answers = [await _check(walker, serial) for serial in ("M-1", "NOPE", "M-2")]
            assert answers[0]["data"] == {"warrantyCheck": {"status": "ACTIVE",
                                                            "endDate": "2027-08-31"}}
            assert answers[1]["data"] == {"warrantyCheck": None}
            for language, words in (("en", "Too many requests"), ("zh-CN", "请求过于频繁")):
                refused = await _check(walker, "M-1", language=language)
                assert refused["data"] == {"warrantyCheck": None}  # the field is nullable
                (error,) = refused["errors"]
                assert error["extensions"]["code"] == "TOO_MANY_REQUESTS", error
                assert 1 <= error["extensions"]["retryAfterSeconds"] <= 60
                assert words in error["message"], error
            # another address has its own window; staff holding the permission are not counted
            assert (await _check(neighbour, "M-1"))["data"]["warrantyCheck"] is not None
            for _ in range(5):
                answer = await _check(walker, "M-1", token=staff)
                assert answer["data"]["warrantyCheck"]["status"] == "ACTIVE", answer
    finally:
        world.env.database.dispose()
