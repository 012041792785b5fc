"""Fixtures of the GraphQL layer's tests: fake environments, callers and a shop database."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from gql_fakes import (
    CategoryRow,
    FakeBase,
    ProductRow,
    WarrantyRow,
    catalog_contribution,
    warranty_contribution,
)
from gql_support import ALL_PERMISSIONS, FakeEnv, Grant, StatementLog
from sqlalchemy.orm import Session

from openjxc.core.db import create_database_engine
from openjxc.graphql import build_schema
from openjxc.graphql.schema import EditionSchema


@pytest.fixture
def shop_env() -> FakeEnv:
    """The edition with both fake addons, in dependency order."""
    return FakeEnv(("catalog", catalog_contribution()), ("warranty", warranty_contribution()))


@pytest.fixture
def basic_env() -> FakeEnv:
    """The edition without the warranty addon."""
    return FakeEnv(("catalog", catalog_contribution()))


@pytest.fixture
def shop_schema(shop_env: FakeEnv) -> EditionSchema:
    return build_schema(shop_env)


@pytest.fixture
def everyone() -> Grant:
    return Grant(*ALL_PERMISSIONS)


@pytest.fixture
def shop_db(database_url: str) -> Iterator[tuple[Session, StatementLog]]:
    """250 products in 5 categories, one in three under warranty; on each backend.

    Names repeat (``N00``..``N39``) so that sorting by name has ties for the primary key
    to break; prices repeat too.
    """
    engine = create_database_engine(database_url)
    FakeBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(CategoryRow(id=c, name=f"Category {c}") for c in range(1, 6))
        session.add_all(
            ProductRow(id=i, code=f"P{i:04d}", name=f"N{i % 40:02d}",
                       price=Decimal(i % 17) / 4, cost=Decimal(i) / 8, category_id=i % 5 + 1)
            for i in range(1, 251))
        session.add_all(WarrantyRow(product_id=i, months=12 + i % 3) for i in range(3, 251, 3))
        session.commit()
    log = StatementLog(engine)
    with Session(engine) as session:
        yield session, log
        session.rollback()
    engine.dispose()
