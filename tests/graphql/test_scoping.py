"""Warehouse-style scoping is a kernel capability: lists narrowed, actions refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Integer, column, select, table

from openjxc.core.security import Principal
from openjxc.graphql.errors import Forbidden
from openjxc.graphql.scoping import require_scope, restrict

stock = table("stock", column("warehouse_id", Integer))


def info_for(principal: Principal | None) -> Any:
    return SimpleNamespace(context=SimpleNamespace(principal=principal))


def user(**scopes: set[str]) -> Principal:
    return Principal(user_id=1, username="u", permissions=frozenset(), scopes=scopes)


def test_an_unrestricted_user_sees_everything() -> None:
    stmt = select(stock)
    assert restrict(info_for(user()), stmt, "warehouse", stock.c.warehouse_id) is stmt
    require_scope(info_for(user()), "warehouse", 9)


def test_a_scoped_user_sees_only_their_warehouses() -> None:
    stmt = restrict(info_for(user(warehouse={"1", "3"})), select(stock), "warehouse",
                    stock.c.warehouse_id)
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    assert "warehouse_id IN (1, 3)" in sql or "warehouse_id IN (3, 1)" in sql
    require_scope(info_for(user(warehouse={"1", "3"})), "warehouse", 3)
    with pytest.raises(Forbidden):
        require_scope(info_for(user(warehouse={"1", "3"})), "warehouse", 2)


def test_an_empty_scope_sees_nothing() -> None:
    stmt = restrict(info_for(user(warehouse=set())), select(stock), "warehouse",
                    stock.c.warehouse_id)
    assert "false" in str(stmt.compile(compile_kwargs={"literal_binds": True})).lower() or \
        "0 = 1" in str(stmt.compile(compile_kwargs={"literal_binds": True}))
