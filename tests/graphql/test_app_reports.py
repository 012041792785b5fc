"""``GET /reports/{name}/{id}.pdf``: the same bearer token as the API, the report's own
permission, and 404 for what does not exist."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import insert, select
from test_app_support import TestClient, add_user, build_test_schema, kernel_env, notes

from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.reports import EXTENSION_KEY, Report, ReportRegistry
from openjxc.graphql.app import create_app

PERMISSION = "core.addon.read"  # a kernel permission stands in for e.g. sales.order.read


def load_note(session: Any, record_id: int, env: Any) -> dict[str, Any] | None:
    row = session.execute(select(notes.c.body).where(notes.c.id == record_id)).first()
    return None if row is None else {"title": row.body}


class KernelOnlyHost:
    """A report host offering one report, as an addon's ``register_reports`` would."""

    addons: Sequence[Any] = ()

    def __init__(self) -> None:
        self.extensions: dict[str, Any] = {}

    def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        return [("core", [Report("note", "base.html", PERMISSION, load=load_note)])]


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    env = kernel_env(f"sqlite:///{tmp_path / 'reports.db'}")
    env.extensions[EXTENSION_KEY] = ReportRegistry(KernelOnlyHost())
    with env.unit_of_work() as session:
        session.execute(insert(notes).values(id=1, body="销售合同 HT-2024-0001"))
    return env


@pytest.fixture
def client(env: Environment) -> Iterator[TestClient]:
    with TestClient(create_app(env, Settings(), schema_builder=build_test_schema)) as client:
        yield client


def get(client: TestClient, path: str, token: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers)


def code_of(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_without_a_token_the_answer_is_401(client: TestClient) -> None:
    response = get(client, "/reports/note/1.pdf")
    assert response.status_code == 401
    assert code_of(response) == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"] == "Bearer"
    assert get(client, "/reports/note/1.pdf", "ojt_forged").status_code == 401


def test_without_the_reports_permission_the_answer_is_403(client: TestClient,
                                                          env: Environment) -> None:
    response = get(client, "/reports/note/1.pdf", add_user(env, "clerk"))
    assert (response.status_code, code_of(response)) == (403, "FORBIDDEN")


def test_an_unknown_report_or_record_is_404(client: TestClient, env: Environment) -> None:
    token = add_user(env, "printer", [PERMISSION])
    for path in ("/reports/nothing/1.pdf", "/reports/note/999.pdf"):
        response = get(client, path, token)
        assert (response.status_code, code_of(response)) == (404, "NOT_FOUND")
    assert get(client, "/reports/note/abc.pdf", token).status_code == 404


def test_with_the_permission_the_pdf_is_served(client: TestClient, env: Environment) -> None:
    response = get(client, "/reports/note/1.pdf", add_user(env, "printer", [PERMISSION]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="note-1.pdf"'
    assert response.content.startswith(b"%PDF")
    assert "HT-2024-0001" in (PdfReader(BytesIO(response.content)).metadata.title or "")
    assert response.headers["x-request-id"]


def test_a_loader_that_takes_the_principal_can_hide_records_outside_scopes(
        tmp_path: Path) -> None:
    """Documents must not print what lists hide: the loader sees who asks."""
    seen: list[Any] = []

    def scoped(session: Any, record_id: int, env: Any, *, principal: Any) -> dict[str, Any] | None:
        seen.append(principal)
        if principal is not None and not principal.allowed("warehouse", 2):
            return None
        return {"title": "ok"}

    class Host(KernelOnlyHost):
        def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
            return [("core", [Report("scoped", "base.html", PERMISSION, load=scoped)])]

    env = kernel_env(f"sqlite:///{tmp_path / 'scoped.db'}")
    env.extensions[EXTENSION_KEY] = ReportRegistry(Host())
    from openjxc.core.security import Principal

    limited = Principal(user_id=1, username="clerk", permissions=frozenset({PERMISSION}),
                        scopes={"warehouse": {"1"}})
    registry = ReportRegistry.for_environment(env)
    from openjxc.core.reports import ReportNotFound

    with env.unit_of_work(readonly=True) as session:
        with pytest.raises(ReportNotFound):
            registry.render_html("scoped", 7, session, "zh_CN", principal=limited)
        assert "ok" in registry.render_html("scoped", 7, session, "zh_CN",
                                            principal=limited.__class__(
                                                user_id=1, username="boss",
                                                permissions=frozenset({PERMISSION})))
    assert seen[0] is limited
