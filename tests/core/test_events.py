"""In-transaction event handlers: their order, their all-or-nothing, their chains; and
event payloads that survive the trip through JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.events import Event, EventBus, OutboxMessage, Subscription, publish
from openjxc.core.models import Base

# A business table of the test's own, kept out of the shared metadata.
notes_metadata = MetaData()
notes = Table(
    "test_note",
    notes_metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(50)),
)


@dataclass(frozen=True)
class ItemShipped(Event):
    name: ClassVar[str] = "test.item.shipped"
    item_id: int


@dataclass(frozen=True)
class InvoiceDue(Event):
    name: ClassVar[str] = "test.invoice.due"
    item_id: int
    amount: Decimal


@dataclass(frozen=True)
class Everything(Event):
    name: ClassVar[str] = "test.everything"
    amount: Decimal
    day: date
    moment: datetime
    ids: tuple[int, ...]
    prices: tuple[Decimal, ...]
    discount: Decimal | None
    label: str


EnvFactory = Callable[[Iterable[tuple[str, Subscription]]], Environment]


@pytest.fixture
def make_env(database_url: str) -> Iterator[EnvFactory]:
    """An environment without addons whose event routing the test chooses."""
    databases: list[Database] = []

    def build(subscriptions: Iterable[tuple[str, Subscription]]) -> Environment:
        database = Database(database_url)
        databases.append(database)
        Base.metadata.create_all(database.engine, tables=[Base.metadata.tables["core_outbox"]])
        notes_metadata.create_all(database.engine)
        env = Environment([], database=database)
        env.events = EventBus(subscriptions)
        return env

    yield build
    for database in databases:
        database.dispose()


def write_note(session: Session, text: str) -> None:
    session.execute(insert(notes).values(text=text))


def note_texts(env: Environment) -> list[str]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(notes.c.text).order_by(notes.c.id)))


def outbox_count(env: Environment) -> int:
    with env.unit_of_work(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_handlers_run_by_order_then_by_addon_order(make_env: EnvFactory) -> None:
    calls: list[str] = []
    seen_sessions: list[Session] = []

    def base_late(event: ItemShipped, *, session: Session, env: Environment) -> None:
        calls.append("base_late")

    def base_default(event: ItemShipped, *, session: Session, env: Environment) -> None:
        seen_sessions.append(session)
        calls.append("base_default")

    def pro_default(event: ItemShipped, *, session: Session, env: Environment) -> None:
        calls.append("pro_default")

    def enterprise_early(event: ItemShipped, *, session: Session, env: Environment) -> None:
        calls.append("enterprise_early")

    # Listed in addon dependency order, as the environment collects them.
    env = make_env([
        ("base_jxc", Subscription(ItemShipped, base_late, order=10)),
        ("base_jxc", Subscription(ItemShipped, base_default)),
        ("serial_warranty", Subscription(ItemShipped, pro_default)),
        ("depreciation", Subscription(ItemShipped, enterprise_early, order=-5)),
    ])

    with env.unit_of_work() as session:
        publish(session, ItemShipped(item_id=1))
        assert seen_sessions == [session]  # same transaction, same session

    assert calls == ["enterprise_early", "base_default", "pro_default", "base_late"]


def test_failing_handler_rolls_back_the_whole_operation(make_env: EnvFactory) -> None:
    def record_warranty(event: ItemShipped, *, session: Session, env: Environment) -> None:
        write_note(session, f"warranty for {event.item_id}")

    def refuse(event: ItemShipped, *, session: Session, env: Environment) -> None:
        raise RuntimeError("voucher cannot be made")

    env = make_env([
        ("serial_warranty", Subscription(ItemShipped, record_warranty)),
        ("accounting_bridge", Subscription(ItemShipped, refuse)),
    ])

    with pytest.raises(RuntimeError, match="voucher cannot be made"), \
            env.unit_of_work() as session:
        write_note(session, "delivery 7")
        publish(session, ItemShipped(item_id=7))

    # Neither the publisher's row nor the first handler's row survived.
    assert note_texts(env) == []


def test_failing_handler_leaves_no_outbox_row(make_env: EnvFactory) -> None:
    def notify(event: ItemShipped, *, env: Environment) -> None:
        raise AssertionError("after-commit handlers are not called in the transaction")

    def refuse(event: ItemShipped, *, session: Session, env: Environment) -> None:
        raise RuntimeError("no")

    env = make_env([
        ("base_jxc", Subscription(ItemShipped, notify, phase="after_commit")),
        ("base_jxc", Subscription(ItemShipped, refuse)),
    ])

    with pytest.raises(RuntimeError), env.unit_of_work() as session:
        publish(session, ItemShipped(item_id=1))
        publish(session, ItemShipped(item_id=2))  # never reached

    assert outbox_count(env) == 0


def test_handler_can_publish_a_further_event(make_env: EnvFactory) -> None:
    def invoice_on_shipment(event: ItemShipped, *, session: Session, env: Environment) -> None:
        write_note(session, "shipped")
        publish(session, InvoiceDue(item_id=event.item_id, amount=Decimal("99.50")))

    def book_invoice(event: InvoiceDue, *, session: Session, env: Environment) -> None:
        write_note(session, f"invoice {event.item_id} {event.amount}")

    def mail_invoice(event: InvoiceDue, *, env: Environment) -> None:  # after commit
        pass

    env = make_env([
        ("base_jxc", Subscription(ItemShipped, invoice_on_shipment)),
        ("accounting_bridge", Subscription(InvoiceDue, book_invoice)),
        ("accounting_bridge", Subscription(InvoiceDue, mail_invoice, phase="after_commit")),
    ])

    with env.unit_of_work() as session:
        publish(session, ItemShipped(item_id=3))

    assert note_texts(env) == ["shipped", "invoice 3 99.50"]
    with env.unit_of_work(readonly=True) as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert row.event_name == "test.invoice.due"
    handler_id = f"{mail_invoice.__module__}.{mail_invoice.__qualname__}"
    assert row.handler_id == f"test.invoice.due:{handler_id}"
    assert InvoiceDue.from_payload(json.loads(row.payload)) == InvoiceDue(3, Decimal("99.50"))


def test_publish_needs_a_unit_of_work(make_env: EnvFactory) -> None:
    env = make_env([])
    with env.database.session() as session, pytest.raises(RuntimeError, match="unit_of_work"):
        publish(session, ItemShipped(item_id=1))


def test_payload_round_trips_decimals_dates_datetimes_and_tuples() -> None:
    event = Everything(
        amount=Decimal("1280.00"),
        day=date(2024, 2, 29),
        moment=datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        ids=(3, 1, 2),
        prices=(Decimal("0.10"), Decimal("12345678901234567.89")),
        discount=None,
        label="防爆电机",
    )

    wire = json.loads(json.dumps(event.to_payload()))
    back = Everything.from_payload(wire)

    assert back == event
    assert isinstance(back.amount, Decimal) and str(back.amount) == "1280.00"
    assert isinstance(back.ids, tuple) and isinstance(back.prices, tuple)
    assert str(back.prices[1]) == "12345678901234567.89"  # no float on the way
    assert back.moment.tzinfo is not None
    assert type(back.day) is date


def test_payload_round_trips_a_present_optional_decimal() -> None:
    event = Everything(
        amount=Decimal("1"), day=date(2024, 1, 1),
        moment=datetime(2024, 1, 1, tzinfo=UTC), ids=(), prices=(),
        discount=Decimal("0.05"), label="",
    )
    back = Everything.from_payload(json.loads(json.dumps(event.to_payload())))
    assert back == event
    assert isinstance(back.discount, Decimal)


def test_payloads_decode_mixed_tuples_and_dicts() -> None:
    from dataclasses import dataclass
    from datetime import date
    from decimal import Decimal
    from typing import ClassVar

    from openjxc.core.events import Event

    @dataclass(frozen=True)
    class Mixed(Event):
        name: ClassVar[str] = "test.mixed"
        pair: tuple[int, Decimal]
        amounts: dict[str, Decimal]
        days: tuple[date, ...]

    event = Mixed(pair=(1, Decimal("2.50")), amounts={"a": Decimal("1.10")},
                  days=(date(2026, 1, 2),))
    import json

    assert Mixed.from_payload(json.loads(json.dumps(event.to_payload()))) == event
