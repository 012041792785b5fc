"""Who may print what: a document needs its read permission, a warehouse-scoped user sees
only their warehouses' documents, nobody reads a cost off a document, and the PDF is served
at ``/reports/{name}/{id}.pdf`` with the caller's token and language."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from documents_support import COSTS, DocumentsWorld, documents_world_on, pdf_text
from stock_support import StatementCounter

from openjxc.addons.base_jxc.documents import loaders
from openjxc.core.reports import ReportNotFound, ReportRegistry
from openjxc.core.security import (
    PermissionDenied,
    Principal,
    create_token,
    create_user,
    ensure_role,
)
from openjxc.graphql.app import create_app
from openjxc.testing.fixtures import BACKENDS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette asks for its httpx fork
    from starlette.testclient import TestClient

REPORTS = {"quotation": loaders.QUOTATION_READ, "sales_order": loaders.SALES_ORDER_READ,
           "delivery_note": loaders.SALES_ORDER_READ,
           "purchase_order": loaders.PURCHASE_ORDER_READ}
EVERY_READ = set(REPORTS.values())
COST_READ = {"sales.margin.read", "stock.cost.read"}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentsWorld]:
    """One world per backend for the whole module: printing only reads."""
    yield from documents_world_on(request.param, tmp_path_factory.mktemp("documents"))


def principal(permissions: Iterable[str], **scopes: Iterable[object]) -> Principal:
    return Principal(user_id=1, username="clerk", permissions=frozenset(permissions),
                     scopes={kind: frozenset(map(str, values))
                             for kind, values in scopes.items()})


def render(world: DocumentsWorld, report: str, who: Principal | None,
           key: str = "") -> str:
    with world.uow(readonly=True) as session:
        return ReportRegistry.for_environment(world.env).render_html(
            report, world.ids[key or report], session, "en", principal=who)


def test_the_reports_need_permissions_the_environment_declares(world: DocumentsWorld) -> None:
    registry = ReportRegistry.for_environment(world.env)
    for report, permission in REPORTS.items():
        assert registry.get(report).permission == permission
    # An undeclared permission could be granted to no role, not even the administrator's.
    assert EVERY_READ <= set(world.env.permissions.names)


def test_without_the_read_permission_a_document_is_refused(world: DocumentsWorld) -> None:
    for report, permission in REPORTS.items():
        others = EVERY_READ - {permission}
        with pytest.raises(PermissionDenied):
            render(world, report, principal(others | COST_READ))
        assert render(world, report, principal({permission}))


def test_outside_the_callers_warehouses_a_document_does_not_exist(
        world: DocumentsWorld) -> None:
    wh1, wh2 = world.warehouses["WH1"], world.warehouses["WH2"]
    only_wh2 = principal(EVERY_READ, warehouse=[wh2])
    for report in ("sales_order", "delivery_note"):  # shipped from WH1
        with pytest.raises(ReportNotFound):
            render(world, report, only_wh2)
        assert render(world, report, principal(EVERY_READ, warehouse=[wh1, wh2]))
    assert "CG-202611-0015" in render(world, "purchase_order", only_wh2)  # for WH2
    # A quotation names no warehouse: a scoped salesperson still quotes.
    assert "BJ-202611-0007" in render(world, "quotation", only_wh2)


def test_no_document_shows_a_cost(world: DocumentsWorld) -> None:
    costs = {f"{cost:,.2f}" for cost in COSTS.values()}
    costs |= {f"{cost * quantity:,.2f}" for cost, quantity in (
        (COSTS["PLAIN"], 2), (COSTS["SER"], 2), (COSTS["BAT"], 5))}
    for report, permission in REPORTS.items():
        seller = render(world, report, principal({permission}))
        manager = render(world, report, principal({permission} | COST_READ))
        assert seller == manager  # what the caller may see elsewhere changes nothing
        assert not {cost for cost in costs if cost in seller}, report
        with world.uow(readonly=True) as session:
            context = getattr(loaders, f"load_{report}")(session, world.ids[report],
                                                         world.env)
        assert not list(cost_names(context)), report


def test_loaders_read_a_constant_number_of_statements(world: DocumentsWorld) -> None:
    """A long delivery note costs what a short one does (no query per line or serial)."""

    def statements(key: str) -> int:
        with world.uow(readonly=True) as session, \
                StatementCounter(world.env.database.engine) as counter:
            assert loaders.load_delivery_note(session, world.ids[key], world.env)
        return len(counter)

    assert statements("delivery_note") == statements("small_delivery") <= 12


def test_the_pdf_is_served_with_the_callers_token_and_language(world: DocumentsWorld) -> None:
    env = world.env
    with env.unit_of_work() as session:
        ensure_role(session, "doc_printer", ["sales.order.read"])
        ensure_role(session, "doc_buyer", ["purchase.order.read"])
        create_user(session, env, "printer_en", "correct-horse-1", roles=["doc_printer"],
                    locale="en")
        create_user(session, env, "buyer_zh", "correct-horse-2", roles=["doc_buyer"])
    with env.unit_of_work() as session:
        printer = create_token(session, env, "printer_en", "correct-horse-1").token
        buyer = create_token(session, env, "buyer_zh", "correct-horse-2").token
    order = world.ids["sales_order"]
    with TestClient(create_app(env, env.settings)) as client:
        def get(path: str, token: str) -> Any:
            return client.get(path, headers={"authorization": f"Bearer {token}"})

        response = get(f"/reports/sales_order/{order}.pdf", printer)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.content)
        assert "XS-202611-0042" in text and "SalesContract" in text  # the user's language
        assert get(f"/reports/purchase_order/{order}.pdf", printer).status_code == 403
        assert get(f"/reports/sales_order/{order}.pdf", buyer).status_code == 403
        assert get("/reports/sales_order/999999.pdf", printer).status_code == 404


def cost_names(value: Any, path: str = "") -> Iterator[str]:
    """Paths of anything in a report context whose name speaks of cost or margin."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Iterable[tuple[str, Any]] = ((f.name, getattr(value, f.name))
                                            for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = ((str(i), item) for i, item in enumerate(value))
    else:
        return
    for name, item in items:
        where = f"{path}.{name}"
        if "cost" in str(name) or "margin" in str(name):
            yield where
        yield from cost_names(item, where)
