"""Coding rules as a story: a motors category codes its products from model, power and
poles; metals only need a JX prefix; sub-categories inherit; bad attributes are field
errors; product updates re-check the code and keep tracking once stock moved."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openjxc.addons.base_jxc.catalog.coding import render_value
from openjxc.addons.base_jxc.catalog.models import Product, ProductAttributeValue
from openjxc.addons.base_jxc.catalog.product_changes import product_defaults, update_product
from openjxc.addons.base_jxc.catalog.services import (
    AttributeDefinition,
    ProductInput,
    create_category,
    create_category_attribute,
    create_product,
)
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database

MOTOR_ATTRIBUTES = [
    AttributeDefinition("power_kw", "功率", "decimal", required=True, unit="kW"),
    AttributeDefinition("poles", "极数", "integer", required=True),
    AttributeDefinition("frame", "机座号", "text"),
]


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机",
                        code_template="DJ-{model}-{power_kw}-{poles}",
                        attributes=MOTOR_ATTRIBUTES)
        create_category(session, code="DJ-YE3", name="YE3 电机", parent_code="DJ")
        create_category(session, code="JS", name="金属", code_template="JX{*}")
        session.add(Partner(code="S1", name="供应商", is_supplier=True))
        session.add(Partner(code="C1", name="客户", is_customer=True))
    yield env
    env.database.dispose()


def motor(**overrides: object) -> ProductInput:
    data = ProductInput(code=None, name="三相异步电机", category_code="DJ", model="YE3",
                        attributes={"power_kw": "5.5", "poles": "4"})
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def refused(env: Environment, data: ProductInput) -> set[tuple[tuple[str, ...], str]]:
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        create_product(session, data)
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
    return {(e.field, e.code) for e in caught.value.errors}


def test_decimals_render_without_trailing_zeros() -> None:
    assert [render_value(v) for v in (Decimal("5.5"), Decimal("11.0"), Decimal("110"),
                                      Decimal("0.750000"), 4, "B3")] == \
        ["5.5", "11", "110", "0.75", "4", "B3"]


def test_a_code_is_generated_from_the_template(env: Environment) -> None:
    with env.unit_of_work() as session:
        assert create_product(session, motor()).code == "DJ-YE3-5.5-4"
        eleven = create_product(session, motor(attributes={"power_kw": "11.0", "poles": 2}))
        assert eleven.code == "DJ-YE3-11-2"
        stored = session.scalars(select(ProductAttributeValue)
                                 .where(ProductAttributeValue.product_id == eleven.id)).all()
        assert {(v.integer_value, v.decimal_value) for v in stored} == {
            (2, None), (None, Decimal("11.000000"))}


def test_a_given_code_must_follow_the_template(env: Environment) -> None:
    assert refused(env, motor(code="DJ-YE3-5.5-2")) == {(("code",), "CODE_TEMPLATE_MISMATCH")}
    with env.unit_of_work() as session:
        assert create_product(session, motor(code="DJ-YE3-5.5-4")).code == "DJ-YE3-5.5-4"


def test_a_prefix_rule_checks_but_cannot_generate(env: Environment) -> None:
    metal = ProductInput(code="CU-001", name="铜排", category_code="JS")
    assert refused(env, metal) == {(("code",), "CODE_TEMPLATE_MISMATCH")}
    metal.code = None
    assert refused(env, metal) == {(("code",), "REQUIRED")}
    metal.code = "JX-CU-001"
    with env.unit_of_work() as session:
        assert create_product(session, metal).code == "JX-CU-001"


def test_attribute_errors_are_field_errors(env: Environment) -> None:
    assert refused(env, motor(attributes={"power_kw": "abc", "colour": "red"})) == {
        (("attributes", "power_kw"), "INVALID"), (("attributes", "colour"), "NOT_FOUND"),
        (("attributes", "poles"), "REQUIRED")}
    assert refused(env, motor(attributes={"power_kw": "5.5", "poles": "4.5"})) == {
        (("attributes", "poles"), "INVALID")}
    assert refused(env, motor(model="")) == {(("model",), "REQUIRED")}


def test_codes_are_unique_generated_or_given(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_product(session, motor())
    assert refused_after_first(env, motor()) == {(("code",), "DUPLICATE_CODE")}
    assert refused_after_first(env, motor(code="DJ-YE3-5.5-4")) == {
        (("code",), "DUPLICATE_CODE")}


def refused_after_first(env: Environment, data: ProductInput) -> set[tuple[tuple[str, ...], str]]:
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        create_product(session, data)
    return {(e.field, e.code) for e in caught.value.errors}


def test_a_sub_category_inherits_template_and_attributes(env: Environment) -> None:
    with env.unit_of_work() as session:
        product = create_product(session, motor(category_code="DJ-YE3",
                                                attributes={"power_kw": "7.5", "poles": "6",
                                                            "frame": "132M"}))
        assert product.code == "DJ-YE3-7.5-6"


def test_category_rules_are_checked(env: Environment) -> None:
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        create_category(session, code="BF", name="阀门", code_template="FM-{size}-{",
                        attributes=[AttributeDefinition("Size!", "口径", "float"),
                                    AttributeDefinition("model", "型号")])
    assert {(e.field, e.code) for e in caught.value.errors} == {
        (("codeTemplate",), "INVALID"), (("attributes", "0", "key"), "INVALID"),
        (("attributes", "0", "type"), "INVALID"), (("attributes", "1", "key"), "INVALID")}
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        create_category(session, code="DJ2", name="x", parent_code="DJ",
                        attributes=[AttributeDefinition("poles", "极数", "integer")])
    assert caught.value.codes == ["DUPLICATE_CODE"]
    with env.unit_of_work() as session:
        create_category_attribute(session, category_code="DJ-YE3",
                                  definition=AttributeDefinition("ip", "防护等级"))
        with pytest.raises(ValidationFailed) as caught:
            create_category_attribute(session, category_code="DJ",
                                      definition=AttributeDefinition("ip", "防护等级"))
        assert caught.value.codes == ["DUPLICATE_CODE"]


def test_update_rechecks_the_code_and_publishes_what_changed(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_product(session, motor())
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        update_product(session, "DJ-YE3-5.5-4", {"attributes": {"poles": "2"}})
    assert {(e.field, e.code) for e in caught.value.errors} == {
        (("code",), "CODE_TEMPLATE_MISMATCH")}
    with env.unit_of_work() as session:
        product = update_product(session, "DJ-YE3-5.5-4", {
            "code": "DJ-YE3-5.5-2", "attributes": {"poles": "2"},
            "list_price": Decimal("3100"), "safety_stock": Decimal("2.5"),
            "default_supplier_code": "S1", "lead_time_days": 7})
        assert (product.code, product.list_price) == ("DJ-YE3-5.5-2", Decimal("3100.00"))
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        update_product(session, "DJ-YE3-5.5-2", {"code": "DJ-YE3-5.5-9",
                                                 "default_supplier_code": "C1",
                                                 "shelf_life_days": 0, "name": ""})
    assert {(e.field, e.code) for e in caught.value.errors} == {
        (("newCode",), "CODE_TEMPLATE_MISMATCH"), (("defaultSupplierCode",), "INVALID"),
        (("shelfLifeDays",), "INVALID"), (("name",), "REQUIRED")}


def test_tracking_is_locked_once_stock_moved(env: Environment) -> None:
    stock = pytest.importorskip("openjxc.addons.base_jxc.stock.models")
    with env.unit_of_work() as session:
        product = create_product(session, motor())
        assert update_product(session, product.code, {"tracking": "serial"}).tracking == "serial"
        product_id = product.id
    from openjxc.addons.base_jxc.catalog import product_changes

    with env.unit_of_work() as session:
        assert not product_changes._has_stock_moves(session, product_id)
    assert stock.StockMove.__tablename__ == "jxc_stock_move"


def test_tracking_lock_refuses_with_its_code(env: Environment,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from openjxc.addons.base_jxc.catalog import product_changes

    with env.unit_of_work() as session:
        create_product(session, motor())
    monkeypatch.setattr(product_changes, "_has_stock_moves", lambda session, pk: True)
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as caught:
        update_product(session, "DJ-YE3-5.5-4", {"tracking": "batch"})
    assert caught.value.codes == ["TRACKING_LOCKED"]


def test_defaults_for_a_form(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_product(session, motor(unit="台", spec="380V", list_price=Decimal("3000"),
                                      standard_price=Decimal("2400"),
                                      safety_stock=Decimal("3"), default_supplier_code="S1",
                                      lead_time_days=10, shelf_life_days=None))
    with env.unit_of_work(readonly=True) as session:
        found = product_defaults(session, "DJ-YE3-5.5-4", "C1")
        assert found is not None
        assert (found.unit, found.spec, found.model, found.list_price, found.standard_price,
                found.tax_rate, found.safety_stock, found.default_supplier_code,
                found.lead_time_days, found.tracking, found.shelf_life_days) == (
            "台", "380V", "YE3", Decimal("3000.00"), Decimal("2400.00"),
            Decimal("0.130000"), Decimal("3.0000"), "S1", 10, "none", None)
        assert product_defaults(session, "NOPE") is None
        with pytest.raises(ValidationFailed):
            product_defaults(session, "DJ-YE3-5.5-4", "NOPE")
