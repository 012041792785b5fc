"""Partner services on SQLite and PostgreSQL: what is kept, what is refused (and then
nothing changed), primary flags, the event, and the look-up other chapters use."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.partners.events import PartnerCreated
from openjxc.addons.base_jxc.partners.models import Partner, PartnerAddress, PartnerContact
from openjxc.addons.base_jxc.partners.services import (
    CUSTOMER,
    SUPPLIER,
    AddressInput,
    ContactInput,
    PartnerInput,
    add_address,
    add_contact,
    addresses_of,
    contacts_of,
    create_partner,
    deactivate_partner,
    find_partner,
    partner_by_code,
    update_partner,
)
from openjxc.core.env import Environment
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import EventBus, Subscription
from openjxc.core.migrate import create_database
from openjxc.testing.fixtures import create_test_database

VALID = "91350100M000100Y43"


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    yield env
    env.database.dispose()


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _minjiang() -> PartnerInput:
    return PartnerInput(
        code="C001", name="福州闽江机电有限公司", is_customer=True, is_supplier=True,
        credit_code=" ９１３５０１００ｍ０００１００ｙ４３ ", tax_bank="中国工商银行福州分行",
        tax_account="1402 0000 0000 0000 000", tax_address="福州市鼓楼区五四路1号",
        tax_phone="0591-88888888", payment_terms_days=30, payment_terms_note="月结30天",
        credit_limit=Decimal("200000"), credit_tolerance=Decimal("0.1"),
        contacts=[ContactInput(name="林工", mobile="13800000000", email="lin@example.cn",
                               position="采购经理", is_primary=True),
                  ContactInput(name="陈会计", phone="0591-88888889")],
        addresses=[AddressInput(kind="billing", address="福建省福州市鼓楼区五四路1号",
                                province="福建省", city="福州市", district="鼓楼区",
                                is_primary=True),
                   AddressInput(kind="shipping", address="福州市仓山区建新镇工业园 3 号库"),
                   AddressInput(kind="site", address="闽侯县青口镇 泵站")])


def test_a_partner_round_trips_with_contacts_and_addresses(env: Environment) -> None:
    with env.unit_of_work() as session:
        created = create_partner(session, _minjiang())
        partner_id = created.id
    with env.unit_of_work(readonly=True) as session:
        partner = partner_by_code(session, "C001")
        assert partner is not None and partner.id == partner_id
        assert (partner.credit_code, partner.is_customer, partner.is_supplier) == (
            VALID, True, True)
        assert (partner.payment_terms_days, partner.payment_terms_note) == (30, "月结30天")
        assert partner.credit_limit == Decimal("200000.00")
        assert partner.credit_tolerance == Decimal("0.100000")
        assert (partner.currency, partner.active) == ("CNY", True)
        contacts = contacts_of(session, [partner_id])[partner_id]
        assert [(c.name, c.is_primary, c.email) for c in contacts] == [
            ("林工", True, "lin@example.cn"), ("陈会计", False, "")]
        addresses = addresses_of(session, [partner_id])[partner_id]
        assert [(a.kind, a.city, a.is_primary) for a in addresses] == [
            ("billing", "福州市", True), ("shipping", "", False), ("site", "", False)]


def test_an_individual_needs_no_credit_code(env: Environment) -> None:
    with env.unit_of_work() as session:
        a = create_partner(session, PartnerInput(code="P1", name="张三", credit_code=""))
        b = create_partner(session, PartnerInput(code="P2", name="李四"))
        assert a.credit_code is None and b.credit_code is None
        assert a.credit_limit is None  # no limit


def test_duplicates_are_refused_and_nothing_changes(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_partner(session, _minjiang())
    duplicate = _minjiang()
    duplicate.credit_code = VALID
    with pytest.raises(ValidationFailed) as refused, env.unit_of_work() as session:
        create_partner(session, duplicate)
    assert {(e.code, e.field) for e in refused.value.errors} == {
        ("DUPLICATE_CODE", ("code",)), ("DUPLICATE_CODE", ("creditCode",))}
    with pytest.raises(ValidationFailed) as refused, env.unit_of_work() as session:
        create_partner(session, PartnerInput(code="C002", name="x", credit_code=VALID))
    assert refused.value.codes == ["DUPLICATE_CODE"]
    with env.unit_of_work(readonly=True) as session:
        assert (_count(session, Partner), _count(session, PartnerContact),
                _count(session, PartnerAddress)) == (1, 2, 3)


def test_bad_inputs_are_field_errors_all_at_once(env: Environment) -> None:
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as refused:
        create_partner(session, PartnerInput(
            code="", name="名" * 201, is_customer=False, is_supplier=False,
            credit_code="91350100M000100Y44", payment_terms_days=-1,
            credit_limit=Decimal("-1"), credit_tolerance=Decimal("1.5"), note="n" * 2001,
            tax_phone="0" * 33,
            contacts=[ContactInput(name="", email="not-an-address", is_primary=True),
                      ContactInput(name="b", is_primary=True)],
            addresses=[AddressInput(kind="home", address="")]))
    assert {(e.code, e.field) for e in refused.value.errors} == {
        ("REQUIRED", ("code",)), ("INVALID", ("name",)), ("INVALID", ("kind",)),
        ("INVALID_CREDIT_CODE", ("creditCode",)), ("INVALID", ("paymentTermsDays",)),
        ("INVALID", ("creditLimit",)), ("INVALID", ("creditTolerance",)),
        ("INVALID", ("note",)), ("INVALID", ("taxPhone",)),
        ("REQUIRED", ("contacts", "0", "name")), ("INVALID", ("contacts", "0", "email")),
        ("INVALID", ("contacts", "1", "isPrimary")),
        ("INVALID", ("addresses", "0", "kind")), ("REQUIRED", ("addresses", "0", "address"))}
    with env.unit_of_work(readonly=True) as session:
        assert _count(session, Partner) == 0


def test_partial_update_changes_only_what_is_named(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_partner(session, _minjiang())
    with env.unit_of_work() as session:
        updated = update_partner(session, "C001", {"payment_terms_days": 60,
                                                   "payment_terms_note": "月结60天",
                                                   "credit_limit": None})
        assert updated.credit_limit is None
    with env.unit_of_work(readonly=True) as session:
        partner = partner_by_code(session, "C001")
        assert partner is not None
        assert (partner.payment_terms_days, partner.payment_terms_note) == (60, "月结60天")
        assert (partner.name, partner.credit_code, partner.tax_bank) == (
            "福州闽江机电有限公司", VALID, "中国工商银行福州分行")
        assert partner.credit_tolerance == Decimal("0.1")


def test_update_refusals(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_partner(session, _minjiang())
        create_partner(session, PartnerInput(code="S1", name="供应商", is_customer=False,
                                             is_supplier=True))
    with env.unit_of_work() as session:
        with pytest.raises(ValidationFailed) as refused:
            update_partner(session, "S1", {"credit_code": VALID, "name": "",
                                           "is_supplier": False})
        assert {(e.code, e.field) for e in refused.value.errors} == {
            ("DUPLICATE_CODE", ("creditCode",)), ("REQUIRED", ("name",)),
            ("INVALID", ("kind",))}
        with pytest.raises(ValidationFailed) as refused:
            update_partner(session, "C001", {"credit_limit": Decimal("1")},
                           may_manage_credit=False)
        assert refused.value.errors == [FieldError("PERMISSION_DENIED", "",
                                                   field="creditLimit",
                                                   permission="partner.credit.manage")]
        # The same limit again is no change, so no permission is needed.
        update_partner(session, "C001", {"credit_limit": Decimal("200000.00"), "note": "x"},
                       may_manage_credit=False)
        with pytest.raises(ValidationFailed) as refused:
            update_partner(session, "NOPE", {"name": "x"})
        assert refused.value.codes == ["NOT_FOUND"]
        with pytest.raises(ValueError, match="cannot change"):
            update_partner(session, "C001", {"code": "C009"})


def test_a_new_primary_takes_the_flag(env: Environment) -> None:
    with env.unit_of_work() as session:
        partner_id = create_partner(session, _minjiang()).id
        add_contact(session, "C001", ContactInput(name="王总", is_primary=True))
        add_address(session, "C001", AddressInput(kind="shipping", address="新仓库",
                                                  is_primary=True))
        add_address(session, "C001", AddressInput(kind="site", address="工地 2"))
    with env.unit_of_work(readonly=True) as session:
        primaries = [c.name for c in contacts_of(session, [partner_id])[partner_id]
                     if c.is_primary]
        assert primaries == ["王总"]
        addresses = addresses_of(session, [partner_id])[partner_id]
        assert {(a.kind, a.address) for a in addresses if a.is_primary} == {
            ("billing", "福建省福州市鼓楼区五四路1号"), ("shipping", "新仓库")}
    with env.unit_of_work() as session, pytest.raises(ValidationFailed) as refused:
        add_contact(session, "NOPE", ContactInput(name="x"))
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("NOT_FOUND", ("partnerCode",))]


def test_other_chapters_find_active_partners_in_their_role(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_partner(session, PartnerInput(code="C1", name="客户"))
        create_partner(session, PartnerInput(code="S1", name="供应商", is_customer=False,
                                             is_supplier=True))
        create_partner(session, PartnerInput(code="X1", name="停用"))
        deactivate_partner(session, "X1")
    with env.unit_of_work(readonly=True) as session:
        errors: list[FieldError] = []
        assert find_partner(session, errors, "C1", "customerCode", role=CUSTOMER) is not None
        assert find_partner(session, errors, "S1", "supplierCode", role=SUPPLIER) is not None
        assert errors == []
        for code, role in (("S1", CUSTOMER), ("C1", SUPPLIER), ("X1", None), ("??", None)):
            assert find_partner(session, errors, code, "partnerCode", role=role) is None
        assert [e.code for e in errors] == ["INVALID", "INVALID", "INVALID", "NOT_FOUND"]


def test_partner_created_is_published_in_the_transaction(database_url: str) -> None:
    seen: list[PartnerCreated] = []

    def handler(event: PartnerCreated, **_: object) -> None:
        seen.append(event)

    env = Environment.for_edition("basic", database_url=database_url)
    env.events = EventBus([("test", Subscription(event=PartnerCreated, handler=handler))])
    try:
        create_database(env)
        with env.unit_of_work() as session:
            partner = create_partner(session, PartnerInput(code="S9", name="s",
                                                           is_customer=False,
                                                           is_supplier=True))
            assert seen == [PartnerCreated(partner_id=partner.id, code="S9",
                                           is_customer=False, is_supplier=True)]
        assert PartnerCreated.name == "partner.created"
        assert PartnerCreated.from_payload(seen[0].to_payload()) == seen[0]
    finally:
        env.database.dispose()

