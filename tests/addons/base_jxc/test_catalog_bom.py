"""Bills of materials, kits and relations through the services: a pump set built of a
motor, a pump and a base; explosion multiplies through the levels and shows shortages;
where-used walks back up; a cycle is refused and changes nothing; the statement count
does not grow with depth or width."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.bom import (
    Availability,
    delete_line,
    explode,
    set_line,
    where_used,
)
from openjxc.addons.base_jxc.catalog.models import BomLine, ProductRelation
from openjxc.addons.base_jxc.catalog.relations import (
    compatible_products,
    create_relation,
    delete_relation,
    kit_components,
    set_kit,
)
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database

D = Decimal


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="SB", name="设备")
        for code, model in (("SET", "BPS"), ("MOTOR", "YE3-132M"), ("MOTOR2", "YE3-132M"),
                            ("PUMP", "IS80"), ("BASE", ""), ("ROTOR", ""), ("BEARING", ""),
                            ("BOLT", ""), ("FAN", ""), ("FAN2", ""), ("KIT", "")):
            create_product(session, ProductInput(code=code, name=code, category_code="SB",
                                                 model=model))
        # SET = 1 MOTOR + 1 PUMP + 1 BASE;  MOTOR = 1 ROTOR + 2 BEARING + 4 BOLT;
        # ROTOR = 1 BEARING;  PUMP = 2 BEARING (5 % scrap);  BASE = 8 BOLT
        for parent, component, quantity, scrap in (
                ("SET", "MOTOR", "1", "0"), ("SET", "PUMP", "1", "0"), ("SET", "BASE", "1", "0"),
                ("MOTOR", "ROTOR", "1", "0"), ("MOTOR", "BEARING", "2", "0"),
                ("MOTOR", "BOLT", "4", "0"), ("ROTOR", "BEARING", "1", "0"),
                ("PUMP", "BEARING", "2", "0.05"), ("BASE", "BOLT", "8", "0")):
            set_line(session, parent_code=parent, component_code=component,
                     quantity=D(quantity), scrap_rate=D(scrap))
    yield env
    env.database.dispose()


def fake_stock(levels: dict[int, Decimal]) -> tuple[list[Sequence[int]], Availability]:
    asked: list[Sequence[int]] = []

    def available(ids: Sequence[int]) -> dict[int, Decimal]:
        asked.append(list(ids))
        return {pk: levels[pk] for pk in ids if pk in levels}

    return asked, available


def ids(session: Session, *codes: str) -> dict[str, int]:
    from openjxc.addons.base_jxc.catalog.models import Product

    return dict(session.execute(select(Product.code, Product.id)
                                .where(Product.code.in_(codes))).all())  # type: ignore[arg-type]


def test_explosion_multiplies_through_levels_and_shows_shortages(env: Environment) -> None:
    with env.unit_of_work() as session:
        pk = ids(session, "BEARING", "BOLT", "MOTOR")
        asked, available = fake_stock({pk["BEARING"]: D(30), pk["BOLT"]: D(200),
                                       pk["MOTOR"]: D(1)})
        found = explode(session, "SET", D(10), available=available)
        assert found is not None
        table = {r.product.code: (r.level, r.quantity, r.is_leaf, r.on_hand, r.shortage)
                 for r in found.requirements}
        assert table == {
            "MOTOR": (1, D("10.0000"), False, D(1), D("9.0000")),
            "PUMP": (1, D("10.0000"), False, D(0), D("10.0000")),
            "BASE": (1, D("10.0000"), False, D(0), D("10.0000")),
            "ROTOR": (2, D("10.0000"), False, D(0), D("10.0000")),
            # 10 × 2 (motor) + 10 × 1 × 1 (rotor) + 10 × 2 × 1.05 (pump)
            "BEARING": (3, D("51.0000"), True, D(30), D("21.0000")),
            # 10 × 4 (motor) + 10 × 8 (base)
            "BOLT": (2, D("120.0000"), True, D(200), D("0.0000")),
        }
        assert len(asked) == 1
        assert [r.product.code for r in found.requirements][:3] == ["BASE", "MOTOR", "PUMP"]
        without_stock = explode(session, "SET", D(1))
        assert without_stock is not None
        assert {r.on_hand for r in without_stock.requirements} == {None}
        assert explode(session, "NOPE", D(1)) is None
        with pytest.raises(ValidationFailed):
            explode(session, "SET", D(0))


def test_where_used_walks_every_level_with_paths(env: Environment) -> None:
    with env.unit_of_work(readonly=True) as session:
        found = where_used(session, "BEARING")
        assert found is not None and not found.truncated
        assert sorted((u.product.code, u.level, u.quantity, u.path) for u in found.usages) == [
            ("MOTOR", 1, D("2.0000"), ("MOTOR", "BEARING")),
            ("MOTOR", 2, D("1.0000"), ("MOTOR", "ROTOR", "BEARING")),
            ("PUMP", 1, D("2.1000"), ("PUMP", "BEARING")),
            ("ROTOR", 1, D("1.0000"), ("ROTOR", "BEARING")),
            ("SET", 2, D("2.0000"), ("SET", "MOTOR", "BEARING")),
            ("SET", 2, D("2.1000"), ("SET", "PUMP", "BEARING")),
            ("SET", 3, D("1.0000"), ("SET", "MOTOR", "ROTOR", "BEARING")),
        ]
        top = where_used(session, "SET")
        assert top is not None and top.usages == []


@pytest.mark.parametrize(("parent", "component"), [
    ("BOLT", "BOLT"),        # self
    ("ROTOR", "MOTOR"),      # two levels: MOTOR → ROTOR
    ("BEARING", "SET"),      # deep: SET → MOTOR → ROTOR → BEARING
])
def test_a_cycle_is_refused_and_nothing_changes(env: Environment, parent: str,
                                                component: str) -> None:
    with env.unit_of_work(readonly=True) as session:
        before = session.scalar(select(func.count()).select_from(BomLine))
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        set_line(session, parent_code=parent, component_code=component, quantity=D(1))
    assert caught.value.codes == ["BOM_CYCLE"]
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(BomLine)) == before


def test_a_two_cycle_between_fresh_products_is_refused(env: Environment) -> None:
    with env.unit_of_work() as session:
        set_line(session, parent_code="FAN", component_code="FAN2", quantity=D(1))
        with pytest.raises(ValidationFailed) as caught:
            set_line(session, parent_code="FAN2", component_code="FAN", quantity=D(1))
        assert caught.value.codes == ["BOM_CYCLE"]


def test_lines_are_changed_and_removed(env: Environment) -> None:
    with env.unit_of_work() as session:
        assert set_line(session, parent_code="BASE", component_code="BOLT",
                        quantity=D(6)).quantity == D(6)
        delete_line(session, parent_code="BASE", component_code="BOLT")
        with pytest.raises(ValidationFailed) as caught:
            delete_line(session, parent_code="BASE", component_code="BOLT")
        assert caught.value.codes == ["NOT_FOUND"]
        with pytest.raises(ValidationFailed) as caught:
            set_line(session, parent_code="BASE", component_code="NOPE", quantity=D(-1),
                     scrap_rate=D(1))
        assert sorted(caught.value.codes) == ["INVALID", "INVALID", "NOT_FOUND"]


def _count_statements(env: Environment, action: object) -> int:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = env.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        with env.unit_of_work(readonly=True) as session:
            action(session)  # type: ignore[operator]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_statement_count_does_not_grow_with_depth_or_width(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_category(session, code="DEEP", name="deep")
        for i in range(30):
            create_product(session, ProductInput(code=f"L{i}", name="x", category_code="DEEP"))
            create_product(session, ProductInput(code=f"W{i}", name="x", category_code="DEEP"))
        for i in range(29):
            set_line(session, parent_code=f"L{i}", component_code=f"L{i + 1}", quantity=D(2))
            set_line(session, parent_code="W0", component_code=f"W{i + 1}", quantity=D(1))
    _asked, available = fake_stock({})
    counts = {
        name: _count_statements(env, action) for name, action in {
            "small explosion": lambda s: explode(s, "SET", D(1), available=available),
            "deep explosion": lambda s: explode(s, "L0", D(1), available=available),
            "wide explosion": lambda s: explode(s, "W0", D(1), available=available),
            "small where-used": lambda s: where_used(s, "BOLT"),
            "deep where-used": lambda s: where_used(s, "L29"),
        }.items()}
    assert all(count <= 5 for count in counts.values()), counts
    with env.unit_of_work(readonly=True) as session:
        deep = explode(session, "L0", D(1))
        assert deep is not None
        assert max(r.quantity for r in deep.requirements) == D(2) ** 29
        used = where_used(session, "L29")
        assert used is not None and max(u.level for u in used.usages) == 29


def test_relations_answer_both_ways(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_relation(session, kind="replaces", product_code="MOTOR2", related_code="MOTOR")
        create_relation(session, kind="fits", product_code="FAN", host_model="YE3-132M")
        create_relation(session, kind="fits", product_code="FAN2", related_code="MOTOR")
        create_relation(session, kind="spare_part_of", product_code="BEARING",
                        related_code="MOTOR")
        create_relation(session, kind="accessory_of", product_code="BASE", related_code="PUMP")
        with pytest.raises(ValidationFailed) as caught:
            create_relation(session, kind="replaces", product_code="MOTOR",
                            related_code="MOTOR2")
        assert caught.value.codes == ["DUPLICATE_RELATION"]
        with pytest.raises(ValidationFailed) as caught:
            create_relation(session, kind="spare_part_of", product_code="BOLT",
                            host_model="X")
        assert caught.value.codes == ["INVALID"]
        with pytest.raises(ValidationFailed) as caught:
            create_relation(session, kind="fits", product_code="BOLT", related_code="BOLT")
        assert caught.value.codes == ["INVALID"]
        assert session.scalar(select(func.count()).select_from(ProductRelation)) == 5

    def answer(code: str, kind: str | None = None) -> set[tuple[str, str, str]]:
        with env.unit_of_work(readonly=True) as session:
            found = compatible_products(session, code, kind)
            assert found is not None
            return {(c.kind, c.direction, c.product.code) for c in found}

    assert answer("MOTOR") == {("replaces", "both", "MOTOR2"), ("fits", "reverse", "FAN"),
                               ("fits", "reverse", "FAN2"),
                               ("spare_part_of", "reverse", "BEARING")}
    assert answer("MOTOR2") == {("replaces", "both", "MOTOR"), ("fits", "reverse", "FAN")}
    assert answer("FAN") == {("fits", "forward", "MOTOR"), ("fits", "forward", "MOTOR2")}
    assert answer("MOTOR", "replaces") == {("replaces", "both", "MOTOR2")}
    assert answer("BASE") == {("accessory_of", "forward", "PUMP")}
    with env.unit_of_work() as session:
        delete_relation(session, kind="replaces", product_code="MOTOR", related_code="MOTOR2")
    assert answer("MOTOR2") == {("fits", "reverse", "FAN")}


def test_a_kit_holds_components_and_does_not_nest(env: Environment) -> None:
    with env.unit_of_work() as session:
        kit = set_kit(session, "KIT", [("BOLT", D(8)), ("FAN", D(1))])
        assert [(p.code, q) for p, q in kit_components(session, [kit.id])[kit.id]] == [
            ("BOLT", D("8.0000")), ("FAN", D("1.0000"))]
        with pytest.raises(ValidationFailed) as caught:
            set_kit(session, "SET", [("KIT", D(1)), ("SET", D(1)), ("NOPE", D(0))])
        assert {(e.field, e.code) for e in caught.value.errors} == {
            (("components", "0", "productCode"), "INVALID"),
            (("components", "1", "productCode"), "INVALID"),
            (("components", "2", "productCode"), "NOT_FOUND"),
            (("components", "2", "quantity"), "INVALID")}
        with pytest.raises(ValidationFailed):
            set_kit(session, "BOLT", [("FAN", D(1))])
        set_kit(session, "KIT", [])
        assert kit_components(session, [kit.id])[kit.id] == []
