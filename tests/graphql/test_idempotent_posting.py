"""Posting mutations with ``idempotencyKey``: a retry returns the first answer and changes
nothing; the same key with other input is refused; a refusal stores no key."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
import strawberry
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import OutboxMessage
from openjxc.core.migrate import create_database
from openjxc.core.outbox import enqueue
from openjxc.graphql import Contribution, make_user_error_type, mutation
from openjxc.graphql.payloads import run_posting
from openjxc.testing.graphql import GraphQLTester


@strawberry.enum
class PostingErrorCode(Enum):
    INVALID = "INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PostingError = make_user_error_type("Posting", PostingErrorCode)


@strawberry.input
class NotePostInput:
    text: str
    copies: int = 1
    idempotency_key: str | None = None


@strawberry.type
class NotePostPayload:
    message_ids: list[int] | None
    errors: list[PostingError]  # type: ignore[valid-type]


#: Texts whose first posting collides with a row "another transaction" committed.
COLLIDING: set[str] = set()


def post(session: Session, text: str, copies: int) -> list[int]:
    if text in COLLIDING:
        COLLIDING.discard(text)
        first = enqueue(session, handler_id="test:note", payload={"text": "half-done"})
        session.flush()
        # IntegrityError, as a concurrent insert of the same value would raise
        session.execute(OutboxMessage.__table__.insert().values(
            id=first.id, event_name="test", handler_id="test:note", payload="{}"))
    if copies <= 0:
        raise ValidationFailed(FieldError("INVALID", "Copies must be positive", field="copies"))
    rows = [enqueue(session, handler_id="test:note", payload={"text": text})
            for _ in range(copies)]
    session.flush()
    return [r.id for r in rows]


def note_post(info: Info[Any, Any], input: NotePostInput) -> NotePostPayload:
    ids, errors = run_posting(
        info, lambda s: post(s, input.text, input.copies), PostingError,
        scope="notePost", idempotency_key=input.idempotency_key,
        request={"text": input.text, "copies": input.copies},
        encode=lambda result: result, decode=lambda _s, stored: list(stored))
    return NotePostPayload(message_ids=ids, errors=errors)


POST = """mutation($input: NotePostInput!) {
  notePost(input: $input) { messageIds errors { field code message } } }"""


@pytest.fixture
def api(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphQLTester]:
    env = Environment([], database=Database(database_url))
    original = env.contributions

    def contributions(hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        found = original(hook, **kwargs)
        if hook == "register_graphql":
            found.append(("posting_test", Contribution(mutations=[
                mutation(note_post, permission="core.addon.read", name="notePost")])))
        return found

    monkeypatch.setattr(env, "contributions", contributions)
    create_database(env)
    yield GraphQLTester(env, locale="en")
    env.database.dispose()


def _count(api: GraphQLTester) -> int:
    with api.env.unit_of_work(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_a_retry_returns_the_first_answer_and_changes_nothing(api: GraphQLTester) -> None:
    first = api.ok(POST, {"input": {"text": "收货", "copies": 2, "idempotencyKey": "pda-1"}})
    again = api.ok(POST, {"input": {"text": "收货", "copies": 2, "idempotencyKey": "pda-1"}})
    assert first == again
    assert len(first["notePost"]["messageIds"]) == 2
    assert _count(api) == 2


def test_the_same_key_with_other_input_is_refused(api: GraphQLTester) -> None:
    api.ok(POST, {"input": {"text": "a", "idempotencyKey": "k"}})
    other = api.ok(POST, {"input": {"text": "b", "idempotencyKey": "k"}})
    assert other["notePost"]["messageIds"] is None
    assert other["notePost"]["errors"] == [{
        "field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED",
        "message": "This idempotency key was already used with different input"}]
    assert _count(api) == 1


def test_a_refused_posting_stores_no_key(api: GraphQLTester) -> None:
    refused = api.ok(POST, {"input": {"text": "a", "copies": 0, "idempotencyKey": "k2"}})
    assert refused["notePost"]["errors"][0]["code"] == "INVALID"
    fixed = api.ok(POST, {"input": {"text": "a", "copies": 1, "idempotencyKey": "k2"}})
    assert fixed["notePost"]["errors"] == [] and _count(api) == 1


def test_without_a_key_every_call_posts(api: GraphQLTester) -> None:
    api.ok(POST, {"input": {"text": "a"}})
    api.ok(POST, {"input": {"text": "a"}})
    assert _count(api) == 2


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_an_unstorable_key_is_a_field_error(api: GraphQLTester, key: str) -> None:
    result = api.ok(POST, {"input": {"text": "a", "idempotencyKey": key}})
    assert result["notePost"]["errors"][0]["field"] == ["idempotencyKey"]
    assert result["notePost"]["errors"][0]["code"] == "INVALID"
    assert _count(api) == 0


def test_a_unique_race_runs_the_posting_once_more_and_leaves_nothing_of_the_first(
        api: GraphQLTester) -> None:
    COLLIDING.add("race")
    data = api.ok(POST, {"input": {"text": "race", "copies": 2, "idempotencyKey": "k-race"}})
    assert len(data["notePost"]["messageIds"]) == 2 and not data["notePost"]["errors"]
    assert _count(api) == 2  # not the half-done row of the first attempt
    again = api.ok(POST, {"input": {"text": "race", "copies": 2, "idempotencyKey": "k-race"}})
    assert again["notePost"]["messageIds"] == data["notePost"]["messageIds"]
    assert _count(api) == 2
