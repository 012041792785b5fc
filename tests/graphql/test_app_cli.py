"""``openjxc serve`` and ``openjxc schema``, and one real server on a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from click.testing import CliRunner
from test_app_support import TestClient, kernel_env

from openjxc.core.cli import OpenJXCGroup
from openjxc.core.env import Environment
from openjxc.core.migrate import alembic_config
from openjxc.graphql import cli as graphql_cli
from openjxc.graphql.app import app_factory


@pytest.fixture
def openjxc() -> OpenJXCGroup:
    group = OpenJXCGroup()
    graphql_cli.add_commands(group)
    return group


def run(group: OpenJXCGroup, *args: str) -> Any:
    return CliRunner().invoke(group, list(args))


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    kernel_env(url).database.dispose()
    return url


def test_serve_refuses_a_database_that_does_not_exist(openjxc: OpenJXCGroup,
                                                      tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = run(openjxc, "serve", "--database", f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert "does not exist" in result.output and "openjxc init" in result.output
    assert not missing.exists()


def test_serve_refuses_a_database_that_is_not_openjxcs(openjxc: OpenJXCGroup,
                                                       tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    other.write_bytes(b"")
    result = run(openjxc, "serve", "--database", f"sqlite:///{other}")
    assert result.exit_code == 1
    assert "openjxc init" in result.output


def test_serve_refuses_a_database_whose_migrations_are_behind(openjxc: OpenJXCGroup,
                                                              url: str) -> None:
    env = Environment.open(url)
    with env.database.engine.begin() as connection:
        command.stamp(alembic_config(env, connection), "base", purge=True)
    result = run(openjxc, "serve", "--database", url)
    assert result.exit_code == 1
    assert "openjxc migrate" in result.output
    assert "Traceback" not in result.output


def test_serve_with_workers_hands_uvicorn_the_factory(openjxc: OpenJXCGroup, url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv("OPENJXC_DATABASE_URL", raising=False)
    result = run(openjxc, "serve", "--database", url, "--workers", "3", "--port", "8123")
    assert result.exit_code == 0, result.output
    (app, options), = calls
    assert app == "openjxc.graphql.app:app_factory"
    assert options["factory"] is True and options["workers"] == 3 and options["port"] == 8123
    assert os.environ["OPENJXC_DATABASE_URL"] == url


def test_the_factory_serves_the_database_named_in_the_environment(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENJXC_DATABASE_URL", url)
    with TestClient(app_factory()) as client:
        assert client.get("/readyz").json() == {"status": "ready"}


def test_schema_prints_the_sdl_without_a_database(openjxc: OpenJXCGroup, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = tmp_path / "none.db"
    monkeypatch.setenv("OPENJXC_DATABASE_URL", f"sqlite:///{nowhere}")
    result = run(openjxc, "schema", "--edition", "basic")
    assert result.exit_code == 0, result.output
    assert "type Query {" in result.output
    assert "node(" in result.output
    assert not nowhere.exists()


def test_schema_needs_an_edition_or_addons(openjxc: OpenJXCGroup) -> None:
    result = run(openjxc, "schema")
    assert result.exit_code == 2
    assert "--edition or --addons" in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_real_server_answers_on_its_port(url: str, tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "openjxc", "serve", "--port", str(port), "--database", url,
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"the server did not come up:\n{output}")
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.headers["x-request-id"]
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.json() == {"status": "ready"}
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=5,
                            json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
    finally:
        server.terminate()
        server.wait(timeout=10)
