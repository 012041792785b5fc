"""Shared set-up of the invoicing tests: the trading world, copied for each test, and short
ways to post invoices and payments.

The world is built once per backend and test session and copied for each test (a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL): migrating a fresh database costs
seconds, a copy a fraction of one.  No tests here."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stock_support import build_world
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.testing.fixtures import _pg_conninfo, create_pg_database, drop_pg_database, pg_url

MARCH = date(2026, 3, 1)
_TEMPLATES: dict[str, str] = {}


def D(value: object) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="session")
def invoicing_templates() -> Iterator[dict[str, str]]:
    yield _TEMPLATES
    while _TEMPLATES:
        backend, url = _TEMPLATES.popitem()
        if backend != "sqlite":
            drop_pg_database(str(make_url(url).database))


def copy_world(backend: str, templates: dict[str, str], tmp_path: Path,
               ) -> tuple[TradingWorld, str, str | None]:
    """A fresh copy of the trading world: ``(world, url, PostgreSQL database to drop)``."""
    if backend not in templates:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path.parent / f'invoicing_{uuid.uuid4().hex[:8]}.sqlite'}"
        else:
            url = pg_url(create_pg_database())
        build_trading_world(url).env.database.dispose()
        templates[backend] = url
    template = templates[backend]
    copy_name = None
    if backend == "sqlite":
        target = tmp_path / f"invoicing_{uuid.uuid4().hex[:8]}.sqlite"
        shutil.copyfile(str(make_url(template).database), target)
        url = f"sqlite:///{target}"
    else:
        copy_name = f"openjxc_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(copy_name), sql.Identifier(str(make_url(template).database))))
        url = pg_url(copy_name)
    stock = build_world(url, create=False)
    world = TradingWorld(stock.env, products=stock.products, warehouses=stock.warehouses,
                         locations=stock.locations)
    with world.uow(readonly=True) as session:
        world.partners = dict(session.execute(select(Partner.code, Partner.id)).all())
    return world, url, copy_name


@pytest.fixture
def world(backend: str, invoicing_templates: dict[str, str],
          tmp_path: Path) -> Iterator[TradingWorld]:
    built, _url, copy_name = copy_world(backend, invoicing_templates, tmp_path)
    yield built
    built.env.database.dispose()
    if copy_name is not None:
        drop_pg_database(copy_name)


def line(world: TradingWorld, quantity: object = 1, price: object = "100.00",
         product: str | None = "PLAIN", **kwargs: Any) -> InvoiceLineInput:
    """A line of ``quantity`` × ``price`` (13 % VAT unless ``rate=``)."""
    return InvoiceLineInput(product_id=world.products[product] if product else None,
                            description=kwargs.pop("description", ""), quantity=D(quantity),
                            unit_price=D(price), tax_rate=D(kwargs.pop("rate", "0.13")),
                            **kwargs)


def invoice(session: Session, world: TradingWorld, *lines: InvoiceLineInput,
            partner: str = "C1", direction: str = "receivable", **kwargs: Any) -> Invoice:
    """An invoice (dated 1 March 2026 unless ``invoice_date=``) of one 100.00 line unless
    lines are given."""
    return create_invoice(session, partner_id=world.partners[partner], direction=direction,
                          lines=list(lines) or [line(world)],
                          invoice_date=kwargs.pop("invoice_date", MARCH), **kwargs)
