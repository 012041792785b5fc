"""Bills of materials: lines, explosion for a quantity (against stock) and where-used.

Each walk is one recursive CTE (``WITH RECURSIVE``, on SQLite and PostgreSQL alike) that
fetches every line reachable from the start; the arithmetic happens in Python on that
set, so the number of statements does not grow with the depth or width of the tree.
A line that would close a cycle (A → … → A, including A → A) is refused with
``BOM_CYCLE``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from .models import BomLine, Product

#: Available quantity per product id (products without stock may be left out).
Availability = Callable[[Sequence[int]], Mapping[int, Decimal]]
QUANTUM = Decimal("0.0001")
#: Where-used answers at most this many paths (a shared part deep in a wide tree can have
#: exponentially many); ``WhereUsed.truncated`` says when some were left out.
MAX_PATHS = 1000
#: Serialises BOM changes on PostgreSQL, so two concurrent lines cannot close a cycle
#: each check alone would not see (SQLite writers are serialised already).
BOM_LOCK = 0x6A78_6362


def _line_columns() -> tuple[Any, ...]:
    return (BomLine.parent_id, BomLine.component_id, BomLine.quantity, BomLine.scrap_rate)


def _below(session: Session, product_id: int) -> list[Any]:
    """Every BOM line reachable downwards from ``product_id``, in one statement."""
    tree = select(*_line_columns()).where(BomLine.parent_id == product_id).cte(
        "bom_down", recursive=True)
    tree = tree.union(select(*_line_columns()).join(tree, BomLine.parent_id
                                                    == tree.c.component_id))
    return list(session.execute(select(tree)).all())


def _above(session: Session, product_id: int) -> list[Any]:
    """Every BOM line reachable upwards from ``product_id``, in one statement."""
    tree = select(*_line_columns()).where(BomLine.component_id == product_id).cte(
        "bom_up", recursive=True)
    tree = tree.union(select(*_line_columns()).join(tree, BomLine.component_id
                                                    == tree.c.parent_id))
    return list(session.execute(select(tree)).all())


def _reaches(session: Session, start_id: int, target_id: int) -> bool:
    """Whether ``target_id`` is somewhere below ``start_id``."""
    tree = select(BomLine.component_id.label("node")).where(
        BomLine.parent_id == start_id).cte("bom_reach", recursive=True)
    tree = tree.union(select(BomLine.component_id).join(tree, BomLine.parent_id == tree.c.node))
    return bool(session.scalar(select(exists().where(tree.c.node == target_id))))


def _product(session: Session, code: str, field: str, errors: list[FieldError]) -> Product | None:
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"), field=field,
                                 code=code))
    return product


def set_line(session: Session, *, parent_code: str, component_code: str,
             quantity: Decimal, scrap_rate: Decimal = Decimal(0)) -> BomLine:
    """Add ``quantity`` of a component per one parent, or change the existing line.

    ``set_line(s, parent_code="PUMP-SET", component_code="YE3-5.5-4", quantity=Decimal(1))``
    """
    errors: list[FieldError] = []
    parent = _product(session, parent_code, "parentCode", errors)
    component = _product(session, component_code, "componentCode", errors)
    checked = check_decimal(errors, quantity, "quantity", places=4)
    if checked is not None and checked <= 0:
        errors.append(FieldError("INVALID", _("Must be more than zero"), field="quantity"))
    scrap = check_decimal(errors, scrap_rate, "scrapRate", places=6, maximum=Decimal(1),
                          maximum_exclusive=True)
    if parent is not None and component is not None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(BOM_LOCK)))
        if parent.id == component.id or _reaches(session, component.id, parent.id):
            errors.append(FieldError(
                "BOM_CYCLE", _("{component} already contains {parent}: the line would make "
                               "a cycle"), field="componentCode",
                component=component.code, parent=parent.code))
    if errors:
        raise ValidationFailed(errors)
    assert parent is not None and component is not None
    line = session.scalar(select(BomLine).where(BomLine.parent_id == parent.id,
                                                BomLine.component_id == component.id))
    if line is None:
        line = BomLine(parent_id=parent.id, component_id=component.id)
        session.add(line)
    line.quantity = checked  # type: ignore[assignment]
    line.scrap_rate = scrap  # type: ignore[assignment]
    session.flush()
    return line


def delete_line(session: Session, *, parent_code: str, component_code: str) -> BomLine:
    """Remove a component from a parent's BOM; returns the removed line."""
    errors: list[FieldError] = []
    parent = _product(session, parent_code, "parentCode", errors)
    component = _product(session, component_code, "componentCode", errors)
    line = None
    if parent is not None and component is not None:
        line = session.scalar(select(BomLine).where(BomLine.parent_id == parent.id,
                                                    BomLine.component_id == component.id))
        if line is None:
            errors.append(FieldError("NOT_FOUND", _("{parent} has no line for {component}"),
                                     field="componentCode", parent=parent_code,
                                     component=component_code))
    if errors:
        raise ValidationFailed(errors)
    assert line is not None
    session.delete(line)
    session.flush()
    return line


@dataclass(frozen=True)
class Requirement:
    """What building the explosion's quantity needs of one component, over all levels.

    ``level`` is the deepest level the component appears at (its low-level code: 1 for a
    direct component); ``on_hand``/``shortage`` are ``None`` when stock was not asked."""

    product: Product
    level: int
    quantity: Decimal
    is_leaf: bool
    on_hand: Decimal | None
    shortage: Decimal | None


@dataclass(frozen=True)
class Explosion:
    product: Product
    quantity: Decimal
    requirements: list[Requirement]


def explode(session: Session, product_code: str, quantity: Decimal, *,
            available: Availability | None = None) -> Explosion | None:
    """The gross requirement for building ``quantity`` of a product: every component
    at every level, quantities (with scrap: ``quantity × (1 + scrap_rate)``) multiplied
    through the levels and summed per component, rounded up to 4 decimals.  With
    ``available``, each component's available stock and its shortage (no netting of
    intermediate stock).  ``None`` for an unknown product; a bad quantity is refused."""
    errors: list[FieldError] = []
    number = check_decimal(errors, quantity, "quantity", places=4)
    if number is not None and number <= 0:
        errors.append(FieldError("INVALID", _("Must be more than zero"), field="quantity"))
    if errors:
        raise ValidationFailed(errors)
    assert number is not None
    root = session.scalar(select(Product).where(Product.code == product_code))
    if root is None:
        return None
    lines = _below(session, root.id)
    children: dict[int, list[Any]] = defaultdict(list)
    parents_left: dict[int, int] = defaultdict(int)
    for line in lines:
        children[line.parent_id].append(line)
        parents_left[line.component_id] += 1
    need: dict[int, Decimal] = defaultdict(Decimal)
    level: dict[int, int] = defaultdict(int)
    need[root.id] = number
    ready = [root.id]
    while ready:  # Kahn's order: a node is expanded once all its parents added to it
        node = ready.pop()
        for line in children.get(node, ()):
            child = line.component_id
            need[child] += need[node] * line.quantity * (1 + line.scrap_rate)
            level[child] = max(level[child], level[node] + 1)
            parents_left[child] -= 1
            if parents_left[child] == 0:
                ready.append(child)
    component_ids = [pk for pk in need if pk != root.id]
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(component_ids)))} if component_ids else {}
    stock = available(component_ids) if available is not None and component_ids else {}
    requirements = []
    for pk in component_ids:
        required = need[pk].quantize(QUANTUM, rounding=ROUND_UP)
        on_hand = (Decimal(stock.get(pk, 0)).quantize(QUANTUM)
                   if available is not None else None)
        requirements.append(Requirement(
            product=products[pk], level=level[pk], quantity=required,
            is_leaf=pk not in children, on_hand=on_hand,
            shortage=max(Decimal(0), required - on_hand).quantize(QUANTUM)
            if on_hand is not None else None))
    requirements.sort(key=lambda r: (r.level, r.product.code))
    return Explosion(product=root, quantity=number, requirements=requirements)


@dataclass(frozen=True)
class Usage:
    """``product`` uses the asked component ``level`` levels down, along ``path`` (codes
    from ``product`` down to the component), ``quantity`` of it per one ``product``."""

    product: Product
    level: int
    quantity: Decimal
    path: tuple[str, ...]


@dataclass(frozen=True)
class WhereUsed:
    product: Product
    usages: list[Usage]
    truncated: bool


def where_used(session: Session, product_code: str) -> WhereUsed | None:
    """Every product that uses ``product_code``, directly or through sub-assemblies,
    one entry per path (at most :data:`MAX_PATHS`); ``None`` for an unknown product."""
    component = session.scalar(select(Product).where(Product.code == product_code))
    if component is None:
        return None
    lines = _above(session, component.id)
    parents: dict[int, list[Any]] = defaultdict(list)
    for line in lines:
        parents[line.component_id].append(line)
    ids = {line.parent_id for line in lines}
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(ids)))} if ids else {}
    products[component.id] = component
    usages: list[Usage] = []
    # breadth-first over paths: (node, level, quantity per node, path from node down)
    frontier: list[tuple[int, int, Decimal, tuple[str, ...]]] = [
        (component.id, 0, Decimal(1), (component.code,))]
    truncated = False
    while frontier and not truncated:
        following = []
        for node, depth, per, path in frontier:
            for line in sorted(parents.get(node, ()), key=lambda ln: products[ln.parent_id].code):
                if len(usages) >= MAX_PATHS:
                    truncated = True
                    break
                parent = products[line.parent_id]
                quantity = per * line.quantity * (1 + line.scrap_rate)
                step = (parent.id, depth + 1, quantity, (parent.code, *path))
                usages.append(Usage(parent, depth + 1,
                                    quantity.quantize(QUANTUM, rounding=ROUND_UP), step[3]))
                following.append(step)
        frontier = following
    return WhereUsed(product=component, usages=usages, truncated=truncated)
