"""Inconsistent contributions fail at boot, with a message naming the addons involved."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from typing import ClassVar

import pytest
import strawberry
from gql_fakes import Category, Product, catalog_contribution, warranty_contribution
from gql_support import FakeEnv
from strawberry.types import Info

from openjxc.core.errors import BootError
from openjxc.graphql import (
    Connection,
    Contribution,
    FilterField,
    Node,
    build_schema,
    compose,
    field,
    mutation,
)


def boot(*contributions: tuple[str, object]) -> None:
    build_schema(FakeEnv(*contributions))  # type: ignore[arg-type]


def ping() -> str:
    return "pong"


def test_two_addons_owning_the_same_type_name() -> None:
    @strawberry.type(name="Product")
    class OtherProduct:
        sku: str

    with pytest.raises(BootError, match=r"'Product' is defined twice: by catalog .* by rival"):
        boot(("catalog", catalog_contribution()), ("rival", Contribution(types=[OtherProduct])))


@strawberry.type(name="Category")
class Shelf:
    aisle: int


def shelf() -> Shelf:
    return Shelf(aisle=1)


def test_a_type_reached_through_a_field_clashing_with_an_owned_one() -> None:
    rival = Contribution(queries=[field(shelf, permission="rival.shelf.read")])
    with pytest.raises(BootError, match=r"'Category' is defined twice: by catalog .* by rival"):
        boot(("catalog", catalog_contribution()), ("rival", rival))


def test_an_addon_type_named_like_a_kernel_type() -> None:
    @strawberry.type(name="PageInfo")
    class MyPageInfo:
        page: int

    with pytest.raises(BootError, match=r"'PageInfo' is defined twice: by core .* by rival"):
        boot(("rival", Contribution(types=[MyPageInfo])))


def test_the_same_root_field_twice() -> None:
    def products() -> list[str]:
        return []

    rival = Contribution(queries=[field(products, permission="rival.product.read")])
    with pytest.raises(BootError,
                       match=r"root field Query.products is contributed twice: by catalog and "
                             r"by rival"):
        boot(("catalog", catalog_contribution()), ("rival", rival))


def test_an_extension_field_whose_name_the_type_already_has() -> None:
    def code(root: Product) -> str:
        return "X"

    rival = Contribution(type_fields={"Product": [field(code)]})
    with pytest.raises(BootError, match=r"rival adds field Product.code, which catalog already "
                                        r"defines"):
        boot(("catalog", catalog_contribution()), ("rival", rival))


def test_two_extensions_adding_the_same_field() -> None:
    with pytest.raises(BootError, match=r"again adds field Product.warranty, which warranty "
                                        r"already defines"):
        boot(("catalog", catalog_contribution()), ("warranty", warranty_contribution()),
             ("again", Contribution(type_fields=warranty_contribution().type_fields)))


def test_an_extension_filter_whose_name_the_input_already_has() -> None:
    clash = FilterField("code_prefix", str, lambda stmt, value, info: stmt)
    with pytest.raises(BootError, match=r"rival adds filter field ProductFilter.codePrefix"):
        boot(("catalog", catalog_contribution()),
             ("rival", Contribution(filter_fields={"ProductFilter": [clash]})))


def test_extending_a_type_absent_from_the_edition() -> None:
    with pytest.raises(BootError, match=r"warranty adds fields to type 'Product', which is not "
                                        r"in this edition"):
        boot(("warranty", Contribution(type_fields=warranty_contribution().type_fields)))


def test_extending_a_filter_absent_from_the_edition() -> None:
    with pytest.raises(BootError, match=r"warranty adds filter fields to type 'ProductFilter', "
                                        r"which is not in this edition"):
        boot(("warranty", Contribution(filter_fields=warranty_contribution().filter_fields)))


def test_filter_fields_aimed_at_an_object_type() -> None:
    wrong = FilterField("x", str, lambda stmt, value, info: stmt)
    with pytest.raises(BootError, match=r"rival adds filter field 'x' to Product, which is not "
                                        r"an input type"):
        boot(("catalog", catalog_contribution()),
             ("rival", Contribution(filter_fields={"Product": [wrong]})))


def test_type_fields_aimed_at_an_input_type() -> None:
    with pytest.raises(BootError, match=r"rival adds fields to ProductFilter, which is not an "
                                        r"object type"):
        boot(("catalog", catalog_contribution()),
             ("rival", Contribution(type_fields={"ProductFilter": [field(ping)]})))


@pytest.mark.parametrize("kind", ["queries", "mutations", "subscriptions"])
def test_a_root_field_without_permission(kind: str) -> None:
    async def ticks() -> object:  # an async generator for subscriptions
        yield "tick"

    resolver = ticks if kind == "subscriptions" else ping
    bare = strawberry.field(resolver=resolver)
    with pytest.raises(BootError, match=r"rival: root field \w+\.\w+ declares no permission"):
        boot(("rival", Contribution(**{"queries": [field(ping, public=True)], kind: [bare]})))


def test_a_root_field_made_with_field_but_no_permission() -> None:
    with pytest.raises(BootError, match=r"rival: root field Query.ping declares no permission"):
        boot(("rival", Contribution(queries=[field(ping)])))


def nameless() -> Unknown:  # type: ignore[name-defined]  # noqa: F821
    raise AssertionError


def test_a_root_field_whose_type_cannot_be_resolved() -> None:
    with pytest.raises(BootError, match=r"rival: Query.nameless has no type, or names one its "
                                        r"module does not define"):
        boot(("rival", Contribution(queries=[field(nameless, public=True)])))


def test_a_root_field_that_is_not_a_field() -> None:
    with pytest.raises(BootError, match=r"not a field; make fields with openjxc.graphql.field"):
        boot(("rival", Contribution(queries=[ping])))  # type: ignore[list-item]


def test_permission_and_public_together() -> None:
    with pytest.raises(BootError, match=r"both public and with permission"):
        field(ping, permission="a.b.c", public=True)


@pytest.mark.parametrize("permission", ["stock", "stock.move", "Stock.Move.Create",
                                        "stock.move.create.now", "stock move create"])
def test_a_malformed_permission(permission: str) -> None:
    with pytest.raises(BootError, match=r"is not of the form 'area.object.action'"):
        field(ping, permission=permission)


@strawberry.type
class Margin:
    value: Decimal = field(permission="sales.margin.read")


def margin() -> Margin:
    return Margin(value=Decimal(1))


def test_a_permission_on_a_non_nullable_object_field() -> None:
    with pytest.raises(BootError, match=r"Margin.value requires permission 'sales.margin.read' "
                                        r"but is not Optional"):
        boot(("rival", Contribution(queries=[field(margin, permission="sales.order.read")])))


@strawberry.type
class Note:
    text: str = field(public=True)


def note() -> Note:
    return Note(text="x")


def test_public_on_an_object_field() -> None:
    with pytest.raises(BootError, match=r"Note.text: public=True only applies to root fields"):
        boot(("rival", Contribution(queries=[field(note, permission="rival.note.read")])))


def test_a_node_type_without_a_loader() -> None:
    @strawberry.type
    class Lonely(Node):
        node_permission: ClassVar[str] = "rival.lonely.read"

    with pytest.raises(BootError, match=r"rival: Lonely implements Node but defines no "
                                        r"get_nodes"):
        boot(("rival", Contribution(types=[Lonely])))


def test_a_node_type_without_a_permission() -> None:
    @strawberry.type
    class Open(Node):
        @classmethod
        def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[Open | None]:
            return [None for _ in pks]

    with pytest.raises(BootError, match=r"rival: Open implements Node but sets no "
                                        r"node_permission"):
        boot(("rival", Contribution(types=[Open])))


def test_a_hook_returning_something_else() -> None:
    with pytest.raises(BootError, match=r"rival: register_graphql returned \[\]"):
        boot(("rival", []))


def test_the_same_scalar_twice() -> None:
    barcode = strawberry.scalar(name="Barcode", serialize=str, parse_value=str)
    with pytest.raises(BootError, match=r"a scalar for .* is contributed twice: by one and by "
                                        r"two"):
        boot(("one", Contribution(scalars={bytes: barcode})),
             ("two", Contribution(scalars={bytes: barcode})))


@strawberry.enum(name="ProductSort")
class RivalSort(Enum):
    NEWEST = "NEWEST"


def rival_sorts() -> list[RivalSort]:
    return [RivalSort.NEWEST]


def test_two_enums_with_one_name() -> None:
    rival = Contribution(queries=[field(rival_sorts, permission="rival.sort.read")])
    with pytest.raises(BootError, match=r"'ProductSort' is defined twice: by catalog .* by "
                                        r"rival \(.*RivalSort\)"):
        boot(("catalog", catalog_contribution()), ("rival", rival))


def test_a_scalar_named_like_a_kernel_scalar() -> None:
    money = strawberry.scalar(name="Decimal", serialize=str, parse_value=str)
    with pytest.raises(BootError, match=r"'Decimal' is defined twice: by core .* by rival"):
        boot(("rival", Contribution(scalars={complex: money})))


@strawberry.input
class SecretInput:
    note: str | None = field(permission="rival.note.write", default=None)


def write_note(input: SecretInput) -> bool:
    return True


def test_an_input_field_with_a_permission() -> None:
    rival = Contribution(mutations=[mutation(write_note, permission="rival.note.write")],
                         queries=[field(ping, public=True)])
    with pytest.raises(BootError, match=r"SecretInput.note: input fields cannot carry a "
                                        r"permission"):
        boot(("rival", rival))


def bare_page() -> Connection:  # type: ignore[type-arg]
    raise AssertionError


def test_a_generic_used_without_its_argument() -> None:
    with pytest.raises(BootError, match=r"openjxc.graphql.pagination.Connection is generic; "
                                        r"use it specialised"):
        boot(("rival", Contribution(queries=[field(bare_page, public=True)])))


def test_a_filter_field_that_is_not_a_filter_field() -> None:
    rival = Contribution(filter_fields={"ProductFilter": [field(ping)]})  # type: ignore[list-item]
    with pytest.raises(BootError, match=r"rival: filter_fields\['ProductFilter'\] holds"):
        boot(("catalog", catalog_contribution()), ("rival", rival))


class NotAType:
    pass


def odd() -> NotAType:
    return NotAType()


def test_what_strawberry_refuses_is_a_boot_error_too() -> None:
    with pytest.raises(BootError, match=r"the GraphQL schema of <FakeEnv \['rival'\]> cannot "
                                        r"be built"):
        boot(("rival", Contribution(queries=[field(odd, public=True)])))


def test_the_claiming_addon_owns_a_type_another_reached_first() -> None:
    def first_category() -> Category | None:
        return None

    early = Contribution(queries=[field(first_category, permission="early.category.read")])
    env = FakeEnv(("early", early), ("catalog", catalog_contribution()))
    assert compose(env).owners["Category"] == "catalog"
