"""Portable SQL for what the dialects spell differently.

Decimals are scaled integers on SQLite and NUMERIC on PostgreSQL (see
:class:`openjxc.core.models.ScaledDecimal`), and the two count time differently, so a
few expressions are compiled per dialect here rather than computed row by row in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from openjxc.core.models import Money


class seconds_between(FunctionElement[int]):
    """Whole seconds from the timestamp ``earlier`` to ``later``:
    ``seconds_between(PurchaseOrder.approved_at, PurchaseOrder.created_at)``."""

    type = BigInteger()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400.0) AS INTEGER)"


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS BIGINT)"


class line_amount(FunctionElement[Any]):
    """``quantity × unit_price`` rounded half-up to the cent, as each document line rounds
    its amount: ``line_amount(SalesDeliveryLine.quantity, SalesOrderLine.unit_price)``.

    On SQLite a quantity is stored ×10⁴ and a price ×10⁶, so the product is ×10¹⁰ and is
    brought to cents (×10²) with integer arithmetic; one line may carry up to about
    9 × 10⁸ CNY before the 64-bit product overflows.
    """

    type = Money()
    name = "line_amount"
    inherit_cache = True


@compiles(line_amount, "sqlite")
def _amount_sqlite(element: line_amount, compiler: SQLCompiler, **kw: Any) -> str:
    quantity, price = (compiler.process(c, **kw) for c in element.clauses)
    raw = f"({quantity} * {price})"
    return (f"(CASE WHEN {raw} >= 0 THEN ({raw} + 50000000) / 100000000 "
            f"ELSE -((50000000 - {raw}) / 100000000) END)")


@compiles(line_amount)
def _amount_default(element: line_amount, compiler: SQLCompiler, **kw: Any) -> str:
    quantity, price = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND({quantity} * {price}, 2)"


class unindexed(FunctionElement[Any]):
    """A column the planner must not reach through its index: ``column + 0`` on SQLite,
    which has no statistics and would otherwise walk, say, every move of a location
    instead of the few dates asked for; the column itself on PostgreSQL, whose statistics
    choose well and whose estimates an expression would spoil."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} + 0)"


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return column
